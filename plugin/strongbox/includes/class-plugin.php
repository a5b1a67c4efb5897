<?php
/**
 * Wires Strongbox into WordPress: hooks only, no logic.
 *
 * @package Strongbox
 */

namespace Strongbox;

defined( 'ABSPATH' ) || exit;

/**
 * The single entry point called by strongbox.php.
 */
final class Plugin {

	/** REST namespace of every route. */
	const REST_NAMESPACE = 'strongbox/v1';

	/**
	 * Registers the hooks. Called once.
	 */
	public static function init() {
		static $done = false;
		if ( $done ) {
			return;
		}
		$done = true;

		add_action( 'init', array( __CLASS__, 'load_textdomain' ), 1 );
		add_action( 'init', array( Restore\Maintenance_Gate::class, 'enforce' ), 0 );
		add_action( 'init', array( Restore\Session::class, 'expire_abandoned' ), 2 );
		add_action( 'rest_api_init', array( __CLASS__, 'register_routes' ) );
		add_action( 'rest_api_init', array( Rest\Restore_Controller::class, 'defer_batch_body' ), 0 );
		add_filter( 'rest_pre_serve_request', array( Rest\Stream_Response::class, 'serve' ), 1000, 4 );
		add_action( 'strongbox_prune_jobs', array( Jobs\Repository::class, 'prune_default' ) );
		add_action( 'plugins_loaded', array( Jobs\Repository::class, 'maybe_upgrade' ) );
		add_filter( 'cron_schedules', array( Schedules\Tick::class, 'cron_schedules' ) ); // phpcs:ignore WordPress.WP.CronInterval -- five minutes on purpose.
		add_action( Schedules\Tick::HOOK, array( Schedules\Tick::class, 'run' ) );
		add_action( 'admin_init', array( Schedules\Tick::class, 'ensure' ) );
		add_action( 'strongbox_job_finished', array( Alerts\Incidents::class, 'on_job_finished' ) );
		add_action( 'admin_notices', array( Alerts\Notifier::class, 'admin_notices' ) );
		Updates\Before_Update::init();
		if ( is_admin() ) {
			Admin\Page::init();
			Admin\Runner::init();
		}
	}

	/**
	 * Loads translations.
	 */
	public static function load_textdomain() {
		load_plugin_textdomain( 'strongbox', false, dirname( plugin_basename( STRONGBOX_FILE ) ) . '/languages' );
	}

	/**
	 * Registers every REST controller.
	 */
	public static function register_routes() {
		$controllers = array(
			new Rest\Site_Controller(),
			new Rest\Preflight_Controller(),
			new Rest\Files_Controller(),
			new Rest\Database_Controller(),
			new Rest\Restore_Controller(),
			new Rest\Destinations_Controller(),
			new Rest\Presign_Controller(),
			new Rest\Destination_Check_Controller(),
			new Rest\Jobs_Controller(),
			new Rest\Schedules_Controller(),
			new Rest\Runner_Controller(),
			new Rest\Status_Controller(),
		);
		foreach ( $controllers as $controller ) {
			$controller->register_routes();
		}
	}

	/**
	 * Activation: jobs table, private directory, daily pruning, the planner's tick.
	 */
	public static function activate() {
		Jobs\Repository::install_table();
		Data_Dir::path();
		if ( ! wp_next_scheduled( 'strongbox_prune_jobs' ) ) {
			wp_schedule_event( time() + HOUR_IN_SECONDS, 'daily', 'strongbox_prune_jobs' );
		}
		add_filter( 'cron_schedules', array( Schedules\Tick::class, 'cron_schedules' ) ); // phpcs:ignore WordPress.WP.CronInterval
		Schedules\Tick::ensure();
	}

	/**
	 * Deactivation: no scheduled work left behind, no maintenance gate left up.
	 */
	public static function deactivate() {
		wp_clear_scheduled_hook( 'strongbox_prune_jobs' );
		Schedules\Tick::clear();
		Restore\Maintenance_Gate::disable();
	}
}
