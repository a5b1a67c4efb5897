<?php
/**
 * Who may use the API.
 *
 * @package Strongbox
 */

namespace Strongbox;

defined( 'ABSPATH' ) || exit;

/**
 * The permission callback shared by every route.
 */
final class Capability {

	/**
	 * The capability required by every route (filter `strongbox_capability`).
	 *
	 * @return string
	 */
	public static function name() {
		return (string) apply_filters( 'strongbox_capability', 'manage_options' );
	}

	/**
	 * Permission callback: true, or a WP_Error with 401 (not logged in) or 403.
	 *
	 * @return true|\WP_Error
	 */
	public static function check() {
		if ( current_user_can( self::name() ) ) {
			return true;
		}
		if ( ! is_user_logged_in() ) {
			return new \WP_Error( 'strongbox_unauthorized', __( 'You must be logged in as a site administrator to use Strongbox.', 'strongbox' ), array( 'status' => 401 ) );
		}
		return new \WP_Error( 'strongbox_forbidden', __( 'Your account is not allowed to use Strongbox.', 'strongbox' ), array( 'status' => 403 ) );
	}
}
