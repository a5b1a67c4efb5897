<?php
/**
 * A REST response whose body is written by a callback, in pieces, as it is produced.
 *
 * @package Strongbox
 */

namespace Strongbox\Rest;

defined( 'ABSPATH' ) || exit;

/**
 * Streamed response: headers and status go through WordPress, the body through
 * `rest_pre_serve_request`, so nothing is ever held whole in memory.
 */
class Stream_Response extends \WP_REST_Response {

	/**
	 * Writes the body; receives a `$write( string $bytes )` callable.
	 *
	 * @var callable
	 */
	private $producer;

	/**
	 * Constructor.
	 *
	 * @param callable $producer Body producer.
	 * @param array    $headers  Headers.
	 * @param int      $status   HTTP status.
	 */
	public function __construct( callable $producer, array $headers = array(), $status = 200 ) {
		parent::__construct( null, $status, $headers );
		$this->producer = $producer;
	}

	/**
	 * Filter `rest_pre_serve_request`: streams our responses, leaves others alone.
	 *
	 * @param bool              $served  Whether already served.
	 * @param \WP_HTTP_Response $result  Response.
	 * @param \WP_REST_Request  $request Request.
	 * @param \WP_REST_Server   $server  Server.
	 * @return bool
	 */
	public static function serve( $served, $result, $request, $server ) {
		if ( $served || ! ( $result instanceof self ) ) {
			return $served;
		}
		if ( 'HEAD' === $request->get_method() ) {
			return true;
		}
		// Some WordPress builds send the no-cache headers after this filter: send them
		// now, before the first byte, and tell WordPress they are done.
		if ( ! headers_sent() ) {
			foreach ( wp_get_nocache_headers() as $name => $value ) {
				if ( '' === $value || false === $value ) {
					header_remove( $name );
				} else {
					header( $name . ': ' . $value );
				}
			}
		}
		if ( ! headers_sent() ) {
			header( 'Cache-Control: no-store, no-cache, must-revalidate, max-age=0' );
		}
		add_filter( 'rest_send_nocache_headers', '__return_false', PHP_INT_MAX );
		while ( ob_get_level() > 0 ) {
			ob_end_clean();
		}
		$buffer = '';
		$write  = static function ( $bytes ) use ( &$buffer ) {
			$buffer .= $bytes;
			if ( strlen( $buffer ) >= 65536 ) {
				echo $buffer; // phpcs:ignore WordPress.Security.EscapeOutput -- raw bytes of a download.
				$buffer = '';
				flush();
			}
		};
		call_user_func( $result->producer, $write );
		echo $buffer; // phpcs:ignore WordPress.Security.EscapeOutput -- raw bytes of a download.
		flush();
		return true;
	}
}
