<?php
/**
 * Turns due schedules into jobs: on the tick (WP-Cron or Action Scheduler) and at every claim.
 *
 * @package Strongbox
 */

namespace Strongbox\Schedules;

use Strongbox\Alerts\Incidents;
use Strongbox\Clock;
use Strongbox\Db_Lock;
use Strongbox\Jobs\Leases;
use Strongbox\Jobs\Repository;
use Strongbox\Storage\Destinations;

defined( 'ABSPATH' ) || exit;

/**
 * The side-effecting half of scheduling (Planner is the pure half).
 */
final class Dispatcher {

	/** Most missed runs recorded per schedule and destination in one pass (older ones are counted). */
	const MAX_MISSED = 24;

	/**
	 * One pass: expired leases, due schedules, alerts that depend on time.
	 *
	 * @param int|null $now Now (default Clock::now()).
	 */
	public static function run( $now = null ) {
		$now = null === $now ? Clock::now() : (int) $now;
		Leases::sweep( $now );
		// One planner at a time; a busy lock means another request is planning right now.
		Db_Lock::with(
			'planner',
			0,
			static function () use ( $now ) {
				return self::plan( $now );
			},
			0
		);
		Incidents::evaluate( $now );
	}

	/**
	 * Creates the queued and missed jobs of every schedule that fell due up to $now.
	 *
	 * @param int $now Now.
	 * @return int Jobs created.
	 */
	public static function plan( $now ) {
		global $wpdb;
		$t       = Repository::table();
		$tz      = wp_timezone();
		$dests   = Destinations::all();
		$created = 0;
		foreach ( Store::all() as $s ) {
			if ( empty( $s['enabled'] ) ) {
				continue;
			}
			foreach ( $s['destination_ids'] as $d ) {
				if ( ! isset( $dests[ $d ] ) ) {
					continue;
				}
				$last   = $wpdb->get_var( $wpdb->prepare( "SELECT MAX(due_at) FROM $t WHERE schedule_id = %s AND destination_id = %s", $s['id'], $d ) ); // phpcs:ignore WordPress.DB.PreparedSQL
				$cursor = max( (int) $s['since'], (int) Clock::from_mysql( $last ) );
				$due    = Planner::due_between( $s, $cursor, $now, $tz, self::MAX_MISSED + 1 );
				if ( ! $due['times'] ) {
					continue;
				}
				$times  = $due['times'];
				$latest = array_pop( $times );
				foreach ( $times as $i => $time ) {
					$result = 0 === $i && $due['dropped'] ? array( 'missed_before' => $due['dropped'] ) : array();
					$created += self::missed( $s, $d, $time, 'strongbox_missed_no_tick', __( 'No planner ran between this due time and the next one (WP-Cron did not fire): the run was skipped.', 'strongbox' ), $result );
				}
				$active = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM $t WHERE schedule_id = %s AND destination_id = %s AND state IN ('queued','running')", $s['id'], $d ) ); // phpcs:ignore WordPress.DB.PreparedSQL
				if ( $active ) {
					$created += self::missed( $s, $d, $latest, 'strongbox_missed_busy', __( 'The previous run of this schedule was still waiting or running: this run was skipped.', 'strongbox' ), ! $times && $due['dropped'] ? array( 'missed_before' => $due['dropped'] ) : array() );
					continue;
				}
				$job = Repository::create(
					$s['type'],
					'schedule',
					0,
					$d,
					array(
						'schedule_id' => $s['id'],
						'due_at'      => $latest,
						'params'      => self::params( $s, $d ),
					)
				);
				$created += is_array( $job ) ? 1 : 0;
			}
		}
		return $created;
	}

