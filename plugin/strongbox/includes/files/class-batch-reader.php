<?php
/**
 * Reads many files (or byte ranges of them) into one framed stream.
 *
 * @package Strongbox
 */

namespace Strongbox\Files;

defined( 'ABSPATH' ) || exit;

/**
 * Batch file reader, with flat memory: each file is read and written in pieces.
 *
 * Framing, one entry after another in the order requested:
 *   #file {"path","offset","length","size","mtime","mode"}\n  then exactly `length` bytes, then \n
 *   #file {"path","error","code","message"}\n                  (no bytes) the file is skipped
 *   #file-changed {"path","message"}\n                         after a file's \n: it changed while
 *                                                              it was read; its bytes are not to be trusted
 *   #done {"files","bytes"}\n                                  the end
 * `error` is not_found (vanished, or no longer a regular file), unreadable or
 * outside_root (refused by the jail: traversal, absolute path, link leading out).
 * A path JSON cannot carry as it is (not UTF-8, control characters) is sent as its
 * display form in `path` plus `path_b64`, the base64 of its bytes (Raw_Path).
 */
class Batch_Reader {

	/** Bytes read and written at a time. */
	const PIECE = 262144;

	/**
	 * Jail.
	 *
	 * @var Jail
	 */
	private $jail;

	/**
	 * Constructor.
	 *
	 * @param Jail $jail Jail.
	 */
	public function __construct( Jail $jail ) {
		$this->jail = $jail;
	}

	/**
	 * Streams the entries.
	 *
	 * @param array    $entries List of ['path' => string, 'offset' => int, 'length' => int,
	 *                          'raw' => whether the path came as raw bytes (path_b64)].
	 * @param callable $write   Receives bytes.
	 * @return array{files: int, bytes: int} Totals (also written in `#done`).
	 */
	public function stream( array $entries, callable $write ) {
		$files = 0;
		$bytes = 0;
		foreach ( $entries as $entry ) {
			$sent = $this->one( $entry['path'], ! empty( $entry['raw'] ), (int) $entry['offset'], (int) $entry['length'], $write );
			if ( null !== $sent ) {
				++$files;
				$bytes += $sent;
			}
		}
		$done = array(
			'files' => $files,
			'bytes' => $bytes,
		);
		self::control( $write, 'done', $done );
		return $done;
	}

	/**
	 * Frames one entry.
	 *
	 * @param string   $path   Relative path as requested (raw bytes).
	 * @param bool     $raw    Whether it came as path_b64.
	 * @param int      $offset First byte.
	 * @param int      $length Most bytes.
	 * @param callable $write  Receives bytes.
	 * @return int|null Bytes of file data sent, null when the entry was an error.
	 */
	private function one( $path, $raw, $offset, $length, callable $write ) {
		$real = $this->jail->resolve( $path, $raw );
		if ( is_wp_error( $real ) ) {
			$kind = 'strongbox_path_not_found' === $real->get_error_code() ? 'not_found' : 'outside_root';
			self::fail( $write, $path, $kind, $real->get_error_code(), $real->get_error_message() );
			return null;
		}
		if ( ! is_file( $real ) ) {
			self::fail( $write, $path, 'not_found', 'strongbox_not_a_file', __( 'The path is no longer a regular file.', 'strongbox' ) );
			return null;
		}
		$handle = @fopen( $real, 'rb' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions -- streaming a local file.
		if ( false === $handle ) {
			if ( ! file_exists( $real ) ) {
				self::fail( $write, $path, 'not_found', 'strongbox_path_not_found', __( 'The file vanished before it could be read.', 'strongbox' ) );
			} else {
				self::fail( $write, $path, 'unreadable', 'strongbox_file_unreadable', __( 'The file exists but cannot be read (check its permissions).', 'strongbox' ) );
			}
			return null;
		}
		$st = fstat( $handle );
		if ( false === $st ) {
			fclose( $handle ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			self::fail( $write, $path, 'unreadable', 'strongbox_file_unreadable', __( 'The file exists but cannot be read (check its permissions).', 'strongbox' ) );
			return null;
		}
		$size = (int) $st['size'];
		$send = $offset >= $size ? 0 : min( $length, $size - $offset );
		self::control(
			$write,
			'file',
			Raw_Path::put( array(), 'path', $path ) + array(
				'offset' => $offset,
				'length' => $send,
				'size'   => $size,
				'mtime'  => (int) $st['mtime'],
				'mode'   => sprintf( '%04o', $st['mode'] & 07777 ),
			)
		);
		$left  = $send;
		$short = false;
		if ( $left > 0 && 0 !== fseek( $handle, $offset ) ) {
			$short = true;
		}
		while ( $left > 0 && ! $short ) {
			$piece = fread( $handle, (int) min( self::PIECE, $left ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			if ( false === $piece || '' === $piece ) {
				$short = true;
				break;
			}
			$left -= strlen( $piece );
			$write( $piece );
		}
		// The header promised `length` bytes: a file that shrank meanwhile is padded with
		// zero bytes to keep the framing, and flagged as changed below.
		while ( $left > 0 ) {
			$pad   = (int) min( self::PIECE, $left );
			$left -= $pad;
			$write( str_repeat( "\0", $pad ) );
		}
		$write( "\n" );
		$after = fstat( $handle );
		fclose( $handle ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		if ( $short || false === $after || (int) $after['size'] !== $size || (int) $after['mtime'] !== (int) $st['mtime'] ) {
			self::control(
				$write,
				'file-changed',
				Raw_Path::put( array(), 'path', $path ) + array(
					'message' => __( 'The file changed while it was read; read it again.', 'strongbox' ),
				)
			);
		}
		return $send;
	}

	/**
	 * Writes an error entry.
	 *
	 * @param callable $write   Receives bytes.
	 * @param string   $path    Path as requested.
	 * @param string   $kind    not_found, unreadable or outside_root.
	 * @param string   $code    Stable strongbox_* code.
	 * @param string   $message Human message.
	 */
	private static function fail( callable $write, $path, $kind, $code, $message ) {
		self::control(
			$write,
			'file',
			Raw_Path::put( array(), 'path', $path ) + array(
				'error'   => $kind,
				'code'    => $code,
				'message' => $message,
			)
		);
	}

	/**
	 * Writes a control line `#word {json}`.
	 *
	 * @param callable $write Receives bytes.
	 * @param string   $word  Word.
	 * @param array    $data  Data.
	 */
	private static function control( callable $write, $word, array $data ) {
		$write( '#' . $word . ' ' . wp_json_encode( $data ) . "\n" );
	}
}
