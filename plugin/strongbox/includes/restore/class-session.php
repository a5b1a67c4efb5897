<?php
/**
 * A restore session: staging tables, staged files, one atomic swap, commit or rollback.
 *
 * @package Strongbox
 */

namespace Strongbox\Restore;

use Strongbox\Data_Dir;
use Strongbox\Database\Checksum;
use Strongbox\Database\Manifest;
use Strongbox\Database\Page_Serializer;
use Strongbox\Database\Schema;
use Strongbox\Files\Jail;
use Strongbox\Files\Lister;
use Strongbox\Files\Raw_Path;
use Strongbox\Jobs\Repository;

defined( 'ABSPATH' ) || exit;

/**
 * Lifecycle: open -> (tables, rows, files, search-replace) -> swap -> commit | rollback.
 *
 * Nothing the visitor sees changes before swap. Swap renames every restored table
 * in ONE `RENAME TABLE` statement (atomic in MariaDB/MySQL), keeping the previous
 * tables under `strongbox_o_*` names, and moves files into place keeping the
 * previous ones in the private directory. Rollback reverses both; commit drops the
 * previous copies. The session's state lives in the private directory, not in the
 * database (a restore may swap wp_options and wp_usermeta), and only one session
 * may exist at a time. A session not touched before its expiry is rolled back; it
 * does not depend on the browser tab that opened it (see README: resuming).
 *
 * The state file (session.json) stays small whatever the number of files: the
 * staged files are kept by Staged_Files, and session.json only counts them, so it
 * is written once per request.
 *
 * Strongbox's own settings (every `strongbox_*` option: destinations with their
 * secrets, passphrase, file exclusions, schema version) are not rewound by a restore
 * of the options table: the swap copies the live values into the restored table
 * (session option keep_strongbox_settings, default true).
 *
 * A full restore also removes what the snapshot does not have: the client sends the
 * snapshot's paths under the restored roots (keep_files(), Keep_List), and the swap
 * moves every other file of those roots into the previous-state area (Pruner), so a
 * rollback puts it back and a commit deletes it.
 *
 * A drill (mode `drill`, see README "Drills") uses the same staging calls to prove a
 * snapshot can be restored, and never touches the site: its state lives in the private
 * directory's `drill/` (apart from a restore's `restore/`), its staging tables are named
 * `strongbox_d_*`, there is no maintenance gate, and swap, commit, search-replace and the
 * kept-files list are refused. verify_table() and verify_files() report what was staged;
 * a roll back (DELETE) removes everything and records a report. A restore opened while a
 * drill runs cancels the drill (cancel_drill()).
 */
final class Session {

	/** Largest request body for rows or file data (bytes). */
	const MAX_BODY = 33554432;

	/** Default and bounds of the inactivity timeout (seconds). */
	const DEFAULT_TTL = 1800;
	const MIN_TTL     = 60;
	const MAX_TTL     = 86400;

	/** Version of the state file's layout (1: files listed in session.json). */
	const FORMAT = 2;

	/** Modes. */
	const RESTORE = 'restore';
	const DRILL   = 'drill';

	/** Drill reports kept (drill/reports.json), newest last. */
	const MAX_REPORTS = 50;

	/** How long the note of a cancelled drill is kept for its client (seconds). */
	const TOMBSTONE_TTL = 86400;

	/**
	 * Session data.
	 *
	 * @var array
	 */
	private $data;

	/**
	 * The staged files, once opened.
	 *
	 * @var Staged_Files|null
	 */
	private $staged;

	/**
	 * Handle of the lock file while this request holds the session.
	 *
	 * @var resource|null
	 */
	private $lock;

	/**
	 * Constructor (use open() or current()).
	 *
	 * @param array $data Data.
	 */
	private function __construct( array $data ) {
		$this->data = $data + self::defaults();
	}

	/**
	 * Releases the lock.
	 */
	public function __destruct() {
		$this->unlock();
	}

	/**
	 * Counters of the staged files, zero.
	 *
	 * @return array
	 */
	private static function counters() {
		return array(
			'files_count'    => 0,
			'files_bytes'    => 0,
			'files_complete' => 0,
			'dirs_count'     => 0,
			'links_count'    => 0,
		);
	}

	/**
	 * Fields a state file written by an earlier version may lack, with their defaults.
	 *
	 * @return array
	 */
	private static function defaults() {
		return self::counters() + array(
			'mode'          => self::RESTORE,
			'staged_first'  => null,
			'staged_last'   => null,
			'verified'      => array(
				'tables' => 0,
				'files'  => 0,
			),
			'keep_settings' => true,
			'settings_kept' => array(),
			'prune'         => self::prune_defaults(),
			'skipped'       => array(),
		);
	}

	/**
	 * State of the removal of what the snapshot does not have: nothing asked.
	 *
	 * @return array
	 */
	private static function prune_defaults() {
		return array(
			'roots'         => null,
			'exclude'       => array(),
			'lists'         => 0,
			'next_list'     => 1,
			'listed'        => 0,
			'started'       => false,
			'removed_files' => 0,
			'removed_dirs'  => 0,
			'skipped_roots' => array(),
		);
	}

	/**
	 * Directory of session state: `restore` for restores, `drill` for drills.
	 *
	 * @param string $mode Mode.
	 * @return string|\WP_Error
	 */
	private static function dir( $mode = self::RESTORE ) {
		return Data_Dir::sub( self::DRILL === $mode ? 'drill' : 'restore' );
	}

	/**
	 * This session's mode.
	 *
	 * @return string
	 */
	public function mode() {
		return self::DRILL === $this->data['mode'] ? self::DRILL : self::RESTORE;
	}

	/**
	 * Whether this session is a drill.
	 *
	 * @return bool
	 */
	public function is_drill() {
		return self::DRILL === $this->mode();
	}

