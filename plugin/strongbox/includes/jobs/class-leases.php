<?php
/**
 * Runner leases on jobs: claim, heartbeat, finish, and what happens to jobs whose runner vanished.
 *
 * @package Strongbox
 */

namespace Strongbox\Jobs;

use Strongbox\Clock;
use Strongbox\Db_Lock;
use Strongbox\Schedules\Planner;
use Strongbox\Schedules\Store;
use Strongbox\Storage\Destinations;

defined( 'ABSPATH' ) || exit;

/**
 * A job claimed by a runner is held under a lease (a random token) that the runner renews
 * with heartbeats; a lease not renewed for `ttl` seconds expires and the job goes back to
 * the queue for the next claim (after MAX_ATTEMPTS claims it fails with strongbox_runner_lost).
 */
final class Leases {

	/** Lease length and how often runners renew it (seconds); filter `strongbox_lease_ttl`. */
	const TTL             = 120;
	const HEARTBEAT_EVERY = 30;

	/** Claims of one job before it fails with strongbox_runner_lost. */
	const MAX_ATTEMPTS = 3;

	/** A job running without a lease and without any update for this long has lost its runner. */
	const STALE_SECONDS = 1800;

	/** Triggers whose jobs wait for a runner; manual and api jobs are run by whoever created them. */
	const CLAIMABLE_TRIGGERS = array( 'schedule', 'before-update' );

	/**
	 * Lease length.
	 *
	 * @return int
	 */
	public static function ttl() {
		return max( 10, (int) apply_filters( 'strongbox_lease_ttl', self::TTL ) );
	}

