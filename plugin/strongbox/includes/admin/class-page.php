<?php
/**
 * The admin screens: a top-level "Strongbox" menu with Dashboard, Snapshots,
 * Restore and Settings.
 *
 * The screens are one React application (plugin/admin/src, built by
 * scripts/build-admin into assets/admin/ with @wordpress/scripts): its
 * index.asset.php lists the WordPress scripts it uses (wp-element,
 * wp-components, wp-api-fetch, wp-i18n), which come from WordPress itself.
 * The backups run in the browser: the application drives
 * assets/js/strongbox-client.js, which runs the WebAssembly engine in a Web
 * Worker. This class only registers the menu, enqueues the build with its
 * translations, and prints the root element and the configuration (REST URL,
 * a fresh wp_rest nonce, asset URLs). It never prints a storage secret or the
 * passphrase.
 *
 * @package Strongbox
 */

namespace Strongbox\Admin;

use Strongbox\Capability;
use Strongbox\Plugin;
use Strongbox\Rest\Jobs_Controller;
use Strongbox\Storage\Destinations;

defined( 'ABSPATH' ) || exit;

/**
 * Strongbox's admin menu and screens.
 */
final class Page {

	/** Menu slug of the dashboard (admin.php?page=strongbox). */
	const SLUG = 'strongbox';

	/** Script and style handle. */
	const HANDLE = 'strongbox-admin';

	/**
	 * Hook suffixes of the screens, set when the menu is registered.
	 *
	 * @var string[]
	 */
	private static $hooks = array();

	/**
	 * Registers the hooks (admin requests only).
	 */
	public static function init() {
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
		add_action( 'admin_enqueue_scripts', array( __CLASS__, 'enqueue' ) );
		add_action( 'admin_init', array( __CLASS__, 'redirect_old_screen' ) );
		add_action( 'admin_notices', array( __CLASS__, 'setup_notice' ) );
	}

	/**
	 * On the other admin screens, while backups are not set up (no passphrase or no
	 * destination): a notice leading to the setup, so no shop keeps the plugin without a backup.
	 */
	public static function setup_notice() {
		if ( ! current_user_can( Capability::name() ) ) {
			return;
		}
		$screen = function_exists( 'get_current_screen' ) ? get_current_screen() : null;
		if ( $screen && in_array( $screen->id, self::$hooks, true ) ) {
			return;
		}
		if ( '' !== (string) get_option( Jobs_Controller::PASSPHRASE_OPTION, '' ) && array() !== Destinations::all() ) {
			return;
		}
		printf(
			'<div class="notice notice-warning"><p><strong>%1$s</strong> %2$s <a href="%3$s">%4$s</a></p></div>',
			esc_html__( 'Strongbox is installed, but this shop is not backed up yet.', 'strongbox' ),
			esc_html__( 'The setup takes about five minutes and ends with a first backup.', 'strongbox' ),
			esc_url( admin_url( 'admin.php?page=' . self::SLUG ) ),
			esc_html__( 'Set up backups', 'strongbox' )
		);
	}

	/**
	 * The screens: slug => [page title, menu title].
	 *
	 * @return array<string, string[]>
	 */
	public static function screens() {
		return array(
			self::SLUG                => array( __( 'Strongbox backups', 'strongbox' ), __( 'Dashboard', 'strongbox' ) ),
			self::SLUG . '-snapshots' => array( __( 'Snapshots', 'strongbox' ), __( 'Snapshots', 'strongbox' ) ),
			self::SLUG . '-restore'   => array( __( 'Restore', 'strongbox' ), __( 'Restore', 'strongbox' ) ),
			self::SLUG . '-settings'  => array( __( 'Strongbox settings', 'strongbox' ), __( 'Settings', 'strongbox' ) ),
		);
	}

	/**
	 * Adds the top-level Strongbox menu and its screens for users with the plugin's capability.
	 */
	public static function menu() {
		$cap         = Capability::name();
		self::$hooks = array();
		$hook        = add_menu_page(
			__( 'Strongbox backups', 'strongbox' ),
			__( 'Strongbox', 'strongbox' ),
			$cap,
			self::SLUG,
			array( __CLASS__, 'render' ),
			'dashicons-shield',
			80
		);
		if ( is_string( $hook ) ) {
			self::$hooks[] = $hook;
		}
		foreach ( self::screens() as $slug => $titles ) {
			$sub = add_submenu_page( self::SLUG, $titles[0], $titles[1], $cap, $slug, array( __CLASS__, 'render' ) );
			if ( is_string( $sub ) ) {
				self::$hooks[] = $sub;
			}
		}
	}

	/**
	 * Tools > Strongbox was the screen's earlier place: bookmarks of it lead to the dashboard.
	 */
	public static function redirect_old_screen() {
		global $pagenow;
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a redirect, nothing is changed.
		if ( 'tools.php' === $pagenow && isset( $_GET['page'] ) && self::SLUG === $_GET['page'] && current_user_can( Capability::name() ) ) {
			wp_safe_redirect( admin_url( 'admin.php?page=' . self::SLUG ) );
			exit;
		}
	}

	/**
	 * Version of a plugin file: the plugin's version and the file's time.
	 *
	 * @param string $rel Path below the plugin directory.
	 * @return string
	 */
	private static function version( $rel ) {
		$file = plugin_dir_path( STRONGBOX_FILE ) . $rel;
		return STRONGBOX_VERSION . ( is_file( $file ) ? '.' . filemtime( $file ) : '' );
	}

