<?php
/**
 * The jobs table: one row per backup, restore, check or prune run.
 *
 * @package Strongbox
 */

namespace Strongbox\Jobs;

defined( 'ABSPATH' ) || exit;

/**
 * Storage of jobs, with validated state transitions and age-based pruning.
 */
final class Repository {

	/** Schema version of the table. */
	const DB_VERSION = '3';

	/** Allowed values. */
	const TYPES    = array( 'backup', 'restore', 'check', 'prune', 'drill' );
	const TRIGGERS = array( 'manual', 'schedule', 'before-update', 'api' );
	const STATES   = array( 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'missed' );

	/** Final states. */
	const FINAL_STATES = array( 'succeeded', 'failed', 'cancelled', 'missed' );

	/** Allowed transitions. */
	const TRANSITIONS = array(
		'queued'  => array( 'running', 'cancelled', 'failed' ),
		'running' => array( 'running', 'succeeded', 'failed', 'cancelled' ),
	);

	/** Most log lines kept per job. */
	const MAX_LOG_LINES = 1000;

	/**
	 * Table name.
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return $wpdb->prefix . 'strongbox_jobs';
	}

	/**
	 * Creates or upgrades the table (activation).
	 */
	public static function install_table() {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$table   = self::table();
		$charset = $wpdb->get_charset_collate();
		dbDelta(
			"CREATE TABLE $table (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  type varchar(20) NOT NULL,
  job_trigger varchar(20) NOT NULL,
  state varchar(20) NOT NULL,
  user_id bigint(20) unsigned NOT NULL DEFAULT 0,
  destination_id varchar(32) NULL,
  created_at datetime NOT NULL,
  started_at datetime NULL,
  finished_at datetime NULL,
  updated_at datetime NOT NULL,
  bytes_done bigint(20) unsigned NOT NULL DEFAULT 0,
  bytes_total bigint(20) unsigned NULL,
  error_code varchar(100) NULL,
  error_message text NULL,
  log longtext NULL,
  schedule_id varchar(32) NULL,
  due_at datetime NULL,
  params longtext NULL,
  result longtext NULL,
  lease_owner varchar(191) NULL,
  lease_token varchar(64) NULL,
  lease_expires datetime NULL,
  heartbeat_at datetime NULL,
  attempts int(10) unsigned NOT NULL DEFAULT 0,
  phase varchar(100) NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY schedule_due (schedule_id,destination_id,due_at),
  KEY state (state),
  KEY created_at (created_at),
  KEY state_due (state,due_at)
) $charset;"
		);
		update_option( 'strongbox_db_version', self::DB_VERSION, false );
	}

	/**
	 * `plugins_loaded`: creates the table when the stored version differs.
	 */
	public static function maybe_upgrade() {
		if ( self::DB_VERSION !== get_option( 'strongbox_db_version' ) ) {
			self::install_table();
		}
	}

	/**
	 * Drops the table (uninstall).
	 */
	public static function drop_table() {
		global $wpdb;
		$wpdb->query( 'DROP TABLE IF EXISTS `' . self::table() . '`' ); // phpcs:ignore WordPress.DB.PreparedSQL -- prefix + constant.
	}

	/**
	 * Creates a job.
	 *
	 * @param string      $type           Type.
	 * @param string      $trigger        Trigger.
	 * @param int         $user_id        User.
	 * @param string|null $destination_id The destination the job works on (null: none recorded).
	 * @param array       $extra          schedule_id, due_at (UNIX seconds), params (array), state
	 *                                    ('queued' or 'missed'), result (array), error_code, error_message.
	 * @return array|\WP_Error|null Null when a job of the same schedule, destination and due time exists.
	 */
	public static function create( $type, $trigger, $user_id, $destination_id = null, array $extra = array() ) {
		global $wpdb;
		if ( ! in_array( $type, self::TYPES, true ) || ! in_array( $trigger, self::TRIGGERS, true ) ) {
			return new \WP_Error( 'strongbox_job_invalid', __( 'Unknown job type or trigger.', 'strongbox' ), array( 'status' => 400 ) );
		}
		$now   = \Strongbox\Clock::now();
		$state = isset( $extra['state'] ) && 'missed' === $extra['state'] ? 'missed' : 'queued';
		$row   = array(
			'type'           => $type,
			'job_trigger'    => $trigger,
			'state'          => $state,
			'user_id'        => (int) $user_id,
			'destination_id' => null === $destination_id ? null : (string) $destination_id,
			'created_at'     => \Strongbox\Clock::mysql( $now ),
			'updated_at'     => \Strongbox\Clock::mysql( $now ),
			'finished_at'    => 'missed' === $state ? \Strongbox\Clock::mysql( $now ) : null,
			'log'            => '[]',
			'schedule_id'    => isset( $extra['schedule_id'] ) ? (string) $extra['schedule_id'] : null,
			'due_at'         => isset( $extra['due_at'] ) ? \Strongbox\Clock::mysql( $extra['due_at'] ) : null,
			'params'         => wp_json_encode( isset( $extra['params'] ) ? (object) $extra['params'] : new \stdClass() ),
			'result'         => isset( $extra['result'] ) ? wp_json_encode( (object) $extra['result'] ) : null,
			'error_code'     => isset( $extra['error_code'] ) ? (string) $extra['error_code'] : null,
			'error_message'  => isset( $extra['error_message'] ) ? (string) $extra['error_message'] : null,
		);
		// INSERT IGNORE: the unique (schedule_id, destination_id, due_at) key makes a
		// scheduled run exist once however many planners race.
		$cols   = array();
		$values = array();
		foreach ( $row as $col => $v ) {
			$cols[]   = '`' . $col . '`';
			$values[] = null === $v ? 'NULL' : $wpdb->prepare( '%s', $v );
		}
		$wpdb->query( 'INSERT IGNORE INTO ' . self::table() . ' (' . implode( ',', $cols ) . ') VALUES (' . implode( ',', $values ) . ')' ); // phpcs:ignore WordPress.DB.PreparedSQL -- every value prepared above.
		if ( 1 !== (int) $wpdb->rows_affected ) {
			if ( null !== $row['schedule_id'] ) {
				return null;
			}
			return new \WP_Error( 'strongbox_db_error', __( 'The job could not be recorded in the database.', 'strongbox' ), array( 'status' => 500 ) );
		}
		return self::get( (int) $wpdb->insert_id );
	}

	/**
	 * One job.
	 *
	 * @param mixed $id Id.
	 * @return array|\WP_Error
	 */
	public static function get( $id ) {
		global $wpdb;
		$row = $wpdb->get_row( $wpdb->prepare( 'SELECT * FROM ' . self::table() . ' WHERE id = %d', (int) $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL -- table name from prefix.
		if ( ! $row ) {
			return new \WP_Error( 'strongbox_job_not_found', __( 'No such job.', 'strongbox' ), array( 'status' => 404 ) );
		}
		return self::shape( $row );
	}

	/**
	 * A page of jobs, newest first.
	 *
	 * @param int         $page     Page (1-based).
	 * @param int         $per_page Jobs per page.
	 * @param string|null $state    Filter.
	 * @param array       $filters  schedule_id, trigger.
	 * @return array
	 */
	public static function find( $page, $per_page, $state = null, array $filters = array() ) {
		global $wpdb;
		$conds = array();
		if ( null !== $state ) {
			$conds[] = $wpdb->prepare( 'state = %s', $state );
		}
		if ( isset( $filters['schedule_id'] ) ) {
			$conds[] = $wpdb->prepare( 'schedule_id = %s', $filters['schedule_id'] );
		}
		if ( isset( $filters['trigger'] ) ) {
			$conds[] = $wpdb->prepare( 'job_trigger = %s', $filters['trigger'] );
		}
		$where = $conds ? ' WHERE ' . implode( ' AND ', $conds ) : '';
		$rows  = $wpdb->get_results( $wpdb->prepare( 'SELECT * FROM ' . self::table() . $where . ' ORDER BY id DESC LIMIT %d OFFSET %d', $per_page, ( $page - 1 ) * $per_page ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL
		$total = (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . self::table() . $where ); // phpcs:ignore WordPress.DB.PreparedSQL
		return array(
			'jobs'  => array_map( array( __CLASS__, 'shape' ), (array) $rows ),
			'total' => $total,
		);
	}

	/**
	 * Updates progress, state, error and log of a job.
	 *
	 * @param int   $id     Id.
	 * @param array $fields state, bytes_done, bytes_total, error_code, error_message, log (lines to append).
	 * @return array|\WP_Error
	 */
	public static function update( $id, array $fields ) {
		global $wpdb;
		$job = self::get( $id );
		if ( is_wp_error( $job ) ) {
			return $job;
		}
		if ( 'running' === $job['state'] && null !== $job['lease'] && ( ! isset( $fields['state'] ) || 'cancelled' !== $fields['state'] ) ) {
			return new \WP_Error( 'strongbox_job_leased', __( 'A runner holds this job under a lease: it reports through its heartbeat and finish calls. Only cancelling it is possible here.', 'strongbox' ), array( 'status' => 409 ) );
		}
		$now = \Strongbox\Clock::mysql( \Strongbox\Clock::now() );
		$set = array( 'updated_at' => $now );
		if ( isset( $fields['state'] ) ) {
			$to      = $fields['state'];
			$allowed = isset( self::TRANSITIONS[ $job['state'] ] ) ? self::TRANSITIONS[ $job['state'] ] : array();
			if ( ! in_array( $to, $allowed, true ) ) {
				/* translators: 1: current state, 2: requested state */
				return new \WP_Error( 'strongbox_job_transition', sprintf( __( 'A job cannot go from "%1$s" to "%2$s".', 'strongbox' ), $job['state'], $to ), array( 'status' => 409 ) );
			}
			$set['state'] = $to;
			if ( 'running' === $to && null === $job['started_at'] ) {
				$set['started_at'] = $now;
			}
			if ( in_array( $to, self::FINAL_STATES, true ) ) {
				$set['finished_at'] = $now;
			}
		}
		foreach ( array( 'bytes_done', 'bytes_total' ) as $f ) {
			if ( isset( $fields[ $f ] ) ) {
				$set[ $f ] = max( 0, (int) $fields[ $f ] );
			}
		}
		foreach ( array( 'error_code' => 100, 'error_message' => 2000 ) as $f => $max ) {
			if ( isset( $fields[ $f ] ) ) {
				$set[ $f ] = substr( sanitize_text_field( (string) $fields[ $f ] ), 0, $max );
			}
		}
		if ( ! empty( $fields['log'] ) ) {
			$lines = $job['log'];
			foreach ( (array) $fields['log'] as $line ) {
				$lines[] = gmdate( 'c', \Strongbox\Clock::now() ) . ' ' . substr( sanitize_text_field( (string) $line ), 0, 1000 );
			}
			$set['log'] = wp_json_encode( array_slice( $lines, -self::MAX_LOG_LINES ) );
		}
		$wpdb->update( self::table(), $set, array( 'id' => (int) $id ) );
		$after = self::get( $id );
		if ( isset( $set['finished_at'] ) && ! is_wp_error( $after ) ) {
			/**
			 * A job reached a final state (alerts listen).
			 *
			 * @param array $job The job.
			 */
			do_action( 'strongbox_job_finished', $after );
		}
		return $after;
	}

	/**
	 * Appends one line to a job's log.
	 *
	 * @param int    $id   Job.
	 * @param string $line Line.
	 * @param int    $now  Now.
	 */
	public static function append_log( $id, $line, $now ) {
		global $wpdb;
		$log   = $wpdb->get_var( $wpdb->prepare( 'SELECT log FROM ' . self::table() . ' WHERE id = %d', (int) $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL
		$lines = json_decode( (string) $log, true );
		$lines = is_array( $lines ) ? $lines : array();
		$lines[] = gmdate( 'c', (int) $now ) . ' ' . substr( sanitize_text_field( $line ), 0, 1000 );
		$wpdb->update( self::table(), array( 'log' => wp_json_encode( array_slice( $lines, -self::MAX_LOG_LINES ) ) ), array( 'id' => (int) $id ) );
	}

	/**
	 * Merges keys into a job's result.
	 *
	 * @param int   $id     Job.
	 * @param array $fields Keys.
	 */
	public static function merge_result( $id, array $fields ) {
		global $wpdb;
		$result = json_decode( (string) $wpdb->get_var( $wpdb->prepare( 'SELECT result FROM ' . self::table() . ' WHERE id = %d', (int) $id ) ), true ); // phpcs:ignore WordPress.DB.PreparedSQL
		$result = array_merge( is_array( $result ) ? $result : array(), $fields );
		$wpdb->update( self::table(), array( 'result' => wp_json_encode( (object) $result ) ), array( 'id' => (int) $id ) );
	}

	/**
	 * The lease columns of a job (the token never leaves the server through the job's shape).
	 *
	 * @param int $id Job.
	 * @return array|null lease_token, lease_expires, lease_owner.
	 */
	public static function lease_row( $id ) {
		global $wpdb;
		return $wpdb->get_row( $wpdb->prepare( 'SELECT lease_token, lease_expires, lease_owner FROM ' . self::table() . ' WHERE id = %d', (int) $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL
	}

	/**
	 * Deletes finished jobs older than some days.
	 *
	 * @param int $days Age.
	 * @return int Deleted rows.
	 */
	public static function prune( $days ) {
		global $wpdb;
		$cutoff = \Strongbox\Clock::mysql( \Strongbox\Clock::now() - max( 1, (int) $days ) * DAY_IN_SECONDS );
		return (int) $wpdb->query( $wpdb->prepare( 'DELETE FROM ' . self::table() . " WHERE state IN ('succeeded','failed','cancelled','missed') AND created_at < %s", $cutoff ) ); // phpcs:ignore WordPress.DB.PreparedSQL
	}

	/**
	 * Daily cron: prune with the configured age (filter `strongbox_jobs_max_age_days`, default 90).
	 */
	public static function prune_default() {
		self::prune( (int) apply_filters( 'strongbox_jobs_max_age_days', 90 ) );
	}

	/**
	 * API shape of a row.
	 *
	 * @param array $row Row.
	 * @return array
	 */
	public static function shape( array $row ) {
		$log    = json_decode( (string) $row['log'], true );
		$params = isset( $row['params'] ) ? json_decode( (string) $row['params'], true ) : null;
		$result = isset( $row['result'] ) ? json_decode( (string) $row['result'], true ) : null;
		$lease  = null;
		if ( ! empty( $row['lease_token'] ) ) {
			$lease = array(
				'owner'        => $row['lease_owner'],
				'expires_at'   => \Strongbox\Clock::mysql_to_iso( $row['lease_expires'] ),
				'heartbeat_at' => \Strongbox\Clock::mysql_to_iso( $row['heartbeat_at'] ),
			);
		}
		return array(
			'id'             => (int) $row['id'],
			'type'           => $row['type'],
			'trigger'        => $row['job_trigger'],
			'state'          => $row['state'],
			'user_id'        => (int) $row['user_id'],
			'destination_id' => isset( $row['destination_id'] ) ? $row['destination_id'] : null,
			'schedule_id'    => isset( $row['schedule_id'] ) ? $row['schedule_id'] : null,
			'due_at'         => isset( $row['due_at'] ) ? \Strongbox\Clock::mysql_to_iso( $row['due_at'] ) : null,
			'created_at'     => \Strongbox\Clock::mysql_to_iso( $row['created_at'] ),
			'started_at'     => \Strongbox\Clock::mysql_to_iso( $row['started_at'] ),
			'finished_at'    => \Strongbox\Clock::mysql_to_iso( $row['finished_at'] ),
			'updated_at'     => \Strongbox\Clock::mysql_to_iso( $row['updated_at'] ),
			'attempts'       => isset( $row['attempts'] ) ? (int) $row['attempts'] : 0,
			'phase'          => isset( $row['phase'] ) ? $row['phase'] : null,
			'params'         => is_array( $params ) && $params ? $params : new \stdClass(),
			'result'         => is_array( $result ) ? ( $result ? $result : new \stdClass() ) : null,
			'lease'          => $lease,
			'bytes_done'     => (int) $row['bytes_done'],
			'bytes_total'    => null === $row['bytes_total'] ? null : (int) $row['bytes_total'],
			'error_code'     => $row['error_code'],
			'error_message'  => $row['error_message'],
			'log'            => is_array( $log ) ? $log : array(),
		);
	}
}
