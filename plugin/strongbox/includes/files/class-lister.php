<?php
/**
 * Paged, resumable listing of the site's files.
 *
 * @package Strongbox
 */

namespace Strongbox\Files;

use Strongbox\Data_Dir;

defined( 'ABSPATH' ) || exit;

/**
 * Depth-first walk in byte order of names; the cursor is the last path returned,
 * so a listing resumes without re-walking the subtrees before it. Symbolic links
 * are reported, never followed.
 */
class Lister {

	/** Patterns excluded by default: caches, temporary data, other plugins' backups. */
	const DEFAULT_EXCLUDES = array(
		'wp-content/cache',
		'wp-content/et-cache',
		'wp-content/litespeed',
		'wp-content/upgrade',
		'wp-content/upgrade-temp-backup',
		'wp-content/debug.log',
		'wp-content/updraft',
		'wp-content/ai1wm-backups',
		'wp-content/backups-dup-lite',
		'wp-content/backups-dup-pro',
		'wp-content/backup-db',
		'wp-content/backupwordpress-*',
		'wp-content/backup-migration*',
		'wp-content/backups',
		'wp-content/wpvividbackups',
		'wp-content/backup-guard',
		'wp-content/uploads/backwpup-*',
		'wp-content/uploads/backupbuddy_backups',
		'wp-content/uploads/ithemes-security/backups',
		'wp-content/uploads/wp-migrate-db',
		'wp-content/uploads/wc-logs',
		'*.strongbox-tmp-*',
	);

	/**
	 * Jail.
	 *
	 * @var Jail
	 */
	private $jail;

	/**
	 * Exclusion patterns (fnmatch against the relative path).
	 *
	 * @var string[]
	 */
	private $excludes;

	/**
	 * Constructor.
	 *
	 * @param Jail     $jail     Jail.
	 * @param string[] $extra    Extra exclusion patterns from the request.
	 */
	public function __construct( Jail $jail, array $extra = array() ) {
		$this->jail     = $jail;
		$configured     = (array) get_option( 'strongbox_file_excludes', array() );
		$this->excludes = (array) apply_filters( 'strongbox_file_excludes', array_merge( self::DEFAULT_EXCLUDES, $configured, $extra ) );
	}

	/**
	 * The active exclusion patterns.
	 *
	 * @return string[]
	 */
	public function excludes() {
		return array_values( $this->excludes );
	}

	/**
	 * One page of entries after the cursor.
	 *
	 * @param string $cursor Last path of the previous page ('' to start).
	 * @param int    $limit  Maximum entries.
	 * @return array{entries: array, next_cursor: ?string, excluded: int}
	 */
	public function page( $cursor, $limit ) {
		$state = array(
			'entries'  => array(),
			'limit'    => $limit,
			'cursor'   => '' === $cursor ? array() : explode( '/', $cursor ),
			'excluded' => 0,
			'full'     => false,
		);
		$this->walk( '', $state );
		$next = null;
		if ( $state['full'] && $state['entries'] ) {
			$last = end( $state['entries'] );
			$next = $last['path'];
		}
		return array(
			'entries'     => $state['entries'],
			'next_cursor' => $next,
			'excluded'    => $state['excluded'],
		);
	}

	/**
	 * Walks one directory.
	 *
	 * @param string $rel   Relative directory ('' = root).
	 * @param array  $state Walk state.
	 */
	private function walk( $rel, array &$state ) {
		$abs   = '' === $rel ? $this->jail->root() : $this->jail->root() . '/' . $rel;
		$names = @scandir( $abs ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- unreadable directories are skipped.
		if ( false === $names ) {
			return;
		}
		sort( $names, SORT_STRING );
		$private = Data_Dir::path();
		foreach ( $names as $name ) {
			if ( '.' === $name || '..' === $name ) {
				continue;
			}
			$path  = '' === $rel ? $name : $rel . '/' . $name;
			$parts = explode( '/', $path );
			$cmp   = self::compare( $parts, $state['cursor'] );
			// The cursor itself or one of its ancestors: already emitted, but its subtree may not be.
			$is_ancestor_of_cursor = 0 === $cmp || ( count( $parts ) < count( $state['cursor'] ) && array_slice( $state['cursor'], 0, count( $parts ) ) === $parts );
			if ( $cmp <= 0 && ! $is_ancestor_of_cursor ) {
				continue; // Emitted on an earlier page, with its whole subtree.
			}
			if ( $this->is_excluded( $path ) || ( ! is_wp_error( $private ) && $abs . '/' . $name === $private ) ) {
				if ( ! $is_ancestor_of_cursor ) {
					++$state['excluded'];
				}
				continue;
			}
			$full = $abs . '/' . $name;
			$st   = @lstat( $full ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- vanished entries are skipped.
			if ( false === $st ) {
				continue;
			}
			$type = self::type( $st['mode'] );
			if ( ! $is_ancestor_of_cursor ) {
				if ( count( $state['entries'] ) >= $state['limit'] ) {
					$state['full'] = true;
					return;
				}
				$entry = array(
					'path'  => $path,
					'type'  => $type,
					'size'  => 'file' === $type ? $st['size'] : 0,
					'mtime' => $st['mtime'],
					'mode'  => sprintf( '%04o', $st['mode'] & 07777 ),
				);
				if ( 'link' === $type ) {
					$target                      = readlink( $full );
					$real                        = realpath( $full );
					$entry['target']             = false === $target ? null : $target;
					$entry['target_inside_root'] = false !== $real && $this->jail->contains( $real );
				}
				$state['entries'][] = $entry;
			}
			if ( 'dir' === $type ) {
				$this->walk( $path, $state );
				if ( $state['full'] ) {
					return;
				}
			}
		}
	}

	/**
	 * Whether a relative path matches an exclusion pattern (the listing skips it, and
	 * a restore never removes it).
	 *
	 * @param string $path Relative path.
	 * @return bool
	 */
	public function is_excluded( $path ) {
		foreach ( $this->excludes as $pattern ) {
			$pattern = (string) $pattern;
			if ( '' === $pattern ) {
				continue;
			}
			if ( fnmatch( $pattern, $path, FNM_PATHNAME ) || ( false === strpos( $pattern, '/' ) && fnmatch( $pattern, basename( $path ) ) ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Depth-first order of two component lists.
	 *
	 * @param string[] $a Components.
	 * @param string[] $b Components.
	 * @return int
	 */
	private static function compare( array $a, array $b ) {
		$n = min( count( $a ), count( $b ) );
		for ( $i = 0; $i < $n; $i++ ) {
			$c = strcmp( $a[ $i ], $b[ $i ] );
			if ( 0 !== $c ) {
				return $c < 0 ? -1 : 1;
			}
		}
		return count( $a ) <=> count( $b );
	}

	/**
	 * File type from an lstat mode.
	 *
	 * @param int $mode Mode.
	 * @return string
	 */
	private static function type( $mode ) {
		switch ( $mode & 0170000 ) {
			case 0100000:
				return 'file';
			case 0040000:
				return 'dir';
			case 0120000:
				return 'link';
			default:
				return 'other';
		}
	}
}
