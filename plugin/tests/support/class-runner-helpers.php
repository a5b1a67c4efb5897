<?php
/**
 * Helpers of the schedule, runner and alert tests: the simulated clock, runners, a clean queue.
 *
 * @package Strongbox
 */

/**
 * Mixed into SB_Http_Test_Case subclasses.
 */
trait SB_Runner_Helpers {

	/**
	 * Sets the site's simulated clock.
	 *
	 * @param int $now UNIX seconds.
	 */
	protected static function clock( $now ) {
		$r = self::api( 'PUT', '/test/clock', array( 'now' => $now ) );
		if ( 200 !== $r->status ) {
			throw new RuntimeException( 'PUT /test/clock: ' . $r->body );
		}
	}

	/**
	 * POST /runner/claim.
	 *
	 * @param string $id    Runner id.
	 * @param array  $types Types.
	 * @param string $kind  agent or browser.
	 * @return SB_Response
	 */
	protected static function claim( $id, array $types = array( 'backup' ), $kind = 'agent' ) {
		return self::api(
			'POST',
			'/runner/claim',
			array(
				'runner' => array( 'id' => $id, 'kind' => $kind, 'version' => '0.1.0' ),
				'types'  => $types,
			)
		);
	}

	/**
	 * POST /jobs/{id}/finish.
	 *
	 * @param int    $job    Job.
	 * @param string $lease  Token.
	 * @param string $state  State.
	 * @param array  $extra  error_code, error_message, result.
	 * @return SB_Response
	 */
	protected static function finish( $job, $lease, $state = 'succeeded', array $extra = array() ) {
		return self::api( 'POST', "/jobs/$job/finish", array_merge( array( 'lease' => $lease, 'state' => $state ), $extra ) );
	}

	/**
	 * A destination that points nowhere (no request is sent to it here).
	 *
	 * @param string $name Name.
	 * @return string Id.
	 */
	protected static function destination( $name ) {
		$r = self::api( 'POST', '/destinations', array( 'name' => $name, 'endpoint' => 'https://s3.example.com', 'bucket' => 'sched-bucket', 'prefix' => 'p-' . strtolower( preg_replace( '/[^a-z0-9]+/i', '-', $name ) ), 'access_key_id' => 'AKSCHED', 'secret_access_key' => 'sched-secret' ) );
		if ( 201 !== $r->status ) {
			throw new RuntimeException( 'POST /destinations: ' . $r->body );
		}
		return $r->json()['id'];
	}

	/**
	 * No job waits for a runner or runs, no schedule, incident or runner is left: each test starts clean.
	 */
	protected static function clean_slate() {
		global $wpdb;
		$wpdb->query( "UPDATE {$wpdb->prefix}strongbox_jobs SET state = 'cancelled', finished_at = '2000-01-01 00:00:00' WHERE state IN ('queued','running')" );
		foreach ( array( 'strongbox_schedules', 'strongbox_incidents', 'strongbox_runners', 'strongbox_settings' ) as $o ) {
			delete_option( $o );
		}
	}

	/**
	 * Back to the real clock.
	 */
	protected static function real_clock() {
		delete_option( \Strongbox\Clock::OPTION );
	}

	/**
	 * Mails recorded by the test site's mu-plugin, optionally only those whose subject contains $needle.
	 *
	 * @param string $needle Part of the subject.
	 * @return array[]
	 */
	protected static function mails( $needle = '' ) {
		$file = dirname( SB_TEST_WP_DIR ) . '/mail.log';
		$out  = array();
		if ( ! is_file( $file ) ) {
			return $out;
		}
		foreach ( file( $file ) as $line ) {
			$m = json_decode( $line, true );
			if ( is_array( $m ) && ( '' === $needle || false !== strpos( (string) $m['subject'], $needle ) ) ) {
				$out[] = $m;
			}
		}
		return $out;
	}
}
