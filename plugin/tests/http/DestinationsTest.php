<?php
/**
 * Destinations (secret never leaves the server) and presigning (prefix and operations enforced).
 *
 * @package Strongbox
 */

/**
 * Destinations and presign routes.
 */
class DestinationsTest extends SB_Http_Test_Case {

	/** @var string */
	private static $secret;

	/** @var string[] every response body of this class */
	private static $bodies = array();

	private static function call( $method, $route, $json = null, array $headers = null ) {
		$r              = self::api( $method, $route, $json, $headers );
		self::$bodies[] = $r->body . json_encode( $r->headers );
		return $r;
	}

	public static function setUpBeforeClass(): void {
		self::$secret = 'SeCrEt/' . bin2hex( random_bytes( 12 ) );
	}

	private function create( $prefix = 'shop-a/backups' ) {
		$r = self::call(
			'POST',
			'/destinations',
			array(
				'name'              => 'Local S3',
				'endpoint'          => 'http://127.0.0.1:9000',
				'region'            => 'eu-central-1',
				'bucket'            => 'strongbox-test',
				'prefix'            => $prefix,
				'access_key_id'     => 'AKIDTEST',
				'secret_access_key' => self::$secret,
			)
		);
		$this->assertSame( 201, $r->status, $r->body );
		return $r->json();
	}

	private function job( $type, $state = null ) {
		$job = self::call( 'POST', '/jobs', array( 'type' => $type ) )->json();
		if ( $state ) {
			$this->assertSame( 200, self::call( 'PATCH', '/jobs/' . $job['id'], array( 'state' => $state ) )->status );
		}
		return $job['id'];
	}

	public function test_crud_masks_the_secret_and_keeps_it_server_side() {
		global $wpdb;
		$d = $this->create();
		$this->assertTrue( $d['has_secret'] );
		$this->assertArrayNotHasKey( 'secret_access_key', $d );
		$this->assertSame( 'shop-a/backups', $d['prefix'] );
		$this->assertSame( 200, self::call( 'GET', '/destinations/' . $d['id'] )->status );
		$list = self::call( 'GET', '/destinations' )->json();
		$this->assertContains( $d['id'], array_column( $list, 'id' ) );
		// Update without a secret keeps it.
		$u = self::call( 'PATCH', '/destinations/' . $d['id'], array( 'name' => 'Renamed', 'secret_access_key' => '' ) );
		$this->assertSame( 'Renamed', $u->json()['name'] );
		wp_cache_flush();
		$stored = \Strongbox\Storage\Destinations::get( $d['id'] );
		$this->assertSame( self::$secret, $stored['secret_access_key'] );
		$this->assertSame( 'no', $wpdb->get_var( "SELECT autoload FROM {$wpdb->options} WHERE option_name = 'strongbox_destinations'" ), 'not autoloaded' );

		$this->assertError( 400, 'strongbox_destination_invalid', self::call( 'POST', '/destinations', array( 'endpoint' => 'ftp://x', 'bucket' => 'b-b-b', 'access_key_id' => 'a', 'secret_access_key' => 'b' ) ) );
		$this->assertError( 400, 'strongbox_destination_invalid', self::call( 'POST', '/destinations', array( 'endpoint' => 'http://127.0.0.1:9000', 'bucket' => 'UPPER_case', 'access_key_id' => 'a', 'secret_access_key' => 'b' ) ) );
		$this->assertError( 400, 'strongbox_destination_invalid', self::call( 'POST', '/destinations', array( 'endpoint' => 'http://127.0.0.1:9000', 'bucket' => 'okay-bucket', 'prefix' => 'a/../b', 'access_key_id' => 'a', 'secret_access_key' => 'b' ) ) );
		$this->assertError( 404, 'strongbox_destination_not_found', self::call( 'GET', '/destinations/d000000000000' ) );
	}