	/**
	 * Expired leases: back to the queue, or failed after MAX_ATTEMPTS; stale unleased jobs fail.
	 *
	 * @param int $now Now.
	 * @return int Jobs changed.
	 */
	public static function sweep( $now ) {
		global $wpdb;
		$t       = Repository::table();
		$now_sql = Clock::mysql( $now );
		$changed = 0;
		$ids     = $wpdb->get_col( $wpdb->prepare( "SELECT id FROM $t WHERE state = 'running' AND lease_token IS NOT NULL AND lease_expires < %s", $now_sql ) ); // phpcs:ignore WordPress.DB.PreparedSQL
		foreach ( $ids as $id ) {
			$job = Repository::get( $id );
			if ( is_wp_error( $job ) ) {
				continue;
			}
			if ( $job['attempts'] >= self::MAX_ATTEMPTS ) {
				$n = $wpdb->query( $wpdb->prepare( "UPDATE $t SET state = 'failed', finished_at = %s, updated_at = %s, error_code = 'strongbox_runner_lost', error_message = %s WHERE id = %d AND state = 'running' AND lease_expires < %s", $now_sql, $now_sql, __( 'The runner stopped reporting and the job was given up after three attempts.', 'strongbox' ), $id, $now_sql ) ); // phpcs:ignore WordPress.DB.PreparedSQL
				if ( $n ) {
					do_action( 'strongbox_job_finished', Repository::get( $id ) );
				}
			} else {
				$n = $wpdb->query( $wpdb->prepare( "UPDATE $t SET state = 'queued', lease_token = NULL, lease_expires = NULL, phase = NULL, updated_at = %s WHERE id = %d AND state = 'running' AND lease_expires < %s", $now_sql, $id, $now_sql ) ); // phpcs:ignore WordPress.DB.PreparedSQL
			}
			$changed += (int) $n;
		}
		$stale = $wpdb->get_col( $wpdb->prepare( "SELECT id FROM $t WHERE state = 'running' AND lease_token IS NULL AND updated_at < %s", Clock::mysql( $now - self::STALE_SECONDS ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL
		foreach ( $stale as $id ) {
			$n = $wpdb->query( $wpdb->prepare( "UPDATE $t SET state = 'failed', finished_at = %s, updated_at = %s, error_code = 'strongbox_job_stale', error_message = %s WHERE id = %d AND state = 'running' AND lease_token IS NULL AND updated_at < %s", $now_sql, $now_sql, __( 'The job reported nothing for 30 minutes: its browser tab or program was probably closed. Start it again.', 'strongbox' ), $id, Clock::mysql( $now - self::STALE_SECONDS ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL
			if ( $n ) {
				do_action( 'strongbox_job_finished', Repository::get( $id ) );
			}
			$changed += (int) $n;
		}
		return $changed;
	}

	/**
	 * Gives the oldest due job of the given types to a runner, or null. At most
	 * `strongbox_runner_concurrency` (default 1) jobs run under leases at once.
	 *
	 * @param array $runner  id, kind, version.
	 * @param array $types   Job types the runner can do.
	 * @param int   $now     Now.
	 * @param int   $user_id The claiming user (the job is then theirs: presign, passphrase).
	 * @return array{job: array|null, token?: string, busy?: bool}
	 */
	public static function claim( array $runner, array $types, $now, $user_id ) {
		global $wpdb;
		$types = array_values( array_intersect( Repository::TYPES, $types ) );
		if ( ! $types ) {
			return array( 'job' => null );
		}
		return Db_Lock::with(
			'claim',
			10,
			static function () use ( $runner, $types, $now, $user_id, $wpdb ) {
				$t       = Repository::table();
				$now_sql = Clock::mysql( $now );
				$ttl     = self::ttl();
				$limit   = max( 1, (int) apply_filters( 'strongbox_runner_concurrency', 1 ) );
				$held    = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM $t WHERE state = 'running' AND lease_token IS NOT NULL AND lease_expires >= %s", $now_sql ) ); // phpcs:ignore WordPress.DB.PreparedSQL
				if ( $held >= $limit ) {
					return array(
						'job'  => null,
						'busy' => true,
					);
				}
				$in_types    = implode( ',', array_map( array( $wpdb, 'prepare' ), array_fill( 0, count( $types ), '%s' ), $types ) );
				$in_triggers = "'" . implode( "','", self::CLAIMABLE_TRIGGERS ) . "'";
				$candidates  = $wpdb->get_col( $wpdb->prepare( "SELECT id FROM $t WHERE state = 'queued' AND job_trigger IN ($in_triggers) AND type IN ($in_types) AND (due_at IS NULL OR due_at <= %s) ORDER BY COALESCE(due_at, created_at), id LIMIT 5", $now_sql ) ); // phpcs:ignore WordPress.DB.PreparedSQL
				foreach ( $candidates as $id ) {
					$token = bin2hex( random_bytes( 24 ) );
					// The claim itself: one UPDATE, won by whoever changes the row.
					$won = $wpdb->query(
						$wpdb->prepare(
							"UPDATE $t SET state = 'running', lease_owner = %s, lease_token = %s, lease_expires = %s, heartbeat_at = %s, attempts = attempts + 1, user_id = %d, started_at = COALESCE(started_at, %s), updated_at = %s, phase = NULL WHERE id = %d AND (state = 'queued' OR (state = 'running' AND lease_token IS NOT NULL AND lease_expires < %s))", // phpcs:ignore WordPress.DB.PreparedSQL
							substr( $runner['kind'] . ':' . $runner['id'], 0, 191 ),
							$token,
							Clock::mysql( $now + $ttl ),
							$now_sql,
							(int) $user_id,
							$now_sql,
							$now_sql,
							$id,
							$now_sql
						)
					);
					if ( 1 !== (int) $won ) {
						continue;
					}
					$job = Repository::get( $id );
					self::note_lateness( $job, $now );
					Repository::append_log( $id, sprintf( 'claimed by %s %s (attempt %d)', $runner['kind'], $runner['id'], $job['attempts'] ), $now );
					return array(
						'job'   => Repository::get( $id ),
						'token' => $token,
					);
				}
				return array( 'job' => null );
			},
			array(
				'job'  => null,
				'busy' => true,
			)
		);
	}

	/**
	 * Records `result.late_seconds` when a scheduled run starts after its grace period.
	 *
	 * @param array $job Job just claimed.
	 * @param int   $now Now.
	 */
	private static function note_lateness( array $job, $now ) {
		if ( null === $job['due_at'] || 1 !== $job['attempts'] ) {
			return;
		}
		$due      = strtotime( $job['due_at'] );
		$schedule = $job['schedule_id'] ? Store::get( $job['schedule_id'] ) : null;
		$grace    = $schedule && ! is_wp_error( $schedule ) ? Planner::grace_seconds( $schedule ) : 10 * MINUTE_IN_SECONDS;
		if ( $now - $due > $grace ) {
			Repository::merge_result( $job['id'], array( 'late_seconds' => $now - $due ) );
		}
	}

	/**
	 * The job a lease token holds, or an error: 404 no job, 409 strongbox_lease_lost.
	 *
	 * @param int    $id    Job.
	 * @param string $token Lease token.
	 * @return array|\WP_Error
	 */
	public static function held( $id, $token ) {
		$job = Repository::get( $id );
		if ( is_wp_error( $job ) ) {
			return $job;
		}
		$row = Repository::lease_row( $id );
		if ( ! $row || empty( $row['lease_token'] ) || ! is_string( $token ) || ! hash_equals( $row['lease_token'], $token ) ) {
			return new \WP_Error( 'strongbox_lease_lost', __( 'This runner no longer holds the job: its lease expired and another runner took it, or the lease token is wrong. Stop working on it.', 'strongbox' ), array( 'status' => 409 ) );
		}
		return $job;
	}

	/**
	 * Whether the job is running under a live lease with this token (presign, passphrase).
	 *
	 * @param array  $job   Job.
	 * @param string $token Token.
	 * @param int    $now   Now.
	 * @return bool
	 */
	public static function holds( array $job, $token, $now ) {
		if ( 'running' !== $job['state'] || null === $job['lease'] || ! is_string( $token ) || '' === $token ) {
			return false;
		}
		$row = Repository::lease_row( $job['id'] );
		return $row && hash_equals( (string) $row['lease_token'], $token ) && Clock::from_mysql( $row['lease_expires'] ) >= $now;
	}

	/**
	 * Heartbeat: renews the lease, records progress.
	 *
	 * @param int    $id     Job.
	 * @param string $token  Lease token.
	 * @param array  $fields phase, bytes_done, bytes_total, message.
	 * @param int    $now    Now.
	 * @return array|\WP_Error {expires_at, cancel_requested}
	 */
	public static function heartbeat( $id, $token, array $fields, $now ) {
		global $wpdb;
		$job = self::held( $id, $token );
		if ( is_wp_error( $job ) ) {
			return $job;
		}
		if ( 'cancelled' === $job['state'] ) {
			return array(
				'expires_at'       => Clock::iso( $now ),
				'cancel_requested' => true,
			);
		}
		if ( 'running' !== $job['state'] ) {
			return self::lost();
		}
		$t       = Repository::table();
		$expires = $now + self::ttl();
		$set     = array( 'lease_expires = %s', 'heartbeat_at = %s', 'updated_at = %s' );
		$args    = array( Clock::mysql( $expires ), Clock::mysql( $now ), Clock::mysql( $now ) );
		if ( isset( $fields['phase'] ) ) {
			$set[]  = 'phase = %s';
			$args[] = substr( sanitize_text_field( (string) $fields['phase'] ), 0, 100 );
		}
		foreach ( array( 'bytes_done', 'bytes_total' ) as $f ) {
			if ( isset( $fields[ $f ] ) ) {
				$set[]  = "$f = %d";
				$args[] = max( 0, (int) $fields[ $f ] );
			}
		}
		$args[] = (int) $id;
		$args[] = $token;
		$n      = $wpdb->query( $wpdb->prepare( "UPDATE $t SET " . implode( ', ', $set ) . " WHERE id = %d AND lease_token = %s AND state = 'running'", $args ) ); // phpcs:ignore WordPress.DB.PreparedSQL
		if ( 1 !== (int) $n ) {
			// MariaDB counts changed rows only: a heartbeat in the same second as the claim changes nothing.
			$row = Repository::lease_row( $id );
			$now_job = Repository::get( $id );
			if ( ! $row || ! hash_equals( (string) $row['lease_token'], $token ) || is_wp_error( $now_job ) || 'running' !== $now_job['state'] ) {
				return self::lost();
			}
		}
		if ( isset( $fields['message'] ) && '' !== (string) $fields['message'] ) {
			Repository::append_log( $id, (string) $fields['message'], $now );
		}
		Runners::seen( self::runner_of( $job ), $now );
		return array(
			'expires_at'       => Clock::iso( $expires ),
			'cancel_requested' => false,
		);
	}

	/**
	 * Finish: the final state and result. Repeating the same finish answers the job again.
	 *
	 * @param int    $id     Job.
	 * @param string $token  Lease token.
	 * @param array  $fields state, error_code, error_message, result.
	 * @param int    $now    Now.
	 * @return array|\WP_Error The job.
	 */
	public static function finish( $id, $token, array $fields, $now ) {
		global $wpdb;
		$job = self::held( $id, $token );
		if ( is_wp_error( $job ) ) {
			return $job;
		}
		if ( 'running' !== $job['state'] ) {
			// A retried finish, or an administrator cancelled the job meanwhile.
			return in_array( $job['state'], Repository::FINAL_STATES, true ) ? $job : self::lost();
		}
		$t      = Repository::table();
		$result = array_merge( is_array( $job['result'] ) ? $job['result'] : array(), isset( $fields['result'] ) && is_array( $fields['result'] ) ? $fields['result'] : array() );
		$n      = $wpdb->query(
			$wpdb->prepare(
				"UPDATE $t SET state = %s, finished_at = %s, updated_at = %s, error_code = %s, error_message = %s, result = %s, phase = NULL WHERE id = %d AND lease_token = %s AND state = 'running'", // phpcs:ignore WordPress.DB.PreparedSQL
				$fields['state'],
				Clock::mysql( $now ),
				Clock::mysql( $now ),
				isset( $fields['error_code'] ) ? substr( sanitize_key( (string) $fields['error_code'] ), 0, 100 ) : '',
				isset( $fields['error_message'] ) ? substr( sanitize_text_field( (string) $fields['error_message'] ), 0, 2000 ) : '',
				wp_json_encode( (object) $result ),
				(int) $id,
				$token
			)
		);
		if ( 1 !== (int) $n ) {
			return self::lost();
		}
		$job = Repository::get( $id );
		Runners::seen( self::runner_of( $job ), $now );
		do_action( 'strongbox_job_finished', $job );
		return $job;
	}

	/**
	 * The runner recorded on a job's lease.
	 *
	 * @param array $job Job.
	 * @return array
	 */
	private static function runner_of( array $job ) {
		$owner = null === $job['lease'] ? 'agent:unknown' : (string) $job['lease']['owner'];
		$p     = strpos( $owner, ':' );
		return array(
			'kind' => false === $p ? 'agent' : substr( $owner, 0, $p ),
			'id'   => false === $p ? $owner : substr( $owner, $p + 1 ),
		);
	}

	/**
	 * The lease-lost error.
	 *
	 * @return \WP_Error
	 */
	private static function lost() {
		return new \WP_Error( 'strongbox_lease_lost', __( 'This runner no longer holds the job: its lease expired and another runner took it, or the lease token is wrong. Stop working on it.', 'strongbox' ), array( 'status' => 409 ) );
	}

	/**
	 * Parameters sent to the runner with a claimed job (the destination's current retention added).
	 *
	 * @param array $job Job.
	 * @return array
	 */
	public static function runner_params( array $job ) {
		$params = (array) $job['params'];
		if ( $job['destination_id'] ) {
			$d = Destinations::get( $job['destination_id'] );
			if ( ! is_wp_error( $d ) ) {
				$params['retention'] = Destinations::retention( $d );
			}
		}
		return $params;
	}
}
