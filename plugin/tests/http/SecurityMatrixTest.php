<?php
/**
 * Every route x every role x every way of authenticating: zero unauthorized successes.
 *
 * @package Strongbox
 */

/**
 * The security matrix (anchors: UpdraftPlus 2022 subscriber download, Backup Migration CVE-2023-6553).
 */
class SecurityMatrixTest extends SB_Http_Test_Case {

	/** Codes that mean "authentication or authorization refused". */
	const AUTH_CODES = array( 'strongbox_unauthorized', 'strongbox_forbidden', 'rest_cookie_invalid_nonce', 'rest_forbidden', 'incorrect_password', 'invalid_username', 'invalid_email' );

	/** @var string */
	private static $dest;

	/** @var int */
	private static $job;

	/** @var string */
	private static $schedule;

	public static function setUpBeforeClass(): void {
		$d          = self::api( 'POST', '/destinations', array( 'name' => 'matrix', 'endpoint' => 'http://127.0.0.1:9', 'bucket' => 'matrix-bucket', 'prefix' => 'pfx', 'access_key_id' => 'AKMATRIX', 'secret_access_key' => 'matrix-secret-never-shown' ) )->json();
		self::$dest = $d['id'];
		self::$job  = self::api( 'POST', '/jobs', array( 'type' => 'check' ) )->json()['id'];
		self::$schedule = self::api( 'POST', '/schedules', array( 'name' => 'matrix', 'every' => 'day', 'enabled' => false, 'destination_ids' => array( self::$dest ) ) )->json()['id'];
	}

	public static function tearDownAfterClass(): void {
		self::api( 'DELETE', '/schedules/' . self::$schedule );
		delete_option( \Strongbox\Clock::OPTION ); // PUT /test/clock {"advance": 0} froze the simulated clock.
	}

