<?php
/**
 * CORS rules: parsed from GetBucketCors, matched like S3, rebuilt for PutBucketCors.
 *
 * @package Strongbox
 */

use PHPUnit\Framework\TestCase;
use Strongbox\Storage\Cors_Rules;

/**
 * Cors_Rules.
 */
class CorsRulesTest extends TestCase {

	const XML = '<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <CORSRule><ID>public &amp; read</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>30</MaxAgeSeconds></CORSRule>
  <CORSRule><AllowedOrigin>https://*.shop.example</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-amz-version-id</ExposeHeader></CORSRule>
</CORSConfiguration>';

	public function test_parse_and_rebuild_keep_every_field() {
		$rules = Cors_Rules::parse( self::XML );
		$this->assertCount( 2, $rules );
		$this->assertSame( 'public & read', $rules[0]['id'] );
		$this->assertSame( array( '*' ), $rules[0]['origins'] );
		$this->assertSame( 30, $rules[0]['max_age'] );
		$this->assertSame( array( 'ETag', 'x-amz-version-id' ), $rules[1]['expose'] );
		$this->assertNull( $rules[1]['max_age'] );
		$this->assertSame( $rules, Cors_Rules::parse( Cors_Rules::to_xml( $rules ) ), 'round trip' );
		$this->assertStringContainsString( '<ID>public &amp; read</ID>', Cors_Rules::to_xml( $rules ) );
		// Without the namespace, too; anything else is not a CORS configuration.
		$this->assertCount( 2, Cors_Rules::parse( str_replace( ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"', '', self::XML ) ) );
		$this->assertSame( array(), Cors_Rules::parse( '<CORSConfiguration/>' ) );
		$this->assertNull( Cors_Rules::parse( '<Error><Code>AccessDenied</Code></Error>' ) );
		$this->assertNull( Cors_Rules::parse( 'not xml' ) );
		$this->assertStringNotContainsString( 'root:', (string) json_encode( Cors_Rules::parse( '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><CORSConfiguration><CORSRule><ID>&e;</ID></CORSRule></CORSConfiguration>' ) ), 'no external entities' );
	}

	public function test_strongbox_rule_goes_first_once_per_origin() {
		$rules = Cors_Rules::with_strongbox_rule( Cors_Rules::parse( self::XML ), 'https://shop.example' );
		$this->assertCount( 3, $rules );
		$this->assertSame( 'strongbox https://shop.example', $rules[0]['id'] );
		$this->assertSame( array( 'GET', 'PUT', 'HEAD', 'DELETE' ), $rules[0]['methods'] );
		$this->assertSame( array( 'content-type', 'if-none-match', 'range', 'x-amz-*' ), $rules[0]['headers'] );
		$this->assertSame( array( 'ETag' ), $rules[0]['expose'] );
		$this->assertSame( 3600, $rules[0]['max_age'] );
		$again = Cors_Rules::with_strongbox_rule( $rules, 'https://shop.example' );
		$this->assertSame( $rules, $again, 'replaced, not added twice' );
		$this->assertCount( 4, Cors_Rules::with_strongbox_rule( $rules, 'https://www.shop.example' ) );
	}

	public function test_first_match_like_s3() {
		$rules = Cors_Rules::parse( self::XML );
		$this->assertSame( $rules[1], Cors_Rules::first_match( $rules, 'https://a.shop.example', 'PUT' ) );
		$this->assertSame( $rules[0], Cors_Rules::first_match( $rules, 'https://a.shop.example', 'GET' ), 'the first rule that matches wins' );
		$this->assertNull( Cors_Rules::first_match( $rules, 'https://shop.example', 'PUT' ) );
		$this->assertNull( Cors_Rules::first_match( $rules, 'https://a.shop.example', 'DELETE' ) );
		$this->assertTrue( Cors_Rules::exposes( $rules[1], 'etag' ) );
		$this->assertFalse( Cors_Rules::exposes( $rules[0], 'ETag' ) );
		$this->assertFalse( Cors_Rules::exposes( null, 'ETag' ) );
		$json = json_decode( Cors_Rules::console_json( Cors_Rules::strongbox_rule( 'https://shop.example' ) ), true );
		$this->assertSame( array( 'https://shop.example' ), $json[0]['AllowedOrigins'] );
		$this->assertSame( 3600, $json[0]['MaxAgeSeconds'] );
	}

	public function test_origins_are_normalized_and_validated() {
		$this->assertSame( 'https://shop.example', \Strongbox\Storage\Destination_Check::origin( 'HTTPS://Shop.Example:443/' ) );
		$this->assertSame( 'http://127.0.0.1:8080', \Strongbox\Storage\Destination_Check::origin( 'http://127.0.0.1:8080' ) );
		$this->assertSame( 'http://[::1]:8080', \Strongbox\Storage\Destination_Check::origin( 'http://[::1]:8080' ) );
		$admin = wp_parse_url( admin_url() );
		$this->assertSame( $admin['scheme'] . '://' . $admin['host'] . ( isset( $admin['port'] ) ? ':' . $admin['port'] : '' ), \Strongbox\Storage\Destination_Check::origin( null ) );
		foreach ( array( 'https://shop.example/x', 'shop.example', 'file:///etc', 'https://a@shop.example', 'https://shop.example#x', "https://shop.example\n", 'https://sh op.example', 'https://<script>' ) as $bad ) {
			$this->assertInstanceOf( WP_Error::class, \Strongbox\Storage\Destination_Check::origin( $bad ), $bad );
		}
	}
}
