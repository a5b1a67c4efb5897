<?php
/**
 * Schedules routes.
 *
 * @package Strongbox
 */

namespace Strongbox\Rest;

use Strongbox\Clock;
use Strongbox\Schedules\Dispatcher;
use Strongbox\Schedules\Store;

defined( 'ABSPATH' ) || exit;

/**
 * CRUD of schedules; each answer carries next_run and last_run.
 */
class Schedules_Controller extends Controller {

	/**
	 * Routes.
	 */
	public function register_routes() {
		$fields = array(
			'name'            => array( 'type' => 'string', 'maxLength' => 200 ),
			'enabled'         => array( 'type' => 'boolean' ),
			'type'            => array( 'type' => 'string', 'enum' => Store::TYPES ),
			'parts'           => array(
				'type'        => 'array',
				'items'       => array( 'type' => 'string', 'enum' => Store::PARTS ),
				'minItems'    => 1,
				'uniqueItems' => true,
			),
			'every'           => array( 'type' => 'string', 'enum' => Store::EVERY ),
			'interval'        => array( 'type' => 'integer', 'minimum' => 1, 'maximum' => 168 ),
			'at'              => array( 'type' => 'string', 'pattern' => '^([01][0-9]|2[0-3]):[0-5][0-9]$' ),
			'weekday'         => array( 'type' => 'integer', 'minimum' => 0, 'maximum' => 6 ),
			'destination_ids' => array(
				'type'     => 'array',
				'items'    => array( 'type' => 'string', 'pattern' => '^d[0-9a-f]{12}$' ),
				'minItems' => 1,
				'maxItems' => 20,
			),
			'check_subset'    => array( 'type' => 'string', 'enum' => Store::SUBSET ),
		);
		$create                      = $fields;
		$create['every']['required'] = true;
		$create['destination_ids']['required'] = true;
		$this->route(
			'/schedules',
			array(
				array( 'GET', array( $this, 'list_schedules' ) ),
				array( 'POST', array( $this, 'create_schedule' ), $create ),
			)
		);
		$this->route(
			'/schedules/(?P<id>s[0-9a-f]{12})',
			array(
				array( 'GET', array( $this, 'get_schedule' ) ),
				array( 'POST, PUT, PATCH', array( $this, 'update_schedule' ), $fields ),
				array( 'DELETE', array( $this, 'delete_schedule' ) ),
			)
		);
	}

	/**
	 * GET /schedules.
	 *
	 * @return \WP_REST_Response
	 */
	public function list_schedules() {
		$now = Clock::now();
		$out = array();
		foreach ( Store::all() as $s ) {
			$out[] = Dispatcher::view( $s, $now );
		}
		return new \WP_REST_Response( $out );
	}

	/**
	 * POST /schedules.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function create_schedule( \WP_REST_Request $request ) {
		$s = Store::save( $this->fields( $request ) );
		return is_wp_error( $s ) ? $s : new \WP_REST_Response( Dispatcher::view( $s, Clock::now() ), 201 );
	}

	/**
	 * GET /schedules/{id}.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function get_schedule( \WP_REST_Request $request ) {
		$s = Store::get( $request['id'] );
		return is_wp_error( $s ) ? $s : new \WP_REST_Response( Dispatcher::view( $s, Clock::now() ) );
	}

	/**
	 * PATCH /schedules/{id}.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function update_schedule( \WP_REST_Request $request ) {
		$s = Store::save( $this->fields( $request ), $request['id'] );
		return is_wp_error( $s ) ? $s : new \WP_REST_Response( Dispatcher::view( $s, Clock::now() ) );
	}

	/**
	 * DELETE /schedules/{id}.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function delete_schedule( \WP_REST_Request $request ) {
		if ( ! Store::delete( $request['id'] ) ) {
			return self::error( 'strongbox_schedule_not_found', __( 'No such schedule.', 'strongbox' ), 404 );
		}
		return new \WP_REST_Response( array( 'deleted' => true ) );
	}

	/**
	 * The schedule fields present in the request.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return array
	 */
	private function fields( \WP_REST_Request $request ) {
		$out = array();
		foreach ( array( 'name', 'enabled', 'type', 'parts', 'every', 'interval', 'at', 'weekday', 'destination_ids', 'check_subset' ) as $f ) {
			if ( null !== $request[ $f ] ) {
				$out[ $f ] = $request[ $f ];
			}
		}
		return $out;
	}
}
