<?php
/**
 * Plugin Name:       Strongbox
 * Plugin URI:        https://example.org/strongbox
 * Description:       Exposes the site to the Strongbox backup engine (files, database pages, restores, presigned uploads) through a locked-down REST API.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      7.4
 * Author:            Strongbox
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       strongbox
 * Domain Path:       /languages
 *
 * @package Strongbox
 */

defined( 'ABSPATH' ) || exit;

define( 'STRONGBOX_VERSION', '0.1.0' );
define( 'STRONGBOX_FILE', __FILE__ );
define( 'STRONGBOX_MIN_PHP', '7.4' );

if ( version_compare( PHP_VERSION, STRONGBOX_MIN_PHP, '<' ) ) {
	add_action(
		'admin_notices',
		static function () {
			printf(
				'<div class="notice notice-error"><p>%s</p></div>',
				esc_html(
					sprintf(
						/* translators: 1: required PHP version, 2: running PHP version */
						__( 'Strongbox needs PHP %1$s or newer; this site runs PHP %2$s. The plugin is inactive until PHP is updated.', 'strongbox' ),
						STRONGBOX_MIN_PHP,
						PHP_VERSION
					)
				)
			);
		}
	);
	return;
}

spl_autoload_register(
	static function ( $class ) {
		if ( 0 !== strpos( $class, 'Strongbox\\' ) ) {
			return;
		}
		// Strongbox\Rest\Site_Controller -> includes/rest/class-site-controller.php
		$parts = explode( '\\', substr( $class, 10 ) );
		$name  = array_pop( $parts );
		$dir   = $parts ? strtolower( implode( '/', $parts ) ) . '/' : '';
		$file  = __DIR__ . '/includes/' . $dir . 'class-' . strtolower( str_replace( '_', '-', $name ) ) . '.php';
		if ( is_file( $file ) ) {
			require $file;
		}
	}
);

register_activation_hook( __FILE__, array( 'Strongbox\\Plugin', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'Strongbox\\Plugin', 'deactivate' ) );

// Nothing to do while WordPress installs itself.
if ( wp_installing() ) {
	return;
}

Strongbox\Plugin::init();
