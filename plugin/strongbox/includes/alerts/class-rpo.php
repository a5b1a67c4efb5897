<?php
/**
 * Recovery-point state: how old the latest good backup is against the target.
 *
 * @package Strongbox
 */

namespace Strongbox\Alerts;

defined( 'ABSPATH' ) || exit;

/**
 * Pure: green, amber, red or none.
 */
final class Rpo {

	/**
	 * The state.
	 *
	 * - none: nothing to measure (no destination yet, or no target: rpo_hours 0);
	 * - green: the latest good backup is younger than the target;
	 * - amber: older than the target, younger than twice it;
	 * - red: older still, or no good backup at all.
	 *
	 * @param int|null $latest_good     Finish time of the latest good backup (UNIX seconds) or null.
	 * @param int      $rpo_hours       Target.
	 * @param int      $now             Now.
	 * @param bool     $has_destination Whether any destination exists.
	 * @return string
	 */
	public static function state( $latest_good, $rpo_hours, $now, $has_destination ) {
		if ( ! $has_destination || (int) $rpo_hours <= 0 ) {
			return 'none';
		}
		if ( null === $latest_good ) {
			return 'red';
		}
		$age    = (int) $now - (int) $latest_good;
		$target = (int) $rpo_hours * HOUR_IN_SECONDS;
		if ( $age < $target ) {
			return 'green';
		}
		return $age < 2 * $target ? 'amber' : 'red';
	}
}
