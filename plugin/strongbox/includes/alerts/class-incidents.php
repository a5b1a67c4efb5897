<?php
/**
 * Incidents: conditions that open once, notify once, and close when they clear.
 *
 * @package Strongbox
 */

namespace Strongbox\Alerts;

use Strongbox\Clock;
use Strongbox\Db_Lock;
use Strongbox\Jobs\Leases;
use Strongbox\Jobs\Repository;
use Strongbox\Schedules\Planner;
use Strongbox\Schedules\Store;
use Strongbox\Settings;
use Strongbox\Storage\Destinations;

defined( 'ABSPATH' ) || exit;

/**
 * Open incidents in one option, keyed by condition (e.g. `backup_failed:d0123456789ab`).
 */
final class Incidents {

	/** Option name. */
	const OPTION = 'strongbox_incidents';

	/** Kinds. */
	const KINDS = array( 'backup_failed', 'rpo_exceeded', 'drill_failed', 'destination_unreachable', 'no_runner' );

	/** Job error codes that mean "the destination could not be reached". */
	const UNREACHABLE_CODES = array( 'strongbox_destination_unreachable', 'destination_unreachable' );

	/**
	 * The open incidents, oldest first.
	 *
	 * @return array<string, array>
	 */
	public static function open_incidents() {
		$all = Settings::fresh( self::OPTION, array() );
		return is_array( $all ) ? $all : array();
	}

	/**
	 * Opens an incident unless it is open; a newly opened one is emailed once.
	 *
	 * @param string $key     Condition key.
	 * @param string $kind    Kind.
	 * @param string $message Plain-text message.
	 * @param int    $now     Now.
	 * @return bool Whether it was opened now.
	 */
	public static function open( $key, $kind, $message, $now ) {
		return (bool) Db_Lock::with(
			'incidents',
			10,
			static function () use ( $key, $kind, $message, $now ) {
				$all = self::open_incidents();
				if ( isset( $all[ $key ] ) ) {
					return false;
				}
				$incident    = array(
					'key'       => $key,
					'kind'      => $kind,
					'opened_at' => (int) $now,
					'message'   => $message,
				);
				$all[ $key ] = $incident;
				update_option( self::OPTION, $all, false );
				Notifier::send( $incident );
				/**
				 * An incident opened.
				 *
				 * @param array $incident key, kind, opened_at, message.
				 */
				do_action( 'strongbox_incident_opened', $incident );
				return true;
			},
			false
		);
	}

	/**
	 * Closes an incident.
	 *
	 * @param string $key Key.
	 * @return bool Whether it was open.
	 */
	public static function close( $key ) {
		if ( ! isset( self::open_incidents()[ $key ] ) ) {
			return false;
		}
		return (bool) Db_Lock::with(
			'incidents',
			10,
			static function () use ( $key ) {
				$all = self::open_incidents();
				if ( ! isset( $all[ $key ] ) ) {
					return false;
				}
				unset( $all[ $key ] );
				update_option( self::OPTION, $all, false );
				return true;
			},
			false
		);
	}

	/**
	 * `strongbox_job_finished`: failures open incidents, successes close them.
	 *
	 * @param mixed $job The job.
	 */
	public static function on_job_finished( $job ) {
		if ( ! is_array( $job ) ) {
			return;
		}
		$now  = Clock::now();
		$dest = $job['destination_id'] ? (string) $job['destination_id'] : '';
		$name = self::destination_name( $dest );
		if ( 'backup' === $job['type'] ) {
			$key = 'backup_failed:' . ( '' === $dest ? 'site' : $dest );
			if ( 'failed' === $job['state'] ) {
				/* translators: 1: job number, 2: destination name, 3: error message */
				self::open( $key, 'backup_failed', sprintf( __( 'Backup job #%1$d to "%2$s" failed: %3$s', 'strongbox' ), $job['id'], $name, self::reason( $job ) ), $now );
			} elseif ( 'succeeded' === $job['state'] ) {
				self::close( $key );
				self::evaluate( $now );
			}
		}
		if ( 'drill' === $job['type'] ) {
			$ok = 'succeeded' === $job['state'] && ! ( is_array( $job['result'] ) && isset( $job['result']['ok'] ) && false === $job['result']['ok'] );
			if ( $ok ) {
				self::close( 'drill_failed' );
			} elseif ( in_array( $job['state'], array( 'failed', 'succeeded' ), true ) ) {
				/* translators: 1: job number, 2: error message */
				self::open( 'drill_failed', 'drill_failed', sprintf( __( 'Restore drill #%1$d failed: %2$s', 'strongbox' ), $job['id'], self::reason( $job ) ), $now );
			}
		}
		if ( '' !== $dest ) {
			if ( 'failed' === $job['state'] && in_array( (string) $job['error_code'], self::UNREACHABLE_CODES, true ) ) {
				/* translators: 1: destination name, 2: error message */
				self::open( 'destination_unreachable:' . $dest, 'destination_unreachable', sprintf( __( 'The destination "%1$s" cannot be reached: %2$s', 'strongbox' ), $name, self::reason( $job ) ), $now );
			} elseif ( 'succeeded' === $job['state'] ) {
				self::close( 'destination_unreachable:' . $dest );
			}
		}
	}

