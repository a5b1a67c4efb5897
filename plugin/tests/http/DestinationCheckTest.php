<?php
/**
 * POST /destinations/{id}/test and /cors against a real S3 server (moto, started by
 * scripts/test-php with MOTO_DISABLE_GLOBAL_CORS=true, so missing CORS rules show).
 *
 * @package Strongbox
 */

/**
 * Destination test and CORS fix.
 */
class DestinationCheckTest extends SB_Http_Test_Case {

	/** @var string moto's URL */
	private static $moto;

	/** @var string */
	private static $secret;

	/** @var string[] every response body and headers of this class */
	private static $bodies = array();

	public static function setUpBeforeClass(): void {
		self::$moto   = rtrim( (string) getenv( 'STRONGBOX_MOTO_ENDPOINT' ), '/' );
		self::$secret = 'MotoSeCrEt/' . bin2hex( random_bytes( 16 ) );
	}

	protected function setUp(): void {
		if ( '' === self::$moto ) {
			$this->fail( 'STRONGBOX_MOTO_ENDPOINT is not set: run the tests through scripts/test-php, which starts moto.' );
		}
	}

	private static function call( $method, $route, $json = null, array $headers = null ) {
		$r              = self::api( $method, $route, $json, $headers );
		self::$bodies[] = $r->body . json_encode( $r->headers );
		return $r;
	}

	/**
	 * Talks to moto directly. moto does not check signatures, so the test's own set-up
	 * (buckets, rules) needs none.
	 */
	private static function moto( $method, $path, $body = null, array $headers = array() ) {
		return SB_Http::request( $method, self::$moto . $path, $headers, $body );
	}

	private function bucket( $rules_xml = null ) {
		$bucket = 'sb-check-' . strtolower( wp_generate_password( 10, false, false ) );
		$this->assertSame( 200, self::moto( 'PUT', '/' . $bucket )->status );
		if ( null !== $rules_xml ) {
			$xml = '<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' . $rules_xml . '</CORSConfiguration>';
			$r   = self::moto( 'PUT', '/' . $bucket . '?cors', $xml, array( 'Content-Type: application/xml', 'Content-MD5: ' . base64_encode( md5( $xml, true ) ) ) );
			$this->assertSame( 200, $r->status, $r->body );
		}
		return $bucket;
	}

	private function destination( $bucket, $endpoint = null ) {
		$r = self::call(
			'POST',
			'/destinations',
			array(
				'name'              => 'moto',
				'endpoint'          => null === $endpoint ? self::$moto : $endpoint,
				'region'            => 'us-east-1',
				'bucket'            => $bucket,
				'prefix'            => 'shop/backups',
				'access_key_id'     => 'AKIDMOTO',
				'secret_access_key' => self::$secret,
			)
		);
		$this->assertSame( 201, $r->status, $r->body );
		return $r->json()['id'];
	}

	private static function checks( array $j ) {
		return array_column( $j['checks'], null, 'id' );
	}

	private static function rule( $origin, array $methods, array $headers, array $expose ) {
		$x = '<CORSRule><AllowedOrigin>' . $origin . '</AllowedOrigin>';
		foreach ( $methods as $m ) {
			$x .= '<AllowedMethod>' . $m . '</AllowedMethod>';
		}
		foreach ( $headers as $h ) {
			$x .= '<AllowedHeader>' . $h . '</AllowedHeader>';
		}
		foreach ( $expose as $e ) {
			$x .= '<ExposeHeader>' . $e . '</ExposeHeader>';
		}
		return $x . '<MaxAgeSeconds>60</MaxAgeSeconds></CORSRule>';
	}

