<?php
/**
 * The files staged by a restore session, in the private directory.
 *
 * @package Strongbox
 */

namespace Strongbox\Restore;

use Strongbox\Files\Jail;
use Strongbox\Files\Raw_Path;

defined( 'ABSPATH' ) || exit;

/**
 * Staged files, folders and symbolic links of one session, kept so that every piece
 * costs the same whatever the number of files already staged (a shop has
 * 20,000-100,000 files):
 *
 *   files/<sha1 of path>.bin   a file's bytes received so far (its size is the file's size)
 *   files/<sha1 of path>.meta  {"m": mode, "c": complete, "s": size} (the size for when
 *                              the bytes have been swapped into the site); a folder
 *                              adds "t": "dir", a link "t": "link" and "l": the base64
 *                              of its target, and "p": true once the swap created it
 *   files.idx                  one path per line, in the order they were first
 *                              staged: the list (status pages, swap), appended only
 *   swap.log                   what the swap did, appended before each step, read
 *                              back by a rollback:
 *                              "D <directory created for a file>", "F <file placed>",
 *                              "N <folder created>", "M <octal mode> <folder whose
 *                              mode was changed>", "L <link placed>"
 *   old/<sha1 of path>         what the swap replaced, set aside (a symbolic link that
 *                              cannot be renamed there, across file systems, is kept
 *                              as old/<sha1 of path>.link holding its target)
 *
 * Paths are clean relative paths (Jail::clean) as raw bytes; a name may hold a
 * newline, so every path in files.idx and swap.log is written by Raw_Path::to_line()
 * (`b64:` and its base64 when it is not plain text).
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
	 * What the last place_all() could not create: [{path, type, code, message}].
	 *
	 * @var array
	 */
	private $skipped = array();

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
	 * @return array|null {size, mode, complete, type (file, dir, link), target (links),
	 *                    placed (a folder or link the swap created)}
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
		$type = isset( $meta['t'] ) && in_array( $meta['t'], array( 'dir', 'link' ), true ) ? $meta['t'] : 'file';
		return array(
			'size'     => 'file' === $type ? (int) $size : 0,
			'mode'     => isset( $meta['m'] ) ? (int) $meta['m'] : 0644,
			'complete' => ! empty( $meta['c'] ),
			'type'     => $type,
			'target'   => 'link' === $type && isset( $meta['l'] ) ? Raw_Path::decode( $meta['l'] ) : null,
			'placed'   => ! empty( $meta['p'] ),
		);
	}

	/**
	 * Size and SHA-256 of a staged file's bytes, read in 1 MiB pieces (memory stays flat
	 * whatever the size), or null when nothing is staged under that path (or its bytes
	 * were already swapped into the site).
	 *
	 * A folder or link has no bytes: {type, size 0, sha256 null, complete, mode} (and the
	 * link's `target`, raw).
	 *
	 * @param string $rel Clean relative path.
	 * @return array|null {type, size, sha256, complete, mode}
	 */
	public function digest( $rel ) {
		$meta = $this->get( $rel );
		if ( null !== $meta && 'file' !== $meta['type'] ) {
			$out = array(
				'type'     => $meta['type'],
				'size'     => 0,
				'sha256'   => null,
				'complete' => true,
				'mode'     => sprintf( '%04o', $meta['mode'] ),
			);
			if ( 'link' === $meta['type'] ) {
				$out['target'] = $meta['target'];
			}
			return $out;
		}
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
			'type'     => 'file',
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
	 * @return array|\WP_Error {size, complete, new, was_size, was_complete, was_type, written}
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
			'was_type'     => null === $before ? null : $before['type'],
			'written'      => $written,
		);
	}

	/**
	 * Stages a folder (created at swap) or a symbolic link (created at swap, pointing
	 * at $target). Either is complete at once; a file staged under the same path before
	 * is dropped.
	 *
	 * @param string      $rel    Clean relative path, already checked against the jail.
	 * @param string      $type   dir or link.
	 * @param int         $mode   Permission bits of a folder.
	 * @param string|null $target A link's target (raw bytes).
	 * @return array|\WP_Error {size, complete, new, was_size, was_complete, was_type, written}
	 */
	public function mark( $rel, $type, $mode, $target = null ) {
		$before = $this->get( $rel );
		$base   = $this->dir . '/files/' . sha1( $rel );
		if ( null === $before && ! $this->append_index( $rel ) ) {
			return new \WP_Error( 'strongbox_write_failed', __( 'Could not record a staged folder or link (disk full?).', 'strongbox' ), array( 'status' => 500 ) );
		}
		$meta = array(
			't' => 'link' === $type ? 'link' : 'dir',
			'm' => 'link' === $type ? 0777 : (int) $mode & 0777,
			'c' => true,
			's' => 0,
		);
		if ( 'link' === $type ) {
			$meta['l'] = base64_encode( (string) $target ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- any bytes, in JSON.
		}
		if ( false === file_put_contents( $base . '.meta', wp_json_encode( $meta ) ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions
			return new \WP_Error( 'strongbox_write_failed', __( 'Could not record a staged folder or link (disk full?).', 'strongbox' ), array( 'status' => 500 ) );
		}
		if ( null !== $before && 'file' === $before['type'] ) {
			@unlink( $base . '.bin' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		}
		return array(
			'size'         => 0,
			'complete'     => true,
			'new'          => null === $before,
			'was_size'     => null === $before ? 0 : $before['size'],
			'was_complete' => null !== $before && $before['complete'],
			'was_type'     => null === $before ? null : $before['type'],
			'written'      => 0,
		);
	}

	/**
	 * One page of the staged files, in the order they were first staged.
	 *
	 * @param string $cursor '' or the next_cursor of the previous page.
	 * @param int    $limit  Most entries.
	 * @return array|\WP_Error {entries: [{path, path_b64?, type, size, complete, mode,
	 *                         target?, target_b64?}], next_cursor}
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
			$rel  = Raw_Path::from_line( substr( $line, 0, -1 ) );
			$info = null === $rel ? null : $this->get( $rel );
			if ( null === $info ) {
				continue; // Listed, but its first piece never completed.
			}
			$entry = Raw_Path::put( array(), 'path', $rel ) + array(
				'type'     => $info['type'],
				'size'     => $info['size'],
				'complete' => $info['complete'],
				'mode'     => sprintf( '%04o', $info['mode'] ),
			);
			if ( 'link' === $info['type'] ) {
				$entry = Raw_Path::put( $entry, 'target', $info['target'] );
			}
			$out['entries'][] = $entry;
		}
		$pos                = ftell( $h );
		$out['next_cursor'] = $pos < $end ? (string) $pos : null;
		fclose( $h ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		return $out;
	}

	/**
	 * Puts every staged file, folder and link in place, setting aside what it replaces.
	 * Each step is written to swap.log before it is taken, so restore_all() can undo a
	 * swap that stopped half way (even in an earlier request). A link that cannot be
	 * created (the host refuses symbolic links, or its target now leaves the site) is
	 * skipped and listed by skipped(); the folders get their modes once everything in
	 * them is in place.
	 *
	 * @param Jail $jail Jail.
	 * @return true|\WP_Error
	 */
	public function place_all( Jail $jail ) {
		$this->skipped = array();
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
		$modes  = array();
		while ( true === $result && false !== ( $line = fgets( $list ) ) ) { // phpcs:ignore WordPress.CodeAnalysis.AssignmentInCondition
			if ( "\n" !== substr( $line, -1 ) ) {
				break;
			}
			$rel = Raw_Path::from_line( substr( $line, 0, -1 ) );
			if ( null !== $rel ) {
				$result = $this->place( $jail, $rel, $log, $old, $modes );
			}
		}
		fclose( $list ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		fclose( $log ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		foreach ( $modes as $abs => $mode ) {
			@chmod( $abs, $mode ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		}
		return $result;
	}

	/**
	 * What the last place_all() skipped: [{path (raw), type, code, message}].
	 *
	 * @return array
	 */
	public function skipped() {
		return $this->skipped;
	}

	/**
	 * The permission bits a restored folder gets: those of the snapshot, but always
	 * readable, writable and searchable by its owner (the site's PHP user), so the site,
	 * a later restore and a roll back can still manage what is inside.
	 *
	 * @param int $mode Staged mode.
	 * @return int
	 */
	public static function dir_mode( $mode ) {
		return ( (int) $mode & 0777 ) | 0700;
	}

	/**
	 * Puts one staged file, folder or link in place.
	 *
	 * @param Jail     $jail  Jail.
	 * @param string   $rel   Path.
	 * @param resource $log   swap.log.
	 * @param string   $old   Directory of the replaced files.
	 * @param array    $modes Receives folder => mode, set at the end.
	 * @return true|\WP_Error
	 */
	private function place( Jail $jail, $rel, $log, $old, array &$modes ) {
		$key  = sha1( $rel );
		$bin  = $this->dir . '/files/' . $key . '.bin';
		$info = $this->get( $rel );
		if ( null === $info || ( 'file' === $info['type'] && ! is_file( $bin ) ) ) {
			return true; // Listed twice, or its first piece never completed.
		}
		$dest = 'file' === $info['type'] ? $jail->resolve_for_write( $rel, true ) : $jail->resolve_entry( $rel, true );
		if ( is_wp_error( $dest ) ) {
			return $dest;
		}
		if ( 'dir' === $info['type'] ) {
			return $this->place_dir( $jail, $rel, $dest, $info, $log, $old, $modes );
		}
		if ( 'link' === $info['type'] ) {
			return $this->place_link( $jail, $rel, $dest, $info, $log, $old );
		}
		$parent = $this->make_parent( $jail, $dest, $log );
		if ( true !== $parent ) {
			return $parent;
		}
		if ( ! self::log( $log, 'F ' . Raw_Path::to_line( $rel ) ) ) {
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
	 * Creates the missing folders above a path, each logged ("D") before.
	 *
	 * @param Jail     $jail Jail.
	 * @param string   $dest Absolute path.
	 * @param resource $log  swap.log.
	 * @return true|\WP_Error
	 */
	private function make_parent( Jail $jail, $dest, $log ) {
		$parent = dirname( $dest );
		if ( is_dir( $parent ) ) {
			return true;
		}
		$created = '';
		for ( $d = $parent; ! file_exists( $d ) && strlen( $d ) > strlen( $jail->root() ); $d = dirname( $d ) ) {
			$created = 'D ' . Raw_Path::to_line( $d ) . "\n" . $created; // Outermost first: a rollback removes them in reverse.
		}
		if ( '' !== $created && ! self::log( $log, substr( $created, 0, -1 ) ) ) {
			return self::write_failed( __( 'Could not record the swap of a file (disk full?).', 'strongbox' ) );
		}
		if ( ! wp_mkdir_p( $parent ) ) {
			return self::write_failed( __( 'Could not create a directory of a restored file.', 'strongbox' ) );
		}
		return true;
	}

	/**
	 * Puts a staged folder in place: an existing folder keeps its content and gets the
	 * mode ("M", the previous mode logged); otherwise whatever is there (a file, a link)
	 * is set aside and the folder created ("N").
	 *
	 * @param Jail     $jail  Jail.
	 * @param string   $rel   Path.
	 * @param string   $dest  Absolute path.
	 * @param array    $info  What is staged.
	 * @param resource $log   swap.log.
	 * @param string   $old   Directory of the replaced files.
	 * @param array    $modes Receives folder => mode.
	 * @return true|\WP_Error
	 */
	private function place_dir( Jail $jail, $rel, $dest, array $info, $log, $old, array &$modes ) {
		$mode = self::dir_mode( $info['mode'] );
		if ( is_dir( $dest ) && ! is_link( $dest ) ) {
			if ( ! self::log( $log, sprintf( 'M %o ', fileperms( $dest ) & 07777 ) . Raw_Path::to_line( $rel ) ) ) {
				return self::write_failed( __( 'Could not record the swap of a folder (disk full?).', 'strongbox' ) );
			}
			$modes[ $dest ] = $mode;
			return true;
		}
		$parent = $this->make_parent( $jail, $dest, $log );
		if ( true !== $parent ) {
			return $parent;
		}
		if ( ! self::log( $log, 'N ' . Raw_Path::to_line( $rel ) ) ) {
			return self::write_failed( __( 'Could not record the swap of a folder (disk full?).', 'strongbox' ) );
		}
		if ( ( is_file( $dest ) || is_link( $dest ) ) && ! self::set_aside( $dest, $old . '/' . sha1( $rel ) ) ) {
			return self::write_failed( __( 'Could not set a file aside before replacing it with a folder.', 'strongbox' ) );
		}
		if ( ! @mkdir( $dest, 0700 ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors
			return self::write_failed( __( 'Could not create a restored folder.', 'strongbox' ) );
		}
		$modes[ $dest ] = $mode;
		return true;
	}

	/**
	 * Puts a staged symbolic link in place: created under a temporary name beside its
	 * place first (so a host that refuses links changes nothing), then whatever is at
	 * its place is set aside and the link renamed there ("L"). A link the host refuses,
	 * or whose target no longer stays inside the site, is skipped and listed.
	 *
	 * @param Jail     $jail Jail.
	 * @param string   $rel  Path.
	 * @param string   $dest Absolute path.
	 * @param array    $info What is staged.
	 * @param resource $log  swap.log.
	 * @param string   $old  Directory of the replaced files.
	 * @return true|\WP_Error
	 */
	private function place_link( Jail $jail, $rel, $dest, array $info, $log, $old ) {
		$target  = (string) $info['target'];
		$refusal = Session::link_refusal( $jail, $dest, $target );
		if ( null === $refusal && ! function_exists( 'symlink' ) ) {
			$refusal = Session::link_failed();
		}
		if ( null !== $refusal ) {
			$this->skip( $rel, $refusal );
			return true;
		}
		$parent = $this->make_parent( $jail, $dest, $log );
		if ( true !== $parent ) {
			return $parent;
		}
		$tmp = dirname( $dest ) . '/.strongbox-tmp-' . bin2hex( random_bytes( 8 ) );
		error_clear_last();
		if ( ! @symlink( $target, $tmp ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors
			$error = error_get_last();
			$this->skip( $rel, Session::link_failed( is_array( $error ) ? wp_strip_all_tags( (string) $error['message'] ) : '' ) );
			return true;
		}
		if ( ! self::log( $log, 'L ' . Raw_Path::to_line( $rel ) ) ) {
			@unlink( $tmp ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			return self::write_failed( __( 'Could not record the swap of a link (disk full?).', 'strongbox' ) );
		}
		$there = file_exists( $dest ) || is_link( $dest );
		if ( $there && ! self::set_aside( $dest, $old . '/' . sha1( $rel ) ) ) {
			@unlink( $tmp ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			$this->skip(
				$rel,
				new \WP_Error( 'strongbox_link_failed', __( 'Something is in the way of the symbolic link (a folder that could not be set aside); the link was not restored.', 'strongbox' ) )
			);
			return true;
		}
		if ( ! @rename( $tmp, $dest ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
			@unlink( $tmp ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			return self::write_failed( __( 'Could not move a restored symbolic link into place.', 'strongbox' ) );
		}
		$this->set_placed( $rel );
		return true;
	}

	/**
	 * Notes in a staged link's metadata that the swap created it (a roll back removes it).
	 *
	 * @param string $rel Path.
	 */
	private function set_placed( $rel ) {
		$file = $this->dir . '/files/' . sha1( $rel ) . '.meta';
		$meta = json_decode( (string) @file_get_contents( $file ), true ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		if ( is_array( $meta ) ) {
			$meta['p'] = true;
			file_put_contents( $file, wp_json_encode( $meta ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		}
	}

	/**
	 * Lists something the swap did not create.
	 *
	 * @param string    $rel Path.
	 * @param \WP_Error $why Why.
	 */
	private function skip( $rel, \WP_Error $why ) {
		$this->skipped[] = array(
			'path'    => $rel,
			'type'    => 'link',
			'code'    => $why->get_error_code(),
			'message' => $why->get_error_message(),
		);
	}

	/**
	 * Appends a line to swap.log.
	 *
	 * @param resource $log  swap.log.
	 * @param string   $line Line without "\n".
	 * @return bool
	 */
	private static function log( $log, $line ) {
		$line .= "\n";
		return strlen( $line ) === fwrite( $log, $line ); // phpcs:ignore WordPress.WP.AlternativeFunctions
	}

	/**
	 * Undoes what place_all() did, from swap.log: every placed file and link is removed,
	 * what they replaced put back, every folder whose mode changed gets it back, every
	 * created folder is removed when empty (then what it replaced is put back).
	 *
	 * @param Jail $jail Jail.
	 */
	public function restore_all( Jail $jail ) {
		$log = @fopen( $this->dir . '/swap.log', 'rb' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions -- absent: nothing was swapped.
		if ( false === $log ) {
			return;
		}
		$dirs = array(); // [absolute folder, relative path of a staged folder or null].
		while ( false !== ( $line = fgets( $log ) ) ) { // phpcs:ignore WordPress.CodeAnalysis.AssignmentInCondition
			if ( "\n" !== substr( $line, -1 ) ) {
				break;
			}
			$kind = substr( $line, 0, 2 );
			$rest = substr( $line, 2, -1 );
			if ( 'D ' === $kind ) {
				$d = Raw_Path::from_line( $rest );
				if ( null !== $d ) {
					$dirs[] = array( $d, null );
				}
				continue;
			}
			$mode = null;
			if ( 'M ' === $kind ) {
				$sp   = strpos( $rest, ' ' );
				$mode = false === $sp ? null : octdec( substr( $rest, 0, $sp ) );
				$rest = false === $sp ? '' : substr( $rest, $sp + 1 );
			}
			$rel  = in_array( $kind, array( 'F ', 'N ', 'M ', 'L ' ), true ) ? Raw_Path::from_line( $rest ) : null;
			// Only unlinked, renamed or removed: a link there may lead nowhere now (its target was rolled back first).
			$dest = null === $rel ? null : $jail->resolve_entry( $rel, true );
			if ( null === $dest || is_wp_error( $dest ) ) {
				continue;
			}
			$key   = sha1( $rel );
			$aside = $this->dir . '/old/' . $key;
			if ( 'N ' === $kind ) {
				$dirs[] = array( $dest, $rel );
				continue;
			}
			if ( 'M ' === $kind ) {
				if ( null !== $mode && is_dir( $dest ) && ! is_link( $dest ) ) {
					@chmod( $dest, $mode ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
				}
				continue;
			}
			if ( 'L ' === $kind ) {
				$info = $this->get( $rel );
				if ( null !== $info && $info['placed'] && is_link( $dest ) ) {
					@unlink( $dest ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
				}
				self::put_back( $aside, $dest );
				continue;
			}
			// The staged bytes left their place: what is at the destination is the restored file.
			if ( ! file_exists( $this->dir . '/files/' . $key . '.bin' ) && ( is_file( $dest ) || is_link( $dest ) ) ) {
				unlink( $dest ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			}
			self::put_back( $aside, $dest );
		}
		fclose( $log ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		foreach ( array_reverse( $dirs ) as $d ) {
			@rmdir( $d[0] ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- only if still empty.
			if ( null !== $d[1] && ! file_exists( $d[0] ) && ! is_link( $d[0] ) ) {
				self::put_back( $this->dir . '/old/' . sha1( $d[1] ), $d[0] );
			}
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
		if ( is_dir( $aside ) ) {
			return ! file_exists( $dest ) && ! is_link( $dest ) && @rename( $aside, $dest ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions -- a folder a link replaced.
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
		$line = Raw_Path::to_line( $rel ) . "\n";
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
