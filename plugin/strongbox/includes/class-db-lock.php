<?php
/**
 * Named database locks (MariaDB/MySQL GET_LOCK), to serialize short critical sections
 * across PHP workers.
 *
 * @package Strongbox
 */

namespace Strongbox;

defined( 'ABSPATH' ) || exit;

/**
 * GET_LOCK / RELEASE_LOCK around a callable.
 */
final class Db_Lock {

	/**
	 * Runs $fn while holding the lock; returns $fallback when the lock is not obtained in time.
	 *
	 * @param string   $name     Lock name (prefixed with the database and table prefix).
	 * @param int      $timeout  Seconds to wait for it.
	 * @param callable $fn       Work.
	 * @param mixed    $fallback Result when the lock is busy.
	 * @return mixed
	 */
	public static function with( $name, $timeout, callable $fn, $fallback = null ) {
		global $wpdb;
		$lock = substr( DB_NAME . '.' . $wpdb->prefix . $name, 0, 64 );
		if ( '1' !== (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, %d)', $lock, (int) $timeout ) ) ) {
			return $fallback;
		}
		try {
			return $fn();
		} finally {
			$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', $lock ) );
		}
	}
}