	public function test_presign_only_under_the_prefix_and_only_the_jobs_operations() {
		$d   = $this->create( 'shop-a/backups' );
		$job = $this->job( 'backup', 'running' );
		$url = '/destinations/' . $d['id'] . '/presign';

		$r = self::call(
			'POST',
			$url,
			array(
				'job_id'   => $job,
				'expires'  => 600,
				'requests' => array(
					array( 'method' => 'PUT', 'key' => 'shop-a/backups/data/ab/abcdef' ),
					array( 'method' => 'GET', 'key' => 'shop-a/backups/config' ),
					array( 'method' => 'HEAD', 'key' => 'shop-a/backups/keys/k1' ),
					array( 'method' => 'LIST', 'key' => 'shop-a/backups/' ),
				),
			)
		);
		$this->assertSame( 200, $r->status, $r->body );
		$urls = $r->json()['urls'];
		$this->assertCount( 4, $urls );
		$this->assertStringStartsWith( 'http://127.0.0.1:9000/strongbox-test/shop-a/backups/data/ab/abcdef?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDTEST%2F', $urls[0]['url'] );
		$this->assertStringContainsString( 'X-Amz-Expires=600', $urls[0]['url'] );
		$this->assertStringContainsString( '%2Feu-central-1%2Fs3%2Faws4_request', $urls[0]['url'] );
		$this->assertMatchesRegularExpression( '/&X-Amz-Signature=[0-9a-f]{64}$/', $urls[0]['url'] );
		$this->assertStringContainsString( 'prefix=shop-a%2Fbackups%2F', $urls[3]['url'] );
		$this->assertSame( 'GET', $urls[3]['method'] );

		$outside = array( 'shop-a/other/x', 'shop-a/backups', 'shop-a/backupsevil/x', 'shop-a/backups/../../shop-b/x', 'shop-a/backups//x', '/shop-a/backups/x', 'shop-b/x', "shop-a/backups/a\nb", 'shop-a/backups/./x', 'shop-a\\backups\\x', '' );
		foreach ( $outside as $key ) {
			$r = self::call( 'POST', $url, array( 'job_id' => $job, 'requests' => array( array( 'method' => 'GET', 'key' => 'shop-a/backups/ok' ), array( 'method' => 'PUT', 'key' => $key ) ) ) );
			$this->assertError( 403, 'strongbox_key_outside_prefix', $r );
			$this->assertStringNotContainsString( 'X-Amz-Signature', $r->body, 'no URL of the batch is returned' );
		}
		$this->assertError( 403, 'strongbox_key_outside_prefix', self::call( 'POST', $url, array( 'job_id' => $job, 'requests' => array( array( 'method' => 'LIST', 'key' => 'shop-a/' ) ) ) ) );

		$this->assertError( 403, 'strongbox_operation_denied', self::call( 'POST', $url, array( 'job_id' => $job, 'requests' => array( array( 'method' => 'DELETE', 'key' => 'shop-a/backups/data/x' ) ) ) ) );
		$restore = $this->job( 'restore', 'running' );
		$this->assertError( 403, 'strongbox_operation_denied', self::call( 'POST', $url, array( 'job_id' => $restore, 'requests' => array( array( 'method' => 'PUT', 'key' => 'shop-a/backups/x' ) ) ) ) );
		$prune = $this->job( 'prune', 'running' );
		$this->assertSame( 200, self::call( 'POST', $url, array( 'job_id' => $prune, 'requests' => array( array( 'method' => 'DELETE', 'key' => 'shop-a/backups/data/x' ) ) ) )->status );

		$done = $this->job( 'backup', 'running' );
		self::call( 'PATCH', "/jobs/$done", array( 'state' => 'succeeded' ) );
		$this->assertError( 409, 'strongbox_job_not_active', self::call( 'POST', $url, array( 'job_id' => $done, 'requests' => array( array( 'method' => 'GET', 'key' => 'shop-a/backups/x' ) ) ) ) );
		$this->assertError( 404, 'strongbox_job_not_found', self::call( 'POST', $url, array( 'job_id' => 99999999, 'requests' => array( array( 'method' => 'GET', 'key' => 'shop-a/backups/x' ) ) ) ) );
		$this->assertSame( 400, self::call( 'POST', $url, array( 'job_id' => $job, 'expires' => 86400, 'requests' => array( array( 'method' => 'GET', 'key' => 'shop-a/backups/x' ) ) ) )->status, 'at most one hour' );
		$many = array_fill( 0, 1001, array( 'method' => 'GET', 'key' => 'shop-a/backups/x' ) );
		$this->assertSame( 400, self::call( 'POST', $url, array( 'job_id' => $job, 'requests' => $many ) )->status, 'batches of at most 1000' );
	}

