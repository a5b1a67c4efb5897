<?php
/**
 * The background runner of an administrator's wp-admin tab.
 *
 * @package Strongbox
 */

namespace Strongbox\Admin;

use Strongbox\Capability;

defined( 'ABSPATH' ) || exit;

/**
 * Loads assets/js/admin-runner.js on every wp-admin screen of a user who may run Strongbox's
 * jobs. The script asks the site for a due job (POST /runner/claim) when the screen opens and
 * then every minute; a job it is given runs in the engine's Web Worker under the server's lease
 * (the same code as `strongbox agent`), so scheduled backups, checks, drills and the backup
 * before an update happen while an administrator has wp-admin open, even where WP-Cron never
 * fires. Only one runner works at a time: the site hands each job to one lease holder.
 * Filter `strongbox_browser_runner` (bool) turns it off.
 */
final class Runner {

	/** Script handle. */
	const HANDLE = 'strongbox-runner';

	/**
	 * Hooks.
	 */
	public static function init() {
		add_action( 'admin_enqueue_scripts', array( __CLASS__, 'enqueue' ) );
	}

	/**
	 * Whether this request's user gets the runner.
	 *
	 * @return bool
	 */
	public static function enabled() {
		if ( ! current_user_can( Capability::name() ) || wp_doing_ajax() ) {
			return false;
		}
		$engine = plugin_dir_path( STRONGBOX_FILE ) . 'assets/engine/strongbox_bg.wasm';
		return is_file( $engine ) && (bool) apply_filters( 'strongbox_browser_runner', true );
	}

	/**
	 * URL of a plugin file, versioned by its modification time.
	 *
	 * @param string $rel Path below the plugin directory.
	 * @return string
	 */
	private static function url( $rel ) {
		$file = plugin_dir_path( STRONGBOX_FILE ) . $rel;
		$ver  = STRONGBOX_VERSION . ( is_file( $file ) ? '.' . filemtime( $file ) : '' );
		return add_query_arg( 'ver', rawurlencode( $ver ), plugins_url( $rel, STRONGBOX_FILE ) );
	}

	/**
	 * Seconds between claims: every 15 s on the screens where updates start (a backup
	 * before an update waits for a runner to claim it, see Updates\Before_Update), every
	 * minute elsewhere.
	 *
	 * @return int
	 */
	private static function poll_seconds() {
		global $pagenow;
		$update_screens = array( 'plugins.php', 'themes.php', 'update-core.php', 'plugin-install.php', 'theme-install.php' );
		return in_array( $pagenow, $update_screens, true ) ? 15 : 60;
	}

	/**
	 * `admin_enqueue_scripts`.
	 */
	public static function enqueue() {
		if ( ! self::enabled() ) {
			return;
		}
		wp_enqueue_script( self::HANDLE, plugins_url( 'assets/js/admin-runner.js', STRONGBOX_FILE ), array(), STRONGBOX_VERSION, true );
		$config = array(
			'restUrl'     => esc_url_raw( rest_url( 'strongbox/v1/' ) ),
			'nonce'       => wp_create_nonce( 'wp_rest' ),
			'workerUrl'   => self::url( 'assets/js/engine-worker.js' ),
			'engineUrl'   => self::url( 'assets/engine/strongbox.js' ),
			'wasmUrl'     => self::url( 'assets/engine/strongbox_bg.wasm' ),
			'version'     => STRONGBOX_VERSION,
			'user'        => get_current_user_id(),
			'pollSeconds' => self::poll_seconds(),
			'strings'     => array(
				/* translators: %s: job type such as backup or drill */
				'running' => __( 'Strongbox is running a scheduled %s in this tab.', 'strongbox' ),
				'done'    => __( 'Strongbox finished a scheduled job.', 'strongbox' ),
			),
		);
		wp_add_inline_script( self::HANDLE, 'window.strongboxRunner = ' . wp_json_encode( $config ) . ';', 'before' );
	}
}
