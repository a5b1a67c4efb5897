<?php
/**
 * Incidents: one email per incident, admin status, recovery-point state.
 *
 * @package Strongbox
 */

/**
 * Alerts over HTTP with the simulated clock and the test site's recorded mails.
 */
class AlertsTest extends SB_Http_Test_Case {
	use SB_Runner_Helpers;

	/** Monday 2032-01-05 00:00:00 UTC. */
	const T0 = 1956873600;

	/** Notification address of these tests. */
	const TO = 'alerts@example.test';

	protected function setUp(): void {
		self::clean_slate();
		$r = self::api( 'PUT', '/settings', array( 'rpo_hours' => 24, 'notify_email' => self::TO, 'alerts_enabled' => true ) );
		$this->assertSame( 200, $r->status, $r->body );
	}

	protected function tearDown(): void {
		self::clean_slate();
		self::real_clock();
	}

	private static function count_mails( $subject ) {
		return count(
			array_filter(
				self::mails( $subject ),
				static function ( $m ) {
					return self::TO === $m['to'] || array( self::TO ) === $m['to'];
				}
			)
		);
	}

	private static function incident_keys() {
		return array_column( self::api( 'GET', '/status' )->json()['incidents'], 'key' );
	}

	/** Claims the next due job at $t and finishes it. */
	private static function run_at( $t, $state, array $extra = array(), array $types = array( 'backup' ) ) {
		self::clock( $t );
		$c = self::claim( 'agent@alerts', $types )->json();
		if ( null === $c['job'] ) {
			throw new RuntimeException( 'nothing due at ' . gmdate( 'c', $t ) );
		}
		return self::finish( $c['job']['id'], $c['lease']['token'], $state, $extra )->json();
	}

	public function test_settings() {
		$s = self::api( 'GET', '/settings' )->json();
		$this->assertSame( array( 'rpo_hours' => 24, 'notify_email' => self::TO, 'alerts_enabled' => true, 'backup_before_updates' => true ), $s );
		$this->assertError( 400, 'strongbox_settings_invalid', self::api( 'PUT', '/settings', array( 'notify_email' => 'not an address' ) ) );
		$this->assertSame( 400, self::api( 'PUT', '/settings', array( 'rpo_hours' => -1 ) )->status );
		$this->assertFalse( self::api( 'PUT', '/settings', array( 'backup_before_updates' => false ) )->json()['backup_before_updates'] );
	}

	public function test_one_email_per_incident_not_per_retry() {
		self::clock( self::T0 );
		$d = self::destination( 'alerts fail' );
		self::api( 'POST', '/schedules', array( 'every' => 'hour', 'destination_ids' => array( $d ) ) );
		$subject = 'a backup failed';
		$before  = self::count_mails( $subject );

		$j = self::run_at( self::T0 + 3600 + 60, 'failed', array( 'error_code' => 'storage_503', 'error_message' => 'The storage answered 503 <b>twice</b>.' ) );
		$this->assertSame( 'failed', $j['state'] );
		$this->assertSame( $before + 1, self::count_mails( $subject ) );
		$this->assertContains( "backup_failed:$d", self::incident_keys() );
		$mail = self::mails( $subject );
		$mail = end( $mail );
		$this->assertStringContainsString( 'The storage answered 503', $mail['message'] );
		$this->assertStringNotContainsString( '<b>', $mail['message'], 'error messages are sanitized' );

		// Two more failures (retries): still one email, one incident.
		self::run_at( self::T0 + 2 * 3600 + 60, 'failed', array( 'error_code' => 'storage_503' ) );
		self::run_at( self::T0 + 3 * 3600 + 60, 'failed', array( 'error_code' => 'storage_503' ) );
		$this->assertSame( $before + 1, self::count_mails( $subject ) );
		$this->assertCount( 1, array_keys( self::incident_keys(), "backup_failed:$d", true ) );

		// A success closes it; the next failure is a new incident with a new email.
		self::run_at( self::T0 + 4 * 3600 + 60, 'succeeded', array( 'result' => array( 'snapshot_id' => 'ok4' ) ) );
		$this->assertNotContains( "backup_failed:$d", self::incident_keys() );
		self::run_at( self::T0 + 5 * 3600 + 60, 'failed', array( 'error_code' => 'storage_503' ) );
		$this->assertSame( $before + 2, self::count_mails( $subject ) );
		$this->assertContains( "backup_failed:$d", self::incident_keys() );

		// Alerts off: incidents are still tracked, no email is sent.
		self::api( 'PUT', '/settings', array( 'alerts_enabled' => false ) );
		self::run_at( self::T0 + 6 * 3600 + 60, 'succeeded' );
		self::run_at( self::T0 + 7 * 3600 + 60, 'failed' );
		$this->assertSame( $before + 2, self::count_mails( $subject ) );
		$this->assertContains( "backup_failed:$d", self::incident_keys() );
		self::api( 'DELETE', "/destinations/$d" );
	}

