<?php
/**
 * GET /strongbox/v1/restore/preflight: what the restore wizard checks before a restore.
 *
 * Free disk (where the restore stages its files and where the site lives),
 * whether the folders a restore writes are writable, the versions running now,
 * and, for a shop, what a full database restore to a point in time would lose:
 * the orders placed (and the customer accounts made) since then. Read-only.
 *
 * @package Strongbox
 */

namespace Strongbox\Rest;

use Strongbox\Data_Dir;

defined( 'ABSPATH' ) || exit;

/**
 * Restore preflight.
 */
class Preflight_Controller extends Controller {

	/**
	 * Routes.
	 */
	public function register_routes() {
		$this->route(
			'/restore/preflight',
			array(
				array(
					'GET',
					array( $this, 'get_preflight' ),
					array(
						'since' => array(
							'type'              => 'string',
							'required'          => false,
							'default'           => '',
							'description'       => 'The snapshot time: ISO 8601 (UTC) or UNIX seconds.',
							'sanitize_callback' => 'sanitize_text_field',
						),
					),
				),
			)
		);
	}

	/**
	 * A time given as UNIX seconds or an ISO 8601 string, as UNIX seconds; null if unreadable.
	 *
	 * @param string $since The parameter.
	 * @return int|null
	 */
	private static function parse_time( $since ) {
		$since = trim( (string) $since );
		if ( '' === $since ) {
			return null;
		}
		if ( preg_match( '/^\d{1,12}$/', $since ) ) {
			return (int) $since;
		}
		$t = strtotime( $since );
		return false === $t ? null : (int) $t;
	}

	/**
	 * The preflight.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function get_preflight( \WP_REST_Request $request ) {
		global $wpdb, $wp_version;

		$since = self::parse_time( (string) $request->get_param( 'since' ) );
		if ( '' !== trim( (string) $request->get_param( 'since' ) ) && null === $since ) {
			return self::error( 'strongbox_invalid_time', __( 'The time of the snapshot could not be read (use ISO 8601 or UNIX seconds).', 'strongbox' ), 400 );
		}

		$data_dir = Data_Dir::path();
		$uploads  = wp_get_upload_dir();
		$folders  = array(
			'site'        => ABSPATH,
			'wp-content'  => WP_CONTENT_DIR,
			'plugins'     => WP_PLUGIN_DIR,
			'themes'      => get_theme_root(),
			'uploads'     => isset( $uploads['basedir'] ) ? $uploads['basedir'] : WP_CONTENT_DIR . '/uploads',
		);
		$writable = array();
		foreach ( $folders as $key => $path ) {
			$writable[] = array(
				'id'       => $key,
				'path'     => self::shown_path( $path ),
				'exists'   => is_dir( $path ),
				'writable' => is_dir( $path ) && wp_is_writable( $path ),
			);
		}
		$writable[] = array(
			'id'       => 'private',
			'path'     => is_wp_error( $data_dir ) ? '' : self::shown_path( $data_dir ),
			'exists'   => ! is_wp_error( $data_dir ),
			'writable' => ! is_wp_error( $data_dir ) && wp_is_writable( $data_dir ),
		);

		$site_free = @disk_free_space( ABSPATH ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- may be disabled.
		$data_free = is_wp_error( $data_dir ) ? false : @disk_free_space( $data_dir ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- may be disabled.

		$active = array();
		foreach ( (array) get_option( 'active_plugins', array() ) as $file ) {
			$path = WP_PLUGIN_DIR . '/' . $file;
			if ( ! is_file( $path ) || ! function_exists( 'get_file_data' ) ) {
				continue;
			}
			$head     = get_file_data( $path, array( 'Name' => 'Plugin Name', 'Version' => 'Version' ) );
			$active[] = array(
				'file'    => (string) $file,
				'name'    => (string) $head['Name'],
				'version' => (string) $head['Version'],
			);
		}

		return new \WP_REST_Response(
			array(
				'now'                  => gmdate( 'Y-m-d\TH:i:s\Z' ),
				'since'                => null === $since ? null : gmdate( 'Y-m-d\TH:i:s\Z', $since ),
				'site_name'            => get_bloginfo( 'name' ),
				'home_url'             => home_url(),
				'disk_free_bytes'      => false === $site_free ? null : (int) $site_free,
				'private_free_bytes'   => false === $data_free ? null : (int) $data_free,
				'writable'             => $writable,
				'versions'             => array(
					'wordpress'   => $wp_version,
					'php'         => PHP_VERSION,
					'database'    => $wpdb->get_var( 'SELECT VERSION()' ),
					'strongbox'   => STRONGBOX_VERSION,
					'woocommerce' => defined( 'WC_VERSION' ) ? WC_VERSION : get_option( 'woocommerce_version', null ),
				),
				'plugins'              => $active,
				'shop'                 => null === $since ? null : self::shop_since( $since ),
				'restore_session_open' => self::session_open(),
			)
		);
	}

	/**
	 * A path shown relative to the WordPress folder when inside it.
	 *
	 * @param string $path Absolute path.
	 * @return string
	 */
	private static function shown_path( $path ) {
		$path = wp_normalize_path( (string) $path );
		$root = wp_normalize_path( ABSPATH );
		if ( 0 === strpos( $path, $root ) ) {
			$rel = ltrim( substr( $path, strlen( $root ) ), '/' );
			return '' === $rel ? '.' : $rel;
		}
		return $path;
	}

