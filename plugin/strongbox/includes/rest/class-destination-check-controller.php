<?php
/**
 * POST /destinations/{id}/test and POST /destinations/{id}/cors.
 *
 * @package Strongbox
 */

namespace Strongbox\Rest;

use Strongbox\Storage\Destination_Check;
use Strongbox\Storage\Destinations;

defined( 'ABSPATH' ) || exit;

/**
 * Tests a destination from the server, and adds the CORS rule the browser needs.
 */
class Destination_Check_Controller extends Controller {

	/**
	 * Routes.
	 */
	public function register_routes() {
		$args = array(
			'origin' => array(
				'type'      => 'string',
				'maxLength' => 300,
			),
		);
		$this->route(
			'/destinations/(?P<id>d[0-9a-f]{12})/test',
			array( array( 'POST', array( $this, 'test_destination' ), $args ) )
		);
		$this->route(
			'/destinations/(?P<id>d[0-9a-f]{12})/cors',
			array( array( 'POST', array( $this, 'fix_cors' ), $args ) )
		);
	}

	/**
	 * POST /destinations/{id}/test: endpoint, credentials, write, CORS.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function test_destination( \WP_REST_Request $request ) {
		$check = $this->checker( $request );
		return is_wp_error( $check ) ? $check : new \WP_REST_Response( $check->run() );
	}

	/**
	 * POST /destinations/{id}/cors: adds Strongbox's rule for the origin, keeping the others.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function fix_cors( \WP_REST_Request $request ) {
		$check = $this->checker( $request );
		return is_wp_error( $check ) ? $check : new \WP_REST_Response( $check->fix_cors() );
	}

	/**
	 * The check of the requested destination and origin.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return Destination_Check|\WP_Error
	 */
	private function checker( \WP_REST_Request $request ) {
		$d = Destinations::get( $request['id'] );
		if ( is_wp_error( $d ) ) {
			return $d;
		}
		$origin = Destination_Check::origin( $request['origin'] );
		if ( is_wp_error( $origin ) ) {
			return $origin;
		}
		return new Destination_Check( $d, $origin );
	}
}