	/**
	 * Result of a destination test (POST /destinations/{id}/test): unreachable opens, reachable closes.
	 *
	 * @param string $dest      Destination id.
	 * @param bool   $reachable Whether the endpoint answered and the credentials worked.
	 * @param string $message   What failed.
	 */
	public static function destination_tested( $dest, $reachable, $message ) {
		$key = 'destination_unreachable:' . $dest;
		if ( $reachable ) {
			self::close( $key );
			return;
		}
		/* translators: 1: destination name, 2: error message */
		self::open( $key, 'destination_unreachable', sprintf( __( 'The destination "%1$s" cannot be reached: %2$s', 'strongbox' ), self::destination_name( $dest ), $message ), Clock::now() );
	}

	/**
	 * Conditions that depend on time: the recovery-point target, due jobs nobody picked up.
	 *
	 * @param int $now Now.
	 */
	public static function evaluate( $now ) {
		global $wpdb;
		$t        = Repository::table();
		$settings = Settings::get();
		$latest   = self::latest_good_backup();
		$state    = Rpo::state( $latest ? Clock::from_mysql( $latest['finished_at'] ) : null, $settings['rpo_hours'], $now, (bool) Destinations::all() );
		if ( in_array( $state, array( 'amber', 'red' ), true ) ) {
			$message = $latest
				/* translators: 1: age in hours, 2: target in hours */
				? sprintf( __( 'The latest good backup is %1$d hours old; the recovery-point target is %2$d hours.', 'strongbox' ), intdiv( $now - Clock::from_mysql( $latest['finished_at'] ), HOUR_IN_SECONDS ), $settings['rpo_hours'] )
				/* translators: %d: target in hours */
				: sprintf( __( 'There is no good backup yet; the recovery-point target is %d hours.', 'strongbox' ), $settings['rpo_hours'] );
			self::open( 'rpo_exceeded', 'rpo_exceeded', $message, $now );
		} else {
			self::close( 'rpo_exceeded' );
		}
		$triggers = "'" . implode( "','", Leases::CLAIMABLE_TRIGGERS ) . "'";
		$waiting  = $wpdb->get_row( $wpdb->prepare( "SELECT id, schedule_id, COALESCE(due_at, created_at) AS since FROM $t WHERE state = 'queued' AND job_trigger IN ($triggers) AND COALESCE(due_at, created_at) <= %s ORDER BY COALESCE(due_at, created_at) LIMIT 1", Clock::mysql( $now ) ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL
		$overdue  = false;
		if ( $waiting ) {
			$s       = $waiting['schedule_id'] ? Store::get( $waiting['schedule_id'] ) : null;
			$grace   = $s && ! is_wp_error( $s ) ? Planner::grace_seconds( $s ) : 10 * MINUTE_IN_SECONDS;
			$overdue = $now - Clock::from_mysql( $waiting['since'] ) > $grace;
		}
		if ( $overdue ) {
			/* translators: 1: job number, 2: minutes */
			self::open( 'no_runner', 'no_runner', sprintf( __( 'Job #%1$d has waited %2$d minutes and no runner picked it up: keep a Strongbox admin tab open, or run the strongbox agent.', 'strongbox' ), $waiting['id'], intdiv( $now - Clock::from_mysql( $waiting['since'] ), MINUTE_IN_SECONDS ) ), $now );
		} else {
			self::close( 'no_runner' );
		}
	}

	/**
	 * The latest succeeded backup job row, or null.
	 *
	 * @return array|null
	 */
	public static function latest_good_backup() {
		global $wpdb;
		return $wpdb->get_row( 'SELECT id, destination_id, finished_at, result FROM ' . Repository::table() . " WHERE type = 'backup' AND state = 'succeeded' ORDER BY finished_at DESC, id DESC LIMIT 1", ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL
	}

	/**
	 * The error of a job in a sentence.
	 *
	 * @param array $job Job.
	 * @return string
	 */
	private static function reason( array $job ) {
		$message = trim( (string) $job['error_message'] );
		if ( '' === $message && $job['error_code'] ) {
			$message = (string) $job['error_code'];
		}
		return '' === $message ? __( 'no reason was given.', 'strongbox' ) : $message;
	}

	/**
	 * A destination's name, or its id.
	 *
	 * @param string $dest Id.
	 * @return string
	 */
	private static function destination_name( $dest ) {
		if ( '' === $dest ) {
			return __( 'no destination', 'strongbox' );
		}
		$d = Destinations::get( $dest );
		return is_wp_error( $d ) || '' === (string) $d['name'] ? $dest : (string) $d['name'];
	}
}