	public function test_rpo_state_transitions_and_incident() {
		$b = self::T0 + 30 * DAY_IN_SECONDS; // After every time of the other tests: its success is the latest.
		self::clock( $b );
		$d = self::destination( 'alerts rpo' );
		self::api( 'POST', '/schedules', array( 'every' => 'day', 'at' => '01:00', 'destination_ids' => array( $d ) ) );
		$j = self::run_at( $b + 3600 + 60, 'succeeded', array( 'result' => array( 'snapshot_id' => 'rpo1' ) ) );
		$s = self::api( 'GET', '/status' )->json();
		$this->assertSame( 'green', $s['rpo_state'] );
		$this->assertSame( 24, $s['rpo_hours'] );
		$this->assertSame( $j['id'], $s['latest_good_backup']['job_id'] );
		$this->assertSame( 'rpo1', $s['latest_good_backup']['snapshot_id'] );
		$this->assertSame( $d, $s['latest_good_backup']['destination_id'] );
		$this->assertNotContains( 'rpo_exceeded', self::incident_keys() );
		$mine = array_values( array_filter( $s['destinations'], static function ( $x ) use ( $d ) { return $x['id'] === $d; } ) )[0];
		$this->assertSame( $j['finished_at'], $mine['last_success'] );
		$this->assertNull( $mine['last_error'] );
		$this->assertTrue( $mine['offsite'] );
		$this->assertSame( 'agent@alerts', $s['runners'][0]['id'] );
		$this->assertSame( '2032-02-05T01:00:00Z', $s['next_run']['at'] );

		$before = self::count_mails( 'too old' );
		// No runner for the next days: amber after 24 h, red after 48 h, one email.
		self::clock( $b + 3600 + 60 + 25 * 3600 );
		$s = self::api( 'GET', '/status' )->json();
		$this->assertSame( 'amber', $s['rpo_state'] );
		$this->assertContains( 'rpo_exceeded', array_column( $s['incidents'], 'key' ) );
		$this->assertNotContains( 'no_runner', array_column( $s['incidents'], 'key' ), 'a daily run may wait 6 hours (a quarter of its interval)' );
		self::clock( $b + 3600 + 60 + 49 * 3600 );
		$s = self::api( 'GET', '/status' )->json();
		$this->assertSame( 'red', $s['rpo_state'] );
		$this->assertContains( 'no_runner', array_column( $s['incidents'], 'key' ), 'the due daily run waited more than its grace' );
		$this->assertSame( $before + 1, self::count_mails( 'too old' ) );
		$this->assertGreaterThanOrEqual( 1, self::count_mails( 'no runner picked up' ) );

		// The waiting run is picked up at last (late) and succeeds: green, both incidents closed.
		$c = self::claim( 'agent@alerts' )->json();
		$this->assertSame( '2032-02-05T01:00:00Z', $c['job']['due_at'], 'the run that waited; the next one was recorded as missed (busy)' );
		$missed = self::api( 'GET', '/jobs?state=missed&per_page=1' )->json()['jobs'][0];
		$this->assertSame( '2032-02-06T01:00:00Z', $missed['due_at'] );
		$this->assertSame( 'strongbox_missed_busy', $missed['error_code'] );
		$f = self::finish( $c['job']['id'], $c['lease']['token'], 'succeeded' )->json();
		$this->assertGreaterThan( 0, $f['result']['late_seconds'] );
		$s = self::api( 'GET', '/status' )->json();
		$this->assertSame( 'green', $s['rpo_state'] );
		$this->assertSame( array(), array_values( array_intersect( array( 'rpo_exceeded', 'no_runner' ), array_column( $s['incidents'], 'key' ) ) ) );

		self::api( 'PUT', '/settings', array( 'rpo_hours' => 0 ) );
		$this->assertSame( 'none', self::api( 'GET', '/status' )->json()['rpo_state'] );
		self::api( 'DELETE', "/destinations/$d" );
	}

