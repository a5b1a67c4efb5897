<?php
/**
 * Backup, check, drill and prune schedules, kept in a non-autoloaded option.
 *
 * @package Strongbox
 */

namespace Strongbox\Schedules;

use Strongbox\Clock;
use Strongbox\Settings;
use Strongbox\Storage\Destinations;

defined( 'ABSPATH' ) || exit;

/**
 * Validated storage of schedules.
 */
final class Store {

	/** Option name. */
	const OPTION = 'strongbox_schedules';

	/** Allowed values. */
	const TYPES  = array( 'backup', 'check', 'drill', 'prune' );
	const EVERY  = array( 'hour', 'hours', 'day', 'week' );
	const PARTS  = array( 'database', 'files' );
	const SUBSET = array( 'all', '1/7' );

	/** Most schedules per site. */
	const MAX = 50;

	/**
	 * All schedules, by id.
	 *
	 * @return array<string, array>
	 */
	public static function all() {
		$all = Settings::fresh( self::OPTION, array() );
		return is_array( $all ) ? $all : array();
	}

	/**
	 * One schedule or an error.
	 *
	 * @param mixed $id Id.
	 * @return array|\WP_Error
	 */
	public static function get( $id ) {
		$all = self::all();
		if ( ! is_string( $id ) || ! isset( $all[ $id ] ) ) {
			return new \WP_Error( 'strongbox_schedule_not_found', __( 'No such schedule.', 'strongbox' ), array( 'status' => 404 ) );
		}
		return $all[ $id ];
	}

	/**
	 * Creates or updates a schedule. Planning starts again from the time of the change.
	 *
	 * @param array       $input Fields.
	 * @param string|null $id    Id to update, null to create.
	 * @return array|\WP_Error The stored schedule.
	 */
	public static function save( array $input, $id = null ) {
		$all  = self::all();
		$prev = array();
		if ( null !== $id ) {
			if ( ! isset( $all[ $id ] ) ) {
				return new \WP_Error( 'strongbox_schedule_not_found', __( 'No such schedule.', 'strongbox' ), array( 'status' => 404 ) );
			}
			$prev = $all[ $id ];
		} elseif ( count( $all ) >= self::MAX ) {
			return self::invalid( __( 'A site can have at most 50 schedules.', 'strongbox' ) );
		}
		$fields = array( 'name', 'enabled', 'type', 'parts', 'every', 'interval', 'at', 'weekday', 'destination_ids', 'check_subset' );
		$s      = array_merge(
			array(
				'name'            => '',
				'enabled'         => true,
				'type'            => 'backup',
				'parts'           => self::PARTS,
				'every'           => 'day',
				'interval'        => 6,
				'at'              => '03:00',
				'weekday'         => 0,
				'destination_ids' => array(),
				'check_subset'    => 'all',
			),
			$prev,
			array_intersect_key( $input, array_flip( $fields ) )
		);
		$valid  = self::validate( $s );
		if ( is_wp_error( $valid ) ) {
			return $valid;
		}
		$now                  = Clock::now();
		$s['name']            = '' === trim( $s['name'] ) ? self::default_name( $s ) : sanitize_text_field( $s['name'] );
		$s['enabled']         = (bool) $s['enabled'];
		$s['interval']        = (int) $s['interval'];
		$s['weekday']         = (int) $s['weekday'];
		$s['parts']           = array_values( array_intersect( self::PARTS, $s['parts'] ) );
		$s['destination_ids'] = array_values( array_unique( $s['destination_ids'] ) );
		$s['id']              = null === $id ? 's' . bin2hex( random_bytes( 6 ) ) : $id;
		$s['created']         = isset( $prev['created'] ) ? $prev['created'] : $now;
		$s['since']           = $now; // Runs that fell due before a change are neither run nor missed.
		$s['updated']         = $now;
		$all[ $s['id'] ]      = $s;
		update_option( self::OPTION, $all, false );
		return $s;
	}

	/**
	 * Deletes a schedule (its jobs stay in the history).
	 *
	 * @param mixed $id Id.
	 * @return bool
	 */
	public static function delete( $id ) {
		$all = self::all();
		if ( ! is_string( $id ) || ! isset( $all[ $id ] ) ) {
			return false;
		}
		unset( $all[ $id ] );
		update_option( self::OPTION, $all, false );
		return true;
	}

