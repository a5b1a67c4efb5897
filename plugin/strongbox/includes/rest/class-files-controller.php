<?php
/**
 * GET /files (paged listing) and GET /files/content (whole file or byte range).
 *
 * @package Strongbox
 */

namespace Strongbox\Rest;

use Strongbox\Files\Jail;
use Strongbox\Files\Lister;

defined( 'ABSPATH' ) || exit;

/**
 * The site's files, jailed to the site root.
 */
class Files_Controller extends Controller {

	/** Largest page of a listing. */
	const MAX_LIMIT = 5000;

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
						'path'   => array(
							'type'     => 'string',
							'required' => true,
						),
						'offset' => array(
							'type'    => 'integer',
							'default' => 0,
							'minimum' => 0,
						),
						'length' => array(
							'type'    => 'integer',
							'minimum' => 0,
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
		$cursor = Jail::clean( $request['cursor'] );
		if ( is_wp_error( $cursor ) ) {
			return $cursor;
		}
		$lister = new Lister( new Jail(), array_map( 'strval', (array) $request['exclude'] ) );
		$page   = $lister->page( $cursor, (int) $request['limit'] );
		$page['excludes'] = $lister->excludes();
		return new \WP_REST_Response( $page );
	}

	/**
	 * Streams a file or a byte range of it.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return Stream_Response|\WP_Error
	 */
	public function read_file( \WP_REST_Request $request ) {
		$jail = new Jail();
		$real = $jail->resolve( $request['path'] );
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
}
