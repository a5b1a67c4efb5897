<?php
/**
 * POST /destinations/{id}/presign: short-lived URLs for the browser, in batches.
 * LIST requests may carry the `continuation` token of the previous page.
 *
 * @package Strongbox
 */

namespace Strongbox\Rest;

use Strongbox\Clock;
use Strongbox\Jobs\Leases;
use Strongbox\Jobs\Repository;
use Strongbox\Storage\Destinations;
use Strongbox\Storage\Key_Policy;
use Strongbox\Storage\Presigner;

defined( 'ABSPATH' ) || exit;

/**
 * Presigning, restricted to keys under the destination's prefix and to the
 * operations of the job the URLs are for.
 */
class Presign_Controller extends Controller {

	/** Most URLs per request. */
	const MAX_BATCH = 1000;

	/** Longest validity (seconds). */
	const MAX_EXPIRES = 3600;

	/** Longest ListObjectsV2 continuation token accepted. */
	const MAX_CONTINUATION = 4096;

	/**
	 * Routes.
	 */
	public function register_routes() {
		$this->route(
			'/destinations/(?P<id>d[0-9a-f]{12})/presign',
			array(
				array(
					'POST',
					array( $this, 'presign' ),
					array(
						'job_id'   => array( 'type' => 'integer', 'required' => true, 'minimum' => 1 ),
						'lease'    => array( 'type' => 'string', 'pattern' => '^[0-9a-f]{48}$' ),
						'expires'  => array( 'type' => 'integer', 'default' => 900, 'minimum' => 1, 'maximum' => self::MAX_EXPIRES ),
						'requests' => array(
							'type'     => 'array',
							'required' => true,
							'minItems' => 1,
							'maxItems' => self::MAX_BATCH,
							'items'    => array(
								'type'       => 'object',
								'properties' => array(
									'method'       => array( 'type' => 'string', 'enum' => array( 'GET', 'HEAD', 'PUT', 'DELETE', 'LIST' ) ),
									'key'          => array( 'type' => 'string', 'maxLength' => 1024 ),
									'continuation' => array( 'type' => 'string', 'maxLength' => self::MAX_CONTINUATION ),
								),
								'required'   => array( 'method', 'key' ),
							),
						),
					),
				),
			)
		);
	}

	/**
	 * Presigns a batch.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function presign( \WP_REST_Request $request ) {
		$d = Destinations::get( $request['id'] );
		if ( is_wp_error( $d ) ) {
			return $d;
		}
		$job = Repository::get( $request['job_id'] );
		if ( is_wp_error( $job ) ) {
			return $job;
		}
		if ( ! in_array( $job['state'], array( 'queued', 'running' ), true ) ) {
			return self::error( 'strongbox_job_not_active', __( 'URLs are only presigned for a queued or running job.', 'strongbox' ), 409 );
		}
		// A job for runners (scheduled, before an update) is presigned only for the runner holding its lease.
		if ( ( null !== $job['lease'] || in_array( $job['trigger'], Leases::CLAIMABLE_TRIGGERS, true ) ) && ! Leases::holds( $job, Jobs_Controller::lease_token( $request ), Clock::now() ) ) {
			return self::error( 'strongbox_lease_required', __( 'This job is run by a runner: URLs are presigned only with the lease token of the runner that claimed it.', 'strongbox' ), 403 );
		}
		if ( ! empty( $job['destination_id'] ) && $job['destination_id'] !== $request['id'] ) {
			return self::error( 'strongbox_job_destination_mismatch', __( 'This job was started for another destination; start a job for this destination instead.', 'strongbox' ), 403 );
		}
		$prefix = (string) $d['prefix'];
		foreach ( $request['requests'] as $i => $r ) {
			$method = $r['method'];
			if ( ! Key_Policy::allows( $job['type'], $method, $r['key'], $prefix ) ) {
				/* translators: 1: HTTP method, 2: job type */
				return self::error( 'strongbox_operation_denied', sprintf( __( 'A %2$s job may not %1$s objects (outside the locks/ directory).', 'strongbox' ), $method, $job['type'] ), 403, array( 'index' => $i ) );
			}
			$key = 'LIST' === $method ? rtrim( $r['key'], '/' ) : $r['key'];
			$ok  = 'LIST' === $method && '' === $key && '' === $prefix ? true : ( Key_Policy::under_prefix( $key, $prefix ) || ( 'LIST' === $method && $key === $prefix ) );
			if ( ! $ok ) {
				return self::error( 'strongbox_key_outside_prefix', __( 'Keys must be well formed and lie under the destination\'s prefix.', 'strongbox' ), 403, array( 'index' => $i ) );
			}
			if ( isset( $r['continuation'] ) && ( 'LIST' !== $method || '' === $r['continuation'] || preg_match( '/[\x00-\x1f\x7f]/', $r['continuation'] ) ) ) {
				return self::error( 'strongbox_continuation_invalid', __( 'A continuation token belongs to a LIST request only, and must be the non-empty token of the previous page\'s listing.', 'strongbox' ), 400, array( 'index' => $i ) );
			}
		}
		$signer  = new Presigner( $d['endpoint'], $d['region'], $d['bucket'], $d['access_key_id'], $d['secret_access_key'], $d['path_style'] );
		$now     = time();
		$expires = (int) $request['expires'];
		$out     = array();
		foreach ( $request['requests'] as $r ) {
			if ( 'LIST' === $r['method'] ) {
				// A listing of the prefix itself is signed as "prefix/", so "prefix2/..." stays out.
				$list  = rtrim( $r['key'], '/' ) === $prefix ? ( '' === $prefix ? '' : $prefix . '/' ) : $r['key'];
				$query = array(
					'list-type' => '2',
					'prefix'    => $list,
				);
				if ( isset( $r['continuation'] ) ) {
					$query['continuation-token'] = $r['continuation'];
				}
				$url = $signer->presign( 'GET', '', $expires, $now, $query );
			} else {
				$url = $signer->presign( $r['method'], $r['key'], $expires, $now );
			}
			$out[] = array(
				'method' => 'LIST' === $r['method'] ? 'GET' : $r['method'],
				'key'    => $r['key'],
				'url'    => $url,
			);
		}
		return new \WP_REST_Response(
			array(
				'expires_at' => gmdate( 'c', $now + $expires ),
				'urls'       => $out,
			)
		);
	}
}