	/**
	 * Checks the fields together.
	 *
	 * @param array $s Schedule.
	 * @return true|\WP_Error
	 */
	private static function validate( array $s ) {
		if ( ! is_string( $s['name'] ) || strlen( $s['name'] ) > 200 ) {
			return self::invalid( __( 'The name must be a short text.', 'strongbox' ) );
		}
		if ( ! in_array( $s['type'], self::TYPES, true ) ) {
			return self::invalid( __( 'The type must be backup, check, drill or prune.', 'strongbox' ) );
		}
		if ( ! in_array( $s['every'], self::EVERY, true ) ) {
			return self::invalid( __( 'The frequency must be hour, hours, day or week.', 'strongbox' ) );
		}
		if ( 'hours' === $s['every'] && ( ! is_numeric( $s['interval'] ) || (int) $s['interval'] < 1 || (int) $s['interval'] > 168 ) ) {
			return self::invalid( __( 'Every N hours needs an interval of 1 to 168 hours.', 'strongbox' ) );
		}
		if ( in_array( $s['every'], array( 'day', 'week' ), true ) && ( ! is_string( $s['at'] ) || ! preg_match( '/^([01][0-9]|2[0-3]):[0-5][0-9]$/', $s['at'] ) ) ) {
			return self::invalid( __( 'The time of day must look like 03:30 (24-hour clock, the site\'s time zone).', 'strongbox' ) );
		}
		if ( 'week' === $s['every'] && ( ! is_numeric( $s['weekday'] ) || (int) $s['weekday'] < 0 || (int) $s['weekday'] > 6 ) ) {
			return self::invalid( __( 'The weekday must be 0 (Sunday) to 6 (Saturday).', 'strongbox' ) );
		}
		if ( 'backup' === $s['type'] && ( ! is_array( $s['parts'] ) || ! array_intersect( self::PARTS, $s['parts'] ) || array_diff( $s['parts'], self::PARTS ) ) ) {
			return self::invalid( __( 'A backup schedule needs at least one part: database, files.', 'strongbox' ) );
		}
		if ( ! in_array( $s['check_subset'], self::SUBSET, true ) ) {
			return self::invalid( __( 'The check subset must be "all" or "1/7".', 'strongbox' ) );
		}
		if ( ! is_array( $s['destination_ids'] ) || ! $s['destination_ids'] ) {
			return self::invalid( __( 'Choose at least one destination for the schedule.', 'strongbox' ) );
		}
		$known = Destinations::all();
		foreach ( $s['destination_ids'] as $d ) {
			if ( ! is_string( $d ) || ! isset( $known[ $d ] ) ) {
				return new \WP_Error( 'strongbox_destination_not_found', __( 'A destination of the schedule does not exist.', 'strongbox' ), array( 'status' => 404 ) );
			}
		}
		return true;
	}

	/**
	 * A name when none was given, e.g. "Backup, daily".
	 *
	 * @param array $s Schedule.
	 * @return string
	 */
	private static function default_name( array $s ) {
		$types = array(
			'backup' => __( 'Backup', 'strongbox' ),
			'check'  => __( 'Check', 'strongbox' ),
			'drill'  => __( 'Restore drill', 'strongbox' ),
			'prune'  => __( 'Prune', 'strongbox' ),
		);
		$every = array(
			'hour'  => __( 'hourly', 'strongbox' ),
			/* translators: %d: number of hours */
			'hours' => sprintf( _n( 'every %d hour', 'every %d hours', (int) $s['interval'], 'strongbox' ), (int) $s['interval'] ),
			'day'   => __( 'daily', 'strongbox' ),
			'week'  => __( 'weekly', 'strongbox' ),
		);
		return $types[ $s['type'] ] . ', ' . $every[ $s['every'] ];
	}

	/**
	 * Validation error.
	 *
	 * @param string $message Message.
	 * @return \WP_Error
	 */
	private static function invalid( $message ) {
		return new \WP_Error( 'strongbox_schedule_invalid', $message, array( 'status' => 400 ) );
	}
}
