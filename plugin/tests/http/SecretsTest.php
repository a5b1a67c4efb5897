<?php
/**
 * Destination secrets and the repository passphrase are stored encrypted (sodium
 * secretbox, key from wp-config.php's salts); plain values are migrated on read; a
 * secret sealed under other salts gives strongbox_secret_key_changed.
 *
 * @package Strongbox
 */

use Strongbox\Secrets;
use Strongbox\Storage\Destinations;

/**
 * Secrets at rest.
 */
class SecretsTest extends SB_Http_Test_Case {

	/** @var string|false */
	private static $passphrase_before;

	public static function setUpBeforeClass(): void {
		self::$passphrase_before = self::raw_option( 'strongbox_passphrase' );
	}

	public static function tearDownAfterClass(): void {
		global $wpdb;
		if ( false === self::$passphrase_before ) {
			$wpdb->delete( $wpdb->options, array( 'option_name' => 'strongbox_passphrase' ) );
		} else {
			$wpdb->update( $wpdb->options, array( 'option_value' => self::$passphrase_before ), array( 'option_name' => 'strongbox_passphrase' ) );
		}
		wp_cache_flush();
	}

	/**
	 * The option's value as stored in the database (serialized), or false.
	 *
	 * @param string $name Option.
	 * @return string|false
	 */
	private static function raw_option( $name ) {
		global $wpdb;
		$v = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", $name ) );
		return null === $v ? false : $v;
	}

	/**
	 * Replaces a destination's stored secret (as the database holds it).
	 *
	 * @param string $id     Destination.
	 * @param string $stored Stored secret.
	 */
	private static function store_secret( $id, $stored ) {
		wp_cache_flush();
		$all                             = get_option( 'strongbox_destinations' );
		$all[ $id ]['secret_access_key'] = $stored;
		update_option( 'strongbox_destinations', $all, false );
		wp_cache_flush();
	}

	/**
	 * Seals a value as if wp-config.php had other salts.
	 *
	 * @param string $plain   Value.
	 * @param string $context Context.
	 * @return string
	 */
	private static function sealed_elsewhere( $plain, $context ) {
		$f = static function () {
			return 'salts of another site';
		};
		add_filter( 'strongbox_secret_key_material', $f );
		$sealed = Secrets::seal( $plain, $context );
		remove_filter( 'strongbox_secret_key_material', $f );
		return $sealed;
	}

	private function create( $secret ) {
		$r = self::api( 'POST', '/destinations', array( 'name' => 'sealed', 'endpoint' => 'http://127.0.0.1:9', 'bucket' => 'sealed-bucket', 'access_key_id' => 'AKSEALED', 'secret_access_key' => $secret ) );
		$this->assertSame( 201, $r->status, $r->body );
		return $r->json()['id'];
	}

	public function test_seal_and_open() {
		$s = Secrets::seal( 'a secret ✓', 'passphrase' );
		$this->assertStringStartsWith( 'sbx1:', $s );
		$this->assertStringNotContainsString( 'a secret', $s );
		$this->assertNotSame( $s, Secrets::seal( 'a secret ✓', 'passphrase' ), 'a fresh nonce each time' );
		$this->assertSame( 'a secret ✓', Secrets::open( $s, 'passphrase', 'x' ) );
		$this->assertSame( '', Secrets::seal( '', 'passphrase' ) );
		$this->assertSame( 'legacy plain', Secrets::open( 'legacy plain', 'passphrase', 'x' ) );
		$this->assertSame( 'strongbox_secret_corrupt', Secrets::open( $s, 'destination:d000000000000', 'x' )->get_error_code(), 'a value cannot be moved to another field' );
		$damaged = substr( $s, 0, -4 ) . ( 'AAAA' === substr( $s, -4 ) ? 'BBBB' : 'AAAA' );
		$this->assertSame( 'strongbox_secret_corrupt', Secrets::open( $damaged, 'passphrase', 'x' )->get_error_code() );
		$this->assertSame( 'strongbox_secret_key_changed', Secrets::open( self::sealed_elsewhere( 'v', 'passphrase' ), 'passphrase', 'x' )->get_error_code() );
	}

	public function test_destination_secret_is_stored_encrypted_and_used_decrypted() {
		$secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY' . bin2hex( random_bytes( 4 ) );
		$id     = $this->create( $secret );
		$raw    = self::raw_option( 'strongbox_destinations' );
		$this->assertStringNotContainsString( $secret, $raw );
		$stored = unserialize( $raw )[ $id ]['secret_access_key'];
		$this->assertStringStartsWith( 'sbx1:', $stored );
		wp_cache_flush();
		$this->assertSame( $secret, Destinations::get( $id )['secret_access_key'] );
		$view = self::api( 'GET', "/destinations/$id" )->json();
		$this->assertTrue( $view['has_secret'] );
		$this->assertNull( $view['secret_error'] );
		$this->assertArrayNotHasKey( 'secret_access_key', $view );

		$this->assertSame( 200, self::api( 'PATCH', "/destinations/$id", array( 'name' => 'renamed', 'secret_access_key' => '' ) )->status );
		$this->assertSame( $stored, unserialize( self::raw_option( 'strongbox_destinations' ) )[ $id ]['secret_access_key'], 'an empty secret keeps the stored one as it is' );
		$this->assertSame( 200, self::api( 'PATCH', "/destinations/$id", array( 'secret_access_key' => 'new-secret-value' ) )->status );
		wp_cache_flush();
		$this->assertSame( 'new-secret-value', Destinations::get( $id )['secret_access_key'] );
		$this->assertSame( 200, self::api( 'DELETE', "/destinations/$id" )->status );
	}

