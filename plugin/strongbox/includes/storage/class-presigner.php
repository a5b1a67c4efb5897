<?php
/**
 * AWS Signature Version 4 query-string presigning for S3-compatible storage.
 *
 * @package Strongbox
 */

namespace Strongbox\Storage;

defined( 'ABSPATH' ) || exit;

/**
 * Produces presigned URLs (UNSIGNED-PAYLOAD, signed header `host`), the same
 * construction as AWS's published example for GET /test.txt of examplebucket.
 */
final class Presigner {

	/**
	 * Endpoint URL (scheme://host[:port]).
	 *
	 * @var string
	 */
	private $endpoint;

	/**
	 * Region.
	 *
	 * @var string
	 */
	private $region;

	/**
	 * Bucket.
	 *
	 * @var string
	 */
	private $bucket;

	/**
	 * Access key id.
	 *
	 * @var string
	 */
	private $access_key;

	/**
	 * Secret access key.
	 *
	 * @var string
	 */
	private $secret;

	/**
	 * Path-style (`host/bucket/key`) rather than virtual-hosted (`bucket.host/key`).
	 *
	 * @var bool
	 */
	private $path_style;

	/**
	 * Constructor.
	 *
	 * @param string $endpoint   Endpoint URL.
	 * @param string $region     Region.
	 * @param string $bucket     Bucket.
	 * @param string $access_key Access key id.
	 * @param string $secret     Secret access key.
	 * @param bool   $path_style Path-style addressing.
	 */
	public function __construct( $endpoint, $region, $bucket, $access_key, $secret, $path_style = true ) {
		$this->endpoint   = rtrim( $endpoint, '/' );
		$this->region     = $region;
		$this->bucket     = $bucket;
		$this->access_key = $access_key;
		$this->secret     = $secret;
		$this->path_style = (bool) $path_style;
	}

	/**
	 * A presigned URL.
	 *
	 * @param string $method  HTTP method.
	 * @param string $key     Object key ('' for the bucket itself).
	 * @param int    $expires Validity in seconds (1..604800).
	 * @param int    $now     Signing time (Unix).
	 * @param array  $query   Extra query parameters (signed).
	 * @return string
	 */
	public function presign( $method, $key, $expires, $now, array $query = array() ) {
		$parts  = wp_parse_url( $this->endpoint );
		$scheme = isset( $parts['scheme'] ) ? $parts['scheme'] : 'https';
		$host   = $parts['host'];
		if ( isset( $parts['port'] ) && ! ( ( 'https' === $scheme && 443 === $parts['port'] ) || ( 'http' === $scheme && 80 === $parts['port'] ) ) ) {
			$host .= ':' . $parts['port'];
		}
		$base = isset( $parts['path'] ) ? rtrim( $parts['path'], '/' ) : '';
		if ( $this->path_style ) {
			$path = $base . '/' . $this->bucket . ( '' === $key ? '' : '/' . $key );
		} else {
			$host = $this->bucket . '.' . $host;
			$path = $base . '/' . $key;
		}
		$uri = implode( '/', array_map( 'rawurlencode', explode( '/', $path ) ) );
		if ( '' === $uri ) {
			$uri = '/';
		}
		$amz_date = gmdate( 'Ymd\THis\Z', $now );
		$date     = substr( $amz_date, 0, 8 );
		$scope    = $date . '/' . $this->region . '/s3/aws4_request';

		$query['X-Amz-Algorithm']     = 'AWS4-HMAC-SHA256';
		$query['X-Amz-Credential']    = $this->access_key . '/' . $scope;
		$query['X-Amz-Date']          = $amz_date;
		$query['X-Amz-Expires']       = (string) (int) $expires;
		$query['X-Amz-SignedHeaders'] = 'host';
		$encoded                      = array();
		foreach ( $query as $k => $v ) {
			$encoded[ rawurlencode( (string) $k ) ] = rawurlencode( (string) $v );
		}
		ksort( $encoded, SORT_STRING );
		$pairs = array();
		foreach ( $encoded as $k => $v ) {
			$pairs[] = $k . '=' . $v;
		}
		$canonical_query = implode( '&', $pairs );

		$canonical_request = strtoupper( $method ) . "\n" . $uri . "\n" . $canonical_query . "\nhost:" . $host . "\n\nhost\nUNSIGNED-PAYLOAD";
		$string_to_sign    = "AWS4-HMAC-SHA256\n" . $amz_date . "\n" . $scope . "\n" . hash( 'sha256', $canonical_request );

		$k_date    = hash_hmac( 'sha256', $date, 'AWS4' . $this->secret, true );
		$k_region  = hash_hmac( 'sha256', $this->region, $k_date, true );
		$k_service = hash_hmac( 'sha256', 's3', $k_region, true );
		$k_signing = hash_hmac( 'sha256', 'aws4_request', $k_service, true );
		$signature = hash_hmac( 'sha256', $string_to_sign, $k_signing );

		return $scheme . '://' . $host . $uri . '?' . $canonical_query . '&X-Amz-Signature=' . $signature;
	}
}
