<?php
/**
 * When a schedule falls due: pure functions of the schedule, a time and a time zone.
 *
 * @package Strongbox
 */

namespace Strongbox\Schedules;

defined( 'ABSPATH' ) || exit;

/**
 * Next due times of the four frequencies, in the site's time zone.
 *
 * - `hour` (and `hours` with interval 1): every 3600 s of elapsed time, at minute 0 of the
 *   local hour. A day with a daylight-saving change has 23 or 25 runs: one per real hour.
 * - `hours` with an interval dividing 24 (2, 3, 4, 6, 8, 12, 24): at the local wall-clock
 *   hours that are multiples of the interval (00:00, 06:00, 12:00, 18:00 for 6).
 * - `hours` with another interval (5, 7, ..., 168): every interval of elapsed time, counted
 *   from the UNIX epoch, at minute 0 of the local hour.
 * - `day` at HH:MM and `week` on a weekday at HH:MM: local wall-clock time.
 *
 * Wall-clock times and daylight saving: a time that occurs twice (clocks going back) runs
 * once, at its first occurrence; a time that does not exist (clocks going forward) runs at
 * the first instant after the gap (02:30 on a night that jumps from 02:00 to 03:00 runs at 03:00).
 */
final class Planner {

	/**
	 * Nominal interval of a schedule, in seconds.
	 *
	 * @param array $s Schedule.
	 * @return int
	 */
	public static function interval_seconds( array $s ) {
		switch ( $s['every'] ) {
			case 'hours':
				return max( 1, (int) $s['interval'] ) * HOUR_IN_SECONDS;
			case 'day':
				return DAY_IN_SECONDS;
			case 'week':
				return WEEK_IN_SECONDS;
			default:
				return HOUR_IN_SECONDS;
		}
	}

	/**
	 * How late a run may start before it is recorded as late: 10 minutes or a quarter of the interval, whichever is larger.
	 *
	 * @param array $s Schedule.
	 * @return int Seconds.
	 */
	public static function grace_seconds( array $s ) {
		return max( 10 * MINUTE_IN_SECONDS, intdiv( self::interval_seconds( $s ), 4 ) );
	}

	/**
	 * The first due time strictly after $after.
	 *
	 * @param array         $s     Schedule (every, interval, at, weekday).
	 * @param int           $after UNIX seconds.
	 * @param \DateTimeZone $tz    Site time zone.
	 * @return int UNIX seconds.
	 */
	public static function next_after( array $s, $after, \DateTimeZone $tz ) {
		$after = (int) $after;
		$every = $s['every'];
		$n     = isset( $s['interval'] ) ? max( 1, (int) $s['interval'] ) : 1;
		if ( 'hour' === $every || ( 'hours' === $every && 1 === $n ) ) {
			return self::elapsed( $after, HOUR_IN_SECONDS, $tz );
		}
		if ( 'hours' === $every && 0 !== 24 % $n ) {
			return self::elapsed( $after, $n * HOUR_IN_SECONDS, $tz );
		}
		$times   = array(); // Minutes after local midnight.
		$weekday = null;
		if ( 'hours' === $every ) {
			for ( $h = 0; $h < 24; $h += $n ) {
				$times[] = $h * 60;
			}
		} else {
			list( $hh, $mm ) = array_map( 'intval', explode( ':', isset( $s['at'] ) ? $s['at'] : '00:00' ) );
			$times[]         = $hh * 60 + $mm;
			if ( 'week' === $every ) {
				$weekday = isset( $s['weekday'] ) ? (int) $s['weekday'] : 0;
			}
		}
		$day  = ( new \DateTimeImmutable( '@' . $after ) )->setTimezone( $tz )->setTime( 0, 0 )->modify( '-1 day' );
		$best = null;
		for ( $i = 0; $i < 10 && null === $best; $i++, $day = $day->modify( '+1 day' ) ) {
			if ( null !== $weekday && (int) $day->format( 'w' ) !== $weekday ) {
				continue;
			}
			foreach ( $times as $minutes ) {
				$t = self::resolve( (int) $day->format( 'Y' ), (int) $day->format( 'n' ), (int) $day->format( 'j' ), intdiv( $minutes, 60 ), $minutes % 60, $tz );
				if ( $t > $after && ( null === $best || $t < $best ) ) {
					$best = $t;
				}
			}
		}
		return null === $best ? $after + self::interval_seconds( $s ) : $best;
	}