	public function test_drill_and_unreachable_destination_incidents() {
		$b = self::T0 + 60 * DAY_IN_SECONDS;
		self::clock( $b );
		$d = self::destination( 'alerts drill' );
		self::api( 'POST', '/schedules', array( 'every' => 'hour', 'type' => 'drill', 'destination_ids' => array( $d ) ) );
		$drill_mails = self::count_mails( 'restore drill failed' );
		$j           = self::run_at( $b + 3600 + 60, 'succeeded', array( 'result' => array( 'ok' => false, 'snapshot_id' => 'x', 'rto_ms' => 5, 'mismatches' => array( 'wp_posts: 3 rows differ' ) ) ), array( 'drill' ) );
		$s           = self::api( 'GET', '/status' )->json();
		$this->assertContains( 'drill_failed', array_column( $s['incidents'], 'key' ) );
		$this->assertSame( $j['id'], $s['last_drill']['id'] );
		$this->assertSame( $drill_mails + 1, self::count_mails( 'restore drill failed' ) );
		self::run_at( $b + 2 * 3600 + 60, 'succeeded', array( 'result' => array( 'ok' => true ) ), array( 'drill' ) );
		$this->assertNotContains( 'drill_failed', self::incident_keys() );

		$before = self::count_mails( 'cannot be reached' );
		self::run_at( $b + 3 * 3600 + 60, 'failed', array( 'error_code' => 'strongbox_destination_unreachable', 'error_message' => 'Connection refused.' ), array( 'drill' ) );
		self::run_at( $b + 4 * 3600 + 60, 'failed', array( 'error_code' => 'strongbox_destination_unreachable', 'error_message' => 'Connection refused.' ), array( 'drill' ) );
		$this->assertContains( "destination_unreachable:$d", self::incident_keys() );
		$this->assertSame( $before + 1, self::count_mails( 'cannot be reached' ) );
		$mine = array_values( array_filter( self::api( 'GET', '/status' )->json()['destinations'], static function ( $x ) use ( $d ) { return $x['id'] === $d; } ) )[0];
		$this->assertSame( 'strongbox_destination_unreachable', $mine['last_error']['code'] );
		self::run_at( $b + 5 * 3600 + 60, 'succeeded', array( 'result' => array( 'ok' => true ) ), array( 'drill' ) );
		$this->assertNotContains( "destination_unreachable:$d", self::incident_keys() );
		self::api( 'DELETE', "/destinations/$d" );
	}

	public function test_admin_notice_lists_open_incidents_escaped() {
		\Strongbox\Alerts\Incidents::open( 'backup_failed:test', 'backup_failed', 'Backup <script>alert(1)</script> failed', self::T0 );
		wp_set_current_user( get_user_by( 'login', 'sb_administrator' )->ID );
		ob_start();
		\Strongbox\Alerts\Notifier::admin_notices();
		$html = ob_get_clean();
		$this->assertStringContainsString( 'Backup &lt;script&gt;', $html );
		$this->assertStringNotContainsString( '<script>', $html );
		wp_set_current_user( get_user_by( 'login', 'sb_editor' )->ID );
		ob_start();
		\Strongbox\Alerts\Notifier::admin_notices();
		$this->assertSame( '', ob_get_clean(), 'only for users who may use Strongbox' );
		wp_set_current_user( 0 );
	}
}