	public function test_plain_values_of_earlier_versions_are_encrypted_on_read() {
		$id = $this->create( 'temporary' );
		self::store_secret( $id, 'plain-secret-from-0.0.9' );
		$this->assertStringContainsString( 'plain-secret-from-0.0.9', self::raw_option( 'strongbox_destinations' ) );
		$list = self::api( 'GET', '/destinations' );
		$this->assertSame( 200, $list->status );
		$this->assertStringNotContainsString( 'plain-secret-from-0.0.9', $list->body );
		$this->assertStringNotContainsString( 'plain-secret-from-0.0.9', self::raw_option( 'strongbox_destinations' ), 'migrated' );
		wp_cache_flush();
		$this->assertSame( 'plain-secret-from-0.0.9', Destinations::get( $id )['secret_access_key'] );
		self::api( 'DELETE', "/destinations/$id" );

		global $wpdb;
		wp_cache_flush();
		update_option( 'strongbox_passphrase', 'plain passphrase of 0.0.9', false );
		$this->assertSame( 'plain passphrase of 0.0.9', self::raw_option( 'strongbox_passphrase' ) );
		$s = self::api( 'GET', '/settings/passphrase' )->json();
		$this->assertTrue( $s['has_passphrase'] );
		$this->assertNull( $s['passphrase_error'] );
		$this->assertStringStartsWith( 'sbx1:', self::raw_option( 'strongbox_passphrase' ) );
		wp_cache_flush();
		$this->assertSame( 'plain passphrase of 0.0.9', Secrets::get_option( 'strongbox_passphrase', 'passphrase', 'x' ) );

		$this->assertSame( 200, self::api( 'PUT', '/settings/passphrase', array( 'passphrase' => 'a brand new passphrase' ) )->status );
		$this->assertStringNotContainsString( 'brand new', self::raw_option( 'strongbox_passphrase' ) );
	}

	public function test_changed_salts_ask_for_the_secret_again() {
		$id = $this->create( 'before the salts changed' );
		self::store_secret( $id, self::sealed_elsewhere( 'before the salts changed', "destination:$id" ) );
		$view = self::api( 'GET', "/destinations/$id" )->json();
		$this->assertTrue( $view['has_secret'] );
		$this->assertSame( 'strongbox_secret_key_changed', $view['secret_error'] );
		$this->assertSame( 'strongbox_secret_key_changed', array_column( self::api( 'GET', '/destinations' )->json(), 'secret_error', 'id' )[ $id ] );
		$this->assertError( 409, 'strongbox_secret_key_changed', self::api( 'POST', "/destinations/$id/test", array( 'origin' => 'https://shop.example' ) ) );
		$this->assertError( 409, 'strongbox_secret_key_changed', self::api( 'POST', "/destinations/$id/presign", array( 'job_id' => 1, 'requests' => array( array( 'method' => 'GET', 'key' => 'x' ) ) ) ) );
		$this->assertStringContainsString( 'Re-enter', self::api( 'POST', "/destinations/$id/test", array( 'origin' => 'https://shop.example' ) )->json()['message'] );
		$this->assertSame( 200, self::api( 'PATCH', "/destinations/$id", array( 'name' => 'still broken' ) )->status, 'other fields can still be edited' );
		$this->assertSame( 200, self::api( 'PATCH', "/destinations/$id", array( 'secret_access_key' => 're-entered' ) )->status );
		$this->assertNull( self::api( 'GET', "/destinations/$id" )->json()['secret_error'] );
		wp_cache_flush();
		$this->assertSame( 're-entered', Destinations::get( $id )['secret_access_key'] );
		self::api( 'DELETE', "/destinations/$id" );

		wp_cache_flush();
		update_option( 'strongbox_passphrase', self::sealed_elsewhere( 'old passphrase', 'passphrase' ), false );
		$s = self::api( 'GET', '/settings/passphrase' )->json();
		$this->assertTrue( $s['has_passphrase'] );
		$this->assertSame( 'strongbox_secret_key_changed', $s['passphrase_error'] );
		$job = self::api( 'POST', '/jobs', array( 'type' => 'backup' ) )->json()['id'];
		$this->assertSame( 200, self::api( 'PATCH', "/jobs/$job", array( 'state' => 'running' ) )->status );
		$this->assertError( 409, 'strongbox_secret_key_changed', self::api( 'GET', "/jobs/$job/passphrase" ) );
		$this->assertSame( 200, self::api( 'PUT', '/settings/passphrase', array( 'passphrase' => 'passphrase entered again' ) )->status );
		$this->assertSame( 'passphrase entered again', self::api( 'GET', "/jobs/$job/passphrase" )->json()['passphrase'] );
		self::api( 'PATCH', "/jobs/$job", array( 'state' => 'failed' ) );
	}
}
