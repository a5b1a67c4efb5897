<?php
/**
 * Base class of the REST controllers: every route gets the permission callback.
 *
 * @package Strongbox
 */

namespace Strongbox\Rest;

use Strongbox\Capability;
use Strongbox\Plugin;

defined( 'ABSPATH' ) || exit;

/**
 * Shared route registration.
 */
abstract class Controller {

	/**
	 * Registers this controller's routes.
	 */
	abstract public function register_routes();

	/**
	 * Registers one route; the permission callback defaults to Capability::check.
	 *
	 * @param string $path       Route (regex) under the namespace.
	 * @param array  $endpoints  List of [methods, callback, args, permission?].
	 */
	protected function route( $path, array $endpoints ) {
		$defs = array();
		foreach ( $endpoints as $e ) {
			$defs[] = array(
				'methods'             => $e[0],
				'callback'            => $e[1],
				'args'                => isset( $e[2] ) ? $e[2] : array(),
				'permission_callback' => isset( $e[3] ) ? $e[3] : array( Capability::class, 'check' ),
			);
		}
		register_rest_route( Plugin::REST_NAMESPACE, $path, $defs );
	}

	/**
	 * A WP_Error with a stable code, a human message and an HTTP status.
	 *
	 * @param string $code    Stable machine code (strongbox_*).
	 * @param string $message Translated message.
	 * @param int    $status  HTTP status.
	 * @param array  $data    Extra data.
	 * @return \WP_Error
	 */
	protected static function error( $code, $message, $status = 400, array $data = array() ) {
		return new \WP_Error( $code, $message, array_merge( $data, array( 'status' => $status ) ) );
	}
}
