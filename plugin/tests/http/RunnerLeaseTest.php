<?php
/**
 * Runner leases: hand-over when a runner dies, concurrent claims, what a lease holder may do.
 *
 * @package Strongbox
 */

use Strongbox\Jobs\Repository;

/**
 * Leases over HTTP with the simulated clock.
 */
class RunnerLeaseTest extends SB_Http_Test_Case {
	use SB_Runner_Helpers;

	/** Monday 2031-01-06 00:00:00 UTC. */
	const T0 = 1925424000;

	protected function setUp(): void {
		self::clean_slate();
	}

	protected function tearDown(): void {
		self::clean_slate();
		self::real_clock();
	}

	/**
	 * A scheduled backup job claimed by runner A.
	 *
	 * @return array [destination, claim answer]
	 */
	private function scheduled_claim( $runner ) {
		self::clock( self::T0 + 60 );
		$d = self::destination( 'lease ' . $runner );
		self::api( 'POST', '/schedules', array( 'every' => 'hour', 'parts' => array( 'database', 'files' ), 'destination_ids' => array( $d ) ) );
		self::clock( self::T0 + 3600 + 10 );
		$c = self::claim( $runner )->json();
		$this->assertNotNull( $c['job'] );
		return array( $d, $c );
	}

	public function test_lease_hand_over_when_a_runner_stops_heartbeating() {
		list( $d, $a ) = $this->scheduled_claim( 'agent@a' );
		$job           = $a['job']['id'];
		$hb            = self::api( 'POST', "/jobs/$job/heartbeat", array( 'lease' => $a['lease']['token'], 'phase' => 'files', 'message' => 'half way' ) );
		$this->assertSame( 200, $hb->status, $hb->body );
		$this->assertSame( gmdate( 'Y-m-d\TH:i:s\Z', self::T0 + 3600 + 10 + 120 ), $hb->json()['expires_at'] );
		$this->assertSame( 'files', self::api( 'GET', "/jobs/$job" )->json()['phase'] );

		// Within the lease, nobody else gets the job.
		self::clock( self::T0 + 3600 + 100 );
		$this->assertNull( self::claim( 'agent@b' )->json()['job'] );

		// Runner A dies: 121 s after its last heartbeat, B claims the same job.
		self::clock( self::T0 + 3600 + 10 + 121 );
		$b = self::claim( 'agent@b' )->json();
		$this->assertSame( $job, $b['job']['id'] );
		$this->assertSame( 2, $b['job']['attempts'] );
		$this->assertNotSame( $a['lease']['token'], $b['lease']['token'] );
		$this->assertError( 409, 'strongbox_lease_lost', self::api( 'POST', "/jobs/$job/heartbeat", array( 'lease' => $a['lease']['token'] ) ) );
		$this->assertError( 409, 'strongbox_lease_lost', self::finish( $job, $a['lease']['token'], 'succeeded' ) );
		$this->assertSame( 200, self::api( 'POST', "/jobs/$job/heartbeat", array( 'lease' => $b['lease']['token'] ) )->status );
		$f = self::finish( $job, $b['lease']['token'], 'succeeded', array( 'result' => array( 'snapshot_id' => 'b1' ) ) );
		$this->assertSame( 'succeeded', $f->json()['state'] );
		$this->assertSame( 'agent:agent@b', $f->json()['lease']['owner'] );
		$again = self::finish( $job, $b['lease']['token'], 'succeeded' );
		$this->assertSame( 200, $again->status, 'a retried finish answers the job again' );
		$this->assertSame( 'b1', $again->json()['result']['snapshot_id'] );
		$this->assertError( 409, 'strongbox_lease_lost', self::finish( $job, $a['lease']['token'], 'failed' ) );
		$this->assertStringNotContainsString( $b['lease']['token'], self::api( 'GET', "/jobs/$job" )->body, 'the token is never shown' );
		$this->assertSame( 400, self::api( 'POST', "/jobs/$job/heartbeat", array( 'lease' => 'short' ) )->status );
		self::api( 'DELETE', "/destinations/$d" );
	}

