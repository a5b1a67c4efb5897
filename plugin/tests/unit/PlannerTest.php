<?php
/**
 * Next due times of every frequency, daylight saving included.
 *
 * @package Strongbox
 */

use PHPUnit\Framework\TestCase;
use Strongbox\Schedules\Planner;

/**
 * Schedules\Planner (pure: a schedule, a time, a time zone).
 */
class PlannerTest extends TestCase {

	private static function t( $local, $tz ) {
		return ( new DateTimeImmutable( $local, new DateTimeZone( $tz ) ) )->getTimestamp();
	}

	private static function local( $ts, $tz ) {
		return ( new DateTimeImmutable( '@' . $ts ) )->setTimezone( new DateTimeZone( $tz ) )->format( 'Y-m-d H:i T' );
	}

	public function test_hourly_runs_at_the_top_of_every_hour() {
		$tz = new DateTimeZone( 'UTC' );
		$s  = array( 'every' => 'hour' );
		$this->assertSame( gmmktime( 11, 0, 0, 11, 25, 2026 ), Planner::next_after( $s, gmmktime( 10, 17, 3, 11, 25, 2026 ), $tz ) );
		$this->assertSame( gmmktime( 11, 0, 0, 11, 25, 2026 ), Planner::next_after( $s, gmmktime( 10, 0, 0, 11, 25, 2026 ), $tz ), 'strictly after' );
		$this->assertSame( gmmktime( 11, 0, 0, 11, 25, 2026 ), Planner::next_after( array( 'every' => 'hours', 'interval' => 1 ), gmmktime( 10, 0, 0, 11, 25, 2026 ), $tz ) );
		// A half-hour zone: minute 0 of the local hour.
		$kolkata = new DateTimeZone( 'Asia/Kolkata' );
		$this->assertSame( '2026-11-25 11:00 IST', self::local( Planner::next_after( $s, self::t( '2026-11-25 10:17', 'Asia/Kolkata' ), $kolkata ), 'Asia/Kolkata' ) );
	}

	public function test_hourly_across_daylight_saving_runs_once_per_real_hour() {
		$tz = new DateTimeZone( 'Europe/Berlin' );
		$s  = array( 'every' => 'hour' );
		// Spring forward (2026-03-29 02:00 -> 03:00): 23 runs that local day.
		$r = Planner::due_between( $s, self::t( '2026-03-29 00:00', 'Europe/Berlin' ) - 1, self::t( '2026-03-30 00:00', 'Europe/Berlin' ) - 1, $tz, 100 );
		$this->assertCount( 23, $r['times'] );
		// Fall back (2026-10-25 03:00 -> 02:00): 25 runs, the hour 02:00 twice.
		$r = Planner::due_between( $s, self::t( '2026-10-25 00:00', 'Europe/Berlin' ) - 1, self::t( '2026-10-26 00:00', 'Europe/Berlin' ) - 1, $tz, 100 );
		$this->assertCount( 25, $r['times'] );
		foreach ( $r['times'] as $i => $t ) {
			if ( $i ) {
				$this->assertSame( 3600, $t - $r['times'][ $i - 1 ] );
			}
		}
	}

	public function test_every_n_hours_on_wall_clock_multiples_when_n_divides_24() {
		$tz = 'America/New_York';
		$s  = array( 'every' => 'hours', 'interval' => 6 );
		$r  = Planner::due_between( $s, self::t( '2026-11-25 00:00', $tz ), self::t( '2026-11-26 00:00', $tz ), new DateTimeZone( $tz ), 100 );
		$this->assertSame( array( '2026-11-25 06:00 EST', '2026-11-25 12:00 EST', '2026-11-25 18:00 EST', '2026-11-26 00:00 EST' ), array_map( static function ( $t ) use ( $tz ) { return PlannerTest::fmt( $t, $tz ); }, $r['times'] ) );
		// Across the autumn change (2026-11-01 02:00 EDT -> 01:00 EST): still 00/06/12/18 local.
		$r = Planner::due_between( $s, self::t( '2026-10-31 23:00', $tz ), self::t( '2026-11-01 23:00', $tz ), new DateTimeZone( $tz ), 100 );
		$this->assertSame( array( '2026-11-01 00:00 EDT', '2026-11-01 06:00 EST', '2026-11-01 12:00 EST', '2026-11-01 18:00 EST' ), array_map( static function ( $t ) use ( $tz ) { return PlannerTest::fmt( $t, $tz ); }, $r['times'] ) );
	}

	public static function fmt( $t, $tz ) {
		return self::local( $t, $tz );
	}

	public function test_every_n_hours_elapsed_when_n_does_not_divide_24() {
		$tz = new DateTimeZone( 'UTC' );
		$s  = array( 'every' => 'hours', 'interval' => 5 );
		$a  = Planner::next_after( $s, gmmktime( 12, 0, 0, 11, 25, 2026 ), $tz );
		$b  = Planner::next_after( $s, $a, $tz );
		$c  = Planner::next_after( $s, $b, $tz );
		$this->assertSame( 5 * 3600, $b - $a );
		$this->assertSame( 5 * 3600, $c - $b );
		$this->assertSame( 0, $a % ( 5 * 3600 ) );
		$week = array( 'every' => 'hours', 'interval' => 168 );
		$this->assertSame( 168 * 3600, Planner::next_after( $week, Planner::next_after( $week, 1800000000, $tz ), $tz ) - Planner::next_after( $week, 1800000000, $tz ) );
	}