	/**
	 * Requests covering every route of the namespace: [method, route, json body|null, raw body|null].
	 *
	 * @return array<string, array>
	 */
	private static function requests() {
		$sid = str_repeat( 'ab', 16 );
		$d   = self::$dest;
		$j   = self::$job;
		$s   = self::$schedule;
		return array(
			'/site'                                         => array( 'GET', '/site' ),
			'/files'                                        => array( 'GET', '/files?limit=2' ),
			'/files/content'                                => array( 'GET', '/files/content?path=wp-config.php' ),
			'/files/read'                                   => array( 'POST', '/files/read', array( 'files' => array( array( 'path' => 'wp-config.php', 'offset' => 0, 'length' => 100 ) ) ) ),
			'/db/tables'                                    => array( 'GET', '/db/tables' ),
			'/db/tables/(?P<table>[^/]+)'                   => array( 'GET', '/db/tables/wp_users' ),
			'/db/tables/(?P<table>[^/]+)/manifest'          => array( 'GET', '/db/tables/wp_users/manifest' ),
			'/db/tables/(?P<table>[^/]+)/rows'              => array( 'GET', '/db/tables/wp_users/rows' ),
			'/db/export'                                    => array( 'POST', '/db/export', array( 'tables' => array( array( 'table' => 'wp_users' ) ) ) ),
			'/db/manifests'                                 => array( 'POST', '/db/manifests', array( 'tables' => array( array( 'table' => 'wp_users' ) ) ) ),
			'/restore/preflight'                            => array( 'GET', '/restore/preflight?since=2020-01-01T00:00:00Z' ),
			'/restore/sessions'                             => array( 'POST', '/restore/sessions', array( 'confirm' => 'not confirmed' ) ),
			'/restore/sessions/current'                     => array( 'GET', '/restore/sessions/current' ),
			'/restore/drills'                               => array( 'GET', '/restore/drills' ),
			'/restore/sessions/(?P<id>[0-9a-f]{32})'         => array( 'GET', "/restore/sessions/$sid" ),
			'DELETE /restore/sessions/(?P<id>[0-9a-f]{32})'  => array( 'DELETE', "/restore/sessions/$sid" ),
			'/restore/sessions/(?P<id>[0-9a-f]{32})/tables/(?P<table>[^/]+)'      => array( 'PUT', "/restore/sessions/$sid/tables/wp_users", array( 'create' => 'CREATE TABLE `wp_users` (a int)' ) ),
			'/restore/sessions/(?P<id>[0-9a-f]{32})/tables/(?P<table>[^/]+)/rows' => array( 'POST', "/restore/sessions/$sid/tables/wp_users/rows", null, "(1)\n" ),
			'/restore/sessions/(?P<id>[0-9a-f]{32})/files'                        => array( 'PUT', "/restore/sessions/$sid/files?path=x.txt", null, 'data' ),
			'/restore/sessions/(?P<id>[0-9a-f]{32})/files/batch'                  => array( 'POST', "/restore/sessions/$sid/files/batch", null, "#file {\"path\":\"x.txt\",\"length\":4}\ndata\n#done {}\n" ),
			'/restore/sessions/(?P<id>[0-9a-f]{32})/files/keep'                   => array( 'POST', "/restore/sessions/$sid/files/keep?roots[]=", null, "wp-config.php\n" ),
			'/restore/sessions/(?P<id>[0-9a-f]{32})/key'                          => array( 'POST', "/restore/sessions/$sid/key" ),
			'/restore/sessions/(?P<id>[0-9a-f]{32})/search-replace'               => array( 'POST', "/restore/sessions/$sid/search-replace", array( 'from' => 'a', 'to' => 'b' ) ),
			'/restore/sessions/(?P<id>[0-9a-f]{32})/verify'                       => array( 'GET', "/restore/sessions/$sid/verify?table=wp_users" ),
			'/restore/sessions/(?P<id>[0-9a-f]{32})/verify-files'                 => array( 'POST', "/restore/sessions/$sid/verify-files", array( 'paths' => array( 'wp-config.php' ) ) ),
			'/restore/sessions/(?P<id>[0-9a-f]{32})/swap'                         => array( 'POST', "/restore/sessions/$sid/swap" ),
			'/restore/sessions/(?P<id>[0-9a-f]{32})/commit'                       => array( 'POST', "/restore/sessions/$sid/commit" ),
			'/restore/sessions/(?P<id>[0-9a-f]{32})/rollback'                     => array( 'POST', "/restore/sessions/$sid/rollback" ),
			'/destinations'                                 => array( 'GET', '/destinations' ),
			'POST /destinations'                            => array( 'POST', '/destinations', array( 'name' => 'x', 'endpoint' => 'http://127.0.0.1:9', 'bucket' => 'Invalid_Bucket', 'access_key_id' => 'a', 'secret_access_key' => 'b' ) ),
			'/destinations/(?P<id>d[0-9a-f]{12})'           => array( 'GET', "/destinations/$d" ),
			'PATCH /destinations/(?P<id>d[0-9a-f]{12})'     => array( 'PATCH', "/destinations/$d", array( 'name' => 'matrix' ) ),
			'DELETE /destinations/(?P<id>d[0-9a-f]{12})'    => array( 'DELETE', '/destinations/d000000000000' ),
			'/destinations/(?P<id>d[0-9a-f]{12})/presign'   => array( 'POST', "/destinations/$d/presign", array( 'job_id' => $j, 'requests' => array( array( 'method' => 'GET', 'key' => 'pfx/config' ) ) ) ),
			'/destinations/(?P<id>d[0-9a-f]{12})/test'      => array( 'POST', "/destinations/$d/test", array( 'origin' => 'https://shop.example' ) ),
			'/destinations/(?P<id>d[0-9a-f]{12})/cors'      => array( 'POST', "/destinations/$d/cors", array( 'origin' => 'https://shop.example' ) ),
			'/jobs'                                         => array( 'GET', '/jobs' ),
			'POST /jobs'                                    => array( 'POST', '/jobs', array( 'type' => 'check' ) ),
			'/jobs/(?P<id>[0-9]+)'                          => array( 'GET', "/jobs/$j" ),
			'PATCH /jobs/(?P<id>[0-9]+)'                    => array( 'PATCH', "/jobs/$j", array( 'log' => array( 'matrix' ) ) ),
			'/jobs/(?P<id>[0-9]+)/passphrase'               => array( 'GET', "/jobs/$j/passphrase" ),
			'/jobs/prune'                                   => array( 'POST', '/jobs/prune', array( 'days' => 36500 ) ),
			'/settings/passphrase'                          => array( 'GET', '/settings/passphrase' ),
			'PUT /settings/passphrase'                      => array( 'PUT', '/settings/passphrase', array( 'passphrase' => 'matrix passphrase 1' ) ),
			'/schedules'                                    => array( 'GET', '/schedules' ),
			'POST /schedules'                               => array( 'POST', '/schedules', array( 'every' => 'day', 'destination_ids' => array( 'd000000000000' ) ) ),
			'/schedules/(?P<id>s[0-9a-f]{12})'              => array( 'GET', "/schedules/$s" ),
			'PATCH /schedules/(?P<id>s[0-9a-f]{12})'        => array( 'PATCH', "/schedules/$s", array( 'name' => 'matrix' ) ),
			'DELETE /schedules/(?P<id>s[0-9a-f]{12})'       => array( 'DELETE', '/schedules/s000000000000' ),
			'/runner/claim'                                 => array( 'POST', '/runner/claim', array( 'runner' => array( 'id' => 'matrix', 'kind' => 'agent' ), 'types' => array( 'restore' ) ) ),
			'/jobs/(?P<id>[0-9]+)/heartbeat'                => array( 'POST', "/jobs/$j/heartbeat", array( 'lease' => str_repeat( 'ab', 24 ) ) ),
			'/jobs/(?P<id>[0-9]+)/finish'                   => array( 'POST', "/jobs/$j/finish", array( 'lease' => str_repeat( 'ab', 24 ), 'state' => 'failed' ) ),
			'/status'                                       => array( 'GET', '/status' ),
			'/settings'                                     => array( 'GET', '/settings' ),
			'PUT /settings'                                 => array( 'PUT', '/settings', array( 'rpo_hours' => 24 ) ),
			'/test/clock'                                   => array( 'PUT', '/test/clock', array( 'advance' => 0 ) ),
			// Request shapes of raw paths, folders and links (same routes, other inputs).
			'shape: /files cursor b64:'                     => array( 'GET', '/files?limit=2&cursor=' . rawurlencode( 'b64:' . base64_encode( "wp-content/caf\xe9" ) ) ),
			'shape: /files/content path_b64'                => array( 'GET', '/files/content?path_b64=' . rawurlencode( base64_encode( 'wp-config.php' ) ) ),
			'shape: /files/read path_b64'                   => array( 'POST', '/files/read', array( 'files' => array( array( 'path_b64' => base64_encode( 'wp-config.php' ), 'offset' => 0, 'length' => 100 ) ) ) ),
			'shape: PUT .../files path_b64'                 => array( 'PUT', "/restore/sessions/$sid/files?path_b64=" . rawurlencode( base64_encode( "x\xe9.txt" ) ), null, 'data' ),
			'shape: .../files/batch #dir #link'             => array( 'POST', "/restore/sessions/$sid/files/batch", null, '#dir {"path":"x","mode":"0755"}' . "\n" . '#link {"path_b64":"' . base64_encode( "l\xe9" ) . '","target":"../../wp-config.php"}' . "\n#done {}\n" ),
			'shape: .../files/keep b64:'                    => array( 'POST', "/restore/sessions/$sid/files/keep?roots[]=", null, 'b64:' . base64_encode( "caf\xe9.txt" ) . "\n" ),
			'shape: .../verify-files path_b64'              => array( 'POST', "/restore/sessions/$sid/verify-files", array( 'paths' => array( array( 'path_b64' => base64_encode( 'wp-config.php' ) ) ) ) ),
		);
	}

