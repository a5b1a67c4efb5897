<?php
/**
 * Server-side requests to a destination's bucket, through presigned URLs.
 *
 * @package Strongbox
 */

namespace Strongbox\Storage;

defined( 'ABSPATH' ) || exit;

/**
 * Sends one request at a time with wp_remote_request; never follows redirects (a
 * redirect means a wrong region or endpoint, which the caller reports).
 */
final class S3_Client {

	/** Validity of the URLs it signs (seconds). */
	const EXPIRES = 300;

	/** Seconds to wait for an answer. */
	const TIMEOUT = 15;

	/**
	 * Signer.
	 *
	 * @var Presigner
	 */
	private $signer;

	/**
	 * Constructor.
	 *
	 * @param array $d Destination, with its secret.
	 */
	public function __construct( array $d ) {
		$this->signer = new Presigner( $d['endpoint'], $d['region'], $d['bucket'], $d['access_key_id'], $d['secret_access_key'], $d['path_style'] );
	}

	/**
	 * A presigned URL.
	 *
	 * @param string $method HTTP method.
	 * @param string $key    Object key ('' for the bucket).
	 * @param array  $query  Extra query parameters (sub-resources such as `cors` => '').
	 * @return string
	 */
	public function url( $method, $key, array $query = array() ) {
		return $this->signer->presign( $method, $key, self::EXPIRES, time(), $query );
	}

	/**
	 * The origin (scheme://host[:port]) the browser talks to for this bucket.
	 *
	 * @return string
	 */
	public function origin() {
		$p = wp_parse_url( $this->url( 'GET', '' ) );
		return $p['scheme'] . '://' . $p['host'] . ( isset( $p['port'] ) ? ':' . $p['port'] : '' );
	}

	/**
	 * Sends a request through a presigned URL.
	 *
	 * @param string      $method   HTTP method (GET, PUT, DELETE, HEAD).
	 * @param string      $key      Object key ('' for the bucket).
	 * @param array       $query    Extra query parameters.
	 * @param string|null $body     Body.
	 * @param array       $headers  Headers.
	 * @param string|null $sign_for Method the URL is signed for, when it differs (OPTIONS preflights).
	 * @return array{status: int, headers: array<string, string>, body: string}|\WP_Error
	 */
	public function send( $method, $key, array $query = array(), $body = null, array $headers = array(), $sign_for = null ) {
		$args = array(
			'method'      => $method,
			'headers'     => $headers,
			'timeout'     => self::TIMEOUT,
			'redirection' => 0,
		);
		if ( null !== $body ) {
			$args['body'] = $body;
		}
		$response = wp_remote_request( $this->url( null === $sign_for ? $method : $sign_for, $key, $query ), $args );
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		$out = array();
		foreach ( wp_remote_retrieve_headers( $response ) as $name => $value ) {
			$out[ strtolower( $name ) ] = is_array( $value ) ? implode( ', ', $value ) : (string) $value;
		}
		return array(
			'status'  => (int) wp_remote_retrieve_response_code( $response ),
			'headers' => $out,
			'body'    => (string) wp_remote_retrieve_body( $response ),
		);
	}

	/**
	 * The `<Code>` of an S3 error body ('' when there is none).
	 *
	 * @param string $body Body.
	 * @return string
	 */
	public static function error_code( $body ) {
		return preg_match( '#<Code>([A-Za-z0-9.]{1,100})</Code>#', (string) $body, $m ) ? $m[1] : '';
	}

	/**
	 * The `<Region>` an S3 error names ('' when none).
	 *
	 * @param array $response Response of send().
	 * @return string
	 */
	public static function error_region( array $response ) {
		if ( isset( $response['headers']['x-amz-bucket-region'] ) && preg_match( '/^[a-z0-9-]{1,32}$/', $response['headers']['x-amz-bucket-region'] ) ) {
			return $response['headers']['x-amz-bucket-region'];
		}
		return preg_match( '#<Region>([a-z0-9-]{1,32})</Region>#', $response['body'], $m ) ? $m[1] : '';
	}
}
