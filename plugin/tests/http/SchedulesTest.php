<?php
/**
 * Schedules through the API, and a simulated week of hourly runs (no sleeping: the site's clock is simulated).
 *
 * @package Strongbox
 */

/**
 * Schedules, planner, claims, missed and late runs, retention on destinations.
 */
class SchedulesTest extends SB_Http_Test_Case {
	use SB_Runner_Helpers;

	/** Monday 2030-01-07 00:00:00 UTC (the test site's time zone is UTC). */
	const T0 = 1893974400;

	protected function setUp(): void {
		self::clean_slate();
	}

	protected function tearDown(): void {
		self::clean_slate();
		self::real_clock();
	}

	public function test_crud_validation_and_views() {
		self::clock( self::T0 + 600 );
		$d = self::destination( 'sched crud' );
		$r = self::api( 'POST', '/schedules', array( 'name' => 'Database hourly', 'every' => 'hour', 'type' => 'backup', 'parts' => array( 'database' ), 'destination_ids' => array( $d ) ) );
		$this->assertSame( 201, $r->status, $r->body );
		$s = $r->json();
		$this->assertMatchesRegularExpression( '/^s[0-9a-f]{12}$/', $s['id'] );
		$this->assertSame( '2030-01-07T01:00:00Z', $s['next_run'] );
		$this->assertNull( $s['last_run'] );
		$this->assertSame( array( 'database' ), $s['parts'] );

		$r = self::api( 'POST', '/schedules', array( 'every' => 'week', 'weekday' => 3, 'at' => '03:30', 'type' => 'check', 'check_subset' => '1/7', 'destination_ids' => array( $d ) ) );
		$this->assertSame( 201, $r->status, $r->body );
		$w = $r->json();
		$this->assertSame( '2030-01-09T03:30:00Z', $w['next_run'] );
		$this->assertSame( 'Check, weekly', $w['name'] );

		$r = self::api( 'PATCH', '/schedules/' . $w['id'], array( 'every' => 'day', 'enabled' => false ) );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertFalse( $r->json()['enabled'] );
		$this->assertNull( $r->json()['next_run'] );
		$this->assertCount( 2, self::api( 'GET', '/schedules' )->json() );

		$this->assertSame( 400, self::api( 'POST', '/schedules', array( 'every' => 'hour', 'parts' => array(), 'destination_ids' => array( $d ) ) )->status, 'a backup needs a part' );
		$this->assertSame( 400, self::api( 'POST', '/schedules', array( 'every' => 'hours', 'interval' => 169, 'destination_ids' => array( $d ) ) )->status );
		$this->assertSame( 400, self::api( 'POST', '/schedules', array( 'every' => 'day', 'at' => '24:00', 'destination_ids' => array( $d ) ) )->status );
		$this->assertSame( 400, self::api( 'POST', '/schedules', array( 'every' => 'fortnight', 'destination_ids' => array( $d ) ) )->status );
		$this->assertSame( 400, self::api( 'POST', '/schedules', array( 'every' => 'day' ) )->status, 'destinations are required' );
		$this->assertError( 404, 'strongbox_destination_not_found', self::api( 'POST', '/schedules', array( 'every' => 'day', 'destination_ids' => array( 'd000000000000' ) ) ) );
		$this->assertError( 404, 'strongbox_schedule_not_found', self::api( 'GET', '/schedules/s000000000000' ) );
		$this->assertSame( 200, self::api( 'DELETE', '/schedules/' . $w['id'] )->status );
		$this->assertError( 404, 'strongbox_schedule_not_found', self::api( 'DELETE', '/schedules/' . $w['id'] ) );
		self::api( 'DELETE', "/destinations/$d" );
	}