	public function test_after_three_lost_runners_the_job_fails() {
		list( $d, $c ) = $this->scheduled_claim( 'agent@1' );
		$job           = $c['job']['id'];
		$t             = self::T0 + 3600 + 10;
		for ( $i = 2; $i <= 3; $i++ ) {
			$t += 121;
			self::clock( $t );
			$c = self::claim( "agent@$i" )->json();
			$this->assertSame( $job, $c['job']['id'] );
			$this->assertSame( $i, $c['job']['attempts'] );
		}
		self::clock( $t + 121 );
		$this->assertSame( 200, self::api( 'GET', '/status' )->status );
		$j = self::api( 'GET', "/jobs/$job" )->json();
		$this->assertSame( 'failed', $j['state'] );
		$this->assertSame( 'strongbox_runner_lost', $j['error_code'] );
		self::api( 'DELETE', "/destinations/$d" );
	}

	public function test_two_runners_never_run_the_same_job() {
		self::clock( self::T0 + 60 );
		$d   = self::destination( 'lease race' );
		$ids = array();
		for ( $i = 0; $i < 6; $i++ ) {
			$ids[] = Repository::create( 'backup', 'before-update', 0, $d )['id'];
		}
		$given  = array();
		$rounds = 0;
		while ( $rounds++ < 12 ) {
			$batch = array();
			for ( $r = 0; $r < 8; $r++ ) {
				$batch[] = array( 'POST', self::API . '/runner/claim', array_merge( SB_Auth::admin(), array( 'Content-Type: application/json' ) ), json_encode( array( 'runner' => array( 'id' => "racer-$r", 'kind' => 0 === $r % 2 ? 'agent' : 'browser' ), 'types' => array( 'backup' ) ) ) );
			}
			$won = array();
			foreach ( SB_Http::multi( $batch, 8 ) as $resp ) {
				$this->assertSame( 200, $resp->status, $resp->body );
				$j = $resp->json();
				if ( null !== $j['job'] ) {
					$won[] = $j;
				}
			}
			if ( ! $won ) {
				break;
			}
			$this->assertCount( 1, $won, 'one runner works at a time' );
			foreach ( $won as $w ) {
				$given[] = $w['job']['id'];
				$this->assertSame( 200, self::finish( $w['job']['id'], $w['lease']['token'] )->status );
			}
		}
		sort( $given );
		$this->assertSame( $ids, $given, 'every job was given exactly once' );
		self::api( 'DELETE', "/destinations/$d" );
	}

	public function test_presign_and_passphrase_for_the_lease_holder_only() {
		if ( ! self::api( 'GET', '/settings/passphrase' )->json()['has_passphrase'] ) {
			self::api( 'PUT', '/settings/passphrase', array( 'passphrase' => 'lease test passphrase' ) );
		}
		list( $d, $c ) = $this->scheduled_claim( 'agent@keys' );
		$job           = $c['job']['id'];
		$token         = $c['lease']['token'];
		$prefix        = self::api( 'GET', "/destinations/$d" )->json()['prefix'];
		$req           = array( 'job_id' => $job, 'requests' => array( array( 'method' => 'PUT', 'key' => "$prefix/data/ab/abcd" ) ) );

		$this->assertError( 403, 'strongbox_lease_required', self::api( 'POST', "/destinations/$d/presign", $req ) );
		$this->assertError( 403, 'strongbox_lease_required', self::api( 'POST', "/destinations/$d/presign", $req + array( 'lease' => str_repeat( 'a', 48 ) ) ) );
		$ok = self::api( 'POST', "/destinations/$d/presign", $req + array( 'lease' => $token ) );
		$this->assertSame( 200, $ok->status, $ok->body );
		$hdr = SB_Http::request( 'POST', self::API . "/destinations/$d/presign", array_merge( SB_Auth::admin(), array( 'Content-Type: application/json', 'X-Strongbox-Lease: ' . $token ) ), json_encode( $req ) );
		$this->assertSame( 200, $hdr->status, 'the lease as a header' );
		// A backup may remove snapshot files (its retention), nothing else.
		$forget = self::api( 'POST', "/destinations/$d/presign", array( 'job_id' => $job, 'lease' => $token, 'requests' => array( array( 'method' => 'DELETE', 'key' => "$prefix/snapshots/0123" ) ) ) );
		$this->assertSame( 200, $forget->status, $forget->body );
		$this->assertError( 403, 'strongbox_operation_denied', self::api( 'POST', "/destinations/$d/presign", array( 'job_id' => $job, 'lease' => $token, 'requests' => array( array( 'method' => 'DELETE', 'key' => "$prefix/data/ab/abcd" ) ) ) ) );

		$this->assertError( 403, 'strongbox_passphrase_denied', self::api( 'GET', "/jobs/$job/passphrase" ) );
		$p = SB_Http::request( 'GET', self::API . "/jobs/$job/passphrase", array_merge( SB_Auth::admin(), array( 'X-Strongbox-Lease: ' . $token ) ) );
		$this->assertSame( 200, $p->status, $p->body );
		$this->assertNotEmpty( $p->json()['passphrase'] );

		// Once the lease has expired the token opens nothing.
		self::clock( self::T0 + 3600 + 10 + 121 );
		$this->assertError( 403, 'strongbox_lease_required', self::api( 'POST', "/destinations/$d/presign", $req + array( 'lease' => $token ) ) );
		$this->assertError( 403, 'strongbox_passphrase_denied', self::api( 'GET', "/jobs/$job/passphrase?lease=$token" ) );
		self::api( 'DELETE', "/destinations/$d" );
	}

