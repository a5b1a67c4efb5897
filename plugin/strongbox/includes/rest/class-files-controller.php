<?php
/**
 * GET /files (paged listing), GET /files/content (whole file or byte range) and
 * POST /files/read (many files or ranges in one framed response).
 *
 * @package Strongbox
 */

namespace Strongbox\Rest;

use Strongbox\Files\Batch_Reader;
use Strongbox\Files\Jail;
use Strongbox\Files\Lister;
use Strongbox\Files\Raw_Path;

defined( 'ABSPATH' ) || exit;

/**
 * The site's files, jailed to the site root.
 */
class Files_Controller extends Controller {

	/** Largest page of a listing. */
	const MAX_LIMIT = 5000;

	/** Most entries of one batch read. */
	const MAX_BATCH_FILES = 1000;

	/** Most bytes one batch read may request in all (64 MiB). */
	const MAX_BATCH_BYTES = 67108864;

	/**
	 * Routes.
	 */
	public function register_routes() {
		$this->route(
			'/files',
			array(
				array(
					'GET',
					array( $this, 'list_files' ),
					array(
						'cursor'  => array(
							'type'    => 'string',
							'default' => '',
						),
						'limit'   => array(
							'type'    => 'integer',
							'default' => 1000,
							'minimum' => 1,
							'maximum' => self::MAX_LIMIT,
						),
						'exclude' => array(
							'type'     => 'array',
							'items'    => array( 'type' => 'string' ),
							'default'  => array(),
							'maxItems' => 200,
						),
					),
				),
			)
		);
		$this->route(
			'/files/content',
			array(
				array(
					'GET',
					array( $this, 'read_file' ),
					array(
						'path'     => array(
							'type' => 'string',
						),
						'path_b64' => array(
							'type' => 'string',
						),
						'offset'   => array(
							'type'    => 'integer',
							'default' => 0,
							'minimum' => 0,
						),
						'length'   => array(
							'type'    => 'integer',
							'minimum' => 0,
						),
					),
				),
			)
		);
		$this->route(
			'/files/read',
			array(
				array(
					'POST',
					array( $this, 'read_files' ),
					array(
						'files' => array(
							'type'     => 'array',
							'required' => true,
							'items'    => array( 'type' => 'object' ),
						),
					),
				),
			)
		);
	}

	/**
	 * Lists one page of files.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function list_files( \WP_REST_Request $request ) {
		$cursor = (string) $request['cursor'];
		$raw    = 0 === strpos( $cursor, Raw_Path::PREFIX );
		if ( $raw ) {
			$cursor = Raw_Path::decode( substr( $cursor, strlen( Raw_Path::PREFIX ) ) );
			if ( null === $cursor ) {
				return Raw_Path::bad_b64( 'cursor' );
			}
		}
		$cursor = Jail::clean( $cursor, $raw );
		if ( is_wp_error( $cursor ) ) {
			return $cursor;
		}
		$lister  = new Lister( new Jail(), array_map( 'strval', (array) $request['exclude'] ) );
		$page    = $lister->page( $cursor, (int) $request['limit'] );
		$entries = array();
		foreach ( $page['entries'] as $e ) {
			$out = Raw_Path::put( array(), 'path', $e['path'] ) + $e;
			if ( array_key_exists( 'target', $e ) ) {
				unset( $out['target'] );
				$out = Raw_Path::put( $out, 'target', $e['target'] );
			}
			$entries[] = $out;
		}
		$page['entries'] = $entries;
		// The cursor is the last path: `b64:` and its base64 when JSON cannot carry it as it is.
		$page['next_cursor'] = null === $page['next_cursor'] ? null : Raw_Path::to_line( $page['next_cursor'] );
		$page['excludes']    = $lister->excludes();
		return new \WP_REST_Response( $page );
	}

	/**
	 * The raw path of a request that names one by `path` or `path_b64` (preferred).
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return array|\WP_Error [raw path, whether it came as raw bytes]
	 */
	private static function requested_path( \WP_REST_Request $request ) {
		$b64 = $request['path_b64'];
		if ( null !== $b64 ) {
			// A "+" left unencoded in a query string arrives as a space; base64 has none.
			$raw = Raw_Path::decode( str_replace( ' ', '+', (string) $b64 ) );
			return null === $raw ? Raw_Path::bad_b64() : array( $raw, true );
		}
		if ( null === $request['path'] ) {
			return self::error( 'rest_missing_callback_param', __( 'Name the file with "path" (or "path_b64": the base64 of its raw bytes).', 'strongbox' ), 400, array( 'params' => array( 'path' ) ) );
		}
		return array( (string) $request['path'], false );
	}