	/**
	 * The matrix covers every route the plugin registers, with every method.
	 */
	public function test_matrix_covers_every_registered_route() {
		$covered = array();
		foreach ( self::requests() as $name => $r ) {
			$route = false !== strpos( $name, ' ' ) ? substr( $name, strpos( $name, ' ' ) + 1 ) : $name;
			$covered[ '/strongbox/v1' . $route ][ $r[0] ] = true;
		}
		$server = rest_get_server();
		$routes = $server->get_routes( 'strongbox/v1' );
		$this->assertGreaterThan( 20, count( $routes ) );
		foreach ( $routes as $route => $handlers ) {
			if ( '/strongbox/v1' === $route ) {
				continue; // The namespace index, served by WordPress itself.
			}
			foreach ( $handlers as $h ) {
				$this->assertNotEmpty( $h['permission_callback'], "$route has a permission_callback" );
				foreach ( array_keys( $h['methods'] ) as $m ) {
					if ( 'PUT' === $m && isset( $h['methods']['PATCH'], $h['methods']['POST'] ) ) {
						continue;
					}
					if ( 'POST' === $m && isset( $h['methods']['PATCH'] ) ) {
						continue;
					}
					$this->assertArrayHasKey( $route, $covered, "route $route is in the matrix" );
					$this->assertArrayHasKey( $m, $covered[ $route ], "$m $route is in the matrix" );
				}
			}
		}
	}

