<?php
/**
 * A framed batch of file data for a restore session (POST .../files/batch).
 *
 * @package Strongbox
 */

namespace Strongbox\Restore;

use Strongbox\Files\Raw_Path;

defined( 'ABSPATH' ) || exit;

/**
 * Reads the body of `POST /restore/sessions/{id}/files/batch`
 * (`Content-Type: application/vnd.strongbox.files`), the framing of the answers of
 * `POST /files/read`:
 *
 *   #file {"path":"a/b.txt","offset":0,"length":5,"mode":"0644","last":true}\n
 *   <exactly `length` bytes>\n
 *   #dir {"path":"a/empty","mode":"0755"}\n          a folder (no bytes, no newline after)
 *   #link {"path":"a/latest","target":"b.txt"}\n     a symbolic link (no bytes either)
 *   ... more entries ...
 *   #done {}\n
 *
 * Any `path` (and a link's `target`) may come as `path_b64` (`target_b64`) instead: the
 * base64 of the raw bytes, for names JSON cannot carry (Files\Raw_Path).
 *
 * The body comes from a stream (php://input) or a string and is read in pieces of
 * at most PIECE bytes: no more than one piece of file data is held at a time.
 * validate() walks the whole body first, so a malformed body (bad header, cut off,
 * a length running past the end) is refused before anything is applied; each()
 * then hands every entry over with a reader of its bytes.
 */
final class File_Batch {

	/** Bytes of file data read at a time. */
	const PIECE = 262144;

	/** Longest header line (a path may be 4096 bytes, JSON-escaped). */
	const MAX_LINE = 65536;

	/** Most entries in one request. */
	const MAX_FILES = 10000;

	/**
	 * Stream source, or null.
	 *
	 * @var resource|null
	 */
	private $stream;

	/**
	 * String source (when there is no stream).
	 *
	 * @var string
	 */
	private $string = '';

	/**
	 * Bytes consumed so far.
	 *
	 * @var int
	 */
	private $pos = 0;

	/**
	 * Most bytes the body may have.
	 *
	 * @var int
	 */
	private $limit;

	/**
	 * Constructor (use from_stream() or from_string()).
	 *
	 * @param resource|null $stream Stream.
	 * @param string        $body   Body, when there is no stream.
	 * @param int           $limit  Most bytes.
	 */
	private function __construct( $stream, $body, $limit ) {
		$this->stream = $stream;
		$this->string = $body;
		$this->limit  = (int) $limit;
	}

	/**
	 * A batch read from a seekable stream (php://input is).
	 *
	 * @param resource $stream Stream, positioned at the start of the body.
	 * @param int      $limit  Most bytes.
	 * @return File_Batch
	 */
	public static function from_stream( $stream, $limit ) {
		return new self( $stream, '', $limit );
	}

	/**
	 * A batch read from a string (not copied: pieces are cut out of it).
	 *
	 * @param string $body  Body.
	 * @param int    $limit Most bytes.
	 * @return File_Batch
	 */
	public static function from_string( $body, $limit ) {
		return new self( null, (string) $body, $limit );
	}