	public function test_bucket_without_cors_fails_the_cors_check_in_plain_words() {
		$bucket = $this->bucket();
		$id     = $this->destination( $bucket );
		$r      = self::call( 'POST', "/destinations/$id/test", array( 'origin' => 'https://shop.example' ) );
		$this->assertSame( 200, $r->status, $r->body );
		$j = $r->json();
		$this->assertFalse( $j['ok'] );
		$this->assertSame( 'https://shop.example', $j['origin'] );
		$this->assertSame( array( 'endpoint', 'credentials', 'write', 'cors' ), array_column( $j['checks'], 'id' ) );
		$c = self::checks( $j );
		$this->assertTrue( $c['endpoint']['ok'], $c['endpoint']['message'] );
		$this->assertTrue( $c['credentials']['ok'], $c['credentials']['message'] );
		$this->assertTrue( $c['write']['ok'], $c['write']['message'] );
		$this->assertStringContainsString( 'shop/backups/locks/', $c['write']['message'] );
		$this->assertFalse( $c['cors']['ok'] );
		$this->assertStringStartsWith( 'The bucket does not allow uploads from https://shop.example. Click \'Fix CORS\' to add a rule, or add this rule in your storage provider\'s console: [{"AllowedOrigins":["https://shop.example"]', $c['cors']['message'] );
		$this->assertTrue( $j['cors_fixable'] );
		$this->assertSame( array( 'GET', 'PUT', 'HEAD', 'DELETE' ), $j['cors_rule']['AllowedMethods'] );
		$this->assertSame( array( 'ETag' ), $j['cors_rule']['ExposeHeaders'] );
		$this->assertStringContainsString( "script-src 'wasm-unsafe-eval'", $j['csp_note'] );
		$this->assertStringContainsString( 'connect-src ' . self::$moto, $j['csp_note'] );
		// The test object was deleted again.
		$list = self::moto( 'GET', '/' . $bucket . '?list-type=2&prefix=shop%2F' );
		$this->assertStringNotContainsString( '<Key>', $list->body );
	}

	public function test_fix_cors_then_a_real_preflight_passes() {
		$bucket = $this->bucket();
		$id     = $this->destination( $bucket );
		$this->assertFalse( self::checks( self::call( 'POST', "/destinations/$id/test", array( 'origin' => 'https://shop.example' ) )->json() )['cors']['ok'] );

		$r = self::call( 'POST', "/destinations/$id/cors", array( 'origin' => 'https://shop.example' ) );
		$this->assertSame( 200, $r->status, $r->body );
		$j = $r->json();
		$this->assertTrue( $j['applied'], $r->body );
		$this->assertTrue( $j['ok'], $r->body );
		$this->assertSame( array( 'cors' ), array_column( $j['checks'], 'id' ) );
		$this->assertTrue( $j['checks'][0]['ok'] );
		$this->assertFalse( $j['cors_fixable'] );

		$rules = \Strongbox\Storage\Cors_Rules::parse( self::moto( 'GET', '/' . $bucket . '?cors' )->body );
		$this->assertCount( 1, $rules );
		$this->assertSame( array( 'https://shop.example' ), $rules[0]['origins'] );
		$this->assertEqualsCanonicalizing( array( 'GET', 'PUT', 'HEAD', 'DELETE' ), $rules[0]['methods'] );
		$this->assertEqualsCanonicalizing( array( 'content-type', 'if-none-match', 'range', 'x-amz-*' ), $rules[0]['headers'], 'listed, not *' );
		$this->assertSame( array( 'ETag' ), $rules[0]['expose'] );
		$this->assertSame( 3600, $rules[0]['max_age'] );

		// Again: no duplicate.
		$this->assertTrue( self::call( 'POST', "/destinations/$id/cors", array( 'origin' => 'https://shop.example' ) )->json()['ok'] );
		$this->assertCount( 1, \Strongbox\Storage\Cors_Rules::parse( self::moto( 'GET', '/' . $bucket . '?cors' )->body ) );

		// A browser's preflight on a presigned upload URL is accepted, and the upload shows ETag.
		$job = self::call( 'POST', '/jobs', array( 'type' => 'backup' ) )->json()['id'];
		$url = self::call( 'POST', "/destinations/$id/presign", array( 'job_id' => $job, 'requests' => array( array( 'method' => 'PUT', 'key' => 'shop/backups/locks/backup-1' ) ) ) )->json()['urls'][0]['url'];
		$pre = wp_remote_request(
			$url,
			array(
				'method'  => 'OPTIONS',
				'headers' => array(
					'Origin'                         => 'https://shop.example',
					'Access-Control-Request-Method'  => 'PUT',
					'Access-Control-Request-Headers' => 'content-type,if-none-match',
				),
			)
		);
		$this->assertFalse( is_wp_error( $pre ) );
		$this->assertSame( 200, wp_remote_retrieve_response_code( $pre ) );
		$this->assertSame( 'https://shop.example', wp_remote_retrieve_header( $pre, 'access-control-allow-origin' ) );
		$this->assertStringContainsString( 'PUT', wp_remote_retrieve_header( $pre, 'access-control-allow-methods' ) );
		$this->assertStringContainsString( 'if-none-match', wp_remote_retrieve_header( $pre, 'access-control-allow-headers' ) );
		$put = wp_remote_request(
			$url,
			array(
				'method'  => 'PUT',
				'body'    => 'lock',
				'headers' => array(
					'Origin'       => 'https://shop.example',
					'Content-Type' => 'application/octet-stream',
				),
			)
		);
		$this->assertSame( 200, wp_remote_retrieve_response_code( $put ) );
		$this->assertSame( 'ETag', wp_remote_retrieve_header( $put, 'access-control-expose-headers' ) );
		$this->assertNotSame( '', wp_remote_retrieve_header( $put, 'etag' ) );
		// Another origin is still refused.
		$pre = wp_remote_request( $url, array( 'method' => 'OPTIONS', 'headers' => array( 'Origin' => 'https://evil.example', 'Access-Control-Request-Method' => 'PUT' ) ) );
		$this->assertSame( '', (string) wp_remote_retrieve_header( $pre, 'access-control-allow-origin' ) );

		$all = self::call( 'POST', "/destinations/$id/test", array( 'origin' => 'https://shop.example' ) )->json();
		$this->assertTrue( $all['ok'], json_encode( $all ) );
		$this->assertFalse( self::checks( self::call( 'POST', "/destinations/$id/test", array( 'origin' => 'https://other.example' ) )->json() )['cors']['ok'] );
	}