	/**
	 * Streams a file or a byte range of it.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return Stream_Response|\WP_Error
	 */
	public function read_file( \WP_REST_Request $request ) {
		$path = self::requested_path( $request );
		if ( is_wp_error( $path ) ) {
			return $path;
		}
		$jail = new Jail();
		$real = $jail->resolve( $path[0], $path[1] );
		if ( is_wp_error( $real ) ) {
			return $real;
		}
		if ( ! is_file( $real ) ) {
			return self::error( 'strongbox_not_a_file', __( 'The path is not a regular file.', 'strongbox' ) );
		}
		$size   = filesize( $real );
		$offset = (int) $request['offset'];
		if ( $offset > $size ) {
			return self::error( 'strongbox_range_invalid', __( 'The offset lies beyond the end of the file.', 'strongbox' ), 416 );
		}
		$length = null === $request['length'] ? $size - $offset : min( (int) $request['length'], $size - $offset );
		$handle = @fopen( $real, 'rb' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions -- streaming a local file.
		if ( false === $handle ) {
			return self::error( 'strongbox_file_unreadable', __( 'The file exists but cannot be read.', 'strongbox' ), 403 );
		}
		$headers = array(
			'Content-Type'           => 'application/octet-stream',
			'Content-Length'         => (string) $length,
			'X-Strongbox-File-Size'  => (string) $size,
			'X-Strongbox-File-Mtime' => (string) filemtime( $real ),
			'X-Strongbox-Offset'     => (string) $offset,
			'Cache-Control'          => 'no-store',
		);
		return new Stream_Response(
			static function ( $write ) use ( $handle, $offset, $length ) {
				if ( $offset > 0 ) {
					fseek( $handle, $offset );
				}
				$left = $length;
				while ( $left > 0 && ! feof( $handle ) ) {
					$chunk = fread( $handle, (int) min( 1048576, $left ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions
					if ( false === $chunk || '' === $chunk ) {
						break;
					}
					$left -= strlen( $chunk );
					$write( $chunk );
				}
				fclose( $handle ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			},
			$headers
		);
	}

	/**
	 * POST /files/read: many files or byte ranges in one framed, streamed response
	 * (body {"files": [{"path", "offset", "length"}, ...]}). A file that cannot be
	 * read is reported in its frame and the batch goes on.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return Stream_Response|\WP_Error
	 */
	public function read_files( \WP_REST_Request $request ) {
		$files = (array) $request['files'];
		if ( ! $files ) {
			return self::error( 'strongbox_batch_empty', __( 'Name at least one file to read.', 'strongbox' ) );
		}
		if ( count( $files ) > self::MAX_BATCH_FILES ) {
			return self::error(
				'strongbox_batch_too_large',
				/* translators: 1: most files per request, 2: files requested */
				sprintf( __( 'A batch may read at most %1$d files; this one asks for %2$d. Split it into several requests.', 'strongbox' ), self::MAX_BATCH_FILES, count( $files ) ),
				400,
				array( 'max_files' => self::MAX_BATCH_FILES )
			);
		}
		$entries = array();
		$total   = 0;
		foreach ( array_values( $files ) as $i => $f ) {
			$f      = (array) $f;
			$offset = isset( $f['offset'] ) ? $f['offset'] : 0;
			$length = isset( $f['length'] ) ? $f['length'] : null;
			$path   = Raw_Path::from( $f );
			if ( is_wp_error( $path ) ) {
				return Raw_Path::bad_b64(
					'path_b64',
					array( 'index' => $i )
				);
			}
			if ( null === $path || ! is_int( $offset ) || $offset < 0 || ! is_int( $length ) || $length < 0 ) {
				return self::error(
					'strongbox_batch_invalid',
					/* translators: %d: index of the entry in the request */
					sprintf( __( 'Entry %d of the batch needs a "path" string (or "path_b64"), an "offset" of 0 or more and a "length" of 0 or more (integers).', 'strongbox' ), $i ),
					400,
					array( 'index' => $i )
				);
			}
			$total    += $length;
			$entries[] = array(
				'path'   => $path,
				'raw'    => isset( $f['path_b64'] ),
				'offset' => $offset,
				'length' => $length,
			);
		}
		if ( $total > self::MAX_BATCH_BYTES ) {
			return self::error(
				'strongbox_batch_too_large',
				/* translators: 1: most bytes per request, 2: bytes requested */
				sprintf( __( 'A batch may request at most %1$d bytes in all; this one asks for %2$d. Split it into several requests.', 'strongbox' ), self::MAX_BATCH_BYTES, $total ),
				400,
				array( 'max_bytes' => self::MAX_BATCH_BYTES )
			);
		}
		if ( function_exists( 'set_time_limit' ) ) {
			@set_time_limit( 0 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- may be disabled by the host.
		}
		$reader = new Batch_Reader( new Jail() );
		return new Stream_Response(
			static function ( $write ) use ( $reader, $entries ) {
				$reader->stream( $entries, $write );
			},
			array(
				'Content-Type'  => 'application/vnd.strongbox.files',
				'Cache-Control' => 'no-store',
			)
		);
	}
}
