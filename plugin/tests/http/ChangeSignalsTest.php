<?php
/**
 * Manifests answered "unchanged" from the server's own change signals (UPDATE_TIME and
 * friends), only when they prove it; otherwise computed.
 *
 * @package Strongbox
 */

use Strongbox\Database\Change_Signal;

/**
 * unchanged_since on GET /db/tables/{t}/manifest and POST /db/manifests.
 */
class ChangeSignalsTest extends SB_Http_Test_Case {

	const TABLES = array( 'wp_sb_sig_ins', 'wp_sb_sig_upd', 'wp_sb_sig_del', 'wp_sb_sig_trunc', 'wp_sb_sig_same' );

	public static function setUpBeforeClass(): void {
		global $wpdb;
		foreach ( self::TABLES as $t ) {
			$wpdb->query( "DROP TABLE IF EXISTS $t" );
			$wpdb->query( "CREATE TABLE $t (id bigint unsigned NOT NULL AUTO_INCREMENT, v varchar(40) NULL, PRIMARY KEY (id)) ENGINE=InnoDB" );
			$wpdb->query( "INSERT INTO $t (v) VALUES ('a'),('b'),('c'),(NULL)" );
		}
		$wpdb->query( 'DROP TABLE IF EXISTS wp_sb_sig_aria, wp_sb_sig_str' );
		$wpdb->query( "CREATE TABLE wp_sb_sig_aria (id int NOT NULL, PRIMARY KEY (id)) ENGINE=Aria" );
		$wpdb->query( 'INSERT INTO wp_sb_sig_aria VALUES (1),(2)' );
		$wpdb->query( "CREATE TABLE wp_sb_sig_str (k varchar(10) NOT NULL, PRIMARY KEY (k)) ENGINE=InnoDB" );
		$wpdb->query( "INSERT INTO wp_sb_sig_str VALUES ('x'),('y')" );
		// The last commit must be MARGIN seconds older than the first token.
		sleep( Change_Signal::MARGIN + 1 );
	}

	public static function tearDownAfterClass(): void {
		global $wpdb;
		$wpdb->query( 'DROP TABLE IF EXISTS ' . implode( ', ', self::TABLES ) . ', wp_sb_sig_aria, wp_sb_sig_str' );
	}

	private static function manifest( $table, $since = null, $width = null ) {
		$q = array();
		if ( null !== $since ) {
			$q[] = 'unchanged_since=' . rawurlencode( $since );
		}
		if ( null !== $width ) {
			$q[] = 'width=' . $width;
		}
		$r = self::api( 'GET', "/db/tables/$table/manifest" . ( $q ? '?' . implode( '&', $q ) : '' ) );
		if ( 200 !== $r->status ) {
			throw new RuntimeException( $r->body );
		}
		return $r->json();
	}

	public function test_unchanged_tables_answer_unchanged_and_every_change_is_seen() {
		global $wpdb;
		$first = array();
		foreach ( array_merge( self::TABLES, array( 'wp_sb_sig_str' ) ) as $t ) {
			$m = self::manifest( $t );
			$this->assertFalse( $m['unchanged'] );
			$this->assertTrue( $m['signal_usable'], "$t: " . json_encode( $m ) );
			$this->assertNull( $m['signal_reason'] );
			$this->assertMatchesRegularExpression( '/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/', $m['signal'] );
			$first[ $t ] = $m;
		}
		// Nothing changed: no checksums, the width kept, a new token that works again.
		foreach ( $first as $t => $m ) {
			$u = self::manifest( $t, $m['signal'] );
			$this->assertTrue( $u['unchanged'], "$t unchanged" );
			$this->assertArrayNotHasKey( 'pages', $u );
			$this->assertArrayNotHasKey( 'checksum', $u );
			$this->assertSame( $m['paged'], $u['paged'] );
			if ( $m['paged'] ) {
				$this->assertSame( $m['width'], $u['width'] );
			}
			$this->assertTrue( self::manifest( $t, $u['signal'] )['unchanged'], "$t: the renewed token works" );
		}
		// The same token asked with another width, for another table, altered, or foreign: computed.
		$s = $first['wp_sb_sig_same']['signal'];
		$this->assertFalse( self::manifest( 'wp_sb_sig_same', $s, $first['wp_sb_sig_same']['width'] * 2 )['unchanged'] );
		$this->assertTrue( self::manifest( 'wp_sb_sig_same', $s, $first['wp_sb_sig_same']['width'] )['unchanged'] );
		$this->assertFalse( self::manifest( 'wp_sb_sig_upd', $s )['unchanged'], 'a token of another table' );
		$altered = substr( $s, 0, 10 ) . ( 'A' === $s[10] ? 'B' : 'A' ) . substr( $s, 11 );
		foreach ( array( $altered, 'garbage', '', 'e30.AAAA', base64_encode( '{"v":1}' ) ) as $bad ) {
			$m = self::manifest( 'wp_sb_sig_same', $bad );
			$this->assertFalse( $m['unchanged'], "token '$bad' is unknown" );
			$this->assertArrayHasKey( 'pages', $m );
		}

		// INSERT, UPDATE, DELETE, TRUNCATE: each gives the full manifest.
		$wpdb->query( "INSERT INTO wp_sb_sig_ins (v) VALUES ('new')" );
		$wpdb->query( "UPDATE wp_sb_sig_upd SET v = 'changed' WHERE id = 2" );
		$wpdb->query( 'DELETE FROM wp_sb_sig_del WHERE id = 3' );
		$wpdb->query( 'TRUNCATE wp_sb_sig_trunc' );
		$wpdb->query( "UPDATE wp_sb_sig_str SET k = 'z' WHERE k = 'x'" );
		$expect = array( 'wp_sb_sig_ins' => 5, 'wp_sb_sig_upd' => 4, 'wp_sb_sig_del' => 3, 'wp_sb_sig_trunc' => 0, 'wp_sb_sig_str' => 2 );
		foreach ( $expect as $t => $rows ) {
			$m = self::manifest( $t, $first[ $t ]['signal'] );
			$this->assertFalse( $m['unchanged'], "$t changed" );
			$this->assertSame( $rows, $m['rows'] );
			if ( 'wp_sb_sig_trunc' !== $t ) {
				$this->assertNotEquals( $first[ $t ]['paged'] ? $first[ $t ]['pages'] : $first[ $t ]['checksum'], $m['paged'] ? $m['pages'] : $m['checksum'], "$t: new checksums" );
			}
			// A token read within MARGIN seconds of the change never proves anything.
			$this->assertFalse( self::manifest( $t, $m['signal'] )['unchanged'], "$t: too recent" );
		}
		$this->assertTrue( self::manifest( 'wp_sb_sig_same', $s )['unchanged'], 'the untouched table still is' );

		// Several tables in one request.
		$r = self::api(
			'POST',
			'/db/manifests',
			array(
				'tables' => array(
					array( 'table' => 'wp_sb_sig_same', 'unchanged_since' => $s ),
					array( 'table' => 'wp_sb_sig_upd', 'unchanged_since' => $first['wp_sb_sig_upd']['signal'] ),
					array( 'table' => 'wp_sb_sig_ins' ),
				),
			)
		);
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( array( true, false, false ), array_column( $r->json()['manifests'], 'unchanged' ) );
		$this->assertError( 400, 'strongbox_signal_invalid', self::api( 'POST', '/db/manifests', array( 'tables' => array( array( 'table' => 'wp_sb_sig_same', 'unchanged_since' => 5 ) ) ) ) );
	}

