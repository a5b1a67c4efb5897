<?php
/**
 * The paths a full restore keeps: every file, link and folder of the snapshot under
 * the restored roots, sent by the client.
 *
 * @package Strongbox
 */

namespace Strongbox\Restore;

use Strongbox\Files\Raw_Path;

defined( 'ABSPATH' ) || exit;

/**
 * Kept in the session's directory:
 *
 *   keep/<n>.lst   the paths of one request, one normalized relative path per line
 *                  (written by Raw_Path::to_line(): `b64:` and base64 for a name that
 *                  holds a newline or is not text). A request's lines are checked and written to keep/<n>.part,
 *                  which is renamed to <n>.lst only when the whole body was read and
 *                  every line accepted: a request adds all its paths or none.
 *
 * At swap, set() loads every list (and the list of staged files) into a hash set whose
 * keys are integers: the first 8 bytes of the path's MD5. That costs about 50 bytes
 * of PHP memory per path whatever its length (measured: 5.2 MB for 100,000 paths of
 * about 100 bytes; a set of the paths themselves took 18 MB). Two paths that share a
 * key can only make the swap keep a file it would have removed, never the reverse.
 */
final class Keep_List {

	/** Bytes read from the body at a time. */
	const CHUNK = 262144;

	/**
	 * The session's directory.
	 *
	 * @var string
	 */
	private $dir;

	/**
	 * Constructor.
	 *
	 * @param string $dir The session's directory (created, private).
	 */
	public function __construct( $dir ) {
		$this->dir = rtrim( $dir, '/' );
	}

