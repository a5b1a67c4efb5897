<?php
/**
 * The backup before updates (in-process: Updates\Before_Update with a sleep that does not sleep).
 *
 * @package Strongbox
 */

use Strongbox\Jobs\Leases;
use Strongbox\Jobs\Runners;
use Strongbox\Updates\Before_Update;

/**
 * Before_Update::ensure_backup against the test site's database.
 */
class BeforeUpdateTest extends SB_Http_Test_Case {
	use SB_Runner_Helpers;

	/** Monday 2033-01-03 00:00:00 UTC. */
	const T0 = 1988236800;

	protected function setUp(): void {
		self::clean_slate();
	}

	protected function tearDown(): void {
		self::clean_slate();
		self::real_clock();
	}

	public function test_flow() {
		$d     = self::destination( 'before update' );
		$count = count( \Strongbox\Storage\Destinations::all() );
		$now   = self::T0;
		\Strongbox\Clock::set( $now );

		\Strongbox\Settings::update( array( 'backup_before_updates' => false ) );
		$this->assertSame( 'disabled', Before_Update::ensure_backup( $now )['status'] );
		\Strongbox\Settings::update( array( 'backup_before_updates' => true ) );

		// No admin tab runner: the jobs are queued for the agent, the update does not wait.
		$slept = 0;
		$sleep = static function () use ( &$slept ) {
			$slept++;
		};
		$r = Before_Update::ensure_backup( $now, $sleep );
		$this->assertSame( 'queued', $r['status'] );
		$this->assertCount( $count, $r['job_ids'], 'one job per destination' );
		$this->assertSame( 0, $slept );
		$job = self::api( 'GET', '/jobs/' . $r['job_ids'][0] )->json();
		$this->assertSame( 'before-update', $job['trigger'] );
		$this->assertSame( array( 'database', 'files' ), $job['params']['parts'] );
		$this->assertSame( $r['job_ids'], Before_Update::ensure_backup( $now, $sleep )['job_ids'], 'queued jobs are reused, not stacked' );

		// An admin tab runner is present: the update waits while it runs the jobs.
		Runners::seen( array( 'id' => 'tab-1', 'kind' => 'browser' ), $now );
		$messages = array();
		$r        = Before_Update::ensure_backup(
			$now,
			static function () use ( $now ) {
				$c = Leases::claim( array( 'id' => 'tab-1', 'kind' => 'browser' ), array( 'backup' ), $now, 1 );
				if ( $c['job'] ) {
					Leases::finish( $c['job']['id'], $c['token'], array( 'state' => 'succeeded' ), $now );
				}
			},
			static function ( $m ) use ( &$messages ) {
				$messages[] = $m;
			}
		);
		$this->assertSame( 'finished', $r['status'] );
		$this->assertCount( 2, $messages );
		foreach ( $r['job_ids'] as $id ) {
			$this->assertSame( 'succeeded', self::api( 'GET', "/jobs/$id" )->json()['state'] );
		}

		// Within 15 minutes of that backup, no other one (a bulk update makes one backup).
		$this->assertSame( 'recent', Before_Update::ensure_backup( $now + 14 * 60, $sleep )['status'] );

		// Later, with a tab seen but gone: it waits at most 60 s for a claim, without sleeping for real.
		$later = $now + 16 * 60;
		\Strongbox\Clock::set( $later );
		Runners::seen( array( 'id' => 'tab-1', 'kind' => 'browser' ), $later );
		$slept = 0;
		$r     = Before_Update::ensure_backup( $later, $sleep );
		$this->assertSame( 'unclaimed', $r['status'] );
		$this->assertSame( 30, $slept, '60 s in 2 s polls' );

		// Not an administrator in wp-admin (here: the command line): nothing is queued.
		$this->assertFalse( Before_Update::interactive() );
		$this->assertFalse( Before_Update::pre_download( false, 'https://downloads.example/p.zip', null ) );
		self::api( 'DELETE', "/destinations/$d" );
	}
}