	/**
	 * Whether a restore session is open now.
	 *
	 * @return bool
	 */
	private static function session_open() {
		return null !== \Strongbox\Restore\Session::current();
	}

	/**
	 * Orders placed and customer accounts made since a time: what a full database restore to then loses.
	 *
	 * Orders come from WooCommerce's authoritative store: the HPOS table
	 * ({prefix}wc_orders) when it is, else the posts table (post_type shop_order).
	 * Refunds and drafts are not orders placed.
	 *
	 * @param int $since UNIX seconds.
	 * @return array|null Null when the site is no shop.
	 */
	private static function shop_since( $since ) {
		global $wpdb;
		$at     = gmdate( 'Y-m-d H:i:s', $since );
		$hpos_t = $wpdb->prefix . 'wc_orders';
		$has    = static function ( $table ) use ( $wpdb ) {
			return (bool) $wpdb->get_var( $wpdb->prepare( 'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s', $table ) );
		};
		$hpos_present = $has( $hpos_t );
		$hpos_enabled = 'yes' === get_option( 'woocommerce_custom_orders_table_enabled' );
		$posts_orders = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->posts} WHERE post_type = %s", 'shop_order' ) );
		if ( ! $hpos_present && 0 === $posts_orders && ! class_exists( 'WooCommerce' ) ) {
			return null;
		}
		$excluded = array( 'wc-checkout-draft', 'auto-draft', 'trash', 'draft' );
		if ( $hpos_present && ( $hpos_enabled || 0 === $posts_orders ) ) {
			$store = 'hpos';
			// phpcs:disable WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names come from $wpdb->prefix.
			$row = $wpdb->get_row(
				$wpdb->prepare(
					"SELECT COUNT(*) AS n, COALESCE(SUM(total_amount), 0) AS total, MAX(date_created_gmt) AS latest, MIN(currency) AS currency, COUNT(DISTINCT currency) AS currencies
					 FROM `{$hpos_t}` WHERE type = %s AND date_created_gmt > %s AND status NOT IN (%s, %s, %s, %s)",
					'shop_order',
					$at,
					$excluded[0],
					$excluded[1],
					$excluded[2],
					$excluded[3]
				),
				ARRAY_A
			);
			// phpcs:enable
		} else {
			$store = 'posts';
			$row   = $wpdb->get_row(
				$wpdb->prepare(
					"SELECT COUNT(*) AS n, COALESCE(SUM(CAST(m.meta_value AS DECIMAL(26,8))), 0) AS total, MAX(p.post_date_gmt) AS latest, NULL AS currency, 0 AS currencies
					 FROM {$wpdb->posts} p LEFT JOIN {$wpdb->postmeta} m ON m.post_id = p.ID AND m.meta_key = %s
					 WHERE p.post_type = %s AND p.post_date_gmt > %s AND p.post_status NOT IN (%s, %s, %s, %s)",
					'_order_total',
					'shop_order',
					$at,
					$excluded[0],
					$excluded[1],
					$excluded[2],
					$excluded[3]
				),
				ARRAY_A
			);
		}
		$customers = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->users} WHERE user_registered > %s", $at ) );
		return array(
			'store'          => $store,
			'orders_since'   => (int) ( $row ? $row['n'] : 0 ),
			'total_since'    => $row ? (string) $row['total'] : '0',
			'currency'       => $row && 1 === (int) $row['currencies'] ? (string) $row['currency'] : null,
			'latest_order'   => $row && $row['latest'] ? gmdate( 'Y-m-d\TH:i:s\Z', strtotime( $row['latest'] . ' UTC' ) ) : null,
			'customers_since' => $customers,
		);
	}
}