	/**
	 * The fix puts Strongbox's rule first (S3 applies the first rule that matches) and
	 * keeps every other rule. Only the stored rules are checked here: moto applies every
	 * rule to a preflight and refuses it when any rule names another origin, unlike S3.
	 */
	public function test_fix_cors_keeps_the_other_rules() {
		$other  = self::rule( 'https://other.example', array( 'GET' ), array( 'content-type' ), array( 'x-amz-meta-a' ) );
		$bucket = $this->bucket( $other );
		$id     = $this->destination( $bucket );
		$j      = self::call( 'POST', "/destinations/$id/cors", array( 'origin' => 'https://shop.example' ) )->json();
		$this->assertTrue( $j['applied'], json_encode( $j ) );
		$rules = \Strongbox\Storage\Cors_Rules::parse( self::moto( 'GET', '/' . $bucket . '?cors' )->body );
		$this->assertCount( 2, $rules );
		$this->assertSame( 'strongbox https://shop.example', $rules[0]['id'] );
		$this->assertSame( array( 'https://shop.example' ), $rules[0]['origins'] );
		$this->assertSame( array( 'https://other.example' ), $rules[1]['origins'] );
		$this->assertSame( array( 'GET' ), $rules[1]['methods'] );
		$this->assertSame( array( 'content-type' ), $rules[1]['headers'] );
		$this->assertSame( array( 'x-amz-meta-a' ), $rules[1]['expose'] );
		$this->assertSame( 60, $rules[1]['max_age'] );
		// A second origin gets its own rule; the first one stays.
		$this->assertTrue( self::call( 'POST', "/destinations/$id/cors", array( 'origin' => 'https://www.shop.example' ) )->json()['applied'] );
		$rules = \Strongbox\Storage\Cors_Rules::parse( self::moto( 'GET', '/' . $bucket . '?cors' )->body );
		$this->assertSame( array( array( 'https://www.shop.example' ), array( 'https://shop.example' ), array( 'https://other.example' ) ), array_column( $rules, 'origins' ) );
	}

