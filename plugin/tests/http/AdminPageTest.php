<?php
/**
 * The Strongbox screens (top-level menu): rendered for administrators only, the built
 * application with WordPress's own scripts, configuration without secrets.
 *
 * @package Strongbox
 */

/**
 * The admin screen over HTTP, logged in through real wp-admin cookies.
 */
class AdminPageTest extends SB_Http_Test_Case {

	const PAGE = '/wp-admin/admin.php?page=strongbox';

	/** Every screen of the menu. */
	const SCREENS = array( 'strongbox', 'strongbox-snapshots', 'strongbox-restore', 'strongbox-settings' );

	/**
	 * The wp-admin cookies (auth + logged_in) of a role's test user.
	 *
	 * @param string $role Role.
	 * @return string[] Header lines.
	 */
	private static function admin_cookies( $role ) {
		$user  = get_user_by( 'login', 'sb_' . $role );
		$exp   = time() + HOUR_IN_SECONDS;
		$token = WP_Session_Tokens::get_instance( $user->ID )->create( $exp );
		$auth  = wp_generate_auth_cookie( $user->ID, $exp, 'auth', $token );
		$in    = wp_generate_auth_cookie( $user->ID, $exp, 'logged_in', $token );
		return array( 'Cookie: ' . AUTH_COOKIE . '=' . rawurlencode( $auth ) . '; ' . LOGGED_IN_COOKIE . '=' . rawurlencode( $in ) );
	}

