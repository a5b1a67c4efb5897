<?php
/**
 * Destinations routes; secrets are write-only.
 *
 * @package Strongbox
 */

namespace Strongbox\Rest;

use Strongbox\Storage\Destinations;

defined( 'ABSPATH' ) || exit;

/**
 * CRUD of storage destinations.
 */
class Destinations_Controller extends Controller {

	/**
	 * Routes.
	 */
	public function register_routes() {
		$fields = array(
			'name'              => array( 'type' => 'string', 'maxLength' => 200 ),
			'endpoint'          => array( 'type' => 'string', 'maxLength' => 1024 ),
			'region'            => array( 'type' => 'string', 'maxLength' => 32 ),
			'bucket'            => array( 'type' => 'string', 'maxLength' => 63 ),
			'prefix'            => array( 'type' => 'string', 'maxLength' => 1024 ),
			'access_key_id'     => array( 'type' => 'string', 'maxLength' => 256 ),
			'secret_access_key' => array( 'type' => 'string', 'maxLength' => 1024 ),
			'path_style'        => array( 'type' => 'boolean' ),
			'retention'         => array(
				'type'                 => 'object',
				'properties'           => array(
					'keep_last'    => array( 'type' => 'integer', 'minimum' => 0 ),
					'keep_hourly'  => array( 'type' => 'integer', 'minimum' => 0 ),
					'keep_daily'   => array( 'type' => 'integer', 'minimum' => 0 ),
					'keep_weekly'  => array( 'type' => 'integer', 'minimum' => 0 ),
					'keep_monthly' => array( 'type' => 'integer', 'minimum' => 0 ),
					'keep_yearly'  => array( 'type' => 'integer', 'minimum' => 0 ),
					'keep_within'  => array( 'type' => 'string', 'maxLength' => 32 ),
				),
				'additionalProperties' => false,
			),
		);
		$this->route(
			'/destinations',
			array(
				array( 'GET', array( $this, 'list_destinations' ) ),
				array( 'POST', array( $this, 'create_destination' ), $fields ),
			)
		);
		$this->route(
			'/destinations/(?P<id>d[0-9a-f]{12})',
			array(
				array( 'GET', array( $this, 'get_destination' ) ),
				array( 'POST, PUT, PATCH', array( $this, 'update_destination' ), $fields ),
				array( 'DELETE', array( $this, 'delete_destination' ) ),
			)
		);
	}

	/**
	 * GET /destinations.
	 *
	 * @return \WP_REST_Response
	 */
	public function list_destinations() {
		return new \WP_REST_Response( array_values( array_map( array( Destinations::class, 'public_view' ), Destinations::all() ) ) );
	}

	/**
	 * POST /destinations.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function create_destination( \WP_REST_Request $request ) {
		$d = Destinations::save( $this->fields( $request ) );
		return is_wp_error( $d ) ? $d : new \WP_REST_Response( $d, 201 );
	}

	/**
	 * GET /destinations/{id}.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function get_destination( \WP_REST_Request $request ) {
		$d = Destinations::get( $request['id'], false );
		return is_wp_error( $d ) ? $d : new \WP_REST_Response( Destinations::public_view( $d ) );
	}

	/**
	 * PATCH /destinations/{id}.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function update_destination( \WP_REST_Request $request ) {
		$d = Destinations::save( $this->fields( $request ), $request['id'] );
		return is_wp_error( $d ) ? $d : new \WP_REST_Response( $d );
	}

	/**
	 * DELETE /destinations/{id}.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function delete_destination( \WP_REST_Request $request ) {
		if ( ! Destinations::delete( $request['id'] ) ) {
			return self::error( 'strongbox_destination_not_found', __( 'No such destination.', 'strongbox' ), 404 );
		}
		return new \WP_REST_Response( array( 'deleted' => true ) );
	}

	/**
	 * The destination fields present in the request.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return array
	 */
	private function fields( \WP_REST_Request $request ) {
		$out = array();
		foreach ( array( 'name', 'endpoint', 'region', 'bucket', 'prefix', 'access_key_id', 'secret_access_key', 'path_style', 'retention' ) as $f ) {
			if ( null !== $request[ $f ] ) {
				$out[ $f ] = $request[ $f ];
			}
		}
		return $out;
	}
}