	public function test_cancel_reaches_the_runner_and_patch_is_refused() {
		list( $d, $c ) = $this->scheduled_claim( 'agent@cancel' );
		$job           = $c['job']['id'];
		$this->assertError( 409, 'strongbox_job_leased', self::api( 'PATCH', "/jobs/$job", array( 'state' => 'succeeded' ) ) );
		$this->assertError( 409, 'strongbox_job_leased', self::api( 'PATCH', "/jobs/$job", array( 'bytes_done' => 5 ) ) );
		$this->assertSame( 'cancelled', self::api( 'PATCH', "/jobs/$job", array( 'state' => 'cancelled' ) )->json()['state'] );
		$hb = self::api( 'POST', "/jobs/$job/heartbeat", array( 'lease' => $c['lease']['token'] ) );
		$this->assertSame( 200, $hb->status );
		$this->assertTrue( $hb->json()['cancel_requested'] );
		$f = self::finish( $job, $c['lease']['token'], 'cancelled' );
		$this->assertSame( 'cancelled', $f->json()['state'] );
		self::api( 'DELETE', "/destinations/$d" );
	}

	public function test_a_manual_job_left_running_fails_after_30_minutes() {
		self::clock( self::T0 );
		$job = self::api( 'POST', '/jobs', array( 'type' => 'backup' ) )->json()['id'];
		self::api( 'PATCH', "/jobs/$job", array( 'state' => 'running' ) );
		self::clock( self::T0 + 29 * 60 );
		self::api( 'GET', '/status' );
		$this->assertSame( 'running', self::api( 'GET', "/jobs/$job" )->json()['state'] );
		self::api( 'PATCH', "/jobs/$job", array( 'bytes_done' => 10 ) ); // Progress keeps it alive.
		self::clock( self::T0 + 58 * 60 );
		self::api( 'GET', '/status' );
		$this->assertSame( 'running', self::api( 'GET', "/jobs/$job" )->json()['state'] );
		self::clock( self::T0 + 60 * 60 );
		self::api( 'GET', '/status' );
		$j = self::api( 'GET', "/jobs/$job" )->json();
		$this->assertSame( 'failed', $j['state'] );
		$this->assertSame( 'strongbox_job_stale', $j['error_code'] );
		$this->assertSame( '2031-01-06T01:00:00Z', $j['finished_at'] );
	}

	public function test_claim_requests_are_validated() {
		$this->assertSame( 400, self::api( 'POST', '/runner/claim', array( 'types' => array( 'backup' ) ) )->status );
		$this->assertSame( 400, self::api( 'POST', '/runner/claim', array( 'runner' => array( 'id' => 'x', 'kind' => 'robot' ) ) )->status );
		$this->assertSame( 400, self::api( 'POST', '/runner/claim', array( 'runner' => array( 'id' => 'x', 'kind' => 'agent' ), 'types' => array( 'format' ) ) )->status );
		$this->assertSame( 400, self::api( 'POST', '/jobs/1/finish', array( 'lease' => str_repeat( 'a', 48 ), 'state' => 'running' ) )->status );
		$this->assertError( 404, 'strongbox_job_not_found', self::api( 'POST', '/jobs/999999999/finish', array( 'lease' => str_repeat( 'a', 48 ), 'state' => 'failed' ) ) );
	}
}