	/**
	 * Runs $fn holding the lock that serializes opening sessions (a restore and a drill
	 * must never both be opened by two requests at the same moment).
	 *
	 * @param callable $fn Returns the result.
	 * @return mixed
	 */
	private static function with_open_lock( callable $fn ) {
		$dir = self::dir();
		if ( is_wp_error( $dir ) ) {
			return $dir;
		}
		$h = fopen( $dir . '/open.lock', 'c' ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		if ( false === $h || ! flock( $h, LOCK_EX ) ) {
			return self::err( 'strongbox_no_private_dir', __( 'The restore session could not be locked.', 'strongbox' ), 500 );
		}
		try {
			return $fn();
		} finally {
			flock( $h, LOCK_UN );
			fclose( $h ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		}
	}

	/**
	 * Opens a new session, or refuses while another one is active.
	 *
	 * A restore cancels a drill that is running (the drill's client then gets
	 * strongbox_drill_cancelled); a drill is refused while a restore is open.
	 *
	 * @param int   $user_id User.
	 * @param array $opts    mode (restore, drill), ttl, overwrite_protected, maintenance, keep_strongbox_settings.
	 * @return array|\WP_Error [Session, key]
	 */
	public static function open( $user_id, array $opts ) {
		$mode = isset( $opts['mode'] ) && self::DRILL === $opts['mode'] ? self::DRILL : self::RESTORE;
		return self::with_open_lock(
			static function () use ( $user_id, $opts, $mode ) {
				self::expire_abandoned();
				if ( self::DRILL === $mode ) {
					if ( null !== self::current( self::RESTORE ) ) {
						return self::err( 'strongbox_restore_busy', __( 'A restore is in progress; a drill can only run when no restore is open.', 'strongbox' ), 409 );
					}
					$opts = array(
						'ttl'                     => isset( $opts['ttl'] ) ? $opts['ttl'] : null,
						'overwrite_protected'     => false,
						'maintenance'             => false,
						'keep_strongbox_settings' => false,
					);
				} else {
					self::cancel_drill( 'a restore was started' );
				}
				return self::create( $user_id, $opts, $mode );
			}
		);
	}

	/**
	 * Writes a new session's state (under the open lock).
	 *
	 * @param int    $user_id User.
	 * @param array  $opts    Options.
	 * @param string $mode    Mode.
	 * @return array|\WP_Error [Session, key]
	 */
	private static function create( $user_id, array $opts, $mode ) {
		$dir = self::dir( $mode );
		if ( is_wp_error( $dir ) ) {
			return $dir;
		}
		$id   = bin2hex( random_bytes( 16 ) );
		$key  = bin2hex( random_bytes( 24 ) );
		$ttl  = isset( $opts['ttl'] ) ? max( self::MIN_TTL, min( self::MAX_TTL, (int) $opts['ttl'] ) ) : self::DEFAULT_TTL;
		$data = array(
			'id'                  => $id,
			'mode'                => $mode,
			'staged_first'        => null,
			'staged_last'         => null,
			'verified'            => array(
				'tables' => 0,
				'files'  => 0,
			),
			'key_hash'            => hash( 'sha256', $key ),
			'user_id'             => (int) $user_id,
			'created'             => time(),
			'ttl'                 => $ttl,
			'expires'             => time() + $ttl,
			'state'               => 'open',
			'overwrite_protected' => ! empty( $opts['overwrite_protected'] ),
			'maintenance'         => ! isset( $opts['maintenance'] ) || (bool) $opts['maintenance'],
			'keep_settings'       => ! isset( $opts['keep_strongbox_settings'] ) || (bool) $opts['keep_strongbox_settings'],
			'settings_kept'       => array(),
			'prune'               => self::prune_defaults(),
			'format'              => self::FORMAT,
			'tables'              => array(),
			'files_count'         => 0,
			'files_bytes'         => 0,
			'files_complete'      => 0,
			'dirs_count'          => 0,
			'links_count'         => 0,
			'skipped'             => array(),
			'files_swapping'      => false,
			'log'                 => array(),
		);
		$tmp = $dir . '/session.' . $id . '.tmp';
		file_put_contents( $tmp, wp_json_encode( $data ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		// link() fails when session.json exists: the atomic "only one session" lock.
		if ( ! @link( $tmp, $dir . '/session.json' ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors
			unlink( $tmp ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			if ( self::DRILL === $mode ) {
				return new \WP_Error( 'strongbox_drill_busy', __( 'Another drill is running. Wait for it to finish, or delete it.', 'strongbox' ), array( 'status' => 409 ) );
			}
			return new \WP_Error( 'strongbox_restore_busy', __( 'Another restore session is already open. Finish or roll it back first.', 'strongbox' ), array( 'status' => 409 ) );
		}
		unlink( $tmp ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		self::drop_orphan_staging_tables( self::DRILL === $mode ? 'd' : 'n' );
		$session = new self( $data );
		if ( $session->data['maintenance'] ) {
			Maintenance_Gate::enable( $session->data['expires'] );
		}
		$session->log( 'opened' );
		$session->save();
		return array( $session, $key );
	}

	/**
	 * Drops staging tables left by a session whose state was lost (called while holding
	 * the lock, so no live session owns them). Previous tables (strongbox_o_*) are never
	 * dropped here: they may be the only copy of what a lost swap replaced.
	 */
	private static function drop_orphan_staging_tables( $kind = 'n' ) {
		global $wpdb;
		$names = $wpdb->get_col( $wpdb->prepare( 'SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE %s', 'strongbox\\_' . ( 'd' === $kind ? 'd' : 'n' ) . '\\_%' ) );
		foreach ( $names as $name ) {
			if ( preg_match( Schema::RESTORE_TABLE_PATTERN, $name ) ) {
				$wpdb->query( 'DROP TABLE IF EXISTS ' . Schema::quote( $name ) ); // phpcs:ignore WordPress.DB.PreparedSQL -- name checked against the pattern.
			}
		}
	}

	/**
	 * The current restore session (or, with $mode = drill, the current drill), if any.
	 *
	 * @param string $mode Mode.
	 * @return Session|null
	 */
	public static function current( $mode = self::RESTORE ) {
		$dir = self::dir( $mode );
		if ( is_wp_error( $dir ) || ! is_file( $dir . '/session.json' ) ) {
			return null;
		}
		$data = json_decode( (string) file_get_contents( $dir . '/session.json' ), true ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		return is_array( $data ) && isset( $data['id'] ) ? new self( $data + array( 'mode' => $mode ) ) : null;
	}

	/**
	 * The session with this id, or an error.
	 *
	 * @param mixed $id Id from the URL.
	 * @return Session|\WP_Error
	 */
	public static function get( $id ) {
		$s = null;
		foreach ( array( self::RESTORE, self::DRILL ) as $mode ) {
			$c = self::current( $mode );
			if ( null !== $c && is_string( $id ) && hash_equals( $c->data['id'], $id ) ) {
				$s = $c;
				break;
			}
		}
		if ( null === $s ) {
			return self::gone( $id );
		}
		if ( $s->expired() ) {
			$s->rollback( 'expired' );
			return new \WP_Error( 'strongbox_restore_expired', __( 'The restore session expired and was rolled back.', 'strongbox' ), array( 'status' => 410 ) );
		}
		return $s;
	}

	/**
	 * `init` hook and open(): rolls back a session nobody touched before its expiry
	 * (checked again under the lock: a request may have touched it meanwhile).
	 */
	public static function expire_abandoned() {
		foreach ( array( self::RESTORE, self::DRILL ) as $mode ) {
			$s = self::current( $mode );
			if ( null !== $s && $s->expired() && true === $s->lock() && $s->expired() ) {
				$s->rollback( 'expired' );
			}
			if ( null !== $s ) {
				$s->unlock();
			}
		}
	}

	/**
	 * Cancels the running drill, if any, and removes everything it staged: a restore
	 * always wins over a drill. Waits for the drill's current request (if one holds its
	 * lock) to finish. Its client gets strongbox_drill_cancelled from then on.
	 *
	 * @param string $reason Why.
	 * @return bool Whether a drill was cancelled.
	 */
	public static function cancel_drill( $reason ) {
		$d = self::current( self::DRILL );
		if ( null === $d || true !== $d->lock() ) {
			return false;
		}
		$dir = self::dir( self::DRILL );
		if ( ! is_wp_error( $dir ) ) {
			self::prune_tombstones( $dir );
			file_put_contents( // phpcs:ignore WordPress.WP.AlternativeFunctions
				$dir . '/cancelled-' . $d->data['id'] . '.json',
				wp_json_encode(
					array(
						'time'   => time(),
						'reason' => $reason,
					)
				)
			);
		}
		$d->rollback( 'cancelled: ' . $reason );
		$d->unlock();
		return true;
	}

	/**
	 * Removes notes of cancelled drills older than TOMBSTONE_TTL.
	 *
	 * @param string $dir The drill directory.
	 */
	private static function prune_tombstones( $dir ) {
		foreach ( (array) glob( $dir . '/cancelled-*.json' ) as $f ) {
			if ( is_string( $f ) && filemtime( $f ) < time() - self::TOMBSTONE_TTL ) {
				@unlink( $f ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			}
		}
	}

	/**
	 * The error for a session id that is not open: cancelled drill, or not found.
	 *
	 * @param mixed $id Id.
	 * @return \WP_Error
	 */
	private static function gone( $id ) {
		$dir = self::dir( self::DRILL );
		if ( is_string( $id ) && preg_match( '/^[0-9a-f]{32}$/', $id ) && ! is_wp_error( $dir ) && is_file( $dir . '/cancelled-' . $id . '.json' ) ) {
			$note = json_decode( (string) file_get_contents( $dir . '/cancelled-' . $id . '.json' ), true ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			return new \WP_Error(
				'strongbox_drill_cancelled',
				__( 'This drill was cancelled because a restore was started (a restore always wins over a drill); everything it staged was removed. Run the drill again after the restore.', 'strongbox' ),
				array(
					'status'    => 409,
					'reason'    => is_array( $note ) && isset( $note['reason'] ) ? (string) $note['reason'] : '',
					'cancelled' => is_array( $note ) && isset( $note['time'] ) ? gmdate( 'c', (int) $note['time'] ) : null,
				)
			);
		}
		return new \WP_Error( 'strongbox_restore_not_found', __( 'No open restore session with this id (it may have expired and been rolled back).', 'strongbox' ), array( 'status' => 404 ) );
	}

	/**
	 * Holds the session for the rest of the request (requests that change it run one
	 * at a time) and reloads its state, which another request may have changed.
	 *
	 * @return true|\WP_Error
	 */
	public function lock() {
		$dir = self::dir( $this->mode() );
		if ( is_wp_error( $dir ) ) {
			return $dir;
		}
		if ( null === $this->lock ) {
			$h = fopen( $dir . '/session.lock', 'c' ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			if ( false === $h || ! flock( $h, LOCK_EX ) ) {
				return self::err( 'strongbox_no_private_dir', __( 'The restore session could not be locked.', 'strongbox' ), 500 );
			}
			$this->lock = $h;
		}
		$data = is_file( $dir . '/session.json' ) ? json_decode( (string) file_get_contents( $dir . '/session.json' ), true ) : null; // phpcs:ignore WordPress.WP.AlternativeFunctions
		if ( ! is_array( $data ) || ! isset( $data['id'] ) || $data['id'] !== $this->data['id'] ) {
			$this->unlock();
			return self::gone( $this->data['id'] );
		}
		$this->data = $data + array( 'mode' => $this->mode() ) + self::defaults();
		return true;
	}

	/**
	 * Releases the lock.
	 */
	public function unlock() {
		if ( null !== $this->lock ) {
			flock( $this->lock, LOCK_UN );
			fclose( $this->lock ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			$this->lock = null;
		}
	}

	/**
	 * Replaces the session key (the previous one stops working), for a client that
	 * lost it, e.g. a browser tab closed during a restore.
	 *
	 * @param int $user_id Who asks.
	 * @return string The new key.
	 */
	public function rekey( $user_id ) {
		$key                    = bin2hex( random_bytes( 24 ) );
		$this->data['key_hash'] = hash( 'sha256', $key );
		$this->log( 'new session key issued to user ' . (int) $user_id );
		$this->touch();
		return $key;
	}

	/**
	 * Whether the session's key matches.
	 *
	 * @param mixed $key Key from the request header.
	 * @return bool
	 */
	public function key_matches( $key ) {
		return is_string( $key ) && '' !== $key && hash_equals( $this->data['key_hash'], hash( 'sha256', $key ) );
	}

	/**
	 * Whether the session outlived its timeout.
	 *
	 * @return bool
	 */
	public function expired() {
		return (int) $this->data['expires'] < time();
	}

	/**
	 * State name.
	 *
	 * @return string
	 */
	public function state() {
		return $this->data['state'];
	}

	/**
	 * Pushes the expiry forward (every call of the client does).
	 */
	public function touch() {
		$this->data['expires'] = time() + (int) $this->data['ttl'];
		if ( $this->data['maintenance'] && ! $this->is_drill() ) {
			Maintenance_Gate::enable( $this->data['expires'] );
		}
		$this->save();
	}

	/**
	 * Public view of the session.
	 *
	 * @return array
	 */
	public function to_array() {
		$tables = array();
		foreach ( $this->data['tables'] as $name => $t ) {
			$tables[] = array(
				'table'   => $name,
				'staging' => $t['staging'],
				'rows'    => $t['rows'],
			);
		}
		return array(
			'id'                      => $this->data['id'],
			'mode'                    => $this->mode(),
			'state'                   => $this->data['state'],
			'user_id'                 => $this->data['user_id'],
			'created'                 => gmdate( 'c', $this->data['created'] ),
			'expires'                 => gmdate( 'c', $this->data['expires'] ),
			'ttl'                     => (int) $this->data['ttl'],
			'maintenance'             => $this->data['maintenance'],
			'overwrite_protected'     => $this->data['overwrite_protected'],
			'keep_strongbox_settings' => (bool) $this->data['keep_settings'],
			'settings_kept'           => array_values( (array) $this->data['settings_kept'] ),
			'tables'                  => $tables,
			'files'                   => $this->files_summary(),
			'skipped'                 => $this->skipped_summary(),
			'prune'                   => $this->prune_summary(),
			'staged_first'            => null === $this->data['staged_first'] ? null : gmdate( 'c', (int) $this->data['staged_first'] ),
			'staged_last'             => null === $this->data['staged_last'] ? null : gmdate( 'c', (int) $this->data['staged_last'] ),
			'verified'                => array(
				'tables' => (int) $this->data['verified']['tables'],
				'files'  => (int) $this->data['verified']['files'],
			),
			'log'                     => $this->data['log'],
		);
	}

	/**
	 * How many paths are staged (files, folders and links), the files' bytes, how many
	 * are complete (folders and links always are); of them, how many folders and links.
	 *
	 * @return array {count, bytes, complete, dirs, links}
	 */
	private function files_summary() {
		return array(
			'count'    => (int) $this->data['files_count'],
			'bytes'    => (int) $this->data['files_bytes'],
			'complete' => (int) $this->data['files_complete'],
			'dirs'     => (int) $this->data['dirs_count'],
			'links'    => (int) $this->data['links_count'],
		);
	}

	/**
	 * What the swap staged but could not create (links the host refused, or whose
	 * target no longer stays inside the site), as the status shows it.
	 *
	 * @return array [{path, path_b64?, type, code, message}]
	 */
	private function skipped_summary() {
		$out = array();
		foreach ( (array) $this->data['skipped'] as $s ) {
			$raw   = Raw_Path::decode( isset( $s['path_b64'] ) ? $s['path_b64'] : '' );
			$out[] = Raw_Path::put( array(), 'path', null === $raw ? '' : $raw ) + array(
				'type'    => isset( $s['type'] ) ? (string) $s['type'] : 'link',
				'code'    => isset( $s['code'] ) ? (string) $s['code'] : '',
				'message' => isset( $s['message'] ) ? (string) $s['message'] : '',
			);
		}
		return $out;
	}

	/**
	 * The removal of what the snapshot does not have, as the status shows it.
	 *
	 * @return array {roots (null: nothing is removed), exclude, requests, listed, removed_files, removed_dirs, skipped_roots}
	 */
	private function prune_summary() {
		$p = $this->data['prune'] + self::prune_defaults();
		return array(
			'roots'         => null === $p['roots'] ? null : array_values( $p['roots'] ),
			'exclude'       => array_values( $p['exclude'] ),
			'requests'      => (int) $p['lists'],
			'listed'        => (int) $p['listed'],
			'removed_files' => (int) $p['removed_files'],
			'removed_dirs'  => (int) $p['removed_dirs'],
			'skipped_roots' => array_values( $p['skipped_roots'] ),
		);
	}

	/**
	 * One page of the staged files with their staged size and whether they are complete.
	 *
	 * @param string $cursor '' or the previous page's next_cursor.
	 * @param int    $limit  Most entries.
	 * @return array|\WP_Error {entries: [{path, size, complete, mode}], next_cursor}
	 */
	public function list_files( $cursor, $limit ) {
		$staged = $this->staged();
		return is_wp_error( $staged ) ? $staged : $staged->page( (string) $cursor, max( 1, (int) $limit ) );
	}

	/**
	 * Creates the staging table for one table of the site.
	 *
	 * @param mixed $table  Target table name.
	 * @param mixed $create CREATE TABLE statement from the snapshot.
	 * @return array|\WP_Error
	 */
	public function add_table( $table, $create ) {
		global $wpdb;
		if ( $err = $this->require_state( 'open' ) ) { // phpcs:ignore
			return $err;
		}
		if ( ! is_string( $table ) || ! preg_match( '/^[A-Za-z0-9_$]{1,64}$/', $table ) || 0 !== strpos( $table, $wpdb->base_prefix ) || preg_match( Schema::RESTORE_TABLE_PATTERN, $table ) ) {
			return self::err( 'strongbox_table_name_invalid', __( 'The table name must consist of letters, digits, "_" or "$" and start with the site\'s table prefix.', 'strongbox' ) );
		}
		if ( ! is_string( $create ) || strlen( $create ) > 1048576 ) {
			return self::err( 'strongbox_create_invalid', __( 'The CREATE TABLE statement is missing or too long.', 'strongbox' ) );
		}
		if ( ! preg_match( '/^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(`(?:[^`]|``)+`|[A-Za-z0-9_$]+)\s*\(/i', $create, $m ) ) {
			return self::err( 'strongbox_create_invalid', __( 'The statement must be a single CREATE TABLE statement.', 'strongbox' ) );
		}
		$named = '`' === $m[1][0] ? str_replace( '``', '`', substr( $m[1], 1, -1 ) ) : $m[1];
		if ( $named !== $table ) {
			return self::err( 'strongbox_create_invalid', __( 'The CREATE TABLE statement names a different table.', 'strongbox' ) );
		}
		if ( preg_match( '/\b(SELECT|DIRECTORY|UNION|CONNECTION|ENGINE\s*=\s*(CONNECT|FEDERATED|MERGE|SPIDER))\b/i', $create ) || false !== strpos( $create, ';' ) && ! preg_match( "/;\s*$/", $create ) ) {
			return self::err( 'strongbox_create_invalid', __( 'The CREATE TABLE statement uses clauses a restore does not allow (SELECT, DIRECTORY, UNION, remote engines or several statements).', 'strongbox' ) );
		}
		if ( ! isset( $this->data['tables'][ $table ] ) ) {
			$index                           = count( $this->data['tables'] );
			$this->data['tables'][ $table ] = array(
				'index'   => $index,
				'staging' => $this->name( $this->is_drill() ? 'd' : 'n', $index ),
				'old'     => $this->name( 'o', $index ),
				'rows'    => 0,
				'existed' => null,
			);
		}
		$t   = &$this->data['tables'][ $table ];
		$sql = substr_replace( rtrim( $create, "; \t\r\n" ), 'CREATE TABLE ' . Schema::quote( $t['staging'] ) . ' (', 0, strlen( $m[0] ) );
		$wpdb->query( 'DROP TABLE IF EXISTS ' . Schema::quote( $t['staging'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL -- generated name.
		if ( false === $wpdb->query( $sql ) ) { // phpcs:ignore WordPress.DB.PreparedSQL -- validated statement, single statement only.
			$error = $wpdb->last_error;
			unset( $this->data['tables'][ $table ] );
			$this->save();
			/* translators: %s: database error */
			return self::err( 'strongbox_create_failed', sprintf( __( 'The database refused the CREATE TABLE statement: %s', 'strongbox' ), $error ) );
		}
		$t['rows'] = 0;
		$this->staged_now();
		$this->log( 'staged table ' . $table );
		$this->touch();
		return array(
			'table'   => $table,
			'staging' => $t['staging'],
		);
	}

	/**
	 * Inserts uploaded row lines (FORMAT.md serialization) into a staging table.
	 *
	 * @param mixed  $table Target table name.
	 * @param string $body  Lines, LF-separated.
	 * @return array|\WP_Error
	 */
	public function add_rows( $table, $body ) {
		global $wpdb;
		if ( $err = $this->require_state( 'open' ) ) { // phpcs:ignore
			return $err;
		}
		if ( ! is_string( $table ) || ! isset( $this->data['tables'][ $table ] ) ) {
			return self::err( 'strongbox_table_not_staged', __( 'Create the staging table first (send its CREATE TABLE statement).', 'strongbox' ), 404 );
		}
		$staging = $this->data['tables'][ $table ]['staging'];
		$columns = (int) $wpdb->get_var( $wpdb->prepare( 'SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s', $staging ) );
		$packet  = (int) $wpdb->get_var( 'SELECT @@max_allowed_packet' );
		$limit   = max( 65536, min( $packet - 4096, 16777216 ) );
		$head    = 'INSERT INTO ' . Schema::quote( $staging ) . ' VALUES ';

		$lines = explode( "\n", rtrim( $body, "\n" ) );
		if ( '' === $body ) {
			$lines = array();
		}
		foreach ( $lines as $n => $line ) {
			$ok = Row_Parser::check( $line, $columns );
			if ( true !== $ok ) {
				/* translators: 1: line number, 2: reason */
				return self::err( 'strongbox_row_invalid', sprintf( __( 'Row %1$d is not a valid serialized row: %2$s. Nothing of this request was inserted.', 'strongbox' ), $n + 1, $ok ) );
			}
			if ( strlen( $head ) + strlen( $line ) > $limit ) {
				/* translators: %d: row number */
				return self::err( 'strongbox_row_too_large', sprintf( __( 'Row %d is larger than the database accepts in one statement (max_allowed_packet).', 'strongbox' ), $n + 1 ) );
			}
		}
		$dbh      = $wpdb->dbh;
		$old_mode = $wpdb->get_var( 'SELECT @@SESSION.sql_mode' );
		$wpdb->query( "SET sql_mode='NO_AUTO_VALUE_ON_ZERO'" );
		$wpdb->query( 'SET NAMES utf8mb4' );
		$wpdb->query( 'SET foreign_key_checks = 0' );
		$stmt     = '';
		$inserted = 0;
		$error    = null;
		foreach ( $lines as $line ) {
			if ( '' !== $stmt && strlen( $stmt ) + 1 + strlen( $line ) > $limit ) {
				if ( ! mysqli_query( $dbh, $stmt ) ) {
					$error = mysqli_error( $dbh );
					break;
				}
				$inserted += mysqli_affected_rows( $dbh );
				$stmt      = '';
			}
			$stmt .= ( '' === $stmt ? $head : ',' ) . $line;
		}
		if ( null === $error && '' !== $stmt ) {
			if ( mysqli_query( $dbh, $stmt ) ) {
				$inserted += mysqli_affected_rows( $dbh );
			} else {
				$error = mysqli_error( $dbh );
			}
		}
		$wpdb->query( $wpdb->prepare( 'SET sql_mode = %s', $old_mode ) );
		$wpdb->query( 'SET foreign_key_checks = 1' );
		if ( 'utf8mb4' !== $wpdb->charset ) {
			$wpdb->set_charset( $dbh );
		}
		$this->data['tables'][ $table ]['rows'] += $inserted;
		$this->staged_now();
		$this->touch();
		if ( null !== $error ) {
			/* translators: %s: database error */
			return self::err( 'strongbox_rows_failed', sprintf( __( 'The database refused the rows: %s', 'strongbox' ), $error ) );
		}
		return array(
			'table'    => $table,
			'inserted' => $inserted,
			'rows'     => $this->data['tables'][ $table ]['rows'],
		);
	}

	/**
	 * Receives file data into the private directory (never into the site yet).
	 *
	 * @param mixed  $path   Site-relative path.
	 * @param string $body   Bytes.
	 * @param int    $offset Where the bytes go (0 starts the file over; otherwise the current size).
	 * @param int    $mode   Permission bits for the final file.
	 * @param bool   $last   Whether the file is complete with these bytes.
	 * @param bool   $raw    Whether the path came as raw bytes (path_b64).
	 * @return array|\WP_Error
	 */
	public function add_file( $path, $body, $offset, $mode = 0644, $last = false, $raw = false ) {
		if ( $err = $this->require_state( 'open' ) ) { // phpcs:ignore
			return $err;
		}
		$result = $this->stage(
			new Jail(),
			$path,
			$offset,
			$mode,
			$last,
			static function ( $write ) use ( $body ) {
				$write( $body );
			},
			$raw
		);
		$this->touch();
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		return Raw_Path::put( array(), 'path', $result['path'] ) + array(
			'size'     => $result['size'],
			'complete' => $result['complete'],
		);
	}

	/**
	 * Receives a framed batch of file data (several files, or pieces of them), folders
	 * and symbolic links. Every entry is checked like add_file(); a refused entry is
	 * listed and the others are applied. The state is written once, at the end.
	 *
	 * @param File_Batch $batch A batch whose framing validate() accepted.
	 * @return array|\WP_Error {entries: [{path, path_b64?, type, offset, length, ok, code, message, size, complete}], totals, files}
	 */
	public function add_files( File_Batch $batch ) {
		if ( $err = $this->require_state( 'open' ) ) { // phpcs:ignore
			return $err;
		}
		$jail    = new Jail();
		$entries = array();
		$totals  = array(
			'entries' => 0,
			'ok'      => 0,
			'refused' => 0,
			'bytes'   => 0,
		);
		$done    = $batch->each(
			function ( array $e, callable $read ) use ( $jail, &$entries, &$totals ) {
				$file = 'file' === $e['type'];
				$r    = $file
					? $this->stage( $jail, $e['path'], $e['offset'], $e['mode'], $e['last'], $read, $e['raw'] )
					: $this->stage_other( $jail, $e );
				$out  = Raw_Path::put( array(), 'path', $e['path'] ) + array(
					'type'   => $e['type'],
					'offset' => $file ? $e['offset'] : 0,
					'length' => $file ? $e['length'] : 0,
				);
				++$totals['entries'];
				if ( is_wp_error( $r ) ) {
					$data = (array) $r->get_error_data();
					++$totals['refused'];
					$entries[] = $out + array(
						'ok'       => false,
						'code'     => $r->get_error_code(),
						'message'  => $r->get_error_message(),
						'size'     => isset( $data['size'] ) ? (int) $data['size'] : null,
						'complete' => false,
					);
					return;
				}
				++$totals['ok'];
				$totals['bytes'] += $r['written'];
				$entries[]        = $out + array(
					'ok'       => true,
					'code'     => null,
					'message'  => null,
					'size'     => $r['size'],
					'complete' => $r['complete'],
				);
			}
		);
		$this->touch();
		if ( is_wp_error( $done ) ) {
			return $done;
		}
		$totals['peak_memory'] = memory_get_peak_usage();
		return array(
			'entries' => $entries,
			'totals'  => $totals,
			'files'   => $this->files_summary(),
		);
	}

	/**
	 * Checks a path a restore would write: the jail, Strongbox's private directory,
	 * the protected files (unless the session may overwrite them).
	 *
	 * @param Jail  $jail  Jail.
	 * @param mixed $path  Site-relative path.
	 * @param bool  $raw   Whether it came as raw bytes (path_b64).
	 * @param bool  $entry Whether what is there is replaced, never written through (a
	 *                     folder or link: an existing link there may lead anywhere).
	 * @return array|\WP_Error [clean relative path, absolute path]
	 */
	private function writable( Jail $jail, $path, $raw, $entry = false ) {
		$rel = Jail::clean( $path, $raw );
		if ( is_wp_error( $rel ) ) {
			return $rel;
		}
		$abs = $entry ? $jail->resolve_entry( $rel, true ) : $jail->resolve_for_write( $rel, true );
		if ( is_wp_error( $abs ) ) {
			return $abs;
		}
		if ( self::in_private_dir( $abs ) ) {
			return self::err( 'strongbox_file_protected', __( 'This path lies in Strongbox\'s private directory, which a restore never writes.', 'strongbox' ), 403 );
		}
		if ( ! $this->data['overwrite_protected'] && ! $this->is_drill() && self::is_protected( $rel ) ) {
			return self::err( 'strongbox_file_protected', __( 'wp-config.php and Strongbox\'s own files are only restored when the session was opened with overwrite_protected.', 'strongbox' ), 403 );
		}
		if ( ! empty( $this->data['files'] ) ) {
			return self::outdated();
		}
		return array( $rel, $abs );
	}

	/**
	 * Checks one piece of file data against the jail and the protected files, then
	 * stages it; keeps the counters (saved by the caller).
	 *
	 * @param Jail     $jail   Jail.
	 * @param mixed    $path   Site-relative path.
	 * @param int      $offset Where the bytes go.
	 * @param int      $mode   Permission bits.
	 * @param bool     $last   Whether the file is complete.
	 * @param callable $fill   Passes the bytes to the $write callable it receives.
	 * @param bool     $raw    Whether the path came as raw bytes (path_b64).
	 * @return array|\WP_Error {path, size, complete, written}
	 */
	private function stage( Jail $jail, $path, $offset, $mode, $last, callable $fill, $raw = false ) {
		$ok = $this->writable( $jail, $path, $raw );
		if ( is_wp_error( $ok ) ) {
			return $ok;
		}
		$rel    = $ok[0];
		$staged = $this->staged();
		if ( is_wp_error( $staged ) ) {
			return $staged;
		}
		$r = $staged->write( $rel, (int) $offset, (int) $mode, (bool) $last, $fill );
		if ( is_wp_error( $r ) ) {
			return $r;
		}
		$this->count_staged( $r, 'file' );
		return array(
			'path'     => $rel,
			'size'     => $r['size'],
			'complete' => $r['complete'],
			'written'  => $r['written'],
		);
	}

	/**
	 * Stages a folder or a symbolic link (a `#dir` or `#link` entry of a batch). A link
	 * is refused when its target leaves the site, leads into the private directory or
	 * to a protected file (strongbox_link_outside), or when the host does not let PHP
	 * create links (strongbox_link_failed); nothing is staged then.
	 *
	 * @param Jail  $jail Jail.
	 * @param array $e    Entry {type, path, raw, mode (dir), target (link)}.
	 * @return array|\WP_Error {path, size, complete, written}
	 */
	private function stage_other( Jail $jail, array $e ) {
		$ok = $this->writable( $jail, $e['path'], $e['raw'], true );
		if ( is_wp_error( $ok ) ) {
			return $ok;
		}
		list( $rel, $abs ) = $ok;
		$link              = 'link' === $e['type'];
		if ( $link ) {
			$refused = self::link_refusal( $jail, $abs, $e['target'] );
			if ( null === $refused && ! function_exists( 'symlink' ) ) {
				$refused = self::link_failed();
			}
			if ( null !== $refused ) {
				return $refused;
			}
		}
		$staged = $this->staged();
		if ( is_wp_error( $staged ) ) {
			return $staged;
		}
		$r = $staged->mark( $rel, $link ? 'link' : 'dir', $link ? 0777 : $e['mode'], $link ? $e['target'] : null );
		if ( is_wp_error( $r ) ) {
			return $r;
		}
		$this->count_staged( $r, $link ? 'link' : 'dir' );
		return array(
			'path'     => $rel,
			'size'     => 0,
			'complete' => true,
			'written'  => 0,
		);
	}

	/**
	 * Keeps the counters of staged paths after one was staged.
	 *
	 * @param array  $r    What Staged_Files::write() or mark() answered.
	 * @param string $type What the path is now: file, dir or link.
	 */
	private function count_staged( array $r, $type ) {
		$this->data['files_count']    += $r['new'] ? 1 : 0;
		$this->data['files_bytes']    += $r['size'] - $r['was_size'];
		$this->data['files_complete'] += ( $r['complete'] ? 1 : 0 ) - ( $r['was_complete'] ? 1 : 0 );
		foreach ( array( 'dir' => 'dirs_count', 'link' => 'links_count' ) as $t => $counter ) {
			$this->data[ $counter ] += ( $t === $type ? 1 : 0 ) - ( $t === $r['was_type'] ? 1 : 0 );
		}
		$this->staged_now();
	}

	/**
	 * Why a symbolic link at $abs pointing at $target may not be created, or null. Its
	 * target is resolved against the link's (real) folder without following links
	 * (Jail::link_destination()); it must stay inside the site, and neither lead into
	 * Strongbox's private directory nor to a protected file (wp-config.php, Strongbox's
	 * own files: a link named `x.txt` in uploads would serve them). When the target
	 * exists, where it really leads (through other links) must pass the same checks.
	 *
	 * @param Jail   $jail   Jail.
	 * @param string $abs    The link's absolute path (its folder resolved).
	 * @param string $target Its target (raw bytes).
	 * @return \WP_Error|null
	 */
	public static function link_refusal( Jail $jail, $abs, $target ) {
		$where = $jail->link_destination( $abs, $target );
		$bad   = null === $where || self::link_leads_wrong( $jail, $where );
		if ( ! $bad && ( file_exists( $where ) || is_link( $where ) ) ) {
			$real = realpath( $where );
			$bad  = false !== $real && self::link_leads_wrong( $jail, $real );
		}
		if ( ! $bad ) {
			return null;
		}
		return self::err(
			'strongbox_link_outside',
			/* translators: %s: the link's target */
			sprintf( __( 'The symbolic link points at "%s", which leaves the site, or leads into Strongbox\'s private directory or to a protected file (wp-config.php, Strongbox\'s own files): the link was not restored.', 'strongbox' ), Raw_Path::display( (string) $target ) ),
			403
		);
	}

	/**
	 * Whether an absolute path is outside the site, in the private directory or protected.
	 *
	 * @param Jail   $jail Jail.
	 * @param string $abs  Absolute path.
	 * @return bool
	 */
	private static function link_leads_wrong( Jail $jail, $abs ) {
		$rel = $jail->relative( $abs );
		return null === $rel || self::in_private_dir( $abs ) || ( '' !== $rel && self::is_protected( $rel ) );
	}

	/**
	 * The refusal of a link the host does not let PHP create.
	 *
	 * @param string $detail What PHP said, if anything.
	 * @return \WP_Error
	 */
	public static function link_failed( $detail = '' ) {
		$message = __( 'This host does not let PHP create symbolic links (symlink() is disabled or refused), so the link was not restored; create it by hand if the site needs it.', 'strongbox' );
		if ( '' !== $detail ) {
			/* translators: %s: PHP's error message */
			$message .= ' ' . sprintf( __( 'PHP said: %s', 'strongbox' ), $detail );
		}
		return self::err( 'strongbox_link_failed', $message, 500 );
	}

	/**
	 * Whether an absolute path is Strongbox's private directory or inside it.
	 *
	 * @param string $abs Absolute path.
	 * @return bool
	 */
	private static function in_private_dir( $abs ) {
		static $private = null;
		if ( null === $private ) {
			$dir     = Data_Dir::path(); // Once per request: it checks and creates the directory.
			$private = is_wp_error( $dir ) ? '' : $dir;
		}
		return '' !== $private && ( $abs === $private || 0 === strpos( $abs, $private . '/' ) );
	}

	/**
	 * The session's staged files.
	 *
	 * @return Staged_Files|\WP_Error
	 */
	private function staged() {
		if ( null === $this->staged ) {
			$dir = $this->files_dir();
			if ( is_wp_error( $dir ) ) {
				return $dir;
			}
			$this->staged = new Staged_Files( dirname( $dir ) );
		}
		return $this->staged;
	}

	/**
	 * A session staged by an earlier version of the plugin (files listed in session.json).
	 *
	 * @return \WP_Error
	 */
	private static function outdated() {
		return self::err( 'strongbox_restore_outdated', __( 'This restore session was opened by an earlier version of Strongbox: roll it back and start the restore again.', 'strongbox' ), 409 );
	}

	/**
	 * Receives part of the list of the snapshot's files, links and folders under the
	 * restored roots (one path per line): at swap, every other file or link under those
	 * roots is removed (see Pruner). The roots (and extra exclusion patterns) come with
	 * the first request; later requests may repeat them, not change them, unless they
	 * start the list over ($reset). A request adds all its paths or none.
	 *
	 * @param callable   $read     Returns the next piece of the body, false at its end.
	 * @param array|null $roots    Relative folders ('' = the whole site), or null.
	 * @param array      $exclude  Extra fnmatch patterns of paths never removed.
	 * @param bool       $reset    Whether this request starts the list over.
	 * @param int|null   $expected Content-Length, if sent.
	 * @return array|\WP_Error {listed, bytes, prune}
	 */
	public function keep_files( callable $read, $roots, array $exclude, $reset, $expected = null ) {
		if ( $err = $this->refuse_in_drill() ) { // phpcs:ignore
			return $err;
		}
		if ( $err = $this->require_state( 'open' ) ) { // phpcs:ignore
			return $err;
		}
		$clean = null;
		if ( null !== $roots ) {
			$clean = array();
			foreach ( (array) $roots as $root ) {
				$rel = Jail::clean( $root );
				if ( is_wp_error( $rel ) ) {
					/* translators: 1: the root as sent, 2: reason */
					return self::err( 'strongbox_keep_root_invalid', sprintf( __( 'The root "%1$s" is not a relative folder of the site: %2$s', 'strongbox' ), is_string( $root ) ? $root : '', $rel->get_error_message() ) );
				}
				$clean[] = $rel;
			}
			$clean = self::outermost( $clean );
		}
		foreach ( $exclude as $pattern ) {
			if ( ! is_string( $pattern ) || '' === $pattern || strlen( $pattern ) > 1024 || preg_match( '/[\x00-\x1f\x7f]/', $pattern ) ) {
				return self::err( 'strongbox_keep_exclude_invalid', __( 'Exclusion patterns must be non-empty single-line strings of at most 1024 bytes.', 'strongbox' ) );
			}
		}
		$p = $this->data['prune'] + self::prune_defaults();
		if ( $reset ) {
			$p = array_merge(
				self::prune_defaults(),
				array( 'next_list' => $p['next_list'] )
			);
		}
		if ( null === $p['roots'] && ( null === $clean || ! $clean ) ) {
			return self::err( 'strongbox_keep_roots_required', __( 'Send roots[] (the restored folders, "" for the whole site) with the first list of kept files.', 'strongbox' ) );
		}
		if ( null !== $p['roots'] && null !== $clean && $clean !== $p['roots'] ) {
			return self::err( 'strongbox_keep_roots_mismatch', __( 'These roots differ from those of the first list of kept files; send reset=1 to start the list over.', 'strongbox' ), 409 );
		}
		$dir = $this->session_dir();
		if ( is_wp_error( $dir ) ) {
			return $dir;
		}
		$list   = new Keep_List( $dir );
		$number = (int) $p['next_list'];
		$got    = $list->receive( $number, $read, self::MAX_BODY, $expected );
		$this->data['prune']['next_list'] = $number + 1; // Even a refused request may have used the number.
		if ( is_wp_error( $got ) ) {
			$this->touch();
			return $got;
		}
		if ( $reset ) {
			$list->drop_all_but( $number );
		}
		$p['roots']     = null === $p['roots'] ? $clean : $p['roots'];
		$p['exclude']   = array_values( array_unique( array_merge( $p['exclude'], $exclude ) ) );
		$p['lists']    += 1;
		$p['listed']   += $got['paths'];
		$p['next_list'] = $number + 1;
		$this->data['prune'] = $p;
		$this->log( 'kept-files list ' . $number . ': ' . $got['paths'] . ' paths' );
		$this->touch();
		return array(
			'listed' => $got['paths'],
			'bytes'  => $got['bytes'],
			'prune'  => $this->prune_summary(),
		);
	}

	/**
	 * Roots without those inside another one, sorted.
	 *
	 * @param string[] $roots Clean relative folders.
	 * @return string[]
	 */
	private static function outermost( array $roots ) {
		$roots = array_values( array_unique( $roots ) );
		sort( $roots, SORT_STRING );
		$out = array();
		foreach ( $roots as $r ) {
			foreach ( $out as $o ) {
				if ( '' === $o || 0 === strpos( $r, $o . '/' ) ) {
					continue 2;
				}
			}
			$out[] = $r;
		}
		return $out;
	}

	/**
	 * Serialization-safe search and replace over the text columns of the staging tables.
	 *
	 * @param string $from Text to find.
	 * @param string $to   Replacement.
	 * @return array|\WP_Error
	 */
	public function search_replace( $from, $to ) {
		global $wpdb;
		if ( $err = $this->refuse_in_drill() ) { // phpcs:ignore
			return $err;
		}
		if ( $err = $this->require_state( 'open' ) ) { // phpcs:ignore
			return $err;
		}
		if ( ! is_string( $from ) || '' === $from || ! is_string( $to ) || strlen( $from ) > 2048 || strlen( $to ) > 2048 ) {
			return self::err( 'strongbox_replace_invalid', __( 'Search and replacement must be non-empty strings of at most 2048 bytes.', 'strongbox' ) );
		}
		$sr     = new Search_Replace( $from, $to );
		$report = array();
		foreach ( $this->data['tables'] as $name => $t ) {
			$staging = $t['staging'];
			$cols    = $wpdb->get_results( $wpdb->prepare( 'SELECT COLUMN_NAME AS name, DATA_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION', $staging ), ARRAY_A );
			$pk      = $wpdb->get_col( $wpdb->prepare( 'SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND INDEX_NAME = %s ORDER BY SEQ_IN_INDEX', $staging, 'PRIMARY' ) );
			if ( ! $pk ) {
				$report[] = array( 'table' => $name, 'skipped' => 'no primary key' );
				continue;
			}
			$changed = 0;
			foreach ( $cols as $c ) {
				if ( Page_Serializer::TEXT !== Page_Serializer::column_class( $c['type'] ) || in_array( $c['name'], $pk, true ) || ! preg_match( '/(char|text)$/', $c['type'] ) ) {
					continue;
				}
				$qc   = Schema::quote( $c['name'] );
				$keys = implode( ', ', array_map( array( Schema::class, 'quote' ), $pk ) );
				$rows = $wpdb->get_results( $wpdb->prepare( "SELECT $keys, $qc AS v FROM " . Schema::quote( $staging ) . " WHERE $qc LIKE BINARY %s", '%' . $wpdb->esc_like( $from ) . '%' ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL -- identifiers validated against information_schema.
				foreach ( $rows as $row ) {
					$new = $sr->replace( $row['v'] );
					if ( $new === $row['v'] ) {
						continue;
					}
					$where = array();
					foreach ( $pk as $k ) {
						$where[ $k ] = $row[ $k ];
					}
					$wpdb->update( $staging, array( $c['name'] => $new ), $where );
					++$changed;
				}
			}
			$report[] = array( 'table' => $name, 'values_changed' => $changed );
		}
		$this->log( 'search-replace done' );
		$this->touch();
		return array( 'tables' => $report );
	}

	/**
	 * Puts the restored tables and files in place: one RENAME TABLE, then file moves.
	 *
	 * @return array|\WP_Error
	 */
	public function swap() {
		global $wpdb;
		if ( $err = $this->refuse_in_drill() ) { // phpcs:ignore
			return $err;
		}
		if ( $err = $this->require_state( 'open' ) ) { // phpcs:ignore
			return $err;
		}
		if ( ! empty( $this->data['files'] ) ) {
			return self::outdated();
		}
		$prunes = null !== $this->data['prune']['roots'];
		if ( ! $this->data['tables'] && 0 === (int) $this->data['files_count'] && ! $prunes ) {
			return self::err( 'strongbox_restore_empty', __( 'Nothing was staged: send tables or files before swapping.', 'strongbox' ), 409 );
		}
		// The live exclusion patterns (the restored options table may hold others: both apply).
		$live_excludes = $prunes ? ( new Lister( new Jail() ) )->excludes() : array();
		$renames = array();
		foreach ( $this->data['tables'] as $name => &$t ) {
			$t['existed'] = (bool) $wpdb->get_var( $wpdb->prepare( 'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s', $name ) );
			if ( $t['existed'] ) {
				$renames[] = Schema::quote( $name ) . ' TO ' . Schema::quote( $t['old'] );
			}
			$renames[] = Schema::quote( $t['staging'] ) . ' TO ' . Schema::quote( $name );
		}
		unset( $t );
		// Read right before the RENAME, written into the restored table right after it.
		$settings = $this->keeps_settings() ? $this->live_settings() : null;
		if ( is_wp_error( $settings ) ) {
			return $settings;
		}
		$this->data['state'] = 'swapping';
		$this->save();
		if ( $renames && false === $wpdb->query( 'RENAME TABLE ' . implode( ', ', $renames ) ) ) { // phpcs:ignore WordPress.DB.PreparedSQL -- generated from validated names.
			$error               = $wpdb->last_error;
			$this->data['state'] = 'open';
			$this->save();
			/* translators: %s: database error */
			return self::err( 'strongbox_swap_failed', sprintf( __( 'The tables could not be swapped; the site is unchanged: %s', 'strongbox' ), $error ), 500 );
		}
		$this->data['tables_swapped'] = true;
		$this->save();
		if ( null !== $settings ) {
			$kept = $this->write_settings( $settings );
			if ( is_wp_error( $kept ) ) {
				$this->rollback( 'swap failed' );
				return $kept;
			}
		}
		wp_cache_flush(); // What follows reads the restored options.

		$result = $this->swap_files();
		if ( ! is_wp_error( $result ) ) {
			$result = $this->prune( $live_excludes );
		}
		if ( is_wp_error( $result ) ) {
			$this->rollback( 'swap failed' );
			return $result;
		}
		$this->data['state'] = 'swapped';
		$this->log( 'swapped' );
		$this->touch();
		wp_cache_flush();
		return $this->to_array();
	}

	/**
	 * Whether the swap keeps Strongbox's own settings: asked for (the default) and the
	 * site's options table is restored and exists now.
	 *
	 * @return bool
	 */
	private function keeps_settings() {
		global $wpdb;
		$table = $wpdb->options;
		return ! empty( $this->data['keep_settings'] ) && isset( $this->data['tables'][ $table ] ) && ! empty( $this->data['tables'][ $table ]['existed'] );
	}

	/**
	 * The live rows of Strongbox's own options (`strongbox_*`, exact names), as stored.
	 * strongbox_db_version is left to the snapshot when the jobs table is restored too,
	 * so that the version matches the table.
	 *
	 * @return array|\WP_Error Rows {option_name, option_value, autoload}.
	 */
	private function live_settings() {
		global $wpdb;
		$rows = $wpdb->get_results( $wpdb->prepare( 'SELECT option_name, option_value, autoload FROM ' . Schema::quote( $wpdb->options ) . ' WHERE option_name LIKE %s ORDER BY option_name', $wpdb->esc_like( 'strongbox_' ) . '%' ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL -- the site's options table.
		if ( ! is_array( $rows ) || '' !== $wpdb->last_error ) {
			/* translators: %s: database error */
			return self::err( 'strongbox_settings_keep_failed', sprintf( __( 'Strongbox\'s settings could not be read before the swap; the site is unchanged: %s', 'strongbox' ), $wpdb->last_error ), 500 );
		}
		if ( isset( $this->data['tables'][ Repository::table() ] ) ) {
			$rows = array_values(
				array_filter(
					$rows,
					static function ( $r ) {
						return 'strongbox_db_version' !== $r['option_name'];
					}
				)
			);
		}
		return $rows;
	}

	/**
	 * Writes the live settings read by live_settings() into the restored options table
	 * (each option inserted, or its value and autoload replaced; its option_id kept).
	 * A rollback needs nothing more: it puts the previous options table back whole.
	 *
	 * @param array $rows Rows.
	 * @return true|\WP_Error
	 */
	private function write_settings( array $rows ) {
		global $wpdb;
		$names = array();
		foreach ( $rows as $r ) {
			$id = $wpdb->get_var( $wpdb->prepare( 'SELECT option_id FROM ' . Schema::quote( $wpdb->options ) . ' WHERE option_name = %s', $r['option_name'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL -- the site's options table.
			if ( null === $id ) {
				$ok = $wpdb->insert( $wpdb->options, $r, array( '%s', '%s', '%s' ) );
			} else {
				$ok = $wpdb->update(
					$wpdb->options,
					array(
						'option_value' => $r['option_value'],
						'autoload'     => $r['autoload'],
					),
					array( 'option_name' => $r['option_name'] ),
					array( '%s', '%s' ),
					array( '%s' )
				);
			}
			if ( false === $ok ) {
				return self::err(
					'strongbox_settings_keep_failed',
					/* translators: 1: option name, 2: database error */
					sprintf( __( 'Strongbox\'s setting %1$s could not be kept in the restored options table, so the restore was rolled back: %2$s', 'strongbox' ), $r['option_name'], $wpdb->last_error ),
					500
				);
			}
			$names[] = $r['option_name'];
		}
		$this->data['settings_kept'] = $names;
		$this->log( 'kept ' . count( $names ) . ' Strongbox settings' );
		$this->save();
		return true;
	}

	/**
	 * Moves staged files into the site, keeping the previous ones.
	 *
	 * @return true|\WP_Error
	 */
	private function swap_files() {
		if ( 0 === (int) $this->data['files_count'] ) {
			return true;
		}
		$staged = $this->staged();
		if ( is_wp_error( $staged ) ) {
			return $staged;
		}
		$this->data['files_swapping'] = true;
		$this->data['skipped']        = array();
		$this->save();
		$result  = $staged->place_all( new Jail() );
		$skipped = array();
		foreach ( $staged->skipped() as $k ) {
			$skipped[] = array(
				'path_b64' => base64_encode( $k['path'] ), // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- raw names, in JSON.
				'type'     => $k['type'],
				'code'     => $k['code'],
				'message'  => $k['message'],
			);
		}
		$this->data['skipped'] = $skipped;
		if ( $skipped ) {
			$this->log( sprintf( 'skipped %d symbolic links the swap could not create', count( $skipped ) ) );
		}
		return $result;
	}

	/**
	 * Moves what the snapshot does not have out of the restored roots (after the staged
	 * files are in place, so they count as kept).
	 *
	 * @param string[] $live_excludes Exclusion patterns in force before the swap.
	 * @return true|\WP_Error
	 */
	private function prune( array $live_excludes ) {
		$p = $this->data['prune'];
		if ( null === $p['roots'] ) {
			return true;
		}
		$dir    = $this->session_dir();
		$staged = $this->staged();
		if ( is_wp_error( $dir ) || is_wp_error( $staged ) ) {
			return is_wp_error( $dir ) ? $dir : $staged;
		}
		$jail   = new Jail();
		$set    = ( new Keep_List( $dir ) )->set( array( $staged->index_file() ) );
		$pruner = new Pruner( $jail, $dir, $set, new Lister( $jail, array_merge( $live_excludes, $p['exclude'] ) ), ! empty( $this->data['overwrite_protected'] ) );
		unset( $set );
		$this->data['prune']['started'] = true;
		$this->save();
		$result = $pruner->run( $p['roots'] );
		$counts = $pruner->counts();
		$this->data['prune']['removed_files'] = $counts['files'];
		$this->data['prune']['removed_dirs']  = $counts['dirs'];
		$this->data['prune']['skipped_roots'] = $counts['roots'];
		$this->log( sprintf( 'removed %d files and %d folders the snapshot does not have', $counts['files'], $counts['dirs'] ) );
		$this->save();
		return $result;
	}

	/**
	 * Makes the restore final: drops the previous tables and files, lifts the gate.
	 *
	 * @return array|\WP_Error
	 */
	public function commit() {
		global $wpdb;
		if ( $err = $this->refuse_in_drill() ) { // phpcs:ignore
			return $err;
		}
		if ( $err = $this->require_state( 'swapped' ) ) { // phpcs:ignore
			return $err;
		}
		foreach ( $this->data['tables'] as $t ) {
			if ( $t['existed'] ) {
				$wpdb->query( 'DROP TABLE IF EXISTS ' . Schema::quote( $t['old'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL -- generated name.
			}
		}
		$this->data['state'] = 'committed';
		$this->log( 'committed' );
		return $this->finish();
	}

	/**
	 * Returns the site to exactly where it was before the session.
	 *
	 * @param string $reason Why.
	 * @return array
	 */
	public function rollback( $reason = 'requested' ) {
		global $wpdb;
		if ( ! empty( $this->data['tables_swapped'] ) ) {
			$renames = array();
			foreach ( $this->data['tables'] as $name => $t ) {
				$renames[] = Schema::quote( $name ) . ' TO ' . Schema::quote( $t['staging'] );
				if ( $t['existed'] ) {
					$renames[] = Schema::quote( $t['old'] ) . ' TO ' . Schema::quote( $name );
				}
			}
			if ( $renames ) {
				$wpdb->query( 'RENAME TABLE ' . implode( ', ', $renames ) ); // phpcs:ignore WordPress.DB.PreparedSQL -- generated from validated names.
			}
			$this->data['tables_swapped'] = false;
			$this->save();
		}
		$jail = new Jail();
		if ( ! empty( $this->data['prune']['started'] ) ) {
			$dir = $this->session_dir();
			if ( ! is_wp_error( $dir ) ) {
				Pruner::restore( $jail, $dir ); // Undone first: it ran last.
			}
		}
		if ( ! empty( $this->data['files_swapping'] ) ) {
			$staged = $this->staged();
			if ( ! is_wp_error( $staged ) ) {
				$staged->restore_all( $jail );
			}
		}
		$this->rollback_files_v1( $jail );
		foreach ( $this->data['tables'] as $t ) {
			$wpdb->query( 'DROP TABLE IF EXISTS ' . Schema::quote( $t['staging'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL -- generated name.
		}
		$this->data['state'] = $this->is_drill() ? 'cleaned_up' : 'rolled_back';
		$this->log( ( $this->is_drill() ? 'cleaned up: ' : 'rolled back: ' ) . $reason );
		if ( $this->is_drill() ) {
			$this->data['ended'] = $reason;
			return $this->finish();
		}
		wp_cache_flush();
		return $this->finish();
	}

	/**
	 * Rollback of the files of a session staged by an earlier version (state format 1:
	 * every file listed in session.json with its swap step).
	 *
	 * @param Jail $jail Jail.
	 */
	private function rollback_files_v1( Jail $jail ) {
		$old = $this->old_dir();
		if ( empty( $this->data['files'] ) || is_wp_error( $old ) ) {
			return;
		}
		foreach ( array_reverse( (array) $this->data['files'], true ) as $rel => $f ) {
			$dest = empty( $f['done'] ) ? null : $jail->resolve_for_write( (string) $rel );
			if ( null === $dest || is_wp_error( $dest ) ) {
				continue;
			}
			if ( 'placed' === $f['done'] && ( is_file( $dest ) || is_link( $dest ) ) ) {
				unlink( $dest ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			}
			if ( ! empty( $f['had_previous'] ) ) {
				Staged_Files::move( $old . '/' . $f['index'] . '.bin', $dest );
			}
		}
		foreach ( array_reverse( isset( $this->data['created_dirs'] ) ? (array) $this->data['created_dirs'] : array() ) as $d ) {
			@rmdir( $d ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- only if still empty.
		}
	}

	/**
	 * Removes the session's state and lifts the gate.
	 *
	 * @return array
	 */
	private function finish() {
		$dir = self::dir( $this->mode() );
		$out = $this->to_array();
		if ( ! is_wp_error( $dir ) ) {
			Data_Dir::rmtree( $dir . '/' . $this->data['id'] );
			@unlink( $dir . '/session.json' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		}
		if ( $this->is_drill() ) {
			$out['report'] = $this->record_report();
			return $out; // A drill never raised the gate, and must not lift a restore's.
		}
		Maintenance_Gate::disable();
		return $out;
	}

	/**
	 * Whether a path is protected from restores unless explicitly asked.
	 *
	 * @param string $rel Clean relative path.
	 * @return bool
	 */
	public static function is_protected( $rel ) {
		static $pl_rel = null;
		if ( null === $pl_rel ) {
			$plugin = 'wp-content/plugins/' . basename( dirname( STRONGBOX_FILE ) );
			$site   = ( new Jail() )->root();
			$pl_rel = 0 === strpos( realpath( dirname( STRONGBOX_FILE ) ), $site . '/' ) ? substr( realpath( dirname( STRONGBOX_FILE ) ), strlen( $site ) + 1 ) : $plugin;
		}
		return 'wp-config.php' === $rel || $rel === $pl_rel || 0 === strpos( $rel, $pl_rel . '/' );
	}

	/**
	 * The session's directory in the private directory.
	 *
	 * @return string|\WP_Error
	 */
	private function session_dir() {
		return Data_Dir::sub( $this->mode() . '/' . $this->data['id'] );
	}

	/**
	 * Directory of staged file data.
	 *
	 * @return string|\WP_Error
	 */
	private function files_dir() {
		return Data_Dir::sub( $this->mode() . '/' . $this->data['id'] . '/files' );
	}

	/**
	 * Directory of the files set aside by the swap.
	 *
	 * @return string|\WP_Error
	 */
	private function old_dir() {
		return Data_Dir::sub( $this->mode() . '/' . $this->data['id'] . '/old' );
	}

	/**
	 * Staging and previous-table names.
	 *
	 * @param string $kind  n (new) or o (old).
	 * @param int    $index Index.
	 * @return string
	 */
	private function name( $kind, $index ) {
		return 'strongbox_' . $kind . '_' . substr( $this->data['id'], 0, 8 ) . '_' . $index;
	}

	/**
	 * Notes when something was staged (the drill report measures the staging time).
	 */
	private function staged_now() {
		$now = time();
		if ( null === $this->data['staged_first'] ) {
			$this->data['staged_first'] = $now;
		}
		$this->data['staged_last'] = $now;
	}

	/**
	 * The refusal of the steps that would change the site, in a drill.
	 *
	 * @return \WP_Error|null
	 */
	private function refuse_in_drill() {
		if ( ! $this->is_drill() ) {
			return null;
		}
		return self::err( 'strongbox_drill_refused', __( 'This session is a drill: it never changes the site, so swap, commit, search-replace and the kept-files list are refused. Verify what was staged, then delete the session.', 'strongbox' ), 409 );
	}

	/**
	 * The page manifest of a staged table, computed from its staging table exactly as
	 * GET /db/tables/{table}/manifest computes it from a live table (same width choice,
	 * pages and per-page rows, bit_xor and sum).
	 *
	 * @param mixed $table Target table name (as staged).
	 * @param mixed $width Page width, or null (chosen per FORMAT.md).
	 * @return array|\WP_Error The manifest, with `table` the target name and `staging` the table read.
	 */
	public function verify_table( $table, $width ) {
		if ( ! is_string( $table ) || ! isset( $this->data['tables'][ $table ] ) ) {
			return self::err( 'strongbox_table_not_staged', __( 'This table was not staged in this session.', 'strongbox' ), 404 );
		}
		if ( null !== $width && ! Checksum::valid_width( $width ) ) {
			return self::err( 'strongbox_width_invalid', __( 'The page width must be a power of two between 1 and 2^40.', 'strongbox' ) );
		}
		$staging = $this->data['tables'][ $table ]['staging'];
		if ( ! preg_match( Schema::RESTORE_TABLE_PATTERN, $staging ) ) {
			return self::err( 'strongbox_table_not_staged', __( 'This table was not staged in this session.', 'strongbox' ), 404 );
		}
		$t   = Schema::describe( $staging );
		$out = Manifest::compute( $t, $width );
		if ( is_wp_error( $out ) ) {
			return $out;
		}
		$out = array(
			'table'   => $table,
			'staging' => $staging,
		) + $out;
		++$this->data['verified']['tables'];
		$this->touch();
		return $out;
	}

	/**
	 * Size and SHA-256 of staged files (each read in pieces: memory stays flat).
	 *
	 * @param array $paths Site-relative paths as staged (at most 1000): strings, or
	 *                     [raw bytes, true] for paths sent as path_b64.
	 * @return array|\WP_Error {files: [{path, path_b64?, type, size, sha256, complete, mode, target?} | {path, path_b64?, error, code}], totals}
	 */
	public function verify_files( array $paths ) {
		$staged = $this->staged();
		if ( is_wp_error( $staged ) ) {
			return $staged;
		}
		$out    = array();
		$totals = array(
			'files'     => 0,
			'bytes'     => 0,
			'not_found' => 0,
		);
		foreach ( $paths as $item ) {
			list( $path, $raw ) = is_array( $item ) ? array( $item[0], ! empty( $item[1] ) ) : array( $item, false );
			$rel                = Jail::clean( $path, $raw );
			if ( is_wp_error( $rel ) ) {
				$out[] = Raw_Path::put( array(), 'path', is_string( $path ) ? $path : '' ) + array(
					'error' => 'invalid',
					'code'  => $rel->get_error_code(),
				);
				continue;
			}
			$d = $staged->digest( $rel );
			if ( null === $d ) {
				++$totals['not_found'];
				$out[] = Raw_Path::put( array(), 'path', $path ) + array(
					'error' => 'not_staged',
					'code'  => 'strongbox_file_not_staged',
				);
				continue;
			}
			++$totals['files'];
			$totals['bytes'] += $d['size'];
			$entry            = Raw_Path::put( array(), 'path', $path ) + $d;
			if ( array_key_exists( 'target', $d ) ) {
				unset( $entry['target'] );
				$entry = Raw_Path::put( $entry, 'target', $d['target'] );
			}
			$out[] = $entry;
		}
		$this->data['verified']['files'] += $totals['files'];
		$this->touch();
		return array(
			'files'  => $out,
			'totals' => $totals,
		);
	}

	/**
	 * Appends this drill's report to drill/reports.json (the private directory, not the
	 * database: a drill writes nothing to the site's tables) and returns it.
	 *
	 * @return array {id, user_id, opened, closed, seconds, staging_seconds, ended, tables, files, verified, result, rto_seconds, detail}
	 */
	private function record_report() {
		$d      = $this->data;
		$tables = array();
		foreach ( $d['tables'] as $name => $t ) {
			$tables[] = array(
				'table' => $name,
				'rows'  => (int) $t['rows'],
			);
		}
		$client = isset( $d['client_result'] ) && is_array( $d['client_result'] ) ? $d['client_result'] : array();
		$report = array(
			'id'              => $d['id'],
			'user_id'         => (int) $d['user_id'],
			'opened'          => gmdate( 'c', (int) $d['created'] ),
			'closed'          => gmdate( 'c' ),
			'seconds'         => time() - (int) $d['created'],
			'staging_seconds' => null === $d['staged_first'] ? null : (int) $d['staged_last'] - (int) $d['staged_first'],
			'ended'           => isset( $d['ended'] ) ? (string) $d['ended'] : 'requested',
			'tables'          => $tables,
			'files'           => $this->files_summary(),
			'verified'        => $d['verified'],
			'result'          => isset( $client['result'] ) ? $client['result'] : null,
			'rto_seconds'     => isset( $client['rto_seconds'] ) ? $client['rto_seconds'] : null,
			'snapshot'        => isset( $client['snapshot'] ) ? $client['snapshot'] : null,
			'detail'          => isset( $client['detail'] ) ? $client['detail'] : null,
		);
		$dir = self::dir( self::DRILL );
		if ( ! is_wp_error( $dir ) ) {
			$all   = self::reports();
			$all[] = $report;
			$all   = array_slice( $all, -self::MAX_REPORTS );
			$tmp   = $dir . '/reports.' . wp_generate_password( 6, false ) . '.tmp';
			if ( false !== file_put_contents( $tmp, wp_json_encode( $all ) ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions
				rename( $tmp, $dir . '/reports.json' ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			}
		}
		return $report;
	}

	/**
	 * What the drill's client measured and concluded, recorded with the report when the
	 * drill is deleted.
	 *
	 * @param array $result {result: passed|failed, rto_seconds, snapshot, detail}.
	 */
	public function set_client_result( array $result ) {
		$this->data['client_result'] = $result;
	}

	/**
	 * The recorded drill reports, oldest first.
	 *
	 * @return array
	 */
	public static function reports() {
		$dir = self::dir( self::DRILL );
		if ( is_wp_error( $dir ) || ! is_file( $dir . '/reports.json' ) ) {
			return array();
		}
		$all = json_decode( (string) file_get_contents( $dir . '/reports.json' ), true ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		return is_array( $all ) ? $all : array();
	}

	/**
	 * Error unless the session is in a state.
	 *
	 * @param string $state Required state.
	 * @return \WP_Error|null
	 */
	private function require_state( $state ) {
		if ( $this->data['state'] === $state ) {
			return null;
		}
		return self::err(
			'strongbox_restore_state',
			/* translators: 1: current state, 2: required state */
			sprintf( __( 'The restore session is "%1$s"; this step needs it to be "%2$s".', 'strongbox' ), $this->data['state'], $state ),
			409
		);
	}

	/**
	 * Appends a log line.
	 *
	 * @param string $line Line.
	 */
	private function log( $line ) {
		$this->data['log'][] = gmdate( 'c' ) . ' ' . $line;
		$this->data['log']   = array_slice( $this->data['log'], -50 );
	}

	/**
	 * Writes the state file atomically.
	 */
	private function save() {
		$dir = self::dir( $this->mode() );
		if ( is_wp_error( $dir ) || ! is_file( $dir . '/session.json' ) ) {
			return;
		}
		$on_disk = json_decode( (string) file_get_contents( $dir . '/session.json' ), true ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		if ( ! is_array( $on_disk ) || ! isset( $on_disk['id'] ) || $on_disk['id'] !== $this->data['id'] ) {
			return; // Another session replaced this one.
		}
		$tmp = $dir . '/session.' . $this->data['id'] . '.' . wp_generate_password( 6, false ) . '.tmp';
		file_put_contents( $tmp, wp_json_encode( $this->data ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		rename( $tmp, $dir . '/session.json' ); // phpcs:ignore WordPress.WP.AlternativeFunctions
	}

	/**
	 * WP_Error helper.
	 *
	 * @param string $code    Code.
	 * @param string $message Message.
	 * @param int    $status  Status.
	 * @return \WP_Error
	 */
	private static function err( $code, $message, $status = 400 ) {
		return new \WP_Error( $code, $message, array( 'status' => $status ) );
	}
}
