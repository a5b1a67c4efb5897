<?php
/**
 * The maintenance page shown to visitors while a restore runs.
 *
 * @package Strongbox
 */

namespace Strongbox\Restore;

use Strongbox\Capability;
use Strongbox\Data_Dir;
use Strongbox\Plugin;

defined( 'ABSPATH' ) || exit;

/**
 * A gate kept in a file of the private directory (not in the database, which a
 * restore swaps, and not WordPress's `.maintenance`, which lapses after 10
 * minutes). It carries its own expiry: a gate whose time is up is ignored even
 * if nothing removed it.
 */
final class Maintenance_Gate {

	/**
	 * Path of the gate file, or null without a private directory.
	 *
	 * @return string|null
	 */
	private static function file() {
		$dir = Data_Dir::path();
		return is_wp_error( $dir ) ? null : $dir . '/maintenance.json';
	}

	/**
	 * Raises (or extends) the gate until a Unix time.
	 *
	 * @param int $until Expiry.
	 * @return bool
	 */
	public static function enable( $until ) {
		$file = self::file();
		if ( null === $file ) {
			return false;
		}
		$tmp = $file . '.' . wp_generate_password( 8, false ) . '.tmp';
		if ( false === file_put_contents( $tmp, wp_json_encode( array( 'until' => (int) $until ) ) ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions
			return false;
		}
		return rename( $tmp, $file ); // phpcs:ignore WordPress.WP.AlternativeFunctions
	}

	/**
	 * Lifts the gate.
	 */
	public static function disable() {
		$file = self::file();
		if ( null !== $file && file_exists( $file ) ) {
			unlink( $file ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		}
	}

	/**
	 * Expiry of the active gate, or 0 when there is none (or it expired).
	 *
	 * @return int
	 */
	public static function active_until() {
		$file = self::file();
		if ( null === $file || ! is_file( $file ) ) {
			return 0;
		}
		$data  = json_decode( (string) file_get_contents( $file ), true ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		$until = is_array( $data ) && isset( $data['until'] ) ? (int) $data['until'] : 0;
		if ( $until <= time() ) {
			self::disable();
			return 0;
		}
		return $until;
	}

	/**
	 * `init` hook: answers 503 to everyone but administrators while the gate is up.
	 */
	public static function enforce() {
		$until = self::active_until();
		if ( ! $until || self::exempt() ) {
			return;
		}
		$retry = max( 1, min( 600, $until - time() ) );
		if ( ! headers_sent() ) {
			status_header( 503 );
			header( 'Retry-After: ' . $retry );
			header( 'Cache-Control: no-store' );
			header( 'Content-Type: text/html; charset=utf-8' );
		}
		printf(
			'<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>%1$s</title></head><body><h1>%1$s</h1><p>%2$s</p></body></html>',
			esc_html__( 'Briefly unavailable for maintenance', 'strongbox' ),
			esc_html__( 'This site is being restored from a backup. Please try again in a few minutes.', 'strongbox' )
		);
		exit;
	}

	/**
	 * Whether this request passes the gate.
	 *
	 * @return bool
	 */
	private static function exempt() {
		if ( 'cli' === PHP_SAPI && ! isset( $_SERVER['REQUEST_METHOD'] ) ) {
			return true;
		}
		$uri = isset( $_SERVER['REQUEST_URI'] ) ? wp_unslash( $_SERVER['REQUEST_URI'] ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput -- only compared.
		$path = (string) wp_parse_url( $uri, PHP_URL_PATH );
		if ( false !== strpos( $path, '/wp-login.php' ) ) {
			return true; // Administrators must be able to log in.
		}
		// Strongbox's own routes check their permissions themselves.
		$prefix = '/' . rest_get_url_prefix() . '/' . Plugin::REST_NAMESPACE . '/';
		if ( false !== strpos( $path, $prefix ) ) {
			return true;
		}
		$route = isset( $_GET['rest_route'] ) ? (string) wp_unslash( $_GET['rest_route'] ) : ''; // phpcs:ignore WordPress.Security -- only compared.
		if ( 0 === strpos( ltrim( $route, '/' ), Plugin::REST_NAMESPACE . '/' ) ) {
			return true;
		}
		return current_user_can( Capability::name() );
	}
}
