<?php
/**
 * Which object keys and operations a presign request may have.
 *
 * @package Strongbox
 */

namespace Strongbox\Storage;

defined( 'ABSPATH' ) || exit;

/**
 * Keys stay under the destination's prefix; operations follow the job type.
 */
final class Key_Policy {

	/** Operations each job type needs. */
	const OPERATIONS = array(
		'backup'  => array( 'GET', 'HEAD', 'PUT', 'LIST' ),
		'restore' => array( 'GET', 'HEAD', 'LIST' ),
		'check'   => array( 'GET', 'HEAD', 'LIST' ),
		'prune'   => array( 'GET', 'HEAD', 'LIST', 'DELETE', 'PUT' ),
	);

	/**
	 * Whether a key is well formed: no leading slash, no empty, "." or ".." segment,
	 * no control bytes, no backslash, at most 1024 bytes.
	 *
	 * @param string $key Key.
	 * @return bool
	 */
	public static function valid_key( $key ) {
		if ( ! is_string( $key ) || '' === $key || strlen( $key ) > 1024 || preg_match( '/[\x00-\x1f\x7f\\\\]/', $key ) ) {
			return false;
		}
		foreach ( explode( '/', $key ) as $segment ) {
			if ( '' === $segment || '.' === $segment || '..' === $segment ) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Whether a full key lies under the prefix ('' = whole bucket).
	 *
	 * @param string $key    Full key.
	 * @param string $prefix Prefix without slashes at the ends.
	 * @return bool
	 */
	public static function under_prefix( $key, $prefix ) {
		if ( ! self::valid_key( $key ) ) {
			return false;
		}
		return '' === $prefix || 0 === strpos( $key, $prefix . '/' );
	}
}