	/**
	 * Walks the whole body and checks its framing; applies nothing.
	 *
	 * @return array|\WP_Error {files, bytes, body_bytes}
	 */
	public function validate() {
		if ( ! $this->rewind() ) {
			return self::err( 'strongbox_body_unreadable', __( 'The request body could not be read.', 'strongbox' ), 500 );
		}
		$files = 0;
		$bytes = 0;
		for ( $index = 0; ; ++$index ) {
			$at   = $this->pos;
			$line = $this->line();
			if ( is_wp_error( $line ) ) {
				return $this->with( $line, $index, $at );
			}
			if ( null === $line ) {
				return $this->truncated( __( 'The body ends before its "#done" line: it was cut off.', 'strongbox' ), $index, $at );
			}
			if ( $this->pos > $this->limit ) {
				return self::too_large( $this->limit );
			}
			$head = $this->header( $line );
			if ( is_wp_error( $head ) ) {
				return $this->with( $head, $index, $at );
			}
			if ( 'done' === $head['word'] ) {
				$done = $head['data'];
				if ( ( isset( $done['files'] ) && $done['files'] !== $files ) || ( isset( $done['bytes'] ) && $done['bytes'] !== $bytes ) ) {
					return $this->invalid( __( 'The "#done" line counts other files or bytes than the body holds.', 'strongbox' ), $index, $at );
				}
				if ( '' !== $this->read( 1 ) ) {
					return $this->invalid( __( 'Nothing may follow the "#done" line.', 'strongbox' ), $index, $at );
				}
				return array(
					'files'      => $files,
					'bytes'      => $bytes,
					'body_bytes' => $this->pos,
				);
			}
			if ( ++$files > self::MAX_FILES ) {
				return self::err(
					'strongbox_batch_too_large',
					/* translators: %d: most entries per request */
					sprintf( __( 'A batch may hold at most %d files; send the rest in another request.', 'strongbox' ), self::MAX_FILES ),
					413,
					array( 'max_files' => self::MAX_FILES )
				);
			}
			if ( 'file' !== $head['word'] ) {
				continue; // #dir and #link: a header line alone.
			}
			$length = $head['length'];
			$got    = $this->pass( $length, null );
			if ( $this->pos > $this->limit ) {
				return self::too_large( $this->limit );
			}
			if ( $got < $length ) {
				/* translators: 1: announced bytes, 2: bytes present */
				return $this->truncated( sprintf( __( 'The entry announces %1$d bytes but the body holds only %2$d more: it was cut off, or the length is wrong.', 'strongbox' ), $length, $got ), $index, $at );
			}
			$nl = $this->read( 1 );
			if ( '' === $nl ) {
				return $this->truncated( __( 'The body ends right after the bytes of an entry, without the newline and the "#done" line: it was cut off.', 'strongbox' ), $index, $at );
			}
			if ( "\n" !== $nl ) {
				return $this->invalid( __( 'The bytes of an entry are not followed by a newline: its length is wrong.', 'strongbox' ), $index, $at );
			}
			$bytes += $length;
		}
	}

	/**
	 * Hands every entry to $apply( array $entry, callable $read ), in order. $read( $sink )
	 * passes the entry's bytes to $sink( string $piece ) in pieces and returns the count;
	 * bytes an entry did not read are skipped. Call validate() first.
	 *
	 * @param callable $apply Receives each entry {type (file, dir, link), path (raw bytes),
	 *                        raw (whether it came as path_b64), offset, length, mode, last,
	 *                        target (links: raw bytes)}.
	 * @return true|\WP_Error
	 */
	public function each( callable $apply ) {
		if ( ! $this->rewind() ) {
			return self::err( 'strongbox_body_unreadable', __( 'The request body could not be read.', 'strongbox' ), 500 );
		}
		for ( $index = 0; ; ++$index ) {
			$line = $this->line();
			$head = is_string( $line ) ? $this->header( $line ) : null;
			if ( ! is_array( $head ) ) {
				return self::err( 'strongbox_body_unreadable', __( 'The request body changed while it was read.', 'strongbox' ), 500 );
			}
			if ( 'done' === $head['word'] ) {
				return true;
			}
			$head['type'] = $head['word'];
			unset( $head['word'], $head['data'] );
			if ( 'file' !== $head['type'] ) {
				$apply(
					$head,
					static function () {
						return 0;
					}
				);
				continue;
			}
			$left = $head['length'];
			$read = function ( callable $sink ) use ( &$left ) {
				$got   = $this->pass( $left, $sink );
				$left -= $got;
				return $got;
			};
			$apply( $head, $read );
			if ( $left > 0 ) {
				$this->pass( $left, null );
			}
			$this->read( 1 );
		}
	}

	/**
	 * Reads $n bytes (fewer at the end) in pieces, to $sink or nowhere.
	 *
	 * @param int           $n    Bytes.
	 * @param callable|null $sink Receives pieces.
	 * @return int Bytes read.
	 */
	private function pass( $n, $sink ) {
		$got = 0;
		if ( null === $sink && null === $this->stream ) {
			$got        = (int) max( 0, min( $n, strlen( $this->string ) - $this->pos ) );
			$this->pos += $got;
			return $got;
		}
		while ( $got < $n ) {
			$piece = $this->read( (int) min( self::PIECE, $n - $got ) );
			if ( '' === $piece ) {
				break;
			}
			$got += strlen( $piece );
			if ( null !== $sink ) {
				$sink( $piece );
			}
		}
		return $got;
	}

