<?php
/**
 * Jobs routes, and the passphrase handed to a running job of its own administrator.
 *
 * @package Strongbox
 */

namespace Strongbox\Rest;

use Strongbox\Clock;
use Strongbox\Jobs\Leases;
use Strongbox\Jobs\Repository;
use Strongbox\Storage\Destinations;

defined( 'ABSPATH' ) || exit;

/**
 * Jobs: list, create, read, update, prune; passphrase.
 */
class Jobs_Controller extends Controller {

	/** Option holding the repository passphrase (never autoloaded, never listed). */
	const PASSPHRASE_OPTION = 'strongbox_passphrase';

	/**
	 * Routes.
	 */
	public function register_routes() {
		$this->route(
			'/jobs',
			array(
				array(
					'GET',
					array( $this, 'list_jobs' ),
					array(
						'page'     => array( 'type' => 'integer', 'default' => 1, 'minimum' => 1 ),
						'per_page' => array( 'type' => 'integer', 'default' => 20, 'minimum' => 1, 'maximum' => 100 ),
						'state'       => array( 'type' => 'string', 'enum' => Repository::STATES ),
						'schedule_id' => array( 'type' => 'string', 'pattern' => '^s[0-9a-f]{12}$' ),
						'trigger'     => array( 'type' => 'string', 'enum' => Repository::TRIGGERS ),
					),
				),
				array(
					'POST',
					array( $this, 'create_job' ),
					array(
						'type'           => array( 'type' => 'string', 'required' => true, 'enum' => Repository::TYPES ),
						'trigger'        => array( 'type' => 'string', 'default' => 'manual', 'enum' => Repository::TRIGGERS ),
						'destination_id' => array( 'type' => 'string', 'pattern' => '^d[0-9a-f]{12}$' ),
					),
				),
			)
		);
		$this->route(
			'/jobs/(?P<id>[0-9]+)',
			array(
				array( 'GET', array( $this, 'get_job' ) ),
				array(
					'POST, PUT, PATCH',
					array( $this, 'update_job' ),
					array(
						'state'         => array( 'type' => 'string', 'enum' => Repository::STATES ),
						'bytes_done'    => array( 'type' => 'integer', 'minimum' => 0 ),
						'bytes_total'   => array( 'type' => 'integer', 'minimum' => 0 ),
						'error_code'    => array( 'type' => 'string', 'maxLength' => 100 ),
						'error_message' => array( 'type' => 'string', 'maxLength' => 2000 ),
						'log'           => array( 'type' => 'array', 'items' => array( 'type' => 'string', 'maxLength' => 1000 ), 'maxItems' => 100 ),
					),
				),
			)
		);
		$this->route(
			'/jobs/(?P<id>[0-9]+)/passphrase',
			array( array( 'GET', array( $this, 'get_passphrase' ), array( 'lease' => array( 'type' => 'string', 'pattern' => '^[0-9a-f]{48}$' ) ) ) )
		);
		$this->route(
			'/jobs/prune',
			array( array( 'POST', array( $this, 'prune' ), array( 'days' => array( 'type' => 'integer', 'default' => 90, 'minimum' => 1, 'maximum' => 36500 ) ) ) )
		);
		$this->route(
			'/settings/passphrase',
			array(
				array(
					'PUT',
					array( $this, 'set_passphrase' ),
					array( 'passphrase' => array( 'type' => 'string', 'required' => true, 'minLength' => 12, 'maxLength' => 1024 ) ),
				),
				array( 'GET', array( $this, 'passphrase_status' ) ),
			)
		);
	}

	/**
	 * GET /jobs.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response
	 */
	public function list_jobs( \WP_REST_Request $request ) {
		$filters = array();
		foreach ( array( 'schedule_id', 'trigger' ) as $f ) {
			if ( null !== $request[ $f ] ) {
				$filters[ $f ] = $request[ $f ];
			}
		}
		return new \WP_REST_Response( Repository::find( (int) $request['page'], (int) $request['per_page'], $request['state'], $filters ) );
	}

