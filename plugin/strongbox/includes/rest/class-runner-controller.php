<?php
/**
 * What runners (the native agent, an admin tab's worker) call: claim, heartbeat, finish.
 *
 * @package Strongbox
 */

namespace Strongbox\Rest;

use Strongbox\Clock;
use Strongbox\Jobs\Leases;
use Strongbox\Jobs\Repository;
use Strongbox\Jobs\Runners;
use Strongbox\Schedules\Dispatcher;

defined( 'ABSPATH' ) || exit;

/**
 * Runner routes.
 */
class Runner_Controller extends Controller {

	/**
	 * Routes.
	 */
	public function register_routes() {
		$lease = array(
			'type'      => 'string',
			'required'  => true,
			'pattern'   => '^[0-9a-f]{48}$',
		);
		$this->route(
			'/runner/claim',
			array(
				array(
					'POST',
					array( $this, 'claim' ),
					array(
						'runner' => array(
							'type'                 => 'object',
							'required'             => true,
							'properties'           => array(
								'id'      => array( 'type' => 'string', 'required' => true, 'minLength' => 1, 'maxLength' => 100, 'pattern' => '^[^\x00-\x1f\x7f]+$' ),
								'kind'    => array( 'type' => 'string', 'required' => true, 'enum' => Runners::KINDS ),
								'version' => array( 'type' => 'string', 'maxLength' => 40 ),
							),
							'additionalProperties' => false,
						),
						'types'  => array(
							'type'     => 'array',
							'items'    => array( 'type' => 'string', 'enum' => Repository::TYPES ),
							'default'  => array( 'backup', 'check', 'prune', 'drill' ),
							'minItems' => 1,
						),
					),
				),
			)
		);
		$this->route(
			'/jobs/(?P<id>[0-9]+)/heartbeat',
			array(
				array(
					'POST',
					array( $this, 'heartbeat' ),
					array(
						'lease'       => $lease,
						'phase'       => array( 'type' => 'string', 'maxLength' => 100 ),
						'bytes_done'  => array( 'type' => 'integer', 'minimum' => 0 ),
						'bytes_total' => array( 'type' => 'integer', 'minimum' => 0 ),
						'message'     => array( 'type' => 'string', 'maxLength' => 1000 ),
					),
				),
			)
		);
		$this->route(
			'/jobs/(?P<id>[0-9]+)/finish',
			array(
				array(
					'POST',
					array( $this, 'finish' ),
					array(
						'lease'         => $lease,
						'state'         => array( 'type' => 'string', 'required' => true, 'enum' => array( 'succeeded', 'failed', 'cancelled' ) ),
						'error_code'    => array( 'type' => 'string', 'maxLength' => 100 ),
						'error_message' => array( 'type' => 'string', 'maxLength' => 2000 ),
						'result'        => array( 'type' => 'object' ),
					),
				),
			)
		);
	}

	/**
	 * POST /runner/claim: runs the planner, then gives the oldest due job to this runner.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response
	 */
	public function claim( \WP_REST_Request $request ) {
		$now    = Clock::now();
		$runner = $request['runner'];
		$runner = array(
			'id'      => sanitize_text_field( $runner['id'] ),
			'kind'    => $runner['kind'],
			'version' => isset( $runner['version'] ) ? sanitize_text_field( $runner['version'] ) : '',
		);
		Dispatcher::run( $now );
		Runners::seen( $runner, $now );
		$claim = Leases::claim( $runner, (array) $request['types'], $now, get_current_user_id() );
		if ( null === $claim['job'] ) {
			$next = Dispatcher::next_run( $now );
			$out  = array(
				'job'      => null,
				'now'      => Clock::iso( $now ),
				'next_due' => $next ? Clock::iso( $next['at'] ) : null,
			);
			if ( ! empty( $claim['busy'] ) ) {
				$out['busy'] = true;
			}
			return self::no_store( $out );
		}
		$job = $claim['job'];
		$ttl = Leases::ttl();
		return self::no_store(
			array(
				'job'   => array(
					'id'             => $job['id'],
					'type'           => $job['type'],
					'trigger'        => $job['trigger'],
					'destination_id' => $job['destination_id'],
					'schedule_id'    => $job['schedule_id'],
					'due_at'         => $job['due_at'],
					'attempts'       => $job['attempts'],
					'params'         => (object) Leases::runner_params( $job ),
				),
				'lease' => array(
					'token'           => $claim['token'],
					'expires_at'      => Clock::iso( $now + $ttl ),
					'ttl'             => $ttl,
					'heartbeat_every' => min( Leases::HEARTBEAT_EVERY, intdiv( $ttl, 3 ) ),
				),
				'now'   => Clock::iso( $now ),
			)
		);
	}

	/**
	 * POST /jobs/{id}/heartbeat.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function heartbeat( \WP_REST_Request $request ) {
		$fields = array();
		foreach ( array( 'phase', 'bytes_done', 'bytes_total', 'message' ) as $f ) {
			if ( null !== $request[ $f ] ) {
				$fields[ $f ] = $request[ $f ];
			}
		}
		$r = Leases::heartbeat( (int) $request['id'], (string) $request['lease'], $fields, Clock::now() );
		return is_wp_error( $r ) ? $r : self::no_store( $r );
	}

	/**
	 * POST /jobs/{id}/finish.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function finish( \WP_REST_Request $request ) {
		$fields = array( 'state' => $request['state'] );
		foreach ( array( 'error_code', 'error_message', 'result' ) as $f ) {
			if ( null !== $request[ $f ] ) {
				$fields[ $f ] = $request[ $f ];
			}
		}
		if ( isset( $fields['result'] ) && strlen( (string) wp_json_encode( $fields['result'] ) ) > 65536 ) {
			return self::error( 'strongbox_result_too_large', __( 'A job result may be at most 64 KiB of JSON.', 'strongbox' ), 413 );
		}
		$job = Leases::finish( (int) $request['id'], (string) $request['lease'], $fields, Clock::now() );
		return is_wp_error( $job ) ? $job : self::no_store( $job );
	}

	/**
	 * A response that no cache keeps.
	 *
	 * @param mixed $data Data.
	 * @return \WP_REST_Response
	 */
	private static function no_store( $data ) {
		$r = new \WP_REST_Response( $data );
		$r->header( 'Cache-Control', 'no-store' );
		return $r;
	}
}