	public function test_administrators_get_the_screens_with_the_build_and_no_secret() {
		$secret     = 'admin-page-secret-' . wp_generate_password( 12, false );
		$passphrase = 'admin page passphrase ' . wp_generate_password( 12, false );
		$d          = self::api( 'POST', '/destinations', array( 'name' => 'Page <b>test</b>', 'endpoint' => 'http://127.0.0.1:9', 'bucket' => 'page-bucket', 'prefix' => 'shop', 'access_key_id' => 'AKPAGE', 'secret_access_key' => $secret ) )->json();
		$this->assertSame( 200, self::api( 'PUT', '/settings/passphrase', array( 'passphrase' => $passphrase ) )->status );

		$r = SB_Http::request( 'GET', self::PAGE, self::admin_cookies( 'administrator' ) );
		$this->assertSame( 200, $r->status, substr( $r->body, 0, 500 ) );
		$this->assertStringContainsString( 'id="strongbox-app"', $r->body );
		$this->assertStringContainsString( 'id="strongbox-root"', $r->body );
		$this->assertMatchesRegularExpression( '#<script[^>]+src=[\'"][^\'"]+assets/admin/index\.js\?ver=[^\'"]+[\'"] id=[\'"]strongbox-admin-js[\'"]#', $r->body, 'the built screens are enqueued' );
		// Their WordPress dependencies come from WordPress itself (index.asset.php), all registered in 6.1.
		foreach ( array( 'wp-element', 'wp-components', 'wp-api-fetch', 'wp-i18n' ) as $handle ) {
			$this->assertMatchesRegularExpression( '#id=[\'"]' . preg_quote( $handle, '#' ) . '-js[\'"]#', $r->body, "$handle is loaded" );
		}
		$this->assertStringNotContainsString( 'react-jsx-runtime', $r->body, 'no script handle WordPress 6.1 lacks' );
		$this->assertMatchesRegularExpression( '#assets/admin/style-index\.css#', $r->body, 'the screens\' style' );
		// wp_set_script_translations() prints the strings only for a locale with a JSON
		// translation file; the test site runs in English, so that is not visible here.
		$this->assertStringNotContainsString( $secret, $r->body, 'the storage secret never reaches the page' );
		$this->assertStringNotContainsString( $passphrase, $r->body, 'the passphrase never reaches the page' );
		$this->assertStringNotContainsString( 'Page <b>test</b>', $r->body, 'destination names are escaped' );
		// The names reach the page only inside the JSON configuration, tags hex-escaped (React renders them as text).
		$this->assertStringContainsString( 'Page \\u003Cb\\u003Etest\\u003C/b\\u003E', $r->body );

		$this->assertSame( 1, preg_match( '#<script type="application/json" id="strongbox-admin-config">(.*?)</script>#s', $r->body, $m ) );
		$config = json_decode( $m[1], true );
		$this->assertIsArray( $config );
		$this->assertSame( SB_TEST_URL . '/wp-json/strongbox/v1/', $config['restUrl'] );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{10}$/', $config['nonce'] );
		$this->assertTrue( $config['hasPassphrase'] );
		foreach ( array( 'clientUrl', 'workerUrl', 'engineUrl', 'wasmUrl' ) as $k ) {
			$this->assertStringStartsWith( SB_TEST_URL . '/wp-content/plugins/strongbox/assets/', $config[ $k ], $k );
		}
		$this->assertStringContainsString( 'strongbox_bg.wasm', $config['wasmUrl'] );
		$ids = array_column( $config['destinations'], 'id' );
		$this->assertContains( $d['id'], $ids );
		foreach ( $config['destinations'] as $dest ) {
			$this->assertArrayNotHasKey( 'secret_access_key', $dest );
			$this->assertArrayHasKey( 'has_secret', $dest );
		}
		$this->assertSame( get_bloginfo( 'name' ), $config['siteName'], 'the name the restore asks to type' );

		// The page's scripts are served, the worker and client as JavaScript.
		foreach ( array( 'clientUrl', 'workerUrl' ) as $k ) {
			$js = SB_Http::request( 'GET', $config[ $k ] );
			$this->assertSame( 200, $js->status, $k );
			$this->assertStringContainsString( 'javascript', $js->headers['content-type'], $k );
		}

		// Every screen of the top-level menu, and the menu itself.
		foreach ( self::SCREENS as $slug ) {
			$page = SB_Http::request( 'GET', '/wp-admin/admin.php?page=' . $slug, self::admin_cookies( 'administrator' ) );
			$this->assertSame( 200, $page->status, $slug );
			$this->assertStringContainsString( 'id="strongbox-root"', $page->body, $slug );
			$this->assertStringContainsString( 'admin.php?page=' . $slug, $page->body, "$slug is in the menu" );
		}
		$this->assertStringContainsString( 'toplevel_page_strongbox', $r->body );
		// The earlier place, Tools > Strongbox, leads to the dashboard.
		$old = SB_Http::request( 'GET', '/wp-admin/tools.php?page=strongbox', self::admin_cookies( 'administrator' ) );
		$this->assertSame( 302, $old->status );
		$this->assertStringContainsString( 'admin.php?page=strongbox', $old->headers['location'] );

		// While backups are not set up, the other admin screens lead to the setup.
		$dash = SB_Http::request( 'GET', '/wp-admin/index.php', self::admin_cookies( 'administrator' ) );
		$this->assertStringNotContainsString( 'not backed up yet', $dash->body, 'no notice once set up' );
		$saved = get_option( \Strongbox\Rest\Jobs_Controller::PASSPHRASE_OPTION );
		delete_option( \Strongbox\Rest\Jobs_Controller::PASSPHRASE_OPTION );
		try {
			$dash = SB_Http::request( 'GET', '/wp-admin/index.php', self::admin_cookies( 'administrator' ) );
			$this->assertStringContainsString( 'not backed up yet', $dash->body, 'the setup notice without a passphrase' );
			$this->assertStringContainsString( 'admin.php?page=strongbox', $dash->body );
		} finally {
			update_option( \Strongbox\Rest\Jobs_Controller::PASSPHRASE_OPTION, $saved, false );
		}

		self::api( 'DELETE', '/destinations/' . $d['id'] );
	}

	public function test_other_roles_are_refused() {
		foreach ( array( 'editor', 'shop_manager', 'subscriber' ) as $role ) {
			$r = SB_Http::request( 'GET', self::PAGE, self::admin_cookies( $role ) );
			$this->assertSame( 403, $r->status, "$role must not see the screen" );
			$this->assertStringNotContainsString( 'strongbox-admin-config', $r->body, $role );
			foreach ( self::SCREENS as $slug ) {
				$this->assertSame( 403, SB_Http::request( 'GET', '/wp-admin/admin.php?page=' . $slug, self::admin_cookies( $role ) )->status, "$role: $slug" );
			}
			$dash = SB_Http::request( 'GET', '/wp-admin/index.php', self::admin_cookies( $role ) );
			$this->assertStringNotContainsString( 'page=strongbox', $dash->body, "$role gets no menu entry" );
		}
		// Logged out: sent to the login form.
		$r = SB_Http::request( 'GET', self::PAGE );
		$this->assertSame( 302, $r->status );
		$this->assertStringContainsString( 'wp-login.php', $r->headers['location'] );
	}
}