	public function test_every_job_may_put_and_delete_lock_files_and_nothing_else_new() {
		$d   = $this->create( 'shop-a/backups' );
		$url = '/destinations/' . $d['id'] . '/presign';
		foreach ( array( 'backup', 'restore', 'check', 'prune' ) as $type ) {
			$job = $this->job( $type, 'running' );
			$r   = self::call(
				'POST',
				$url,
				array(
					'job_id'   => $job,
					'requests' => array(
						array( 'method' => 'PUT', 'key' => 'shop-a/backups/locks/' . $type . '-1' ),
						array( 'method' => 'DELETE', 'key' => 'shop-a/backups/locks/' . $type . '-1' ),
						array( 'method' => 'GET', 'key' => 'shop-a/backups/locks/' . $type . '-1' ),
						array( 'method' => 'LIST', 'key' => 'shop-a/backups/locks/' ),
					),
				)
			);
			$this->assertSame( 200, $r->status, "$type: " . $r->body );
			$urls = $r->json()['urls'];
			$this->assertSame( array( 'PUT', 'DELETE', 'GET', 'GET' ), array_column( $urls, 'method' ) );
			$this->assertStringStartsWith( 'http://127.0.0.1:9000/strongbox-test/shop-a/backups/locks/' . $type . '-1?', $urls[1]['url'] );
		}
		// Outside locks/ a backup job still may not delete, nor a restore or check job write or delete.
		$backup  = $this->job( 'backup', 'running' );
		$restore = $this->job( 'restore', 'running' );
		$check   = $this->job( 'check', 'running' );
		foreach ( array( 'shop-a/backups/data/ab/abcdef', 'shop-a/backups/config', 'shop-a/backups/locks', 'shop-a/backups/lockss/x', 'shop-a/backups/data/locks/x', 'shop-a/backups/locks/../config' ) as $key ) {
			$r = self::call( 'POST', $url, array( 'job_id' => $backup, 'requests' => array( array( 'method' => 'DELETE', 'key' => $key ) ) ) );
			$this->assertError( 403, 'strongbox_operation_denied', $r );
			foreach ( array( $restore, $check ) as $job ) {
				foreach ( array( 'PUT', 'DELETE' ) as $method ) {
					$this->assertError( 403, 'strongbox_operation_denied', self::call( 'POST', $url, array( 'job_id' => $job, 'requests' => array( array( 'method' => $method, 'key' => $key ) ) ) ) );
				}
			}
		}
		// A lock directory outside the prefix is outside the prefix.
		$this->assertError( 403, 'strongbox_operation_denied', self::call( 'POST', $url, array( 'job_id' => $backup, 'requests' => array( array( 'method' => 'DELETE', 'key' => 'shop-a/locks/x' ) ) ) ) );
		$this->assertError( 403, 'strongbox_key_outside_prefix', self::call( 'POST', $url, array( 'job_id' => $backup, 'requests' => array( array( 'method' => 'PUT', 'key' => 'shop-b/locks/x' ) ) ) ) );
	}

