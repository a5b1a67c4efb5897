<?php
/**
 * The files staged by a restore session, in the private directory.
 *
 * @package Strongbox
 */

namespace Strongbox\Restore;

use Strongbox\Files\Jail;

defined( 'ABSPATH' ) || exit;

/**
 * Staged files of one session, kept so that every piece costs the same whatever
 * the number of files already staged (a shop has 20,000-100,000 files):
 *
 *   files/<sha1 of path>.bin   the bytes received so far (its size is the file's size)
 *   files/<sha1 of path>.meta  {"m": mode, "c": complete, "s": size} (the size for when
 *                              the bytes have been swapped into the site)
 *   files.idx                  one path per line, in the order files were first
 *                              staged: the list (status pages, swap), appended only
 *   swap.log                   what the swap did, appended before each step:
 *                              "D <directory created>" and "F <path>" lines,
 *                              read back by a rollback
 *   old/<sha1 of path>         the previous file, set aside by the swap (a symbolic
 *                              link that cannot be renamed there, across file systems,
 *                              is kept as old/<sha1 of path>.link holding its target)
 *
 * Paths are clean relative paths (Jail::clean), which never hold a newline.
 */
final class Staged_Files {

	/**
	 * The session's directory.
	 *
	 * @var string
	 */
	private $dir;

	/**
	 * Open handle of files.idx while appending.
	 *
	 * @var resource|null
	 */
	private $index;

	/**
	 * Constructor.
	 *
	 * @param string $dir The session's directory (created, private).
	 */
	public function __construct( $dir ) {
		$this->dir = rtrim( $dir, '/' );
	}