	public function test_daily_at_a_local_time() {
		$tz = 'Europe/Berlin';
		$s  = array( 'every' => 'day', 'at' => '03:30' );
		$this->assertSame( '2026-11-25 03:30 CET', self::local( Planner::next_after( $s, self::t( '2026-11-24 03:30', $tz ), new DateTimeZone( $tz ) ), $tz ) );
		$this->assertSame( '2026-11-24 03:30 CET', self::local( Planner::next_after( $s, self::t( '2026-11-24 03:29', $tz ), new DateTimeZone( $tz ) ), $tz ) );
		// Summer time: still 03:30 on the wall clock, one hour earlier in UTC.
		$this->assertSame( gmmktime( 1, 30, 0, 7, 1, 2026 ), Planner::next_after( $s, self::t( '2026-06-30 12:00', $tz ), new DateTimeZone( $tz ) ) );
	}

	public function test_daily_in_the_gap_and_in_the_repeated_hour() {
		$tz = 'Europe/Berlin';
		$s  = array( 'every' => 'day', 'at' => '02:30' );
		// 2026-03-29: 02:30 does not exist; it runs at 03:00 CEST, the end of the gap (01:00 UTC).
		$t = Planner::next_after( $s, self::t( '2026-03-28 12:00', $tz ), new DateTimeZone( $tz ) );
		$this->assertSame( gmmktime( 1, 0, 0, 3, 29, 2026 ), $t );
		$this->assertSame( '2026-03-30 02:30 CEST', self::local( Planner::next_after( $s, $t, new DateTimeZone( $tz ) ), $tz ) );
		// 2026-10-25: 02:30 happens twice; it runs once, at the first (CEST, 00:30 UTC).
		$t = Planner::next_after( $s, self::t( '2026-10-24 12:00', $tz ), new DateTimeZone( $tz ) );
		$this->assertSame( gmmktime( 0, 30, 0, 10, 25, 2026 ), $t );
		$this->assertSame( '2026-10-26 02:30 CET', self::local( Planner::next_after( $s, $t, new DateTimeZone( $tz ) ), $tz ) );
	}

	public function test_weekly_on_a_weekday() {
		$tz = 'Australia/Sydney';
		$s  = array( 'every' => 'week', 'weekday' => 0, 'at' => '23:15' ); // Sunday.
		$t  = Planner::next_after( $s, self::t( '2026-11-25 10:00', $tz ), new DateTimeZone( $tz ) ); // A Wednesday.
		$this->assertSame( '2026-11-29 23:15 AEDT', self::local( $t, $tz ) );
		$this->assertSame( '2026-12-06 23:15 AEDT', self::local( Planner::next_after( $s, $t, new DateTimeZone( $tz ) ), $tz ) );
		// Sydney leaves summer time on 2026-04-05: the wall-clock time holds.
		$t = Planner::next_after( $s, self::t( '2026-03-30 00:00', $tz ), new DateTimeZone( $tz ) );
		$this->assertSame( '2026-04-05 23:15 AEST', self::local( $t, $tz ) );
	}

	public function test_due_between_caps_and_counts_what_it_drops() {
		$tz = new DateTimeZone( 'UTC' );
		$s  = array( 'every' => 'hour' );
		$r  = Planner::due_between( $s, gmmktime( 0, 0, 0, 1, 1, 2026 ), gmmktime( 0, 0, 0, 1, 1, 2026 ) + 10 * 3600, $tz, 4 );
		$this->assertCount( 4, $r['times'] );
		$this->assertSame( 6, $r['dropped'] );
		$this->assertSame( gmmktime( 10, 0, 0, 1, 1, 2026 ), end( $r['times'] ) );
		// A year away: fast, bounded, newest kept.
		$start = microtime( true );
		$r     = Planner::due_between( $s, gmmktime( 0, 0, 0, 1, 1, 2025 ), gmmktime( 0, 0, 0, 1, 1, 2026 ), $tz, 24 );
		$this->assertLessThan( 1.0, microtime( true ) - $start );
		$this->assertCount( 24, $r['times'] );
		$this->assertSame( 365 * 24 - 24, $r['dropped'] );
		$this->assertSame( 900, Planner::grace_seconds( $s ) ); // A quarter of an hour beats 10 minutes.
		$this->assertSame( 6 * 3600, Planner::grace_seconds( array( 'every' => 'day' ) ) );
	}

	public function test_fixed_offset_zones_have_no_transitions() {
		// wp_timezone() is a fixed offset such as +00:00 or +05:30 when the site has no named zone.
		$tz = new DateTimeZone( '+05:30' );
		$t  = Planner::next_after( array( 'every' => 'day', 'at' => '03:30' ), gmmktime( 0, 0, 0, 11, 25, 2026 ), $tz );
		$this->assertSame( gmmktime( 22, 0, 0, 11, 25, 2026 ), $t );
		$this->assertSame( gmmktime( 0, 30, 0, 11, 25, 2026 ), Planner::next_after( array( 'every' => 'hour' ), gmmktime( 0, 0, 0, 11, 25, 2026 ), $tz ) );
	}
}
