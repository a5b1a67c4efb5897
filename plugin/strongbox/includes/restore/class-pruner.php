<?php
/**
 * Removes, at swap, what the site has and the snapshot does not.
 *
 * @package Strongbox
 */

namespace Strongbox\Restore;

use Strongbox\Data_Dir;
use Strongbox\Files\Jail;
use Strongbox\Files\Lister;

defined( 'ABSPATH' ) || exit;

/**
 * Walks the restored roots (depth first, one open directory per level, nothing of the
 * tree kept in memory) and moves every file or symbolic link that is neither kept (in
 * the snapshot's list, or staged) nor excluded (Lister's patterns, the private
 * directory) nor protected (wp-config.php and Strongbox's own folder, unless the
 * session may overwrite them) into the previous-state area, as the swap does with a
 * file it replaces; then removes the folders this left empty, and the empty folders,
 * that the snapshot does not list. Links are never followed.
 *
 * Every step is appended to prune.log before it is taken, so restore() can undo a
 * walk that stopped half way (even in another request):
 *
 *   P <path>                  a file or link moved to old/<sha1 of path>
 *   R <mode> <mtime> <path>   a folder removed (octal permission bits, its time)
 *   T <mtime> <path>          a folder something was removed from (its time before)
 *
 * Paths in the log are rawurlencoded: names on disk may hold any byte but "/" and NUL.
 * Such names are compared byte for byte with the list, which carries them as `b64:`
 * lines (Keep_List), so a name that is not UTF-8 is kept when the snapshot has it and
 * removed like any other when it does not.
 */
final class Pruner {

	/**
	 * Jail.
	 *
	 * @var Jail
	 */
	private $jail;

	/**
	 * The session's directory.
	 *
	 * @var string
	 */
	private $dir;

	/**
	 * Kept paths (Keep_List::set()).
	 *
	 * @var array
	 */
	private $keep;

	/**
	 * Exclusion patterns.
	 *
	 * @var Lister
	 */
	private $lister;

	/**
	 * Whether protected files may be removed too.
	 *
	 * @var bool
	 */
	private $overwrite_protected;

	/**
	 * The private directory (skipped, should it lie inside the site).
	 *
	 * @var string
	 */
	private $private_dir = '';

	/**
	 * prune.log while walking.
	 *
	 * @var resource|null
	 */
	private $log;

	/**
	 * Files and links removed, folders removed, roots skipped.
	 *
	 * @var array
	 */
	private $counts = array(
		'files' => 0,
		'dirs'  => 0,
		'roots' => array(),
	);

	/**
	 * The first failure, which ends the walk.
	 *
	 * @var \WP_Error|null
	 */
	private $error;

	/**
	 * Constructor.
	 *
	 * @param Jail   $jail                Jail.
	 * @param string $dir                 The session's directory.
	 * @param array  $keep                Kept paths (Keep_List::set()).
	 * @param Lister $lister              Exclusion patterns.
	 * @param bool   $overwrite_protected Whether protected files may be removed too.
	 */
	public function __construct( Jail $jail, $dir, array $keep, Lister $lister, $overwrite_protected ) {
		$this->jail                = $jail;
		$this->dir                 = rtrim( $dir, '/' );
		$this->keep                = $keep;
		$this->lister              = $lister;
		$this->overwrite_protected = (bool) $overwrite_protected;
		$private                   = Data_Dir::path();
		if ( ! is_wp_error( $private ) ) {
			$this->private_dir = $private;
		}
	}

	/**
	 * What was removed: files (and links), dirs, roots (those skipped: missing, not a
	 * folder, reached through a link, excluded or protected).
	 *
	 * @return array
	 */
	public function counts() {
		return $this->counts;
	}