	/**
	 * Logged-out callers and every non-administrator role, with every credential variant, are refused everywhere.
	 */
	public function test_no_unauthorized_success() {
		$batch  = array();
		$names  = array();
		$logged = array();
		foreach ( array_merge( array( 'anonymous' ), SB_Auth::ROLES ) as $role ) {
			foreach ( SB_Auth::variants( $role ) as $variant => $headers ) {
				$admin_ok = 'administrator' === $role && in_array( $variant, array( 'cookie, valid nonce', 'application password' ), true );
				if ( $admin_ok ) {
					continue;
				}
				foreach ( self::requests() as $name => $r ) {
					$h    = $headers;
					$body = null;
					if ( isset( $r[2] ) ) {
						$h[]  = 'Content-Type: application/json';
						$body = json_encode( $r[2] );
					} elseif ( isset( $r[3] ) ) {
						$h[]  = 'Content-Type: application/octet-stream';
						$body = $r[3];
					}
					$batch[]  = array( $r[0], self::API . $r[1], $h, $body );
					$names[]  = "$role / $variant / $name";
					$logged[] = 'anonymous' !== $role && in_array( $variant, array( 'cookie, valid nonce', 'application password' ), true );
				}
			}
		}
		$responses = SB_Http::multi( $batch, 4 );
		$failures  = array();
		foreach ( $responses as $i => $resp ) {
			$ok = in_array( $resp->status, array( 401, 403 ), true ) && in_array( $resp->code(), self::AUTH_CODES, true );
			if ( $ok && $logged[ $i ] && ( 403 !== $resp->status || 'strongbox_forbidden' !== $resp->code() ) ) {
				$ok = false; // A recognized user must be refused for lack of capability, not of login.
			}
			if ( ! $ok ) {
				$failures[] = $names[ $i ] . ' -> ' . $resp->status . ' ' . substr( $resp->body, 0, 160 );
			}
			$this->assertStringNotContainsString( 'matrix-secret-never-shown', $resp->body );
			$this->assertStringNotContainsString( 'DB_PASSWORD', $resp->body );
			$this->assertStringNotContainsString( 'user_pass', $resp->body );
		}
		$this->assertGreaterThan( 800, count( $responses ) );
		$this->assertSame( array(), $failures, count( $failures ) . ' unauthorized requests were not refused' );
	}

	/**
	 * The administrator passes authorization on every route with both proper credentials.
	 */
	public function test_administrator_is_let_through() {
		foreach ( array( 'cookie, valid nonce' => SB_Auth::cookie_nonce( 'administrator' ), 'application password' => SB_Auth::app_password( 'administrator' ) ) as $variant => $headers ) {
			foreach ( self::requests() as $name => $r ) {
				$h    = $headers;
				$body = null;
				if ( isset( $r[2] ) ) {
					$h[]  = 'Content-Type: application/json';
					$body = json_encode( $r[2] );
				} elseif ( isset( $r[3] ) ) {
					$h[]  = 'Content-Type: application/octet-stream';
					$body = $r[3];
				}
				$resp = SB_Http::request( $r[0], self::API . $r[1], $h, $body );
				$this->assertNotContains( $resp->code(), self::AUTH_CODES, "$variant / $name: " . substr( $resp->body, 0, 200 ) );
				$this->assertLessThan( 500, $resp->status, "$variant / $name: " . substr( $resp->body, 0, 200 ) );
			}
		}
	}

	/**
	 * The capability is filterable: a mu-plugin could grant shop managers access; the default does not.
	 */
	public function test_capability_filter() {
		$this->assertSame( 'manage_options', \Strongbox\Capability::name() );
		add_filter(
			'strongbox_capability',
			$f = static function () {
				return 'manage_woocommerce';
			}
		);
		$this->assertSame( 'manage_woocommerce', \Strongbox\Capability::name() );
		remove_filter( 'strongbox_capability', $f );
	}
}