	/**
	 * POST /jobs. A job may name the destination it works on (`destination_id`);
	 * presigning then refuses URLs for any other destination.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function create_job( \WP_REST_Request $request ) {
		$destination = $request['destination_id'];
		if ( null !== $destination ) {
			$d = Destinations::get( $destination );
			if ( is_wp_error( $d ) ) {
				return $d;
			}
		}
		$job = Repository::create( $request['type'], $request['trigger'], get_current_user_id(), $destination );
		return is_wp_error( $job ) ? $job : new \WP_REST_Response( $job, 201 );
	}

	/**
	 * GET /jobs/{id}.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function get_job( \WP_REST_Request $request ) {
		$job = Repository::get( $request['id'] );
		return is_wp_error( $job ) ? $job : new \WP_REST_Response( $job );
	}

	/**
	 * PATCH /jobs/{id}.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function update_job( \WP_REST_Request $request ) {
		$fields = array();
		foreach ( array( 'state', 'bytes_done', 'bytes_total', 'error_code', 'error_message', 'log' ) as $f ) {
			if ( null !== $request[ $f ] ) {
				$fields[ $f ] = $request[ $f ];
			}
		}
		$job = Repository::update( (int) $request['id'], $fields );
		return is_wp_error( $job ) ? $job : new \WP_REST_Response( $job );
	}

	/**
	 * POST /jobs/prune.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response
	 */
	public function prune( \WP_REST_Request $request ) {
		return new \WP_REST_Response( array( 'deleted' => Repository::prune( (int) $request['days'] ) ) );
	}

	/**
	 * GET /jobs/{id}/passphrase: only to the administrator who runs the job, while it runs;
	 * for a job claimed by a runner, only with its live lease (`X-Strongbox-Lease` or `lease`).
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function get_passphrase( \WP_REST_Request $request ) {
		$job = Repository::get( $request['id'] );
		if ( is_wp_error( $job ) ) {
			return $job;
		}
		$leased = null !== $job['lease'] || in_array( $job['trigger'], Leases::CLAIMABLE_TRIGGERS, true );
		if ( $leased && ! Leases::holds( $job, self::lease_token( $request ), Clock::now() ) ) {
			return self::error( 'strongbox_passphrase_denied', __( 'The passphrase of a job run by a runner is only handed to the runner that holds its lease.', 'strongbox' ), 403 );
		}
		if ( 'running' !== $job['state'] || get_current_user_id() !== $job['user_id'] ) {
			return self::error( 'strongbox_passphrase_denied', __( 'The passphrase is only handed to a running job, and only to the administrator who started it.', 'strongbox' ), 403 );
		}
		$passphrase = \Strongbox\Secrets::get_option( self::PASSPHRASE_OPTION, 'passphrase', __( 'the repository passphrase', 'strongbox' ) );
		if ( is_wp_error( $passphrase ) ) {
			return $passphrase;
		}
		if ( '' === $passphrase ) {
			return self::error( 'strongbox_passphrase_missing', __( 'No encryption passphrase has been set.', 'strongbox' ), 404 );
		}
		$response = new \WP_REST_Response( array( 'passphrase' => $passphrase ) );
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}

	/**
	 * The lease token of a request: header X-Strongbox-Lease, or the `lease` parameter.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return string
	 */
	public static function lease_token( \WP_REST_Request $request ) {
		$h = $request->get_header( 'x_strongbox_lease' );
		if ( is_string( $h ) && '' !== $h ) {
			return $h;
		}
		return is_string( $request['lease'] ) ? $request['lease'] : '';
	}

	/**
	 * PUT /settings/passphrase (write-only).
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response
	 */
	public function set_passphrase( \WP_REST_Request $request ) {
		\Strongbox\Secrets::set_option( self::PASSPHRASE_OPTION, (string) $request['passphrase'], 'passphrase' );
		return new \WP_REST_Response(
			array(
				'has_passphrase'   => true,
				'passphrase_error' => null,
			)
		);
	}

	/**
	 * GET /settings/passphrase: whether one is set, never the value.
	 *
	 * @return \WP_REST_Response
	 */
	public function passphrase_status() {
		$plain = \Strongbox\Secrets::get_option( self::PASSPHRASE_OPTION, 'passphrase', __( 'the repository passphrase', 'strongbox' ) );
		return new \WP_REST_Response(
			array(
				'has_passphrase'   => is_wp_error( $plain ) || '' !== $plain,
				'passphrase_error' => is_wp_error( $plain ) ? $plain->get_error_code() : null, // strongbox_secret_key_changed: set it again.
			)
		);
	}
}
