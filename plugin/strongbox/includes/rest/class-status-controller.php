<?php
/**
 * GET /status (recovery point, destinations, incidents, runners), GET/PUT /settings, and the
 * simulated clock of test sites (PUT /test/clock).
 *
 * @package Strongbox
 */

namespace Strongbox\Rest;

use Strongbox\Alerts\Incidents;
use Strongbox\Alerts\Rpo;
use Strongbox\Clock;
use Strongbox\Jobs\Repository;
use Strongbox\Jobs\Runners;
use Strongbox\Schedules\Dispatcher;
use Strongbox\Settings;
use Strongbox\Storage\Destinations;

defined( 'ABSPATH' ) || exit;

/**
 * Status, settings, test clock.
 */
class Status_Controller extends Controller {

	/**
	 * Routes.
	 */
	public function register_routes() {
		$this->route( '/status', array( array( 'GET', array( $this, 'status' ) ) ) );
		$this->route(
			'/settings',
			array(
				array( 'GET', array( $this, 'get_settings' ) ),
				array(
					'PUT',
					array( $this, 'put_settings' ),
					array(
						'rpo_hours'             => array( 'type' => 'integer', 'minimum' => 0, 'maximum' => 8760 ),
						'notify_email'          => array( 'type' => 'string', 'maxLength' => 200 ),
						'alerts_enabled'        => array( 'type' => 'boolean' ),
						'backup_before_updates' => array( 'type' => 'boolean' ),
					),
				),
			)
		);
		if ( Clock::test_mode() ) {
			$this->route(
				'/test/clock',
				array(
					array(
						'PUT',
						array( $this, 'set_clock' ),
						array(
							'now'     => array( 'type' => 'integer', 'minimum' => 0 ),
							'advance' => array( 'type' => 'integer' ),
						),
					),
				)
			);
		}
	}

	/**
	 * GET /status. Also evaluates the time-dependent alerts (so a visit to the admin page is a tick).
	 *
	 * @return \WP_REST_Response
	 */
	public function status() {
		global $wpdb;
		$now = Clock::now();
		Dispatcher::run( $now );
		$t        = Repository::table();
		$settings = Settings::get();
		$dests    = Destinations::all();
		$latest   = Incidents::latest_good_backup();
		$good     = null;
		if ( $latest ) {
			$result = json_decode( (string) $latest['result'], true );
			$good   = array(
				'job_id'         => (int) $latest['id'],
				'snapshot_id'    => is_array( $result ) && isset( $result['snapshot_id'] ) ? (string) $result['snapshot_id'] : null,
				'finished_at'    => Clock::mysql_to_iso( $latest['finished_at'] ),
				'destination_id' => $latest['destination_id'],
			);
		}
		$destinations = array();
		foreach ( $dests as $d ) {
			$ok  = $wpdb->get_var( $wpdb->prepare( "SELECT MAX(finished_at) FROM $t WHERE destination_id = %s AND type = 'backup' AND state = 'succeeded'", $d['id'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL
			$err = $wpdb->get_row( $wpdb->prepare( "SELECT id, finished_at, error_code, error_message FROM $t WHERE destination_id = %s AND state = 'failed' ORDER BY finished_at DESC, id DESC LIMIT 1", $d['id'] ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL
			if ( $err && $ok && Clock::from_mysql( $ok ) >= Clock::from_mysql( $err['finished_at'] ) ) {
				$err = null; // A later success cleared it.
			}
			$destinations[] = array(
				'id'           => $d['id'],
				'name'         => $d['name'],
				'offsite'      => self::offsite( $d ),
				'last_success' => Clock::mysql_to_iso( $ok ),
				'last_error'   => $err ? array(
					'job_id'  => (int) $err['id'],
					'at'      => Clock::mysql_to_iso( $err['finished_at'] ),
					'code'    => $err['error_code'],
					'message' => $err['error_message'],
				) : null,
			);
		}
		$drill = $wpdb->get_var( "SELECT id FROM $t WHERE type = 'drill' AND state IN ('succeeded','failed') ORDER BY finished_at DESC, id DESC LIMIT 1" ); // phpcs:ignore WordPress.DB.PreparedSQL
		$next  = Dispatcher::next_run( $now );
		if ( $next ) {
			$next['at'] = Clock::iso( $next['at'] );
		}
		$incidents = array();
		foreach ( Incidents::open_incidents() as $i ) {
			$incidents[] = array(
				'key'       => $i['key'],
				'kind'      => $i['kind'],
				'opened_at' => Clock::iso( $i['opened_at'] ),
				'message'   => $i['message'],
			);
		}
		$runners = array();
		foreach ( Runners::all() as $r ) {
			$runners[] = array(
				'id'        => $r['id'],
				'kind'      => $r['kind'],
				'version'   => $r['version'],
				'last_seen' => Clock::iso( $r['last_seen'] ),
			);
		}
		$response = new \WP_REST_Response(
			array(
				'now'                => Clock::iso( $now ),
				'rpo_hours'          => $settings['rpo_hours'],
				'rpo_state'          => Rpo::state( $latest ? Clock::from_mysql( $latest['finished_at'] ) : null, $settings['rpo_hours'], $now, (bool) $dests ),
				'latest_good_backup' => $good,
				'next_run'           => $next,
				'destinations'       => $destinations,
				'last_drill'         => $drill ? Repository::get( $drill ) : null,
				'incidents'          => $incidents,
				'runners'            => $runners,
			)
		);
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}

	/**
	 * Whether a destination is away from this server: its endpoint is neither this site's
	 * host nor a loopback or private address.
	 *
	 * @param array $d Destination.
	 * @return bool
	 */
	private static function offsite( array $d ) {
		$host = strtolower( (string) wp_parse_url( $d['endpoint'], PHP_URL_HOST ) );
		$site = strtolower( (string) wp_parse_url( home_url(), PHP_URL_HOST ) );
		if ( '' === $host || $host === $site || 'localhost' === $host || '[::1]' === $host ) {
			return false;
		}
		if ( filter_var( $host, FILTER_VALIDATE_IP ) ) {
			return (bool) filter_var( $host, FILTER_VALIDATE_IP, FILTER_FLAG_NO_PRIV_RANGE | FILTER_FLAG_NO_RES_RANGE );
		}
		return true;
	}

	/**
	 * GET /settings.
	 *
	 * @return \WP_REST_Response
	 */
	public function get_settings() {
		return new \WP_REST_Response( Settings::get() );
	}

	/**
	 * PUT /settings.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function put_settings( \WP_REST_Request $request ) {
		$input = array();
		foreach ( array( 'rpo_hours', 'notify_email', 'alerts_enabled', 'backup_before_updates' ) as $f ) {
			if ( null !== $request[ $f ] ) {
				$input[ $f ] = $request[ $f ];
			}
		}
		$s = Settings::update( $input );
		return is_wp_error( $s ) ? $s : new \WP_REST_Response( $s );
	}

	/**
	 * PUT /test/clock (test sites only): `now` sets the simulated time, `advance` moves it.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function set_clock( \WP_REST_Request $request ) {
		if ( null !== $request['now'] ) {
			$now = (int) $request['now'];
		} elseif ( null !== $request['advance'] ) {
			$now = Clock::now() + (int) $request['advance'];
		} else {
			return self::error( 'strongbox_clock_invalid', __( 'Send "now" (UNIX seconds) or "advance" (seconds).', 'strongbox' ), 400 );
		}
		Clock::set( $now );
		return new \WP_REST_Response(
			array(
				'now'      => Clock::iso( $now ),
				'now_unix' => $now,
			)
		);
	}
}
