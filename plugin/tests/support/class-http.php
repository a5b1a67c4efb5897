<?php
/**
 * Minimal HTTP client (curl) for tests; 127.0.0.1 only.
 *
 * @package Strongbox
 */

/**
 * A response.
 */
final class SB_Response {
	/** @var int */
	public $status;
	/** @var array<string,string> lowercase names */
	public $headers;
	/** @var string */
	public $body;

	/**
	 * Constructor.
	 *
	 * @param int    $status  Status.
	 * @param array  $headers Headers.
	 * @param string $body    Body.
	 */
	public function __construct( $status, array $headers, $body ) {
		$this->status  = $status;
		$this->headers = $headers;
		$this->body    = $body;
	}

	/**
	 * Decoded JSON body.
	 *
	 * @return mixed
	 */
	public function json() {
		return json_decode( $this->body, true );
	}

	/**
	 * Error code of a WP_Error body, or null.
	 *
	 * @return string|null
	 */
	public function code() {
		$j = $this->json();
		return is_array( $j ) && isset( $j['code'] ) && is_string( $j['code'] ) ? $j['code'] : null;
	}
}

/**
 * Client.
 */
final class SB_Http {

	/**
	 * Builds a curl handle.
	 *
	 * @param string      $method  Method.
	 * @param string      $url     Absolute URL or path (prefixed with the site URL).
	 * @param array       $headers Header lines.
	 * @param string|null $body    Body.
	 * @param array       $out     Receives headers.
	 * @return resource|\CurlHandle
	 */
	private static function handle( $method, $url, array $headers, $body, array &$out ) {
		if ( 0 !== strpos( $url, 'http' ) ) {
			$url = SB_TEST_URL . $url;
		}
		if ( 0 !== strpos( $url, 'http://127.0.0.1:' ) ) {
			throw new RuntimeException( 'tests talk to 127.0.0.1 only: ' . $url );
		}
		$ch = curl_init( $url );
		curl_setopt( $ch, CURLOPT_CUSTOMREQUEST, $method );
		curl_setopt( $ch, CURLOPT_RETURNTRANSFER, true );
		curl_setopt( $ch, CURLOPT_TIMEOUT, 60 );
		curl_setopt( $ch, CURLOPT_HTTPHEADER, array_merge( array( 'Expect:' ), $headers ) );
		if ( 'HEAD' === $method ) {
			curl_setopt( $ch, CURLOPT_NOBODY, true );
		}
		if ( null !== $body ) {
			curl_setopt( $ch, CURLOPT_POSTFIELDS, $body );
		}
		curl_setopt(
			$ch,
			CURLOPT_HEADERFUNCTION,
			static function ( $ch, $line ) use ( &$out ) {
				$p = strpos( $line, ':' );
				if ( false !== $p ) {
					$out[ strtolower( trim( substr( $line, 0, $p ) ) ) ] = trim( substr( $line, $p + 1 ) );
				}
				return strlen( $line );
			}
		);
		return $ch;
	}

	/**
	 * One request.
	 *
	 * @param string      $method  Method.
	 * @param string      $url     URL or path.
	 * @param array       $headers Header lines.
	 * @param string|null $body    Body.
	 * @return SB_Response
	 */
	public static function request( $method, $url, array $headers = array(), $body = null ) {
		$h    = array();
		$ch   = self::handle( $method, $url, $headers, $body, $h );
		$resp = curl_exec( $ch );
		if ( false === $resp ) {
			throw new RuntimeException( 'HTTP request failed: ' . curl_error( $ch ) );
		}
		$status = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
		curl_close( $ch );
		return new SB_Response( $status, $h, (string) $resp );
	}

	/**
	 * Several requests, at most $parallel at a time.
	 *
	 * @param array $requests List of [method, url, headers, body].
	 * @param int   $parallel Concurrency.
	 * @return SB_Response[] Same keys as $requests.
	 */
	public static function multi( array $requests, $parallel = 4 ) {
		$out = array();
		foreach ( array_chunk( $requests, $parallel, true ) as $chunk ) {
			$mh      = curl_multi_init();
			$handles = array();
			$headers = array();
			foreach ( $chunk as $k => $r ) {
				$headers[ $k ] = array();
				$handles[ $k ] = self::handle( $r[0], $r[1], isset( $r[2] ) ? $r[2] : array(), isset( $r[3] ) ? $r[3] : null, $headers[ $k ] );
				curl_multi_add_handle( $mh, $handles[ $k ] );
			}
			do {
				$status = curl_multi_exec( $mh, $running );
				if ( $running ) {
					curl_multi_select( $mh, 1.0 );
				}
			} while ( $running && CURLM_OK === $status );
			foreach ( $handles as $k => $ch ) {
				$out[ $k ] = new SB_Response( (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE ), $headers[ $k ], (string) curl_multi_getcontent( $ch ) );
				curl_multi_remove_handle( $mh, $ch );
				curl_close( $ch );
			}
			curl_multi_close( $mh );
		}
		return $out;
	}
}
