<?php
/**
 * Base of the HTTP-level tests.
 *
 * @package Strongbox
 */

use PHPUnit\Framework\TestCase;

/**
 * Helpers to call the Strongbox REST API of the served test site.
 */
abstract class SB_Http_Test_Case extends TestCase {

	/** REST base path. */
	const API = '/wp-json/strongbox/v1';

	/**
	 * Calls the API as the administrator (Application Password) unless headers are given.
	 *
	 * @param string     $method  Method.
	 * @param string     $route   Route under the namespace, with query string.
	 * @param mixed      $json    Body to JSON-encode (null: none).
	 * @param array|null $headers Headers (null: administrator).
	 * @return SB_Response
	 */
	protected static function api( $method, $route, $json = null, array $headers = null ) {
		$headers = null === $headers ? SB_Auth::admin() : $headers;
		$body    = null;
		if ( null !== $json ) {
			$headers[] = 'Content-Type: application/json';
			$body      = json_encode( $json );
		}
		return SB_Http::request( $method, self::API . $route, $headers, $body );
	}

	/**
	 * Calls the API with a raw body.
	 *
	 * @param string     $method  Method.
	 * @param string     $route   Route.
	 * @param string     $body    Body.
	 * @param array      $extra   Extra headers.
	 * @return SB_Response
	 */
	protected static function raw( $method, $route, $body, array $extra = array() ) {
		return SB_Http::request( $method, self::API . $route, array_merge( SB_Auth::admin(), array( 'Content-Type: application/octet-stream' ), $extra ), $body );
	}

	/**
	 * Asserts a WP_Error response with a code and a human message.
	 *
	 * @param int         $status Status.
	 * @param string      $code   Code.
	 * @param SB_Response $r      Response.
	 */
	protected function assertError( $status, $code, SB_Response $r ) {
		$this->assertSame( $status, $r->status, 'status of ' . $r->body );
		$this->assertSame( $code, $r->code(), $r->body );
		$j = $r->json();
		$this->assertIsString( $j['message'] );
		$this->assertGreaterThan( 10, strlen( $j['message'] ), 'a sentence a person understands' );
	}

	/**
	 * Row lines of a framed export body.
	 *
	 * @param string $body Body.
	 * @return string Row lines only.
	 */
	protected static function rows_only( $body ) {
		$out = '';
		foreach ( explode( "\n", $body ) as $line ) {
			if ( '' !== $line && '(' === $line[0] ) {
				$out .= $line . "\n";
			}
		}
		return $out;
	}

	/**
	 * Control lines of a framed export: list of [word, data].
	 *
	 * @param string $body Body.
	 * @return array
	 */
	protected static function control( $body ) {
		$out = array();
		foreach ( explode( "\n", $body ) as $line ) {
			if ( '' !== $line && '#' === $line[0] ) {
				$sp    = strpos( $line, ' ' );
				$out[] = array( substr( $line, 1, $sp - 1 ), json_decode( substr( $line, $sp + 1 ), true ) );
			}
		}
		return $out;
	}
}