	/**
	 * Due times in ($after, $until], oldest first, at most $cap of them (the newest).
	 *
	 * @param array         $s     Schedule.
	 * @param int           $after Exclusive start.
	 * @param int           $until Inclusive end.
	 * @param \DateTimeZone $tz    Time zone.
	 * @param int           $cap   Most times returned.
	 * @return array{times: int[], dropped: int} `dropped`: older due times left out (estimated when many).
	 */
	public static function due_between( array $s, $after, $until, \DateTimeZone $tz, $cap = 24 ) {
		$after    = (int) $after;
		$until    = (int) $until;
		$interval = self::interval_seconds( $s );
		$dropped  = 0;
		// Skip far ahead without walking every slot (a site left alone for a year).
		$window = ( $cap + 2 ) * $interval + DAY_IN_SECONDS;
		if ( $until - $after > $window ) {
			$dropped = intdiv( $until - $after - $window, $interval );
			$after   = $until - $window;
		}
		$times = array();
		for ( $t = self::next_after( $s, $after, $tz ); $t <= $until; $t = self::next_after( $s, $t, $tz ) ) {
			$times[] = $t;
		}
		if ( count( $times ) > $cap ) {
			$dropped += count( $times ) - $cap;
			$times    = array_slice( $times, -$cap );
		}
		return array(
			'times'   => $times,
			'dropped' => $dropped,
		);
	}

	/**
	 * Smallest t > $after that is a multiple of $step of elapsed time, at minute 0 of the local hour.
	 *
	 * @param int           $after After.
	 * @param int           $step  Seconds.
	 * @param \DateTimeZone $tz    Time zone (its offset's part below an hour: +05:30 runs at :30 UTC).
	 * @return int
	 */
	private static function elapsed( $after, $step, \DateTimeZone $tz ) {
		$offset = $tz->getOffset( new \DateTimeImmutable( '@' . $after ) );
		$frac   = ( ( $offset % HOUR_IN_SECONDS ) + HOUR_IN_SECONDS ) % HOUR_IN_SECONDS;
		$k      = intdiv( $after + $frac, $step ) + 1;
		return $k * $step - $frac;
	}

	/**
	 * A local wall-clock time as UNIX seconds: the first occurrence when it is ambiguous,
	 * the end of the gap when it does not exist.
	 *
	 * @param int           $y  Year.
	 * @param int           $m  Month.
	 * @param int           $d  Day.
	 * @param int           $h  Hour.
	 * @param int           $i  Minute.
	 * @param \DateTimeZone $tz Time zone.
	 * @return int
	 */
	public static function resolve( $y, $m, $d, $h, $i, \DateTimeZone $tz ) {
		$naive   = gmmktime( $h, $i, 0, $m, $d, $y );
		$offsets = array( $tz->getOffset( new \DateTimeImmutable( '@' . $naive ) ) );
		$trans   = $tz->getTransitions( $naive - 2 * DAY_IN_SECONDS, $naive + 2 * DAY_IN_SECONDS );
		$trans   = is_array( $trans ) ? $trans : array(); // Fixed offsets such as +00:00 have none.
		foreach ( $trans as $tr ) {
			$offsets[] = (int) $tr['offset'];
		}
		$valid = array();
		foreach ( array_unique( $offsets ) as $off ) {
			$t = $naive - $off;
			if ( $tz->getOffset( new \DateTimeImmutable( '@' . $t ) ) === $off ) {
				$valid[] = $t;
			}
		}
		if ( $valid ) {
			return min( $valid );
		}
		// In a gap: the transition that skipped over it.
		foreach ( $trans as $tr ) {
			if ( $tr['ts'] > $naive - 2 * DAY_IN_SECONDS && $tr['ts'] >= $naive - max( $offsets ) && $tr['ts'] <= $naive - min( $offsets ) ) {
				return (int) $tr['ts'];
			}
		}
		return $naive - $offsets[0];
	}
}
