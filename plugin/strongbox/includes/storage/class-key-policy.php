<?php
/**
 * Which object keys and operations a presign request may have.
 *
 * @package Strongbox
 */

namespace Strongbox\Storage;

defined( 'ABSPATH' ) || exit;

/**
 * Keys stay under the destination's prefix; operations follow the job type, except
 * that every job may write and remove lock files under `<prefix>/locks/`.
 */
final class Key_Policy {

	/** Operations each job type needs. */
	const OPERATIONS = array(
		'backup'  => array( 'GET', 'HEAD', 'PUT', 'LIST' ),
		'restore' => array( 'GET', 'HEAD', 'LIST' ),
		'check'   => array( 'GET', 'HEAD', 'LIST' ),
		'prune'   => array( 'GET', 'HEAD', 'LIST', 'DELETE', 'PUT' ),
		'drill'   => array( 'GET', 'HEAD', 'LIST' ),
	);

	/** A backup applies its destination's retention (forget): it may remove snapshot files, nothing else. */
	const SNAPSHOTS_DIR = 'snapshots';

	/** Directory of the lock files, under the prefix. */
	const LOCKS_DIR = 'locks';

	/** Operations every job type may apply to lock files (the core takes and releases locks). */
	const LOCK_OPERATIONS = array( 'PUT', 'DELETE' );

	/**
	 * Whether a job of a type may apply a method to a key (the key's place under the
	 * prefix is checked separately, by under_prefix()).
	 *
	 * @param string $type   Job type.
	 * @param string $method GET, HEAD, PUT, DELETE or LIST.
	 * @param string $key    Full key.
	 * @param string $prefix Prefix without slashes at the ends.
	 * @return bool
	 */
	public static function allows( $type, $method, $key, $prefix ) {
		if ( isset( self::OPERATIONS[ $type ] ) && in_array( $method, self::OPERATIONS[ $type ], true ) ) {
			return true;
		}
		if ( 'backup' === $type && 'DELETE' === $method && self::valid_key( $key ) && self::under_prefix( $key, ( '' === $prefix ? '' : $prefix . '/' ) . self::SNAPSHOTS_DIR ) ) {
			return true;
		}
		return in_array( $method, self::LOCK_OPERATIONS, true ) && self::is_lock( $key, $prefix );
	}

	/**
	 * Whether a full key is a lock file: under `<prefix>/locks/`, well formed.
	 *
	 * @param string $key    Full key.
	 * @param string $prefix Prefix without slashes at the ends.
	 * @return bool
	 */
	public static function is_lock( $key, $prefix ) {
		$locks = ( '' === $prefix ? '' : $prefix . '/' ) . self::LOCKS_DIR;
		return self::valid_key( $key ) && self::under_prefix( $key, $locks );
	}

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
