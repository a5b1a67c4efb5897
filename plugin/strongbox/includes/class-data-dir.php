<?php
/**
 * The plugin's private directory for temporary data (staged restore files, locks).
 *
 * @package Strongbox
 */

namespace Strongbox;

defined( 'ABSPATH' ) || exit;

/**
 * Resolves and creates the private directory, always outside the web-served tree.
 *
 * Order: the STRONGBOX_DATA_DIR constant, the `strongbox_data_dir` filter, then
 * `strongbox-data` one level above ABSPATH, then the system temp directory.
 * Any candidate inside the document root or ABSPATH is refused.
 */
final class Data_Dir {

	/**
	 * Returns the directory (created with 0700), or a WP_Error.
	 *
	 * @return string|\WP_Error
	 */
	public static function path() {
		$candidates = array();
		if ( defined( 'STRONGBOX_DATA_DIR' ) && STRONGBOX_DATA_DIR ) {
			$candidates[] = (string) STRONGBOX_DATA_DIR;
		}
		$candidates[] = dirname( rtrim( ABSPATH, '/\\' ) ) . '/strongbox-data';
		$candidates[] = rtrim( sys_get_temp_dir(), '/\\' ) . '/strongbox-' . substr( hash( 'sha256', ABSPATH . wp_salt( 'auth' ) ), 0, 16 );
		$candidates   = (array) apply_filters( 'strongbox_data_dir_candidates', $candidates );

		foreach ( $candidates as $dir ) {
			$dir = rtrim( (string) $dir, '/\\' );
			if ( '' === $dir || self::is_web_served( $dir ) ) {
				continue;
			}
			if ( ! is_dir( $dir ) ) {
				$old = umask( 0077 );
				$ok  = @mkdir( $dir, 0700, true ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- failure handled below.
				umask( $old );
				if ( ! $ok ) {
					continue;
				}
			}
			if ( is_writable( $dir ) && ! self::is_web_served( $dir ) ) {
				@chmod( $dir, 0700 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
				return realpath( $dir );
			}
		}
		return new \WP_Error( 'strongbox_no_private_dir', __( 'Strongbox found no writable directory outside the web root for its temporary data. Define STRONGBOX_DATA_DIR in wp-config.php.', 'strongbox' ), array( 'status' => 500 ) );
	}

	/**
	 * Returns a subdirectory of the private directory, created with 0700.
	 *
	 * @param string $name Subdirectory path ([a-z0-9_/-] only; no dots, so no traversal).
	 * @return string|\WP_Error
	 */
	public static function sub( $name ) {
		$base = self::path();
		if ( is_wp_error( $base ) ) {
			return $base;
		}
		$dir = $base . '/' . trim( preg_replace( '#[^a-z0-9_/-]#', '', $name ), '/' );
		if ( ! is_dir( $dir ) && ! @mkdir( $dir, 0700, true ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors
			return new \WP_Error( 'strongbox_no_private_dir', __( 'Strongbox could not create its temporary directory.', 'strongbox' ), array( 'status' => 500 ) );
		}
		return $dir;
	}

	/**
	 * Whether a path is inside the site root or the server's document root.
	 *
	 * @param string $dir Absolute path (may not exist yet).
	 * @return bool
	 */
	public static function is_web_served( $dir ) {
		$dir   = self::normalize( $dir );
		$roots = array( ABSPATH );
		if ( ! empty( $_SERVER['DOCUMENT_ROOT'] ) ) {
			$roots[] = sanitize_text_field( wp_unslash( $_SERVER['DOCUMENT_ROOT'] ) );
		}
		if ( defined( 'WP_CONTENT_DIR' ) ) {
			$roots[] = WP_CONTENT_DIR;
		}
		foreach ( $roots as $root ) {
			$root = self::normalize( $root );
			if ( '' !== $root && ( $dir === $root || 0 === strpos( $dir . '/', $root . '/' ) ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Real path of the longest existing ancestor, plus the rest.
	 *
	 * @param string $path Path.
	 * @return string
	 */
	private static function normalize( $path ) {
		$path = rtrim( str_replace( '\\', '/', (string) $path ), '/' );
		$rest = '';
		while ( '' !== $path && ! file_exists( $path ) ) {
			$rest = '/' . basename( $path ) . $rest;
			$path = dirname( $path );
			if ( '.' === $path || '/' === $path ) {
				break;
			}
		}
		$real = realpath( $path );
		return rtrim( ( false === $real ? $path : $real ), '/' ) . $rest;
	}

	/**
	 * Deletes the private directory (uninstall).
	 */
	public static function remove_all() {
		$base = self::path();
		if ( is_wp_error( $base ) || ! is_dir( $base ) ) {
			return;
		}
		self::rmtree( $base );
	}

	/**
	 * Recursively deletes a directory without following symlinks.
	 *
	 * @param string $dir Directory.
	 */
	public static function rmtree( $dir ) {
		if ( is_link( $dir ) || ! is_dir( $dir ) ) {
			@unlink( $dir ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			return;
		}
		foreach ( (array) scandir( $dir ) as $entry ) {
			if ( '.' === $entry || '..' === $entry ) {
				continue;
			}
			self::rmtree( $dir . '/' . $entry );
		}
		@rmdir( $dir ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
	}
}
