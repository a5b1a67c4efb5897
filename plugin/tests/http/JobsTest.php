<?php
/**
 * Jobs table through the API.
 *
 * @package Strongbox
 */

/**
 * Jobs routes.
 */
class JobsTest extends SB_Http_Test_Case {

	public function test_lifecycle_log_and_transitions() {
		$r = self::api( 'POST', '/jobs', array( 'type' => 'backup', 'trigger' => 'schedule' ) );
		$this->assertSame( 201, $r->status );
		$job = $r->json();
		$this->assertSame( 'queued', $job['state'] );
		$this->assertSame( 'schedule', $job['trigger'] );
		$id = $job['id'];
		$this->assertError( 409, 'strongbox_job_transition', self::api( 'PATCH', "/jobs/$id", array( 'state' => 'succeeded' ) ) );
		$r = self::api( 'PATCH', "/jobs/$id", array( 'state' => 'running', 'bytes_total' => 1000, 'log' => array( 'started', '<script>alert(1)</script>' ) ) );
		$this->assertSame( 'running', $r->json()['state'] );
		$this->assertNotNull( $r->json()['started_at'] );
		$r = self::api( 'PATCH', "/jobs/$id", array( 'bytes_done' => 1000, 'state' => 'failed', 'error_code' => 'storage_503', 'error_message' => 'The storage answered 503.', 'log' => array( 'gave up' ) ) );
		$j = $r->json();
		$this->assertSame( 'failed', $j['state'] );
		$this->assertSame( 1000, $j['bytes_done'] );
		$this->assertNotNull( $j['finished_at'] );
		$this->assertCount( 3, $j['log'] );
		$this->assertStringNotContainsString( '<script>', implode( "\n", $j['log'] ) );
		$this->assertError( 409, 'strongbox_job_transition', self::api( 'PATCH', "/jobs/$id", array( 'state' => 'running' ) ) );
		$this->assertSame( 400, self::api( 'POST', '/jobs', array( 'type' => 'format-disk' ) )->status );
		$this->assertSame( 400, self::api( 'PATCH', "/jobs/$id", array( 'log' => array_fill( 0, 101, 'x' ) ) )->status );
		$this->assertError( 404, 'strongbox_job_not_found', self::api( 'GET', '/jobs/999999999' ) );

		$list = self::api( 'GET', '/jobs?state=failed&per_page=5' )->json();
		$this->assertContains( $id, array_column( $list['jobs'], 'id' ) );
		$this->assertGreaterThanOrEqual( 1, $list['total'] );
	}

	public function test_a_job_records_its_destination_and_presigns_only_for_it() {
		$a = self::api( 'POST', '/destinations', array( 'name' => 'jobs a', 'endpoint' => 'http://127.0.0.1:9', 'bucket' => 'jobs-a', 'prefix' => 'pa', 'access_key_id' => 'AKA', 'secret_access_key' => 'secret-a' ) )->json()['id'];
		$b = self::api( 'POST', '/destinations', array( 'name' => 'jobs b', 'endpoint' => 'http://127.0.0.1:9', 'bucket' => 'jobs-b', 'prefix' => 'pb', 'access_key_id' => 'AKB', 'secret_access_key' => 'secret-b' ) )->json()['id'];

		$r = self::api( 'POST', '/jobs', array( 'type' => 'backup', 'destination_id' => $a ) );
		$this->assertSame( 201, $r->status, $r->body );
		$job = $r->json();
		$this->assertSame( $a, $job['destination_id'] );
		$this->assertSame( $a, self::api( 'GET', '/jobs/' . $job['id'] )->json()['destination_id'] );

		$ok = self::api( 'POST', "/destinations/$a/presign", array( 'job_id' => $job['id'], 'requests' => array( array( 'method' => 'PUT', 'key' => 'pa/config' ) ) ) );
		$this->assertSame( 200, $ok->status, $ok->body );
		$this->assertError( 403, 'strongbox_job_destination_mismatch', self::api( 'POST', "/destinations/$b/presign", array( 'job_id' => $job['id'], 'requests' => array( array( 'method' => 'PUT', 'key' => 'pb/config' ) ) ) ) );

		// Without a destination the job is not bound (older clients).
		$free = self::api( 'POST', '/jobs', array( 'type' => 'backup' ) )->json();
		$this->assertNull( $free['destination_id'] );
		$this->assertSame( 200, self::api( 'POST', "/destinations/$b/presign", array( 'job_id' => $free['id'], 'requests' => array( array( 'method' => 'PUT', 'key' => 'pb/config' ) ) ) )->status );

		$this->assertError( 404, 'strongbox_destination_not_found', self::api( 'POST', '/jobs', array( 'type' => 'backup', 'destination_id' => 'd000000000000' ) ) );
		$this->assertSame( 400, self::api( 'POST', '/jobs', array( 'type' => 'backup', 'destination_id' => '../etc' ) )->status );

		self::api( 'DELETE', "/destinations/$a" );
		self::api( 'DELETE', "/destinations/$b" );
	}

	public function test_prune_by_age() {
		global $wpdb;
		$id = self::api( 'POST', '/jobs', array( 'type' => 'check' ) )->json()['id'];
		self::api( 'PATCH', "/jobs/$id", array( 'state' => 'cancelled' ) );
		$wpdb->update( $wpdb->prefix . 'strongbox_jobs', array( 'created_at' => '2001-01-01 00:00:00' ), array( 'id' => $id ) );
		$running = self::api( 'POST', '/jobs', array( 'type' => 'check' ) )->json()['id'];
		$wpdb->update( $wpdb->prefix . 'strongbox_jobs', array( 'created_at' => '2001-01-01 00:00:00' ), array( 'id' => $running ) );
		$r = self::api( 'POST', '/jobs/prune', array( 'days' => 30 ) );
		$this->assertGreaterThanOrEqual( 1, $r->json()['deleted'] );
		$this->assertSame( 404, self::api( 'GET', "/jobs/$id" )->status );
		$this->assertSame( 200, self::api( 'GET', "/jobs/$running" )->status, 'unfinished jobs are kept' );
		$this->assertNotFalse( wp_next_scheduled( 'strongbox_prune_jobs' ) );
	}
}