	public function test_destinations_have_a_retention_policy() {
		$d = self::api( 'GET', '/destinations/' . self::destination( 'sched retention' ) )->json();
		$this->assertSame( array( 'keep_last' => 0, 'keep_hourly' => 24, 'keep_daily' => 7, 'keep_weekly' => 4, 'keep_monthly' => 12, 'keep_yearly' => 0, 'keep_within' => '' ), $d['retention'] );
		$r = self::api( 'PATCH', '/destinations/' . $d['id'], array( 'retention' => array( 'keep_last' => 3, 'keep_within' => '1y2m3d4h' ) ) );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( 3, $r->json()['retention']['keep_last'] );
		$this->assertSame( 0, $r->json()['retention']['keep_daily'], 'a policy sent replaces the previous one; missing keys are 0' );
		$this->assertSame( '1y2m3d4h', $r->json()['retention']['keep_within'] );
		$this->assertError( 400, 'strongbox_destination_invalid', self::api( 'PATCH', '/destinations/' . $d['id'], array( 'retention' => array( 'keep_within' => '2 weeks' ) ) ) );
		$this->assertSame( 400, self::api( 'PATCH', '/destinations/' . $d['id'], array( 'retention' => array( 'keep_daily' => -1 ) ) )->status );
		$this->assertSame( 400, self::api( 'PATCH', '/destinations/' . $d['id'], array( 'retention' => array( 'keep_forever' => 1 ) ) )->status );
		$this->assertSame( 3, self::api( 'GET', '/destinations/' . $d['id'] )->json()['retention']['keep_last'], 'refused changes change nothing' );
		self::api( 'DELETE', '/destinations/' . $d['id'] );
	}

	public function test_a_simulated_week_of_hourly_backups() {
		$start = microtime( true );
		self::clock( self::T0 + 1800 );
		$d = self::destination( 'sched week' );
		self::api( 'PATCH', "/destinations/$d", array( 'retention' => array( 'keep_hourly' => 48, 'keep_daily' => 7 ) ) );
		$s = self::api( 'POST', '/schedules', array( 'name' => 'Database hourly', 'every' => 'hour', 'parts' => array( 'database' ), 'destination_ids' => array( $d ) ) )->json();

		$nothing = self::claim( 'agent@week' )->json();
		$this->assertNull( $nothing['job'] );
		$this->assertSame( '2030-01-07T01:00:00Z', $nothing['next_due'] );
		$this->assertSame( '2030-01-07T00:30:00Z', $nothing['now'] );

		$ids = array();
		for ( $h = 1; $h <= 168; $h++ ) {
			$due = self::T0 + $h * 3600;
			self::clock( $due + 60 );
			$c = self::claim( 'agent@week' );
			$this->assertSame( 200, $c->status, $c->body );
			$c = $c->json();
			$this->assertNotNull( $c['job'], "hour $h: a job is due" );
			$job = $c['job'];
			$this->assertSame( gmdate( 'Y-m-d\TH:i:s\Z', $due ), $job['due_at'] );
			$this->assertSame( gmdate( 'Y-m-d\TH:i:s\Z', $due + 60 ), $c['now'] );
			$this->assertSame( 'schedule', $job['trigger'] );
			$this->assertSame( $s['id'], $job['schedule_id'] );
			$this->assertSame( 1, $job['attempts'] );
			if ( 1 === $h ) {
				$this->assertSame( array( 'database' ), $job['params']['parts'] );
				$this->assertSame( 48, $job['params']['retention']['keep_hourly'] );
				$this->assertSame( 120, $c['lease']['ttl'] );
				$this->assertSame( 30, $c['lease']['heartbeat_every'] );
			}
			if ( 0 === $h % 24 ) {
				$hb = self::api( 'POST', '/jobs/' . $job['id'] . '/heartbeat', array( 'lease' => $c['lease']['token'], 'phase' => 'upload', 'bytes_done' => 10, 'bytes_total' => 20 ) );
				$this->assertSame( 200, $hb->status, $hb->body );
				$this->assertFalse( $hb->json()['cancel_requested'] );
				// Nothing else is due while this one runs.
				$this->assertNull( self::claim( 'agent@other' )->json()['job'] );
			}
			$f = self::finish( $job['id'], $c['lease']['token'], 'succeeded', array( 'result' => array( 'snapshot_id' => "snap$h", 'stats' => array( 'files' => 1 ), 'forget' => array( 'removed' => array(), 'kept' => $h ) ) ) );
			$this->assertSame( 200, $f->status, $f->body );
			$this->assertSame( 'succeeded', $f->json()['state'] );
			$ids[] = $job['id'];
		}
		$this->assertCount( 168, array_unique( $ids ) );
		$list = self::api( 'GET', '/jobs?schedule_id=' . $s['id'] . '&state=succeeded&per_page=1' )->json();
		$this->assertSame( 168, $list['total'] );
		$this->assertSame( 0, self::api( 'GET', '/jobs?schedule_id=' . $s['id'] . '&state=missed' )->json()['total'] );
		$view = self::api( 'GET', '/schedules/' . $s['id'] )->json();
		$this->assertSame( 'succeeded', $view['last_run']['state'] );
		$this->assertSame( end( $ids ), $view['last_run']['job_id'] );

		// The clock jumps five hours with no tick: four runs missed, the latest queued.
		$base = self::T0 + 168 * 3600;
		self::clock( $base + 5 * 3600 + 60 );
		$c = self::claim( 'agent@week' )->json();
		$this->assertSame( gmdate( 'Y-m-d\TH:i:s\Z', $base + 5 * 3600 ), $c['job']['due_at'] );
		$missed = self::api( 'GET', '/jobs?schedule_id=' . $s['id'] . '&state=missed' )->json();
		$this->assertSame( 4, $missed['total'] );
		$this->assertSame( array( 'strongbox_missed_no_tick' ), array_values( array_unique( array_column( $missed['jobs'], 'error_code' ) ) ) );
		$this->assertEqualsCanonicalizing(
			array_map( static function ( $h ) use ( $base ) { return gmdate( 'Y-m-d\TH:i:s\Z', $base + $h * 3600 ); }, array( 1, 2, 3, 4 ) ),
			array_column( $missed['jobs'], 'due_at' )
		);
		$this->assertSame( 200, self::finish( $c['job']['id'], $c['lease']['token'] )->status );

		// Started 20 minutes after its due time (grace: 15 minutes for hourly): recorded as late.
		self::clock( $base + 6 * 3600 + 1200 );
		$c = self::claim( 'agent@week' )->json();
		$f = self::finish( $c['job']['id'], $c['lease']['token'], 'succeeded', array( 'result' => array( 'snapshot_id' => 'late' ) ) )->json();
		$this->assertSame( 1200, $f['result']['late_seconds'] );
		$this->assertSame( 'late', $f['result']['snapshot_id'] );

		// A run still held when the next falls due: the next is missed (busy), not stacked.
		self::clock( $base + 7 * 3600 + 60 );
		$c = self::claim( 'agent@week' )->json();
		self::clock( $base + 8 * 3600 + 30 );
		$this->assertSame( 200, self::api( 'POST', '/jobs/' . $c['job']['id'] . '/heartbeat', array( 'lease' => $c['lease']['token'] ) )->status );
		$this->assertNull( self::claim( 'agent@other' )->json()['job'] );
		$busy = self::api( 'GET', '/jobs?schedule_id=' . $s['id'] . '&state=missed&per_page=1' )->json()['jobs'][0];
		$this->assertSame( 'strongbox_missed_busy', $busy['error_code'] );
		$this->assertSame( gmdate( 'Y-m-d\TH:i:s\Z', $base + 8 * 3600 ), $busy['due_at'] );
		$this->assertSame( 200, self::finish( $c['job']['id'], $c['lease']['token'] )->status );

		$this->assertLessThan( 120, microtime( true ) - $start, 'a simulated week takes seconds, not a week' );
		self::api( 'DELETE', "/destinations/$d" );
	}