	/**
	 * Walks the roots.
	 *
	 * @param string[] $roots Clean relative folders ('' = the whole site), none inside another.
	 * @return true|\WP_Error
	 */
	public function run( array $roots ) {
		$old = $this->dir . '/old';
		if ( ! is_dir( $old ) && ! @mkdir( $old, 0700 ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors
			return self::write_failed( __( 'Could not create the directory for the files a restore removes.', 'strongbox' ) );
		}
		$this->log = @fopen( $this->dir . '/prune.log', 'ab' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		if ( false === $this->log ) {
			return self::write_failed( __( 'Could not record the files a restore removes.', 'strongbox' ) );
		}
		foreach ( $roots as $rel ) {
			$abs = '' === $rel ? $this->jail->root() : $this->jail->root() . '/' . $rel;
			$st  = $this->root_stat( $rel, $abs );
			if ( null === $st ) {
				$this->counts['roots'][] = $rel;
				continue;
			}
			$this->walk( $rel, $abs, $st['mtime'] );
			if ( null !== $this->error ) {
				break;
			}
		}
		fclose( $this->log ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		$this->log = null;
		return null === $this->error ? true : $this->error;
	}

	/**
	 * The lstat of a root that may be walked, or null: it must be a folder reached
	 * without links, and neither it nor a folder above it excluded or protected.
	 *
	 * @param string $rel Root.
	 * @param string $abs Its absolute path.
	 * @return array|null
	 */
	private function root_stat( $rel, $abs ) {
		$st = @lstat( $abs ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		if ( false === $st || 0040000 !== ( $st['mode'] & 0170000 ) || realpath( $abs ) !== $abs ) {
			return null;
		}
		$path = '';
		foreach ( '' === $rel ? array() : explode( '/', $rel ) as $part ) {
			$path = '' === $path ? $part : $path . '/' . $part;
			if ( $this->spared( $path, $this->jail->root() . '/' . $path ) ) {
				return null;
			}
		}
		return $st;
	}

	/**
	 * Whether a path is never removed: excluded, the private directory, or protected.
	 *
	 * @param string $rel Relative path.
	 * @param string $abs Absolute path.
	 * @return bool
	 */
	private function spared( $rel, $abs ) {
		return $this->lister->is_excluded( $rel ) || $abs === $this->private_dir || ( ! $this->overwrite_protected && Session::is_protected( $rel ) );
	}

	/**
	 * Walks one folder; removes what is not kept.
	 *
	 * @param string $rel   Relative folder ('' = the site root).
	 * @param string $abs   Absolute folder.
	 * @param int    $mtime Its modification time before the walk.
	 * @return bool Whether the folder is empty now.
	 */
	private function walk( $rel, $abs, $mtime ) {
		$h = @opendir( $abs ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- unreadable folders are left alone.
		if ( false === $h ) {
			return false;
		}
		$left   = 0;
		$logged = false; // Whether the folder's time is in the log.
		while ( null === $this->error && false !== ( $name = readdir( $h ) ) ) { // phpcs:ignore WordPress.CodeAnalysis.AssignmentInCondition
			if ( '.' === $name || '..' === $name ) {
				continue;
			}
			$path = '' === $rel ? $name : $rel . '/' . $name;
			$full = $abs . '/' . $name;
			$st   = $this->spared( $path, $full ) ? false : @lstat( $full ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			if ( false === $st ) {
				++$left;
				continue;
			}
			$type = $st['mode'] & 0170000;
			$kept = isset( $this->keep[ Keep_List::key( $path ) ] );
			if ( 0040000 === $type ) {
				if ( $this->walk( $path, $full, $st['mtime'] ) && ! $kept && $this->log_time( $rel, $mtime, $logged ) && $this->remove_dir( $path, $full, $st ) ) {
					continue;
				}
			} elseif ( ( 0100000 === $type || 0120000 === $type ) && ! $kept ) {
				if ( $this->log_time( $rel, $mtime, $logged ) && $this->remove_file( $path, $full ) ) {
					continue;
				}
			}
			++$left;
		}
		closedir( $h );
		return 0 === $left && null === $this->error;
	}

	/**
	 * Logs a folder's time once, before the first removal in it.
	 *
	 * @param string $rel    Folder.
	 * @param int    $mtime  Its time before the walk.
	 * @param bool   $logged Whether it is logged already.
	 * @return bool False on a write failure.
	 */
	private function log_time( $rel, $mtime, &$logged ) {
		if ( ! $logged ) {
			$logged = $this->append( 'T ' . (int) $mtime . ' ' . rawurlencode( $rel ) );
		}
		return $logged;
	}

	/**
	 * Moves a file or link into the previous-state area.
	 *
	 * @param string $rel Relative path.
	 * @param string $abs Absolute path.
	 * @return bool
	 */
	private function remove_file( $rel, $abs ) {
		if ( ! $this->append( 'P ' . rawurlencode( $rel ) ) ) {
			return false;
		}
		if ( ! Staged_Files::set_aside( $abs, $this->dir . '/old/' . sha1( $rel ) ) ) {
			$this->error = self::write_failed( __( 'Could not set aside a file the snapshot does not have.', 'strongbox' ) );
			return false;
		}
		++$this->counts['files'];
		return true;
	}

	/**
	 * Removes an empty folder.
	 *
	 * @param string $rel Relative path.
	 * @param string $abs Absolute path.
	 * @param array  $st  Its lstat before the walk.
	 * @return bool Whether it was removed (not when something appeared in it meanwhile).
	 */
	private function remove_dir( $rel, $abs, array $st ) {
		if ( ! $this->append( sprintf( 'R %o %d %s', $st['mode'] & 07777, $st['mtime'], rawurlencode( $rel ) ) ) ) {
			return false;
		}
		if ( ! @rmdir( $abs ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors
			return false;
		}
		++$this->counts['dirs'];
		return true;
	}

	/**
	 * Appends a line to prune.log.
	 *
	 * @param string $line Line without "\n".
	 * @return bool
	 */
	private function append( $line ) {
		$line .= "\n";
		if ( strlen( $line ) !== fwrite( $this->log, $line ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions
			$this->error = self::write_failed( __( 'Could not record the files a restore removes (disk full?).', 'strongbox' ) );
			return false;
		}
		return true;
	}

	/**
	 * Undoes a walk from prune.log: recreates the removed folders (permission bits as
	 * they were), puts every removed file or link back, then gives the folders their
	 * times back.
	 *
	 * @param Jail   $jail Jail.
	 * @param string $dir  The session's directory.
	 */
	public static function restore( Jail $jail, $dir ) {
		$dir = rtrim( $dir, '/' );
		$log = @fopen( $dir . '/prune.log', 'rb' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions -- absent: nothing was removed.
		if ( false === $log ) {
			return;
		}
		$folders = array(); // [mode or null, mtime, path] in the order logged.
		foreach ( array( 'R', 'P' ) as $pass ) {
			rewind( $log );
			while ( false !== ( $line = fgets( $log ) ) ) { // phpcs:ignore WordPress.CodeAnalysis.AssignmentInCondition
				if ( "\n" !== substr( $line, -1 ) ) {
					break;
				}
				$f = explode( ' ', substr( $line, 0, -1 ) );
				if ( 'R' === $pass && 'R' === $f[0] && 4 === count( $f ) ) {
					$folders[] = array( octdec( $f[1] ), (int) $f[2], rawurldecode( $f[3] ) );
				} elseif ( 'R' === $pass && 'T' === $f[0] && 3 === count( $f ) ) {
					$folders[] = array( null, (int) $f[1], rawurldecode( $f[2] ) );
				} elseif ( 'P' === $pass && 'P' === $f[0] && 2 === count( $f ) ) {
					$rel  = rawurldecode( $f[1] );
					$dest = self::target( $jail, $rel );
					if ( null !== $dest ) {
						Staged_Files::put_back( $dir . '/old/' . sha1( $rel ), $dest );
					}
				}
			}
			if ( 'R' === $pass ) {
				// Removed deepest first: recreated outermost first.
				foreach ( array_reverse( $folders ) as $d ) {
					$abs = null === $d[0] ? null : self::target( $jail, $d[2] );
					if ( null !== $abs && ! file_exists( $abs ) && ! is_link( $abs ) && @mkdir( $abs, $d[0] ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors
						@chmod( $abs, $d[0] ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- mkdir() applies the umask.
					}
				}
			}
		}
		fclose( $log ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		foreach ( $folders as $d ) {
			$abs = '' === $d[2] ? $jail->root() : self::target( $jail, $d[2] );
			if ( null !== $abs && is_dir( $abs ) && ! is_link( $abs ) ) {
				@touch( $abs, $d[1] ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			}
		}
	}

	/**
	 * Where a logged path goes back: its folder must exist inside the site, reached
	 * without leaving it. Unlike Jail::resolve_for_write(), any name is taken (the
	 * name came from the disk).
	 *
	 * @param Jail   $jail Jail.
	 * @param string $rel  Relative path.
	 * @return string|null
	 */
	private static function target( Jail $jail, $rel ) {
		$cut    = strrpos( $rel, '/' );
		$name   = false === $cut ? $rel : substr( $rel, $cut + 1 );
		$parent = false === $cut ? '' : substr( $rel, 0, $cut );
		if ( '' === $name || '.' === $name || '..' === $name || false !== strpos( $rel, "\0" ) || in_array( '..', explode( '/', $parent ), true ) ) {
			return null;
		}
		$real = realpath( '' === $parent ? $jail->root() : $jail->root() . '/' . $parent );
		return false !== $real && $jail->contains( $real ) ? $real . '/' . $name : null;
	}

	/**
	 * A write failure of the removal.
	 *
	 * @param string $message Message.
	 * @return \WP_Error
	 */
	private static function write_failed( $message ) {
		return new \WP_Error( 'strongbox_write_failed', $message, array( 'status' => 500 ) );
	}
}
