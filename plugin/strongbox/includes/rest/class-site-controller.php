<?php
/**
 * GET /strongbox/v1/site: what the core needs to know about the site.
 *
 * @package Strongbox
 */

namespace Strongbox\Rest;

use Strongbox\Data_Dir;

defined( 'ABSPATH' ) || exit;

/**
 * Site information.
 */
class Site_Controller extends Controller {

	/**
	 * Routes.
	 */
	public function register_routes() {
		$this->route( '/site', array( array( 'GET', array( $this, 'get_site' ) ) ) );
	}

	/**
	 * Site description.
	 *
	 * @return \WP_REST_Response
	 */
	public function get_site() {
		global $wpdb, $wp_version;

		$prefix = $wpdb->base_prefix;
		$hpos   = null;
		$wc     = class_exists( 'WooCommerce' ) || $this->table_exists( $prefix . 'wc_orders' ) || $this->table_exists( $prefix . 'woocommerce_order_items' );
		if ( $wc ) {
			$enabled = 'yes' === get_option( 'woocommerce_custom_orders_table_enabled' );
			$hpos    = array(
				'tables_present'      => $this->table_exists( $prefix . 'wc_orders' ),
				'authoritative_store' => $enabled ? 'hpos' : 'posts',
				'sync_enabled'        => 'yes' === get_option( 'woocommerce_custom_orders_table_data_sync_enabled' ),
			);
		}
		$dir  = Data_Dir::path();
		$free = @disk_free_space( ABSPATH ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- may be disabled.

		return new \WP_REST_Response(
			array(
				'home_url'        => home_url(),
				'site_url'        => site_url(),
				'name'            => get_bloginfo( 'name' ),
				'versions'        => array(
					'wordpress'   => $wp_version,
					'php'         => PHP_VERSION,
					'database'    => $wpdb->get_var( 'SELECT VERSION()' ),
					'strongbox'   => STRONGBOX_VERSION,
					'woocommerce' => defined( 'WC_VERSION' ) ? WC_VERSION : get_option( 'woocommerce_version', null ),
				),
				'table_prefix'    => $wpdb->prefix,
				'base_prefix'     => $wpdb->base_prefix,
				'charset'         => $wpdb->charset,
				'multisite'       => is_multisite(),
				'woocommerce'     => array(
					'present' => $wc,
					'active'  => class_exists( 'WooCommerce' ),
					'hpos'    => $hpos,
				),
				'disk_free_bytes' => false === $free ? null : (int) $free,
				'php_limits'      => array(
					'memory_limit'        => ini_get( 'memory_limit' ),
					'max_execution_time'  => (int) ini_get( 'max_execution_time' ),
					'post_max_size'       => ini_get( 'post_max_size' ),
					'upload_max_filesize' => ini_get( 'upload_max_filesize' ),
					'set_time_limit'      => function_exists( 'set_time_limit' ) && false === strpos( (string) ini_get( 'disable_functions' ), 'set_time_limit' ),
				),
				'private_dir'     => array(
					'available'         => ! is_wp_error( $dir ),
					'outside_web_root'  => ! is_wp_error( $dir ) && ! Data_Dir::is_web_served( $dir ),
				),
				'rest_namespace'  => \Strongbox\Plugin::REST_NAMESPACE,
			)
		);
	}

	/**
	 * Whether a table exists in the site's database.
	 *
	 * @param string $name Table name.
	 * @return bool
	 */
	private function table_exists( $name ) {
		global $wpdb;
		return (bool) $wpdb->get_var( $wpdb->prepare( 'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s', $name ) );
	}
}