	public function test_one_job_per_destination_and_types_filter() {
		self::clock( self::T0 + 600 );
		$a = self::destination( 'sched multi a' );
		$b = self::destination( 'sched multi b' );
		self::api( 'POST', '/schedules', array( 'every' => 'hours', 'interval' => 6, 'type' => 'check', 'check_subset' => '1/7', 'destination_ids' => array( $a, $b ) ) );
		self::clock( self::T0 + 6 * 3600 + 5 );
		$this->assertNull( self::claim( 'agent@multi', array( 'backup' ) )->json()['job'], 'a runner gets only the types it asked for' );
		$seen = array();
		for ( $i = 0; $i < 2; $i++ ) {
			$c = self::claim( 'agent@multi', array( 'check' ) )->json();
			$this->assertSame( 'check', $c['job']['type'] );
			$this->assertSame( '1/7', $c['job']['params']['check_subset'] );
			$this->assertSame( 0, $c['job']['params']['check_offset'] );
			$seen[] = $c['job']['destination_id'];
			self::finish( $c['job']['id'], $c['lease']['token'], 'succeeded', array( 'result' => array( 'ok' => true, 'packs_checked' => 1, 'packs_total' => 7, 'errors' => array() ) ) );
		}
		$this->assertEqualsCanonicalizing( array( $a, $b ), $seen );
		self::clock( self::T0 + 12 * 3600 + 5 );
		$c = self::claim( 'agent@multi', array( 'check' ) )->json();
		$this->assertSame( 1, $c['job']['params']['check_offset'], 'the checked seventh rotates' );
		self::finish( $c['job']['id'], $c['lease']['token'] );
		self::api( 'DELETE', "/destinations/$a" );
		self::api( 'DELETE', "/destinations/$b" );
	}
}