	public function test_list_requests_carry_a_continuation_token() {
		$d     = $this->create( 'shop-a/backups' );
		$url   = '/destinations/' . $d['id'] . '/presign';
		$job   = $this->job( 'check', 'running' );
		$token = '1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=';
		$r     = self::call(
			'POST',
			$url,
			array(
				'job_id'   => $job,
				'requests' => array(
					array( 'method' => 'LIST', 'key' => 'shop-a/backups/data/', 'continuation' => $token ),
					array( 'method' => 'LIST', 'key' => 'shop-a/backups/data/' ),
				),
			)
		);
		$this->assertSame( 200, $r->status, $r->body );
		$urls = $r->json()['urls'];
		$this->assertStringContainsString( '&continuation-token=' . rawurlencode( $token ) . '&list-type=2&prefix=shop-a%2Fbackups%2Fdata%2F&X-Amz-Signature=', str_replace( 'X-Amz-SignedHeaders=host&', '', $urls[0]['url'] ) );
		$this->assertStringNotContainsString( 'continuation-token', $urls[1]['url'] );
		foreach ( array( array( 'method' => 'GET', 'key' => 'shop-a/backups/x', 'continuation' => $token ), array( 'method' => 'LIST', 'key' => 'shop-a/backups/', 'continuation' => '' ), array( 'method' => 'LIST', 'key' => 'shop-a/backups/', 'continuation' => "a
b" ) ) as $req ) {
			$this->assertError( 400, 'strongbox_continuation_invalid', self::call( 'POST', $url, array( 'job_id' => $job, 'requests' => array( $req ) ) ) );
		}
		$this->assertSame( 400, self::call( 'POST', $url, array( 'job_id' => $job, 'requests' => array( array( 'method' => 'LIST', 'key' => 'shop-a/backups/', 'continuation' => str_repeat( 'a', 4097 ) ) ) ) )->status );
	}

	public function test_passphrase_is_write_only_and_handed_only_to_a_running_job_of_its_administrator() {
		$pass = 'correct horse battery staple ' . bin2hex( random_bytes( 4 ) );
		$this->assertSame( 200, self::call( 'PUT', '/settings/passphrase', array( 'passphrase' => $pass ) )->status );
		$this->assertTrue( self::call( 'GET', '/settings/passphrase' )->json()['has_passphrase'] );
		$this->assertSame( 400, self::call( 'PUT', '/settings/passphrase', array( 'passphrase' => 'short' ) )->status );
		$queued = $this->job( 'backup' );
		$this->assertError( 403, 'strongbox_passphrase_denied', self::call( 'GET', "/jobs/$queued/passphrase" ) );
		$running = $this->job( 'backup', 'running' );
		// Another administrator's session (the cookie user is the same account here, so use a second admin).
		$r = self::api( 'GET', "/jobs/$running/passphrase" );
		$this->assertSame( $pass, $r->json()['passphrase'] );
		$other = wp_insert_user( array( 'user_login' => 'sb_admin2_' . wp_generate_password( 4, false, false ), 'user_pass' => wp_generate_password(), 'role' => 'administrator', 'user_email' => wp_generate_password( 6, false, false ) . '@example.test' ) );
		list( $pw ) = WP_Application_Passwords::create_new_application_password( $other, array( 'name' => 'x' ) );
		$login      = get_userdata( $other )->user_login;
		$this->assertError( 403, 'strongbox_passphrase_denied', self::api( 'GET', "/jobs/$running/passphrase", null, array( 'Authorization: Basic ' . base64_encode( "$login:$pw" ) ) ) );
		require_once ABSPATH . 'wp-admin/includes/user.php';
		wp_delete_user( $other );
		self::$bodies[] = str_replace( $pass, '', $r->body );
		foreach ( self::$bodies as $b ) {
			$this->assertStringNotContainsString( $pass, $b );
		}
	}

	public function test_the_secret_never_appears_in_any_response() {
		$this->assertNotEmpty( self::$bodies );
		foreach ( self::$bodies as $body ) {
			$this->assertStringNotContainsString( self::$secret, $body );
			$this->assertStringNotContainsString( rawurlencode( self::$secret ), $body );
			$this->assertStringNotContainsString( json_encode( self::$secret ), $body );
		}
		// Nor in exports of the options table other than as stored data of the site (the API user is the administrator).
		$this->assertStringNotContainsString( self::$secret, self::api( 'GET', '/site' )->body );
	}
}
