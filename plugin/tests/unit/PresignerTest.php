<?php
/**
 * SigV4 presigning against AWS's published example.
 *
 * @package Strongbox
 */

use PHPUnit\Framework\TestCase;
use Strongbox\Storage\Presigner;

/**
 * Presigner.
 */
class PresignerTest extends TestCase {

	/**
	 * The example of "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)".
	 */
	public function test_aws_published_presigned_url_example() {
		$p   = new Presigner( 'https://s3.amazonaws.com', 'us-east-1', 'examplebucket', 'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', false );
		$url = $p->presign( 'GET', 'test.txt', 86400, gmmktime( 0, 0, 0, 5, 24, 2013 ) );
		$this->assertSame(
			'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
			$url
		);
	}

	/**
	 * Path-style with a port: host header keeps the port, key segments are encoded, slashes kept.
	 */
	public function test_path_style_with_port_and_encoded_key() {
		$p   = new Presigner( 'http://127.0.0.1:9000', 'eu-central-1', 'bucket', 'AK', 'SK', true );
		$url = $p->presign( 'PUT', 'pfx/data/a b+c.bin', 60, 1700000000 );
		$this->assertStringStartsWith( 'http://127.0.0.1:9000/bucket/pfx/data/a%20b%2Bc.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20231114%2Feu-central-1%2Fs3%2Faws4_request&X-Amz-Date=20231114T221320Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=', $url );
		$this->assertMatchesRegularExpression( '/X-Amz-Signature=[0-9a-f]{64}$/', $url );
		// Same inputs, same URL; another secret, another signature.
		$this->assertSame( $url, $p->presign( 'PUT', 'pfx/data/a b+c.bin', 60, 1700000000 ) );
		$q = new Presigner( 'http://127.0.0.1:9000', 'eu-central-1', 'bucket', 'AK', 'SK2', true );
		$this->assertNotSame( $url, $q->presign( 'PUT', 'pfx/data/a b+c.bin', 60, 1700000000 ) );
	}

	/**
	 * Extra query parameters are signed and sorted.
	 */
	public function test_list_query_is_signed_in_canonical_order() {
		$p   = new Presigner( 'http://127.0.0.1:9000', 'us-east-1', 'bucket', 'AK', 'SK', true );
		$url = $p->presign( 'GET', '', 60, 1700000000, array( 'prefix' => 'pfx/', 'list-type' => '2' ) );
		$this->assertStringStartsWith( 'http://127.0.0.1:9000/bucket?X-Amz-Algorithm=', $url );
		$this->assertStringContainsString( '&list-type=2&prefix=pfx%2F&X-Amz-Signature=', str_replace( 'X-Amz-SignedHeaders=host&', '', $url ) );
	}
}