	/**
	 * Closes the index.
	 */
	public function __destruct() {
		if ( is_resource( $this->index ) ) {
			fclose( $this->index ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		}
	}

	/**
	 * What is staged for a path, or null.
	 *
	 * @param string $rel Clean relative path.
	 * @return array|null {size, mode, complete}
	 */
	public function get( $rel ) {
		$base = $this->dir . '/files/' . sha1( $rel );
		$meta = @file_get_contents( $base . '.meta' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions -- absent means not staged.
		if ( false === $meta ) {
			return null;
		}
		$meta = json_decode( $meta, true );
		clearstatcache( true, $base . '.bin' );
		$size = @filesize( $base . '.bin' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- absent once swapped in.
		if ( false === $size ) {
			$size = isset( $meta['s'] ) ? $meta['s'] : 0;
		}
		return array(
			'size'     => (int) $size,
			'mode'     => isset( $meta['m'] ) ? (int) $meta['m'] : 0644,
			'complete' => ! empty( $meta['c'] ),
		);
	}

	/**
	 * Size and SHA-256 of a staged file's bytes, read in 1 MiB pieces (memory stays flat
	 * whatever the size), or null when nothing is staged under that path (or its bytes
	 * were already swapped into the site).
	 *
	 * @param string $rel Clean relative path.
	 * @return array|null {size, sha256, complete, mode}
	 */
	public function digest( $rel ) {
		$meta = $this->get( $rel );
		$file = $this->dir . '/files/' . sha1( $rel ) . '.bin';
		if ( null === $meta || ! is_file( $file ) ) {
			return null;
		}
		$h = fopen( $file, 'rb' ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		if ( false === $h ) {
			return null;
		}
		$ctx  = hash_init( 'sha256' );
		$size = 0;
		while ( ! feof( $h ) ) {
			$piece = fread( $h, 1048576 ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			if ( false === $piece ) {
				fclose( $h ); // phpcs:ignore WordPress.WP.AlternativeFunctions
				return null;
			}
			$size += strlen( $piece );
			hash_update( $ctx, $piece );
		}
		fclose( $h ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		return array(
			'size'     => $size,
			'sha256'   => hash_final( $ctx ),
			'complete' => $meta['complete'],
			'mode'     => sprintf( '%04o', $meta['mode'] ),
		);
	}

	/**
	 * Stages one piece of a file: offset 0 starts the file (over), any other offset
	 * must be the size staged so far. A piece that cannot be written whole leaves
	 * the file as it was.
	 *
	 * @param string   $rel    Clean relative path, already checked against the jail.
	 * @param int      $offset Where the bytes go.
	 * @param int      $mode   Permission bits of the final file.
	 * @param bool     $last   Whether the file is complete with this piece.
	 * @param callable $fill   Called with $write( string $bytes ): passes the piece's bytes to it.
	 * @return array|\WP_Error {size, complete, new, was_size, was_complete, written}
	 */
	public function write( $rel, $offset, $mode, $last, callable $fill ) {
		$before = $this->get( $rel );
		$size   = null === $before ? 0 : $before['size'];
		if ( 0 !== $offset && $offset !== $size ) {
			return new \WP_Error(
				'strongbox_offset_invalid',
				/* translators: %d: bytes received so far */
				sprintf( __( 'File data must be sent in order: the next offset is %d.', 'strongbox' ), $size ),
				array(
					'status' => 409,
					'size'   => $size,
				)
			);
		}
		$base   = $this->dir . '/files/' . sha1( $rel );
		$target = 0 === $offset ? $base . '.tmp' : $base . '.bin';
		$handle = @fopen( $target, 0 === $offset ? 'wb' : 'ab' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		$ok      = false !== $handle;
		$written = 0;
		if ( $ok ) {
			$fill(
				static function ( $bytes ) use ( $handle, &$ok, &$written ) {
					if ( $ok ) {
						$n  = fwrite( $handle, $bytes ); // phpcs:ignore WordPress.WP.AlternativeFunctions
						$ok = strlen( $bytes ) === $n;
						$written += (int) $n;
					}
				}
			);
			$ok = fflush( $handle ) && $ok;
			$ok = fclose( $handle ) && $ok; // phpcs:ignore WordPress.WP.AlternativeFunctions
		}
		if ( $ok && 0 === $offset ) {
			$ok = @rename( $target, $base . '.bin' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		}
		if ( ! $ok ) {
			if ( 0 === $offset ) {
				@unlink( $target ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			} elseif ( false !== $handle ) {
				$back = @fopen( $target, 'r+b' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
				if ( false !== $back ) {
					ftruncate( $back, $offset );
					fclose( $back ); // phpcs:ignore WordPress.WP.AlternativeFunctions
				}
			}
			return new \WP_Error(
				'strongbox_write_failed',
				__( 'Could not write the staged file data (disk full?).', 'strongbox' ),
				array(
					'status' => 500,
					'size'   => $size,
				)
			);
		}
		// Listed before its metadata exists: a file is never staged without being listed.
		if ( null === $before && ! $this->append_index( $rel ) ) {
			return new \WP_Error( 'strongbox_write_failed', __( 'Could not record a staged file (disk full?).', 'strongbox' ), array( 'status' => 500 ) );
		}
		$meta = wp_json_encode(
			array(
				'm' => (int) $mode & 0777,
				'c' => (bool) $last,
				's' => $offset + $written,
			)
		);
		if ( false === file_put_contents( $base . '.meta', $meta ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions
			return new \WP_Error( 'strongbox_write_failed', __( 'Could not record a staged file (disk full?).', 'strongbox' ), array( 'status' => 500 ) );
		}
		return array(
			'size'         => $offset + $written,
			'complete'     => (bool) $last,
			'new'          => null === $before,
			'was_size'     => $size,
			'was_complete' => null !== $before && $before['complete'],
			'written'      => $written,
		);
	}

	/**
	 * One page of the staged files, in the order they were first staged.
	 *
	 * @param string $cursor '' or the next_cursor of the previous page.
	 * @param int    $limit  Most entries.
	 * @return array|\WP_Error {entries: [{path, size, complete, mode}], next_cursor}
	 */
	public function page( $cursor, $limit ) {
		$file = $this->dir . '/files.idx';
		clearstatcache( true, $file );
		$end   = is_file( $file ) ? (int) filesize( $file ) : 0;
		$start = '' === (string) $cursor ? 0 : ( ctype_digit( (string) $cursor ) ? (int) $cursor : -1 );
		$out   = array(
			'entries'     => array(),
			'next_cursor' => null,
		);
		if ( $start < 0 || $start > $end ) {
			return self::bad_cursor();
		}
		if ( $start === $end ) {
			return $out;
		}
		$h = fopen( $file, 'rb' ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		if ( false === $h ) {
			return new \WP_Error( 'strongbox_no_private_dir', __( 'The list of staged files could not be read.', 'strongbox' ), array( 'status' => 500 ) );
		}
		if ( $start > 0 ) {
			fseek( $h, $start - 1 );
			if ( "\n" !== fgetc( $h ) ) {
				fclose( $h ); // phpcs:ignore WordPress.WP.AlternativeFunctions
				return self::bad_cursor();
			}
		}
		while ( count( $out['entries'] ) < $limit ) {
			$line = fgets( $h );
			if ( false === $line || "\n" !== substr( $line, -1 ) ) {
				break;
			}
			$rel  = substr( $line, 0, -1 );
			$info = $this->get( $rel );
			if ( null === $info ) {
				continue; // Listed, but its first piece never completed.
			}
			$out['entries'][] = array(
				'path'     => $rel,
				'size'     => $info['size'],
				'complete' => $info['complete'],
				'mode'     => sprintf( '%04o', $info['mode'] ),
			);
		}
		$pos                = ftell( $h );
		$out['next_cursor'] = $pos < $end ? (string) $pos : null;
		fclose( $h ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		return $out;
	}

	/**
	 * Puts every staged file in place, setting aside the file it replaces. Each step
	 * is written to swap.log before it is taken, so restore_all() can undo a swap
	 * that stopped half way (even in an earlier request).
	 *
	 * @param Jail $jail Jail.
	 * @return true|\WP_Error
	 */
	public function place_all( Jail $jail ) {
		$index = $this->dir . '/files.idx';
		if ( ! is_file( $index ) ) {
			return true;
		}
		$old = $this->dir . '/old';
		if ( ! is_dir( $old ) && ! @mkdir( $old, 0700 ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors
			return self::write_failed( __( 'Could not create the directory for the files a restore replaces.', 'strongbox' ) );
		}
		$list = fopen( $index, 'rb' ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		$log  = fopen( $this->dir . '/swap.log', 'ab' ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		if ( false === $list || false === $log ) {
			return self::write_failed( __( 'Could not open the list of staged files.', 'strongbox' ) );
		}
		$result = true;
		while ( true === $result && false !== ( $line = fgets( $list ) ) ) { // phpcs:ignore WordPress.CodeAnalysis.AssignmentInCondition
			if ( "\n" !== substr( $line, -1 ) ) {
				break;
			}
			$result = $this->place( $jail, substr( $line, 0, -1 ), $log, $old );
		}
		fclose( $list ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		fclose( $log ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		return $result;
	}

	/**
	 * Puts one staged file in place.
	 *
	 * @param Jail     $jail Jail.
	 * @param string   $rel  Path.
	 * @param resource $log  swap.log.
	 * @param string   $old  Directory of the replaced files.
	 * @return true|\WP_Error
	 */
	private function place( Jail $jail, $rel, $log, $old ) {
		$key  = sha1( $rel );
		$bin  = $this->dir . '/files/' . $key . '.bin';
		$info = $this->get( $rel );
		if ( null === $info || ! is_file( $bin ) ) {
			return true; // Listed twice, or its first piece never completed.
		}
		$dest = $jail->resolve_for_write( $rel );
		if ( is_wp_error( $dest ) ) {
			return $dest;
		}
		$parent = dirname( $dest );
		if ( ! is_dir( $parent ) ) {
			$created = '';
			for ( $d = $parent; ! file_exists( $d ) && strlen( $d ) > strlen( $jail->root() ); $d = dirname( $d ) ) {
				$created = 'D ' . $d . "\n" . $created; // Outermost first: a rollback removes them in reverse.
			}
			if ( false === fwrite( $log, $created ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions
				return self::write_failed( __( 'Could not record the swap of a file (disk full?).', 'strongbox' ) );
			}
			if ( ! wp_mkdir_p( $parent ) ) {
				return self::write_failed( __( 'Could not create a directory of a restored file.', 'strongbox' ) );
			}
		}
		if ( false === fwrite( $log, 'F ' . $rel . "\n" ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions
			return self::write_failed( __( 'Could not record the swap of a file (disk full?).', 'strongbox' ) );
		}
		if ( ( is_file( $dest ) || is_link( $dest ) ) && ! self::set_aside( $dest, $old . '/' . $key ) ) {
			return self::write_failed( __( 'Could not set a file aside before replacing it.', 'strongbox' ) );
		}
		if ( ! self::move( $bin, $dest ) ) {
			return self::write_failed( __( 'Could not move a restored file into place.', 'strongbox' ) );
		}
		@chmod( $dest, $info['mode'] ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		return true;
	}

	/**
	 * Undoes what place_all() did, from swap.log: every placed file is removed, every
	 * set-aside file put back, every created directory removed when empty.
	 *
	 * @param Jail $jail Jail.
	 */
	public function restore_all( Jail $jail ) {
		$log = @fopen( $this->dir . '/swap.log', 'rb' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions -- absent: nothing was swapped.
		if ( false === $log ) {
			return;
		}
		$dirs = array();
		while ( false !== ( $line = fgets( $log ) ) ) { // phpcs:ignore WordPress.CodeAnalysis.AssignmentInCondition
			if ( "\n" !== substr( $line, -1 ) ) {
				break;
			}
			$line = substr( $line, 0, -1 );
			if ( 0 === strpos( $line, 'D ' ) ) {
				$dirs[] = substr( $line, 2 );
				continue;
			}
			if ( 0 !== strpos( $line, 'F ' ) ) {
				continue;
			}
			$rel  = substr( $line, 2 );
			$dest = $jail->resolve_for_write( $rel );
			if ( is_wp_error( $dest ) ) {
				continue;
			}
			$key   = sha1( $rel );
			$aside = $this->dir . '/old/' . $key;
			// The staged bytes left their place: what is at the destination is the restored file.
			if ( ! file_exists( $this->dir . '/files/' . $key . '.bin' ) && ( is_file( $dest ) || is_link( $dest ) ) ) {
				unlink( $dest ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			}
			self::put_back( $aside, $dest );
		}
		fclose( $log ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		foreach ( array_reverse( $dirs ) as $d ) {
			@rmdir( $d ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- only if still empty.
		}
	}

	/**
	 * The list of staged paths (one per line), for the swap's set of kept paths.
	 *
	 * @return string
	 */
	public function index_file() {
		return $this->dir . '/files.idx';
	}

	/**
	 * Moves a file or symbolic link of the site into the previous-state area. A link
	 * is renamed, never copied (a copy would follow it); when it cannot be renamed
	 * (another file system), its target is kept in "<aside>.link" and the link removed.
	 *
	 * @param string $abs   File or link in the site.
	 * @param string $aside Its place in the previous-state area.
	 * @return bool
	 */
	public static function set_aside( $abs, $aside ) {
		if ( ! is_link( $abs ) ) {
			return self::move( $abs, $aside );
		}
		if ( @rename( $abs, $aside ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
			return true;
		}
		$target = readlink( $abs );
		if ( false === $target || false === file_put_contents( $aside . '.link', $target ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions
			return false;
		}
		if ( ! @unlink( $abs ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors
			@unlink( $aside . '.link' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			return false;
		}
		return true;
	}

	/**
	 * Puts back what set_aside() moved away, if it is still in the previous-state area.
	 *
	 * @param string $aside Its place in the previous-state area.
	 * @param string $dest  Its place in the site.
	 * @return bool Whether something was put back.
	 */
	public static function put_back( $aside, $dest ) {
		if ( is_file( $aside ) || is_link( $aside ) ) {
			return self::move( $aside, $dest );
		}
		if ( is_file( $aside . '.link' ) ) {
			$target = (string) file_get_contents( $aside . '.link' ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			if ( is_link( $dest ) || is_file( $dest ) ) {
				@unlink( $dest ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			}
			if ( @symlink( $target, $dest ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors
				@unlink( $aside . '.link' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
				return true;
			}
		}
		return false;
	}

	/**
	 * Appends a path to files.idx (one write).
	 *
	 * @param string $rel Path.
	 * @return bool
	 */
	private function append_index( $rel ) {
		if ( ! is_resource( $this->index ) ) {
			$this->index = @fopen( $this->dir . '/files.idx', 'ab' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
			if ( false === $this->index ) {
				$this->index = null;
				return false;
			}
		}
		$line = $rel . "\n";
		return strlen( $line ) === fwrite( $this->index, $line ); // phpcs:ignore WordPress.WP.AlternativeFunctions
	}

	/**
	 * Renames, or copies to a hidden temporary name beside the target and renames
	 * (across file systems), so the target appears whole or not at all; a copy keeps
	 * the permission bits and the modification time.
	 *
	 * @param string $from Source.
	 * @param string $to   Target.
	 * @return bool
	 */
	public static function move( $from, $to ) {
		if ( @rename( $from, $to ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
			return true;
		}
		$tmp = $to . '.strongbox-tmp-' . bin2hex( random_bytes( 8 ) );
		if ( ! @copy( $from, $tmp ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors
			return false;
		}
		$st = @stat( $from ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		if ( false !== $st ) {
			@chmod( $tmp, $st['mode'] & 07777 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			@touch( $tmp, $st['mtime'] ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		}
		if ( ! @rename( $tmp, $to ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
			@unlink( $tmp ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			return false;
		}
		@unlink( $from ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		return true;
	}

	/**
	 * A refused cursor.
	 *
	 * @return \WP_Error
	 */
	private static function bad_cursor() {
		return new \WP_Error( 'strongbox_cursor_invalid', __( 'The cursor is not one this list returned; start again without a cursor.', 'strongbox' ), array( 'status' => 400 ) );
	}

	/**
	 * A write failure of the swap.
	 *
	 * @param string $message Message.
	 * @return \WP_Error
	 */
	private static function write_failed( $message ) {
		return new \WP_Error( 'strongbox_write_failed', $message, array( 'status' => 500 ) );
	}
}