	/**
	 * Rules that admit the browser only partly each fail with their own plain reason.
	 */
	public function test_partial_rules_fail_with_their_reason() {
		$shop  = 'https://shop.example';
		$all   = array( 'GET', 'PUT', 'HEAD', 'DELETE' );
		$heads = array( 'content-type', 'if-none-match', 'range' );
		$cases = array(
			'another origin only' => array( self::rule( 'https://other.example', $all, array( '*' ), array( 'ETag' ) ), 'The bucket does not allow uploads from https://shop.example.' ),
			'no DELETE'           => array( self::rule( $shop, array( 'GET', 'PUT', 'HEAD' ), $heads, array( 'ETag' ) ), 'do not allow DELETE requests' ),
			'no if-none-match'    => array( self::rule( $shop, $all, array( 'content-type', 'range' ), array( 'ETag' ) ), 'do not allow the request headers if-none-match' ),
			'no ETag'             => array( self::rule( $shop, $all, $heads, array() ), 'do not expose the ETag header' ),
			'ETag in a later rule' => array( self::rule( $shop, $all, $heads, array() ) . self::rule( $shop, $all, $heads, array( 'ETag' ) ), 'do not expose the ETag header' ),
		);
		foreach ( $cases as $name => $case ) {
			$id = $this->destination( $this->bucket( $case[0] ) );
			$j  = self::call( 'POST', "/destinations/$id/test", array( 'origin' => $shop ) )->json();
			$c  = self::checks( $j );
			$this->assertTrue( $c['write']['ok'], $name );
			$this->assertFalse( $c['cors']['ok'], $name );
			$this->assertStringContainsString( $case[1], $c['cors']['message'], $name );
			$this->assertStringContainsString( 'Fix CORS', $c['cors']['message'], $name );
			$this->assertTrue( $j['cors_fixable'], $name );
			$this->assertFalse( $j['ok'], $name );
		}
		// A wildcard origin and "*" headers (moto answers Access-Control-Allow-Headers: * literally) pass.
		$id = $this->destination( $this->bucket( self::rule( 'https://*.example', $all, array( '*' ), array( 'ETag' ) ) ) );
		$j  = self::call( 'POST', "/destinations/$id/test", array( 'origin' => $shop ) )->json();
		$this->assertTrue( $j['ok'], json_encode( $j ) );
	}

	/**
	 * moto accepts any signature, so a wrong secret cannot be told apart here (s3s-fs
	 * could, but has no CORS); a missing bucket takes the same path: the listing is refused.
	 */
	public function test_missing_bucket_fails_the_credentials_check() {
		$id = $this->destination( 'sb-check-no-such-bucket-' . strtolower( wp_generate_password( 6, false, false ) ) );
		$j  = self::call( 'POST', "/destinations/$id/test", array( 'origin' => 'https://shop.example' ) )->json();
		$c  = self::checks( $j );
		$this->assertFalse( $j['ok'] );
		$this->assertTrue( $c['endpoint']['ok'] );
		$this->assertFalse( $c['credentials']['ok'] );
		$this->assertStringStartsWith( 'There is no bucket named "sb-check-no-such-bucket-', $c['credentials']['message'] );
		$this->assertStringContainsString( 'Create it in your storage provider\'s console', $c['credentials']['message'] );
		$this->assertTrue( $c['write']['skipped'] );
		$this->assertTrue( $c['cors']['skipped'] );
		$this->assertFalse( $j['cors_fixable'] );
	}

	public function test_unreachable_endpoint_fails_the_endpoint_check() {
		$id = $this->destination( 'sb-check-any', 'http://127.0.0.1:9' );
		$j  = self::call( 'POST', "/destinations/$id/test", array( 'origin' => 'https://shop.example' ) )->json();
		$c  = self::checks( $j );
		$this->assertFalse( $c['endpoint']['ok'] );
		$this->assertStringStartsWith( 'Strongbox could not reach the storage at http://127.0.0.1:9 (', $c['endpoint']['message'] );
		$this->assertTrue( $c['credentials']['skipped'] );
		$r = self::call( 'POST', "/destinations/$id/cors", array( 'origin' => 'https://shop.example' ) );
		$this->assertSame( 200, $r->status );
		$this->assertFalse( $r->json()['applied'] );
		$this->assertStringContainsString( 'Nothing was changed', $r->json()['checks'][0]['message'] );
	}

