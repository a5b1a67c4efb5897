<?php
/**
 * The recurring planner pass: WP-Cron every 5 minutes, or Action Scheduler when WooCommerce provides it.
 *
 * @package Strongbox
 */

namespace Strongbox\Schedules;

defined( 'ABSPATH' ) || exit;

/**
 * Scheduling of the `strongbox_tick` hook.
 */
final class Tick {

	/** Hook name (WP-Cron event and Action Scheduler action). */
	const HOOK = 'strongbox_tick';

	/** Action Scheduler group. */
	const GROUP = 'strongbox';

	/** Seconds between ticks. */
	const EVERY = 300;

	/**
	 * `cron_schedules`: a five-minute recurrence.
	 *
	 * @param array $schedules Schedules.
	 * @return array
	 */
	public static function cron_schedules( $schedules ) {
		$schedules['strongbox_5min'] = array(
			'interval' => self::EVERY,
			'display'  => __( 'Every 5 minutes (Strongbox)', 'strongbox' ),
		);
		return $schedules;
	}

	/**
	 * The tick itself (hook callback: no arguments).
	 */
	public static function run() {
		Dispatcher::run();
	}

	/**
	 * Whether Action Scheduler is there to use.
	 *
	 * @return bool
	 */
	private static function action_scheduler() {
		return function_exists( 'as_schedule_recurring_action' ) && function_exists( 'as_next_scheduled_action' ) && did_action( 'action_scheduler_init' );
	}

	/**
	 * Makes sure exactly one recurring tick exists (activation, admin_init).
	 */
	public static function ensure() {
		if ( self::action_scheduler() ) {
			if ( false === as_next_scheduled_action( self::HOOK, array(), self::GROUP ) ) {
				as_schedule_recurring_action( time() + 60, self::EVERY, self::HOOK, array(), self::GROUP );
			}
			wp_clear_scheduled_hook( self::HOOK );
			return;
		}
		if ( ! wp_next_scheduled( self::HOOK ) ) {
			wp_schedule_event( time() + 60, 'strongbox_5min', self::HOOK );
		}
	}

	/**
	 * Removes every tick (deactivation, uninstall).
	 */
	public static function clear() {
		wp_clear_scheduled_hook( self::HOOK );
		if ( function_exists( 'as_unschedule_all_actions' ) ) {
			as_unschedule_all_actions( self::HOOK, array(), self::GROUP );
		}
	}
}
