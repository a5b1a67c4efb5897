<?php
/**
 * The only source of "now" for schedules, leases, alerts and job times.
 *
 * @package Strongbox
 */

namespace Strongbox;

defined( 'ABSPATH' ) || exit;

/**
 * Wall clock, replaceable on test sites.
 *
 * When wp-config.php defines STRONGBOX_TEST_CLOCK as true (only test sites do), the
 * option `strongbox_test_clock` (UNIX seconds), when set, is "now". Production sites
 * never read the option.
 */
final class Clock {

	/** Option holding the simulated time on test sites. */
	const OPTION = 'strongbox_test_clock';

	/**
	 * Whether the simulated clock may be used on this site.
	 *
	 * @return bool
	 */
	public static function test_mode() {
		return defined( 'STRONGBOX_TEST_CLOCK' ) && true === STRONGBOX_TEST_CLOCK;
	}

	/**
	 * Now, in UNIX seconds.
	 *
	 * @return int
	 */
	public static function now() {
		if ( self::test_mode() ) {
			// Read the row itself: another request may have moved the clock since this one cached its options.
			global $wpdb;
			$v = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", self::OPTION ) );
			if ( null !== $v && is_numeric( $v ) ) {
				return (int) $v;
			}
		}
		return time();
	}

	/**
	 * Sets the simulated time (test sites only).
	 *
	 * @param int $now UNIX seconds.
	 * @return bool False when the site is not a test site.
	 */
	public static function set( $now ) {
		if ( ! self::test_mode() ) {
			return false;
		}
		update_option( self::OPTION, (string) (int) $now, false );
		return true;
	}

	/**
	 * UNIX seconds as an ISO 8601 UTC string (`2026-11-25T15:00:00Z`); null stays null.
	 *
	 * @param int|null $ts Time.
	 * @return string|null
	 */
	public static function iso( $ts ) {
		return null === $ts ? null : gmdate( 'Y-m-d\TH:i:s\Z', (int) $ts );
	}

	/**
	 * UNIX seconds as a MySQL UTC datetime.
	 *
	 * @param int $ts Time.
	 * @return string
	 */
	public static function mysql( $ts ) {
		return gmdate( 'Y-m-d H:i:s', (int) $ts );
	}

	/**
	 * A MySQL UTC datetime as UNIX seconds; null or empty stays null.
	 *
	 * @param string|null $datetime Datetime.
	 * @return int|null
	 */
	public static function from_mysql( $datetime ) {
		if ( null === $datetime || '' === $datetime || '0000-00-00 00:00:00' === $datetime ) {
			return null;
		}
		$t = strtotime( $datetime . ' UTC' );
		return false === $t ? null : $t;
	}

	/**
	 * A MySQL UTC datetime as ISO 8601 UTC.
	 *
	 * @param string|null $datetime Datetime.
	 * @return string|null
	 */
	public static function mysql_to_iso( $datetime ) {
		return self::iso( self::from_mysql( $datetime ) );
	}
}