	public function test_origin_defaults_to_the_admin_pages_and_is_validated() {
		$id = $this->destination( $this->bucket() );
		$j  = self::call( 'POST', "/destinations/$id/test" )->json();
		$this->assertSame( SB_TEST_URL, $j['origin'] );
		$this->assertStringContainsString( 'does not allow uploads from ' . SB_TEST_URL . '.', self::checks( $j )['cors']['message'] );
		$this->assertSame( 'https://shop.example', self::call( 'POST', "/destinations/$id/test", array( 'origin' => 'HTTPS://Shop.Example:443/' ) )->json()['origin'] );
		foreach ( array( 'https://shop.example/wp-admin', 'ftp://shop.example', 'javascript:alert(1)', 'https://user@shop.example', 'shop.example', "https://shop.example\r\nX: y", 'https://shop.example?x=1' ) as $bad ) {
			$this->assertError( 400, 'strongbox_origin_invalid', self::call( 'POST', "/destinations/$id/test", array( 'origin' => $bad ) ) );
			$this->assertError( 400, 'strongbox_origin_invalid', self::call( 'POST', "/destinations/$id/cors", array( 'origin' => $bad ) ) );
		}
		$this->assertError( 404, 'strongbox_destination_not_found', self::call( 'POST', '/destinations/d000000000000/test' ) );
	}

	public function test_non_administrators_are_refused() {
		$bucket = $this->bucket();
		$id     = $this->destination( $bucket );
		foreach ( array( 'test', 'cors' ) as $route ) {
			foreach ( array( 'subscriber', 'customer', 'shop_manager', 'editor' ) as $role ) {
				$this->assertError( 403, 'strongbox_forbidden', self::call( 'POST', "/destinations/$id/$route", array( 'origin' => 'https://shop.example' ), SB_Auth::cookie_nonce( $role ) ) );
			}
			$this->assertError( 401, 'strongbox_unauthorized', self::call( 'POST', "/destinations/$id/$route", array( 'origin' => 'https://shop.example' ), array() ) );
		}
		$this->assertSame( 404, self::moto( 'GET', '/' . $bucket . '?cors' )->status, 'no rule was added' );
	}

	/**
	 * Listings of more than 1000 objects are paged with presigned continuation tokens.
	 */
	public function test_list_continuation_pages_through_more_than_1000_objects() {
		$bucket = $this->bucket();
		$id     = $this->destination( $bucket );
		$job    = self::call( 'POST', '/jobs', array( 'type' => 'backup' ) )->json()['id'];
		$keys   = array();
		for ( $i = 0; $i < 1003; $i++ ) {
			$keys[] = sprintf( 'shop/backups/data/%04d', $i );
		}
		$puts = array();
		foreach ( array_chunk( $keys, 1000 ) as $chunk ) {
			$reqs = array();
			foreach ( $chunk as $k ) {
				$reqs[] = array( 'method' => 'PUT', 'key' => $k );
			}
			foreach ( self::call( 'POST', "/destinations/$id/presign", array( 'job_id' => $job, 'requests' => $reqs ) )->json()['urls'] as $u ) {
				$puts[] = array( 'PUT', $u['url'], array( 'Content-Type: application/octet-stream' ), 'x' );
			}
		}
		foreach ( SB_Http::multi( $puts, 8 ) as $r ) {
			$this->assertSame( 200, $r->status );
		}
		$seen  = array();
		$token = null;
		$pages = 0;
		do {
			$req = array( 'method' => 'LIST', 'key' => 'shop/backups/data/' );
			if ( null !== $token ) {
				$req['continuation'] = $token;
			}
			$url = self::call( 'POST', "/destinations/$id/presign", array( 'job_id' => $job, 'requests' => array( $req ) ) )->json()['urls'][0]['url'];
			$xml = simplexml_load_string( SB_Http::request( 'GET', $url )->body );
			foreach ( $xml->Contents as $c ) {
				$seen[] = (string) $c->Key;
			}
			$token = 'true' === (string) $xml->IsTruncated ? (string) $xml->NextContinuationToken : null;
			++$pages;
		} while ( null !== $token && $pages < 5 );
		$this->assertSame( 2, $pages );
		$this->assertSame( $keys, $seen );
	}

	public function test_the_secret_never_appears_in_any_response() {
		$this->assertGreaterThan( 20, count( self::$bodies ) );
		foreach ( self::$bodies as $body ) {
			$this->assertStringNotContainsString( self::$secret, $body );
			$this->assertStringNotContainsString( rawurlencode( self::$secret ), $body );
			$this->assertStringNotContainsString( substr( json_encode( self::$secret ), 1, -1 ), $body );
		}
	}
}
