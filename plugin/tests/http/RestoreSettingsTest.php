<?php
/**
 * A database restore does not rewind Strongbox's own settings (destinations with their
 * secrets, passphrase): the swap keeps the live `strongbox_*` options in the restored
 * options table, a rollback returns the previous table exactly, and
 * keep_strongbox_settings=false restores the snapshot's settings.
 *
 * @package Strongbox
 */

use Strongbox\Database\Page_Serializer;
use Strongbox\Storage\Presigner;

/**
 * Restore of wp_options with an older strongbox_destinations.
 */
class RestoreSettingsTest extends SB_Http_Test_Case {

	/** The live destination's secret. */
	const SECRET_A = 'secret-of-A/kept-across-restores';

	/** The live passphrase. */
	const PASS_LIVE = 'live passphrase set after the snapshot';

	/** The snapshot's passphrase. */
	const PASS_OLD = 'older passphrase of the snapshot';

	/** @var array The live destination (public view). */
	private static $a;

	public static function setUpBeforeClass(): void {
		$r       = self::api(
			'POST',
			'/destinations',
			array(
				'name'              => 'A (added after the snapshot)',
				'endpoint'          => 'http://127.0.0.1:9000',
				'region'            => 'eu-west-1',
				'bucket'            => 'bucket-a',
				'prefix'            => 'site-a',
				'access_key_id'     => 'AKIDKEEPA',
				'secret_access_key' => self::SECRET_A,
			)
		);
		self::$a = $r->json();
		self::api( 'PUT', '/settings/passphrase', array( 'passphrase' => self::PASS_LIVE ) );
	}

	public static function tearDownAfterClass(): void {
		$s = \Strongbox\Restore\Session::current();
		if ( $s ) {
			$s->rollback( 'test teardown' );
		}
		if ( self::$a ) {
			self::api( 'DELETE', '/destinations/' . self::$a['id'] );
		}
	}

	protected function tearDown(): void {
		$s = \Strongbox\Restore\Session::current();
		if ( $s ) {
			$s->rollback( 'test cleanup' );
		}
	}

	/**
	 * The snapshot's destinations: only B.
	 *
	 * @return array
	 */
	private static function destinations_b() {
		return array(
			'dbbbbbbbbbbbb' => array(
				'name'              => 'B (the snapshot\'s only destination)',
				'endpoint'          => 'http://127.0.0.1:9000',
				'region'            => 'us-east-1',
				'bucket'            => 'bucket-b',
				'prefix'            => 'site-b',
				'access_key_id'     => 'AKIDOLDB',
				'secret_access_key' => 'secret-of-B',
				'path_style'        => true,
				'id'                => 'dbbbbbbbbbbbb',
				'updated'           => 1700000000,
			),
		);
	}