	/**
	 * Parses a control line.
	 *
	 * @param string $line Line without its newline.
	 * @return array|\WP_Error {word, data} and, for #file: path, raw, offset, length, mode,
	 *                         last; #dir: path, raw, mode; #link: path, raw, target.
	 */
	private function header( $line ) {
		$sp   = strpos( $line, ' ' );
		$word = false === $sp ? $line : substr( $line, 0, $sp );
		$data = false === $sp ? null : json_decode( substr( $line, $sp + 1 ), true );
		if ( '#done' === $word && ( false === $sp || is_array( $data ) ) ) {
			return array(
				'word' => 'done',
				'data' => is_array( $data ) ? $data : array(),
			);
		}
		if ( ! in_array( $word, array( '#file', '#dir', '#link' ), true ) ) {
			return self::err( 'strongbox_batch_invalid', __( 'Every line of the body between file data must be "#file {json}", "#dir {json}", "#link {json}" or, at the end, "#done {}".', 'strongbox' ) );
		}
		$path = is_array( $data ) ? Raw_Path::from( $data ) : null;
		if ( is_wp_error( $path ) ) {
			return $path;
		}
		$head = array(
			'word' => substr( $word, 1 ),
			'data' => null,
			'path' => $path,
			'raw'  => is_array( $data ) && isset( $data['path_b64'] ),
		);
		if ( '#dir' === $word ) {
			$mode = isset( $data['mode'] ) ? $data['mode'] : '0755';
			if ( null === $path || ! is_string( $mode ) || ! preg_match( '/^[0-7]{3,4}$/', $mode ) ) {
				return self::err( 'strongbox_batch_invalid', __( 'A "#dir" header needs a JSON object with a "path" string (or "path_b64") and, optionally, a "mode" octal string such as "0755".', 'strongbox' ) );
			}
			return $head + array( 'mode' => octdec( $mode ) & 0777 );
		}
		if ( '#link' === $word ) {
			$target = is_array( $data ) ? Raw_Path::from( $data, 'target' ) : null;
			if ( is_wp_error( $target ) ) {
				return $target;
			}
			if ( null === $path || null === $target ) {
				return self::err( 'strongbox_batch_invalid', __( 'A "#link" header needs a JSON object with a "path" string (or "path_b64") and a "target" string (or "target_b64").', 'strongbox' ) );
			}
			return $head + array( 'target' => $target );
		}
		if ( null === $path || ! isset( $data['length'] ) || ! is_int( $data['length'] ) || $data['length'] < 0 ) {
			return self::err( 'strongbox_batch_invalid', __( 'A "#file" header needs a JSON object with a "path" string (or "path_b64") and a "length" integer of 0 or more.', 'strongbox' ) );
		}
		$offset = isset( $data['offset'] ) ? $data['offset'] : 0;
		$mode   = isset( $data['mode'] ) ? $data['mode'] : '0644';
		$last   = isset( $data['last'] ) ? $data['last'] : false;
		if ( ! is_int( $offset ) || $offset < 0 || ! is_string( $mode ) || ! preg_match( '/^0?[0-7]{3}$/', $mode ) || ! is_bool( $last ) ) {
			return self::err( 'strongbox_batch_invalid', __( 'In a "#file" header, "offset" must be an integer of 0 or more, "mode" an octal string such as "0644" and "last" true or false.', 'strongbox' ) );
		}
		return $head + array(
			'offset' => $offset,
			'length' => $data['length'],
			'mode'   => octdec( $mode ),
			'last'   => $last,
		);
	}

