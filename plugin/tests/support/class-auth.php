<?php
/**
 * Credentials of the test users, minted in-process through WordPress's own APIs.
 *
 * @package Strongbox
 */

/**
 * Cookie + nonce and Application Password headers per test user.
 */
final class SB_Auth {

	/** The roles of the security matrix. */
	const ROLES = array( 'subscriber', 'customer', 'shop_manager', 'editor', 'administrator' );

	/** @var array cache */
	private static $cookies = array();

	/** @var array cache */
	private static $app = array();

	/**
	 * Logged-in cookie, session token and user id of a role's test user.
	 *
	 * @param string $role Role.
	 * @return array{cookie:string, token:string, user_id:int}
	 */
	public static function session( $role ) {
		if ( isset( self::$cookies[ $role ] ) ) {
			return self::$cookies[ $role ];
		}
		$user = get_user_by( 'login', 'sb_' . $role );
		if ( ! $user ) {
			throw new RuntimeException( "test user sb_$role missing (scripts/wordpress install)" );
		}
		$exp    = time() + 2 * HOUR_IN_SECONDS;
		$token  = WP_Session_Tokens::get_instance( $user->ID )->create( $exp );
		$cookie = wp_generate_auth_cookie( $user->ID, $exp, 'logged_in', $token );
		return self::$cookies[ $role ] = array(
			'cookie'  => 'Cookie: ' . LOGGED_IN_COOKIE . '=' . rawurlencode( $cookie ),
			'token'   => $token,
			'user_id' => $user->ID,
		);
	}

	/**
	 * The wp_rest nonce of a role's session, $ticks_ago ticks old (0 = current).
	 *
	 * @param string $role      Role.
	 * @param int    $ticks_ago Age in nonce ticks (>= 2 is expired).
	 * @return string
	 */
	public static function nonce( $role, $ticks_ago = 0 ) {
		$s = self::session( $role );
		$i = wp_nonce_tick() - $ticks_ago;
		return substr( wp_hash( $i . '|wp_rest|' . $s['user_id'] . '|' . $s['token'], 'nonce' ), -12, 10 );
	}

	/**
	 * Headers of a cookie-authenticated REST call with a valid nonce.
	 *
	 * @param string $role Role.
	 * @return string[]
	 */
	public static function cookie_nonce( $role ) {
		return array( self::session( $role )['cookie'], 'X-WP-Nonce: ' . self::nonce( $role ) );
	}

	/**
	 * Headers of an Application Password call.
	 *
	 * @param string $role Role.
	 * @return string[]
	 */
	public static function app_password( $role ) {
		if ( ! isset( self::$app[ $role ] ) ) {
			$user = get_user_by( 'login', 'sb_' . $role );
			list( $pw ) = WP_Application_Passwords::create_new_application_password( $user->ID, array( 'name' => 'phpunit-' . wp_generate_password( 6, false ) ) );
			self::$app[ $role ] = 'Authorization: Basic ' . base64_encode( 'sb_' . $role . ':' . $pw );
		}
		return array( self::$app[ $role ] );
	}

	/**
	 * Every way of calling: name => headers, for one role ('anonymous' = logged out).
	 *
	 * @param string $role Role or 'anonymous'.
	 * @return array<string, string[]>
	 */
	public static function variants( $role ) {
		if ( 'anonymous' === $role ) {
			return array(
				'no credentials' => array(),
				'bogus nonce'    => array( 'X-WP-Nonce: 0123456789' ),
				'bogus basic'    => array( 'Authorization: Basic ' . base64_encode( 'sb_administrator:wrong wrong wrong wrong' ) ),
			);
		}
		$s = self::session( $role );
		return array(
			'cookie, valid nonce'   => self::cookie_nonce( $role ),
			'cookie, no nonce'      => array( $s['cookie'] ),
			'cookie, wrong nonce'   => array( $s['cookie'], 'X-WP-Nonce: 0123456789' ),
			'cookie, expired nonce' => array( $s['cookie'], 'X-WP-Nonce: ' . self::nonce( $role, 4 ) ),
			'application password'  => self::app_password( $role ),
			'login password basic'  => array( 'Authorization: Basic ' . base64_encode( 'sb_' . $role . ':pw-sb_' . $role ) ),
		);
	}

	/**
	 * Headers of the administrator (Application Password).
	 *
	 * @return string[]
	 */
	public static function admin() {
		return self::app_password( 'administrator' );
	}
}