	/**
	 * URL of a plugin file with its version.
	 *
	 * @param string $rel Path below the plugin directory.
	 * @return string
	 */
	private static function asset_url( $rel ) {
		return add_query_arg( 'ver', rawurlencode( self::version( $rel ) ), plugins_url( $rel, STRONGBOX_FILE ) );
	}

	/**
	 * Whether the WebAssembly engine was built into assets/engine/.
	 *
	 * @return bool
	 */
	private static function engine_present() {
		$dir = plugin_dir_path( STRONGBOX_FILE ) . 'assets/engine/';
		return is_file( $dir . 'strongbox.js' ) && is_file( $dir . 'strongbox_bg.wasm' );
	}

	/**
	 * The build of the screens (assets/admin/index.asset.php), or null when it is missing.
	 *
	 * @return array|null
	 */
	private static function build() {
		$file = plugin_dir_path( STRONGBOX_FILE ) . 'assets/admin/index.asset.php';
		if ( ! is_file( $file ) || ! is_file( plugin_dir_path( STRONGBOX_FILE ) . 'assets/admin/index.js' ) ) {
			return null;
		}
		$asset = require $file;
		return is_array( $asset ) && isset( $asset['dependencies'], $asset['version'] ) ? $asset : null;
	}

	/**
	 * Enqueues the screens' script, style and translations on Strongbox's screens only.
	 *
	 * @param string $hook_suffix Current screen.
	 */
	public static function enqueue( $hook_suffix ) {
		if ( ! in_array( $hook_suffix, self::$hooks, true ) ) {
			return;
		}
		$asset = self::build();
		if ( null === $asset ) {
			return;
		}
		wp_enqueue_script( self::HANDLE, plugins_url( 'assets/admin/index.js', STRONGBOX_FILE ), $asset['dependencies'], $asset['version'], true );
		wp_set_script_translations( self::HANDLE, 'strongbox', plugin_dir_path( STRONGBOX_FILE ) . 'languages' );
		wp_enqueue_style( self::HANDLE, plugins_url( 'assets/admin/style-index.css', STRONGBOX_FILE ), array( 'wp-components' ), $asset['version'] );
		wp_style_add_data( self::HANDLE, 'rtl', 'replace' );
	}

	/**
	 * The configuration handed to the screens.
	 *
	 * @return array
	 */
	private static function config() {
		$destinations = array();
		foreach ( Destinations::all() as $id => $d ) {
			// Never the secret: the public view replaces it by has_secret.
			$destinations[] = array_merge( Destinations::public_view( $d ), array( 'id' => (string) $id ) );
		}
		$home = home_url();
		$host = wp_parse_url( $home, PHP_URL_HOST );
		return array(
			'restUrl'       => esc_url_raw( rest_url( Plugin::REST_NAMESPACE . '/' ) ),
			'nonce'         => wp_create_nonce( 'wp_rest' ),
			'ajaxUrl'       => admin_url( 'admin-ajax.php' ),
			'clientUrl'     => self::asset_url( 'assets/js/strongbox-client.js' ),
			'workerUrl'     => self::asset_url( 'assets/js/engine-worker.js' ),
			'engineUrl'     => self::asset_url( 'assets/engine/strongbox.js' ),
			'wasmUrl'       => self::asset_url( 'assets/engine/strongbox_bg.wasm' ),
			'engineReady'   => self::engine_present(),
			'hasPassphrase' => '' !== (string) get_option( Jobs_Controller::PASSPHRASE_OPTION, '' ),
			'destinations'  => $destinations,
			'siteName'      => html_entity_decode( (string) get_bloginfo( 'name' ), ENT_QUOTES, 'UTF-8' ),
			'homeUrl'       => $home,
			'homeHost'      => is_string( $host ) ? $host : '',
			'locale'        => str_replace( '_', '-', get_user_locale() ),
		);
	}

	/**
	 * Prints the screen: the root the application renders into, and its configuration.
	 */
	public static function render() {
		if ( ! current_user_can( Capability::name() ) ) {
			wp_die( esc_html__( 'Your account is not allowed to use Strongbox.', 'strongbox' ), 403 );
		}
		$config = self::config();
		?>
		<div class="wrap strongbox-admin" id="strongbox-app" data-state="loading" data-busy="1">
			<noscript>
				<h1><?php esc_html_e( 'Strongbox backups', 'strongbox' ); ?></h1>
				<div class="notice notice-error inline"><p><?php esc_html_e( 'Strongbox runs its backups in the browser: please enable JavaScript.', 'strongbox' ); ?></p></div>
			</noscript>
			<?php if ( ! $config['engineReady'] ) : ?>
				<div class="notice notice-error inline"><p><?php esc_html_e( 'The backup engine (assets/engine/strongbox_bg.wasm) is missing from this copy of the plugin. Reinstall the plugin from its release package.', 'strongbox' ); ?></p></div>
			<?php endif; ?>
			<?php if ( null === self::build() ) : ?>
				<h1><?php esc_html_e( 'Strongbox backups', 'strongbox' ); ?></h1>
				<div class="notice notice-error inline"><p><?php esc_html_e( 'The screens of this copy of the plugin were not built (assets/admin/ is missing). Reinstall the plugin from its release package.', 'strongbox' ); ?></p></div>
			<?php endif; ?>
			<div id="strongbox-root"></div>
			<script type="application/json" id="strongbox-admin-config"><?php echo wp_json_encode( $config, JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT | JSON_UNESCAPED_SLASHES ); ?></script>
		</div>
		<?php
	}
}