	/**
	 * Records a missed run.
	 *
	 * @param array  $s       Schedule.
	 * @param string $d       Destination.
	 * @param int    $time    Due time.
	 * @param string $code    Error code.
	 * @param string $message Message.
	 * @param array  $result  Result.
	 * @return int 1 when recorded.
	 */
	private static function missed( array $s, $d, $time, $code, $message, array $result ) {
		$job = Repository::create(
			$s['type'],
			'schedule',
			0,
			$d,
			array(
				'schedule_id'   => $s['id'],
				'due_at'        => $time,
				'state'         => 'missed',
				'params'        => self::params( $s, $d ),
				'result'        => $result,
				'error_code'    => $code,
				'error_message' => $message,
			)
		);
		return is_array( $job ) ? 1 : 0;
	}

	/**
	 * The parameters of a scheduled job.
	 *
	 * @param array  $s Schedule.
	 * @param string $d Destination.
	 * @return array
	 */
	private static function params( array $s, $d ) {
		global $wpdb;
		if ( 'backup' === $s['type'] ) {
			return array( 'parts' => $s['parts'] );
		}
		if ( 'check' === $s['type'] ) {
			$p = array( 'check_subset' => $s['check_subset'] );
			if ( '1/7' === $s['check_subset'] ) {
				// Rotate: the n-th check of this schedule and destination reads the (n mod 7)-th seventh of the packs.
				$done              = (int) $wpdb->get_var( $wpdb->prepare( 'SELECT COUNT(*) FROM ' . Repository::table() . " WHERE schedule_id = %s AND destination_id = %s AND state <> 'missed'", $s['id'], $d ) ); // phpcs:ignore WordPress.DB.PreparedSQL
				$p['check_offset'] = $done % 7;
			}
			return $p;
		}
		return array();
	}

	/**
	 * The next due time of any enabled schedule after $now, or null.
	 *
	 * @param int $now Now.
	 * @return array|null {schedule_id, name, at (UNIX seconds)}
	 */
	public static function next_run( $now ) {
		$best = null;
		$tz   = wp_timezone();
		foreach ( Store::all() as $s ) {
			if ( empty( $s['enabled'] ) ) {
				continue;
			}
			$t = Planner::next_after( $s, max( (int) $now, (int) $s['since'] ), $tz );
			if ( null === $best || $t < $best['at'] ) {
				$best = array(
					'schedule_id' => $s['id'],
					'name'        => $s['name'],
					'at'          => $t,
				);
			}
		}
		return $best;
	}

	/**
	 * A schedule as the API shows it: with next_run and last_run.
	 *
	 * @param array $s   Schedule.
	 * @param int   $now Now.
	 * @return array
	 */
	public static function view( array $s, $now ) {
		global $wpdb;
		$row = $wpdb->get_row( $wpdb->prepare( 'SELECT id, state, finished_at FROM ' . Repository::table() . " WHERE schedule_id = %s AND state IN ('succeeded','failed','cancelled','missed') ORDER BY id DESC LIMIT 1", $s['id'] ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL
		$out = array(
			'id'              => $s['id'],
			'name'            => $s['name'],
			'enabled'         => (bool) $s['enabled'],
			'type'            => $s['type'],
			'parts'           => 'backup' === $s['type'] ? $s['parts'] : array(),
			'every'           => $s['every'],
			'interval'        => (int) $s['interval'],
			'at'              => $s['at'],
			'weekday'         => (int) $s['weekday'],
			'destination_ids' => $s['destination_ids'],
			'check_subset'    => $s['check_subset'],
			'next_run'        => $s['enabled'] ? Clock::iso( Planner::next_after( $s, max( (int) $now, (int) $s['since'] ), wp_timezone() ) ) : null,
			'last_run'        => $row ? array(
				'job_id'      => (int) $row['id'],
				'state'       => $row['state'],
				'finished_at' => Clock::mysql_to_iso( $row['finished_at'] ),
			) : null,
			'created_at'      => Clock::iso( $s['created'] ),
			'updated_at'      => Clock::iso( $s['updated'] ),
		);
		return $out;
	}
}
