<?php
/**
 * A backup before WordPress updates a plugin, theme or core, when an administrator is there to run it.
 *
 * @package Strongbox
 */

namespace Strongbox\Updates;

use Strongbox\Capability;
use Strongbox\Clock;
use Strongbox\Jobs\Repository;
use Strongbox\Jobs\Runners;
use Strongbox\Settings;
use Strongbox\Storage\Destinations;

defined( 'ABSPATH' ) || exit;

/**
 * The flow (setting `backup_before_updates`, on by default):
 *
 * 1. WordPress is about to download an update package (`upgrader_pre_download`) in a request
 *    of an administrator in wp-admin (update screens or the Ajax "update now" links).
 *    Unattended automatic updates (WP-Cron, `wp_maybe_auto_update`) are never held up and
 *    queue nothing: a backup after the fact would not be "before the update".
 * 2. If a before-update backup finished (in any final state) in the last 15 minutes, nothing
 *    is done: a bulk update of ten plugins makes one backup, and a failing backup is not
 *    retried for every package.
 * 3. Otherwise one queued `backup` job (trigger `before-update`, parts database and files) is
 *    created per destination, unless such jobs are already queued or running.
 * 4. The update waits for those jobs only when an admin-tab runner (kind `browser`) called
 *    within the last 90 seconds: it polls every 2 seconds until every job has finished, for
 *    at most 10 minutes (filter `strongbox_before_update_wait`), and stops waiting when no
 *    runner has claimed any job within 60 seconds (the tab was closed). Without a browser
 *    runner the jobs stay queued for the native agent and the update goes on at once.
 * 5. The update then proceeds whatever the outcome; a failed backup raises the usual
 *    `backup_failed` incident (email and admin notice). Progress lines are shown through
 *    the upgrader's skin.
 */
final class Before_Update {

	/** A before-update backup finished this recently makes another unnecessary. */
	const RECENT = 900;

	/** Polling interval and limits of the wait (seconds). */
	const POLL       = 2;
	const WAIT_MAX   = 600;
	const CLAIM_WAIT = 60;

	/** A browser runner seen this recently counts as present. */
	const RUNNER_WINDOW = 90;

	/**
	 * Hooks.
	 */
	public static function init() {
		add_filter( 'upgrader_pre_download', array( __CLASS__, 'pre_download' ), 10, 3 );
	}

	/**
	 * `upgrader_pre_download`: takes (and maybe waits for) the backup, never changes the download.
	 *
	 * @param mixed        $reply    False, or what another filter decided.
	 * @param string       $package  Package URL.
	 * @param \WP_Upgrader $upgrader Upgrader.
	 * @return mixed $reply unchanged.
	 */
	public static function pre_download( $reply, $package = '', $upgrader = null ) {
		if ( false !== $reply || ! self::interactive() ) {
			return $reply;
		}
		$skin = is_object( $upgrader ) && isset( $upgrader->skin ) && is_object( $upgrader->skin ) && method_exists( $upgrader->skin, 'feedback' ) ? $upgrader->skin : null;
		self::ensure_backup(
			Clock::now(),
			static function ( $seconds ) {
				sleep( $seconds );
			},
			static function ( $message ) use ( $skin ) {
				if ( $skin ) {
					$skin->feedback( esc_html( $message ) );
				}
			}
		);
		return $reply;
	}

	/**
	 * Whether this request is an administrator updating from wp-admin (not an automatic update).
	 *
	 * @return bool
	 */
	public static function interactive() {
		if ( wp_doing_cron() || doing_action( 'wp_maybe_auto_update' ) || ( defined( 'WP_CLI' ) && WP_CLI ) ) {
			return false;
		}
		return is_admin() && current_user_can( Capability::name() );
	}

	/**
	 * Steps 2-4 of the flow.
	 *
	 * @param int           $now    Now.
	 * @param callable|null $sleep  Sleeps N seconds (tests pass one that does not).
	 * @param callable|null $notify Receives progress sentences.
	 * @return array{status: string, job_ids: int[]} status: disabled, no_destination, recent,
	 *               queued (no browser runner: not waited for), finished, unclaimed, timeout.
	 */
	public static function ensure_backup( $now, $sleep = null, $notify = null ) {
		global $wpdb;
		$t      = Repository::table();
		$notify = $notify ? $notify : static function () {};
		if ( ! Settings::get()['backup_before_updates'] ) {
			return array( 'status' => 'disabled', 'job_ids' => array() );
		}
		$dests = Destinations::all();
		if ( ! $dests ) {
			return array( 'status' => 'no_destination', 'job_ids' => array() );
		}
		$recent = $wpdb->get_var( $wpdb->prepare( "SELECT id FROM $t WHERE job_trigger = 'before-update' AND state IN ('succeeded','failed','cancelled') AND finished_at >= %s LIMIT 1", Clock::mysql( $now - self::RECENT ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL
		if ( $recent ) {
			return array( 'status' => 'recent', 'job_ids' => array( (int) $recent ) );
		}
		$ids = array_map( 'intval', $wpdb->get_col( "SELECT id FROM $t WHERE job_trigger = 'before-update' AND state IN ('queued','running') ORDER BY id" ) ); // phpcs:ignore WordPress.DB.PreparedSQL
		if ( ! $ids ) {
			foreach ( $dests as $d ) {
				$job = Repository::create( 'backup', 'before-update', get_current_user_id(), $d['id'], array( 'params' => array( 'parts' => array( 'database', 'files' ) ) ) );
				if ( is_array( $job ) ) {
					$ids[] = $job['id'];
				}
			}
		}
		if ( ! Runners::present( 'browser', $now, self::RUNNER_WINDOW ) ) {
			$notify( __( 'A backup before the update was queued for the Strongbox agent; the update does not wait for it.', 'strongbox' ) );
			return array( 'status' => 'queued', 'job_ids' => $ids );
		}
		$notify( __( 'Taking a backup before the update (an open Strongbox tab runs it)…', 'strongbox' ) );
		$sleep   = $sleep ? $sleep : static function ( $s ) {
			sleep( $s );
		};
		$max     = (int) apply_filters( 'strongbox_before_update_wait', self::WAIT_MAX );
		$waited  = 0;
		$claimed = false;
		while ( true ) {
			$states = $wpdb->get_col( 'SELECT state FROM ' . $t . ' WHERE id IN (' . implode( ',', array_map( 'intval', $ids ) ) . ')' ); // phpcs:ignore WordPress.DB.PreparedSQL -- integers.
			if ( ! array_diff( $states, Repository::FINAL_STATES ) ) {
				$notify( __( 'The backup before the update has finished.', 'strongbox' ) );
				return array( 'status' => 'finished', 'job_ids' => $ids );
			}
			$claimed = $claimed || in_array( 'running', $states, true ) || array_intersect( $states, Repository::FINAL_STATES );
			if ( ! $claimed && $waited >= self::CLAIM_WAIT ) {
				$notify( __( 'No Strongbox tab picked up the backup; the update goes on without waiting.', 'strongbox' ) );
				return array( 'status' => 'unclaimed', 'job_ids' => $ids );
			}
			if ( $waited >= $max ) {
				$notify( __( 'The backup before the update takes longer than expected; the update goes on while it finishes.', 'strongbox' ) );
				return array( 'status' => 'timeout', 'job_ids' => $ids );
			}
			$sleep( self::POLL );
			$waited += self::POLL;
		}
	}
}
