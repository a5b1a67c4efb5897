<?php
/**
 * The runners seen lately (native agents, admin tabs), for the status and the before-update wait.
 *
 * @package Strongbox
 */

namespace Strongbox\Jobs;

use Strongbox\Settings;

defined( 'ABSPATH' ) || exit;

/**
 * Registry of runners by id, with the time each was last seen.
 */
final class Runners {

	/** Option name. */
	const OPTION = 'strongbox_runners';

	/** Runners remembered. */
	const MAX = 20;

	/** Runner kinds. */
	const KINDS = array( 'agent', 'browser' );

	/**
	 * Records that a runner called (claim or heartbeat).
	 *
	 * @param array $runner id, kind, version.
	 * @param int   $now    Now.
	 */
	public static function seen( array $runner, $now ) {
		$all                  = self::all();
		$id                   = (string) $runner['id'];
		$all[ $id ]           = array(
			'id'        => $id,
			'kind'      => isset( $runner['kind'] ) ? (string) $runner['kind'] : 'agent',
			'version'   => isset( $runner['version'] ) ? (string) $runner['version'] : '',
			'last_seen' => (int) $now,
		);
		uasort(
			$all,
			static function ( $a, $b ) {
				return $b['last_seen'] - $a['last_seen'];
			}
		);
		update_option( self::OPTION, array_slice( $all, 0, self::MAX, true ), false );
	}

	/**
	 * Every runner remembered, most recent first.
	 *
	 * @return array<string, array>
	 */
	public static function all() {
		$all = Settings::fresh( self::OPTION, array() );
		return is_array( $all ) ? $all : array();
	}

	/**
	 * Whether a runner of a kind called within the last $seconds.
	 *
	 * @param string $kind    agent or browser.
	 * @param int    $now     Now.
	 * @param int    $seconds Window.
	 * @return bool
	 */
	public static function present( $kind, $now, $seconds ) {
		foreach ( self::all() as $r ) {
			if ( $kind === $r['kind'] && $now - (int) $r['last_seen'] <= $seconds ) {
				return true;
			}
		}
		return false;
	}
}