	/**
	 * Reads one line.
	 *
	 * @return string|null|\WP_Error The line without "\n"; null at the end of the body.
	 */
	private function line() {
		if ( null === $this->stream ) {
			if ( $this->pos >= strlen( $this->string ) ) {
				return null;
			}
			$nl = strpos( $this->string, "\n", $this->pos );
			if ( false === $nl || $nl - $this->pos > self::MAX_LINE ) {
				return false === $nl && strlen( $this->string ) - $this->pos <= self::MAX_LINE
					? self::err( 'strongbox_batch_truncated', __( 'The body ends inside a header line: it was cut off.', 'strongbox' ) )
					: self::err( 'strongbox_batch_invalid', __( 'A header line is too long.', 'strongbox' ) );
			}
			$line      = substr( $this->string, $this->pos, $nl - $this->pos );
			$this->pos = $nl + 1;
			return $line;
		}
		$line = fgets( $this->stream, self::MAX_LINE + 2 );
		if ( false === $line || '' === $line ) {
			return null;
		}
		$this->pos += strlen( $line );
		if ( "\n" !== substr( $line, -1 ) ) {
			return strlen( $line ) > self::MAX_LINE
				? self::err( 'strongbox_batch_invalid', __( 'A header line is too long.', 'strongbox' ) )
				: self::err( 'strongbox_batch_truncated', __( 'The body ends inside a header line: it was cut off.', 'strongbox' ) );
		}
		return substr( $line, 0, -1 );
	}

	/**
	 * Reads up to $n bytes ('' at the end).
	 *
	 * @param int $n Bytes (at most PIECE).
	 * @return string
	 */
	private function read( $n ) {
		if ( $n <= 0 ) {
			return '';
		}
		if ( null === $this->stream ) {
			$piece      = (string) substr( $this->string, $this->pos, $n );
			$this->pos += strlen( $piece );
			return $piece;
		}
		$out = '';
		while ( strlen( $out ) < $n ) {
			$piece = fread( $this->stream, $n - strlen( $out ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			if ( false === $piece || '' === $piece ) {
				break;
			}
			$out .= $piece;
		}
		$this->pos += strlen( $out );
		return $out;
	}

	/**
	 * Back to the start of the body.
	 *
	 * @return bool
	 */
	private function rewind() {
		$this->pos = 0;
		return null === $this->stream || rewind( $this->stream );
	}

	/**
	 * The body is too large.
	 *
	 * @param int $limit Most bytes.
	 * @return \WP_Error
	 */
	public static function too_large( $limit ) {
		return self::err(
			'strongbox_body_too_large',
			/* translators: %d: most bytes per request */
			sprintf( __( 'The request body is larger than %d bytes; send the data in smaller pieces.', 'strongbox' ), $limit ),
			413,
			array( 'max_bytes' => (int) $limit )
		);
	}

	/**
	 * A cut-off body.
	 *
	 * @param string $message Message.
	 * @param int    $index   Entry index.
	 * @param int    $at      Byte offset of the entry's header.
	 * @return \WP_Error
	 */
	private function truncated( $message, $index, $at ) {
		return $this->with( self::err( 'strongbox_batch_truncated', $message ), $index, $at );
	}

	/**
	 * A malformed body.
	 *
	 * @param string $message Message.
	 * @param int    $index   Entry index.
	 * @param int    $at      Byte offset of the entry's header.
	 * @return \WP_Error
	 */
	private function invalid( $message, $index, $at ) {
		return $this->with( self::err( 'strongbox_batch_invalid', $message ), $index, $at );
	}

	/**
	 * Adds where the problem is to an error (nothing of the body was applied).
	 *
	 * @param \WP_Error $e     Error.
	 * @param int       $index Entry index (0-based).
	 * @param int       $at    Byte offset of the line.
	 * @return \WP_Error
	 */
	private function with( \WP_Error $e, $index, $at ) {
		$data = (array) $e->get_error_data();
		return new \WP_Error(
			$e->get_error_code(),
			/* translators: 1: what is wrong, 2: entry index, 3: byte offset */
			sprintf( __( '%1$s (entry %2$d, at byte %3$d; nothing of this request was applied.)', 'strongbox' ), $e->get_error_message(), $index, $at ),
			array_merge(
				$data,
				array(
					'index'  => $index,
					'offset' => $at,
				)
			)
		);
	}

	/**
	 * WP_Error helper.
	 *
	 * @param string $code    Code.
	 * @param string $message Message.
	 * @param int    $status  Status.
	 * @param array  $data    Extra data.
	 * @return \WP_Error
	 */
	private static function err( $code, $message, $status = 400, array $data = array() ) {
		return new \WP_Error( $code, $message, array_merge( $data, array( 'status' => $status ) ) );
	}
}