	public function test_other_engines_and_forged_server_facts_are_computed() {
		$m = self::manifest( 'wp_sb_sig_aria' );
		$this->assertFalse( $m['signal_usable'] );
		$this->assertSame( 'engine', $m['signal_reason'] );
		$this->assertFalse( self::manifest( 'wp_sb_sig_aria', $m['signal'] )['unchanged'] );

		$m = self::manifest( 'wp_sb_sig_same' );
		$t = Change_Signal::decode( $m['signal'] );
		$this->assertIsArray( $t, 'the test process shares the site\'s salts' );
		$this->assertTrue( self::manifest( 'wp_sb_sig_same', self::forge( $t, array() ) )['unchanged'] );
		foreach ( array( 's' => $t['s'] + 60, 'srv' => 'another-server00', 'ct' => $t['ct'] + 1, 'cs' => str_repeat( '0', 32 ), 'n' => $t['ut'] + 1, 'ai' => '999' ) as $k => $v ) {
			$this->assertFalse( self::manifest( 'wp_sb_sig_same', self::forge( $t, array( $k => $v ) ) )['unchanged'], "a different $k" );
		}
	}

	/**
	 * A server restart forgets UPDATE_TIME and changes the start time: computed.
	 */
	public function test_restart_gives_full_manifests() {
		$before = self::manifest( 'wp_sb_sig_same' );
		$this->assertTrue( self::manifest( 'wp_sb_sig_same', $before['signal'] )['unchanged'] );
		$root = dirname( __DIR__, 3 );
		exec( escapeshellarg( $root . '/scripts/mariadb' ) . ' restart 2>&1', $out, $rc );
		$this->assertSame( 0, $rc, implode( "\n", $out ) );
		$m = self::manifest( 'wp_sb_sig_same', $before['signal'] );
		$this->assertFalse( $m['unchanged'] );
		$this->assertSame( 4, $m['rows'] );
		$this->assertSame( $before['pages'], $m['pages'] );
		$this->assertFalse( $m['signal_usable'] );
		$this->assertSame( 'no_update_time', $m['signal_reason'], 'InnoDB keeps UPDATE_TIME in memory only' );
		$this->assertFalse( self::manifest( 'wp_sb_sig_same', $m['signal'] )['unchanged'] );
	}

	/**
	 * A token with some fields changed, signed like the site signs them.
	 *
	 * @param array $t      Decoded token.
	 * @param array $change Fields.
	 * @return string
	 */
	private static function forge( array $t, array $change ) {
		$t       = array_merge( $t, $change );
		$payload = json_encode( $t, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
		$mac     = substr( hash_hmac( 'sha256', 'strongbox-signal|' . $payload, wp_salt( 'auth' ), true ), 0, 16 );
		$b64     = static function ( $b ) {
			return rtrim( strtr( base64_encode( $b ), '+/', '-_' ), '=' );
		};
		return $b64( $payload ) . '.' . $b64( $mac );
	}
}