	/**
	 * Stages wp_options as an older snapshot: the live rows, but strongbox_destinations
	 * holding only B (autoloaded, unlike the live row), the snapshot's passphrase, and
	 * file exclusions the live site may not have.
	 *
	 * @param array $opts Session options.
	 * @return array [id, headers]
	 */
	private function stage_old_options( array $opts = array() ) {
		$r = self::api( 'POST', '/restore/sessions', array_merge( array( 'confirm' => 'RESTORE', 'ttl' => 600 ), $opts ) );
		$this->assertSame( 201, $r->status, $r->body );
		$j = $r->json();
		$h = array_merge( SB_Auth::admin(), array( 'X-Strongbox-Session-Key: ' . $j['key'] ) );
		$this->assertSame( ! isset( $opts['keep_strongbox_settings'] ) || $opts['keep_strongbox_settings'], $j['keep_strongbox_settings'] );

		$create = self::api( 'GET', '/db/tables/wp_options' )->json()['create'];
		$rows   = self::rows_only( self::api( 'GET', '/db/tables/wp_options/rows' )->body );
		$text   = static function ( $v ) {
			return Page_Serializer::value( $v, Page_Serializer::TEXT );
		};
		$out    = '';
		$max_id = 0;
		foreach ( explode( "\n", rtrim( $rows, "\n" ) ) as $line ) {
			$this->assertSame( 1, preg_match( "/^\\((\\d+),'((?:[^'\\\\]|\\\\.)*)',/", $line, $m ), $line );
			$max_id = max( $max_id, (int) $m[1] );
			if ( 'strongbox_destinations' === $m[2] ) {
				$line = '(' . $m[1] . ",'strongbox_destinations'," . $text( serialize( self::destinations_b() ) ) . ",'yes')";
			} elseif ( 'strongbox_passphrase' === $m[2] ) {
				$line = '(' . $m[1] . ",'strongbox_passphrase'," . $text( self::PASS_OLD ) . ",'no')";
			} elseif ( 'strongbox_file_excludes' === $m[2] ) {
				continue;
			}
			$out .= $line . "\n";
		}
		$out .= '(' . ( $max_id + 1 ) . ",'strongbox_file_excludes'," . $text( serialize( array( 'wp-content/uploads/snapshot-only-exclude' ) ) ) . ",'yes')\n";
		$this->assertSame( 200, self::api( 'PUT', "/restore/sessions/{$j['id']}/tables/wp_options", array( 'create' => $create ), $h )->status );
		$r = SB_Http::request( 'POST', self::API . "/restore/sessions/{$j['id']}/tables/wp_options/rows", array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), $out );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( substr_count( $out, "\n" ), $r->json()['inserted'] );
		return array( $j['id'], $h );
	}

	/**
	 * Ids of the destinations the API lists.
	 *
	 * @return string[]
	 */
	private static function destination_ids() {
		$r = self::api( 'GET', '/destinations' );
		return array_column( $r->json(), 'id' );
	}

	/**
	 * The passphrase a running backup job of the administrator gets.
	 *
	 * @return string
	 */
	private static function job_passphrase() {
		$job = self::api( 'POST', '/jobs', array( 'type' => 'backup' ) )->json()['id'];
		self::api( 'PATCH', "/jobs/$job", array( 'state' => 'running' ) );
		$pass = self::api( 'GET', "/jobs/$job/passphrase" )->json()['passphrase'];
		self::api( 'PATCH', "/jobs/$job", array( 'state' => 'succeeded' ) );
		return $pass;
	}

	/**
	 * Presigns through the API with destination A and checks the URL is signed with A's
	 * secret (the same URL computed here from the secret and the URL's own date).
	 */
	private function assert_a_presigns() {
		$job = self::api( 'POST', '/jobs', array( 'type' => 'backup' ) )->json()['id'];
		self::api( 'PATCH', "/jobs/$job", array( 'state' => 'running' ) );
		$r = self::api( 'POST', '/destinations/' . self::$a['id'] . '/presign', array( 'job_id' => $job, 'expires' => 600, 'requests' => array( array( 'method' => 'GET', 'key' => 'site-a/config' ) ) ) );
		self::api( 'PATCH', "/jobs/$job", array( 'state' => 'succeeded' ) );
		$this->assertSame( 200, $r->status, $r->body );
		$url = $r->json()['urls'][0]['url'];
		$this->assertSame( 1, preg_match( '/X-Amz-Date=(\d{8}T\d{6}Z)/', $url, $m ) );
		$d    = DateTime::createFromFormat( 'Ymd\THis\Z', $m[1], new DateTimeZone( 'UTC' ) );
		$mine = new Presigner( 'http://127.0.0.1:9000', 'eu-west-1', 'bucket-a', 'AKIDKEEPA', self::SECRET_A, true );
		$this->assertSame( $mine->presign( 'GET', 'site-a/config', 600, $d->getTimestamp() ), $url, 'signed with the secret of A' );
	}

	/**
	 * A raw option row of the live options table.
	 *
	 * @param string $name Option.
	 * @return array|null
	 */
	private static function option_row( $name ) {
		global $wpdb;
		return $wpdb->get_row( $wpdb->prepare( "SELECT option_value, autoload FROM {$wpdb->options} WHERE option_name = %s", $name ), ARRAY_A );
	}

	/**
	 * Fingerprint of every table but the job log (this test runs jobs to presign).
	 *
	 * @return array
	 */
	private static function tables() {
		$t = SB_Site_State::tables();
		unset( $t['wp_strongbox_jobs'] );
		return $t;
	}

	public function test_swap_keeps_the_live_settings_and_rollback_returns_the_previous_table() {
		$this->assertContains( self::$a['id'], self::destination_ids() );
		$this->assertSame( self::PASS_LIVE, self::job_passphrase() );
		$had_excludes  = null !== self::option_row( 'strongbox_file_excludes' );
		$before_tables = self::tables();

		list( $sid, $h ) = $this->stage_old_options();
		$r = self::api( 'POST', "/restore/sessions/$sid/swap", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$j = $r->json();
		$this->assertSame( 'swapped', $j['state'] );
		$this->assertContains( 'strongbox_destinations', $j['settings_kept'] );
		$this->assertContains( 'strongbox_passphrase', $j['settings_kept'] );
		$this->assertContains( 'strongbox_db_version', $j['settings_kept'] );

		$ids = self::destination_ids();
		$this->assertContains( self::$a['id'], $ids, 'the destination added after the snapshot is still there' );
		$this->assertNotContains( 'dbbbbbbbbbbbb', $ids, 'the snapshot\'s destinations did not come back' );
		$this->assert_a_presigns();
		$this->assertSame( self::PASS_LIVE, self::job_passphrase(), 'the passphrase was not changed back' );
		$this->assertSame( 'no', self::option_row( 'strongbox_destinations' )['autoload'], 'autoload as it was live' );
		if ( ! $had_excludes ) {
			$this->assertSame( serialize( array( 'wp-content/uploads/snapshot-only-exclude' ) ), self::option_row( 'strongbox_file_excludes' )['option_value'], 'a setting the live site lacks stays as restored' );
		}
		$this->assertNotSame( $before_tables['wp_options'], self::tables()['wp_options'], 'the restored table is in place' );

		$r = self::api( 'POST', "/restore/sessions/$sid/rollback", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( $before_tables, self::tables(), 'every table, wp_options included, exactly as before' );
		$this->assertContains( self::$a['id'], self::destination_ids() );
		$this->assert_a_presigns();
		$this->assertSame( self::PASS_LIVE, self::job_passphrase() );
	}

	public function test_keep_strongbox_settings_false_restores_the_snapshots_settings() {
		$before_tables = self::tables();
		list( $sid, $h ) = $this->stage_old_options( array( 'keep_strongbox_settings' => false ) );
		$r = self::api( 'POST', "/restore/sessions/$sid/swap", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( array(), $r->json()['settings_kept'] );
		$this->assertSame( array( 'dbbbbbbbbbbbb' ), self::destination_ids(), 'only the snapshot\'s destination B' );
		$this->assertSame( self::PASS_OLD, self::job_passphrase() );
		$this->assertSame( 'yes', self::option_row( 'strongbox_destinations' )['autoload'] );

		$this->assertSame( 200, self::api( 'POST', "/restore/sessions/$sid/rollback", null, $h )->status );
		$this->assertSame( $before_tables, self::tables() );
		$this->assertContains( self::$a['id'], self::destination_ids() );
		$this->assertSame( self::PASS_LIVE, self::job_passphrase() );
	}

	public function test_a_restore_without_the_options_table_keeps_nothing_and_changes_no_option() {
		global $wpdb;
		$wpdb->query( 'DROP TABLE IF EXISTS wp_sb_settings_other' );
		$before = self::tables();
		$r      = self::api( 'POST', '/restore/sessions', array( 'confirm' => 'RESTORE', 'ttl' => 600 ) );
		$j      = $r->json();
		$h      = array_merge( SB_Auth::admin(), array( 'X-Strongbox-Session-Key: ' . $j['key'] ) );
		$this->assertSame( 200, self::api( 'PUT', "/restore/sessions/{$j['id']}/tables/wp_sb_settings_other", array( 'create' => 'CREATE TABLE `wp_sb_settings_other` (id int NOT NULL, PRIMARY KEY (id))' ), $h )->status );
		$r = self::api( 'POST', "/restore/sessions/{$j['id']}/swap", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( array(), $r->json()['settings_kept'] );
		$this->assertSame( $before['wp_options'], self::tables()['wp_options'] );
		$this->assertSame( 200, self::api( 'POST', "/restore/sessions/{$j['id']}/rollback", null, $h )->status );
		$this->assertSame( $before, self::tables() );
	}
}