	/**
	 * Reads one request's lines and adds them as list number $number.
	 *
	 * @param int      $number   Number of this list (never used before in the session).
	 * @param callable $read     Returns the next piece of the body, false at its end.
	 * @param int      $max      Most bytes of a body.
	 * @param int|null $expected Content-Length, if the client sent one.
	 * @return array|\WP_Error {paths, bytes}
	 */
	public function receive( $number, callable $read, $max, $expected = null ) {
		$keep = $this->dir . '/keep';
		if ( ! is_dir( $keep ) && ! @mkdir( $keep, 0700 ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors
			return self::write_failed();
		}
		$part = $keep . '/' . (int) $number . '.part';
		$out  = @fopen( $part, 'wb' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		if ( false === $out ) {
			return self::write_failed();
		}
		$bytes  = 0;
		$paths  = 0;
		$line   = 0;
		$carry  = '';
		$buffer = '';
		$error  = null;
		while ( null === $error ) {
			$piece = $read();
			$last  = false === $piece || '' === $piece;
			if ( ! $last ) {
				$bytes += strlen( $piece );
				if ( $bytes > $max ) {
					$error = new \WP_Error( 'strongbox_body_too_large', __( 'The request body is larger than 32 MiB; send the data in smaller pieces.', 'strongbox' ), array( 'status' => 413 ) );
					break;
				}
			}
			$data  = $last ? $carry . "\n" : $carry . $piece;
			$start = 0;
			while ( null === $error && false !== ( $nl = strpos( $data, "\n", $start ) ) ) { // phpcs:ignore WordPress.CodeAnalysis.AssignmentInCondition
				$rel   = self::check( substr( $data, $start, $nl - $start ), ++$line );
				$start = $nl + 1;
				if ( is_wp_error( $rel ) ) {
					$error = $rel;
				} elseif ( null !== $rel ) {
					$buffer .= Raw_Path::to_line( $rel ) . "\n";
					++$paths;
				}
			}
			$carry = (string) substr( $data, $start );
			if ( null === $error && strlen( $carry ) > 5480 + strlen( Raw_Path::PREFIX ) ) { // A 4096-byte path in base64, and a "\r".
				$error = self::invalid( $line + 1, 'strongbox_path_invalid', __( 'The path is too long.', 'strongbox' ) );
			}
			if ( null === $error && ( $last || strlen( $buffer ) >= self::CHUNK ) && '' !== $buffer ) {
				if ( strlen( $buffer ) !== fwrite( $out, $buffer ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions
					$error = self::write_failed();
				}
				$buffer = '';
			}
			if ( $last ) {
				break;
			}
		}
		if ( null === $error && null !== $expected && $bytes !== (int) $expected ) {
			$error = new \WP_Error(
				'strongbox_body_truncated',
				/* translators: %s: PHP's post_max_size */
				sprintf( __( 'The request body did not arrive whole (PHP\'s post_max_size is %s); send smaller pieces.', 'strongbox' ), ini_get( 'post_max_size' ) ),
				array( 'status' => 413 )
			);
		}
		$closed = fclose( $out ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		if ( null === $error && ( ! $closed || ! @rename( $part, $keep . '/' . (int) $number . '.lst' ) ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
			$error = self::write_failed();
		}
		if ( null !== $error ) {
			@unlink( $part ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			return $error;
		}
		return array(
			'paths' => $paths,
			'bytes' => $bytes,
		);
	}

	/**
	 * Removes every list but one (a restart of the list).
	 *
	 * @param int $except Number of the list to keep.
	 */
	public function drop_all_but( $except ) {
		foreach ( (array) glob( $this->dir . '/keep/*.lst' ) as $file ) {
			if ( basename( $file ) !== (int) $except . '.lst' ) {
				@unlink( $file ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			}
		}
	}

	/**
	 * The set of kept paths: every list, plus other lists of paths (the staged files).
	 *
	 * @param string[] $more Files of one path per line.
	 * @return array Keys from key() => true.
	 */
	public function set( array $more = array() ) {
		$set = array();
		foreach ( array_merge( (array) glob( $this->dir . '/keep/*.lst' ), $more ) as $file ) {
			$h = is_file( $file ) ? fopen( $file, 'rb' ) : false; // phpcs:ignore WordPress.WP.AlternativeFunctions
			if ( false === $h ) {
				continue;
			}
			while ( false !== ( $line = fgets( $h ) ) ) { // phpcs:ignore WordPress.CodeAnalysis.AssignmentInCondition
				$line = Raw_Path::from_line( rtrim( $line, "\n" ) );
				if ( null !== $line && '' !== $line ) {
					$set[ self::key( $line ) ] = true;
				}
			}
			fclose( $h ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		}
		return $set;
	}

	/**
	 * Key of a path in the set: the first 8 bytes of its MD5 as an integer (on 64-bit
	 * PHP; as an 8-byte string elsewhere).
	 *
	 * @param string $rel Clean relative path.
	 * @return int|string
	 */
	public static function key( $rel ) {
		$hash = md5( $rel, true );
		return PHP_INT_SIZE >= 8 ? unpack( 'q', $hash )[1] : substr( $hash, 0, 8 );
	}

	/**
	 * One line of a body: a relative path, normalized ("a//b/./c" -> "a/b/c"), null for
	 * an empty line, or an error. The path is only compared with names on disk, never
	 * opened, so it may hold any byte a file name may (backslashes, "%2F", control
	 * characters, bytes that are not UTF-8): a file of the snapshot with such a name is
	 * kept. A line `b64:<base64>` holds the raw bytes of the path (needed for a newline,
	 * a trailing "\r" or a name that begins with "b64:"; usual for any name that is not
	 * plain UTF-8 text). It must be relative, without NUL or "..".
	 *
	 * @param string $line Line without its "\n" (a "\r" before it is dropped).
	 * @param int    $n    Its number, from 1.
	 * @return string|null|\WP_Error
	 */
	private static function check( $line, $n ) {
		if ( '' !== $line && "\r" === $line[ strlen( $line ) - 1 ] ) {
			$line = substr( $line, 0, -1 );
		}
		if ( '' === $line ) {
			return null;
		}
		if ( 0 === strpos( $line, Raw_Path::PREFIX ) ) {
			$line = Raw_Path::from_line( $line );
			if ( null === $line ) {
				return self::invalid( $n, 'strongbox_path_b64_invalid', __( 'The line begins with "b64:" but the rest is not valid base64 (standard alphabet, with padding, no spaces).', 'strongbox' ) );
			}
			if ( '' === $line ) {
				return null;
			}
		}
		if ( strlen( $line ) > 4096 ) {
			return self::invalid( $n, 'strongbox_path_invalid', __( 'The path is too long.', 'strongbox' ) );
		}
		if ( false !== strpos( $line, "\0" ) ) {
			return self::invalid( $n, 'strongbox_path_nul', __( 'The path contains a NUL byte.', 'strongbox' ) );
		}
		if ( '/' === $line[0] ) {
			return self::invalid( $n, 'strongbox_path_absolute', __( 'The path must be relative to the site root.', 'strongbox' ) );
		}
		$parts = array();
		foreach ( explode( '/', $line ) as $segment ) {
			if ( '..' === $segment ) {
				return self::invalid( $n, 'strongbox_path_traversal', __( 'The path may not contain "..".', 'strongbox' ) );
			}
			if ( '' !== $segment && '.' !== $segment ) {
				$parts[] = $segment;
			}
		}
		return $parts ? implode( '/', $parts ) : null;
	}

	/**
	 * A line that is not a path.
	 *
	 * @param int    $n      Line number.
	 * @param string $reason Code of the path error.
	 * @param string $why    Its message.
	 * @return \WP_Error
	 */
	private static function invalid( $n, $reason, $why ) {
		return new \WP_Error(
			'strongbox_keep_invalid',
			/* translators: 1: line number, 2: reason */
			sprintf( __( 'Line %1$d is not a relative path of the site: %2$s Nothing of this request was kept.', 'strongbox' ), $n, $why ),
			array(
				'status' => 400,
				'line'   => $n,
				'reason' => $reason,
			)
		);
	}

	/**
	 * A write failure.
	 *
	 * @return \WP_Error
	 */
	private static function write_failed() {
		return new \WP_Error( 'strongbox_write_failed', __( 'Could not record the list of kept files (disk full?).', 'strongbox' ), array( 'status' => 500 ) );
	}
}
