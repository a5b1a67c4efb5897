<?php
/**
 * Restore drills: a snapshot restored into scratch tables and private files, verified
 * against the live manifests, cleaned up; never the site, never a maintenance page;
 * a real restore always wins.
 *
 * @package Strongbox
 */

/**
 * Drill sessions (mode "drill").
 */
class DrillTest extends SB_Http_Test_Case {

	/** Tables staged: paged, paged with many pages, streamed without key, streamed with a text key. */
	const TABLES = array( 'wp_posts', 'wp_woocommerce_order_itemmeta', 'wp_analytics_pageviews', 'wp_wfconfig' );

	protected function tearDown(): void {
		\Strongbox\Restore\Session::cancel_drill( 'test cleanup' );
		$s = \Strongbox\Restore\Session::current();
		if ( $s ) {
			$s->rollback( 'test cleanup' );
		}
	}

	/**
	 * Opens a drill; returns [id, headers with the session key, answer].
	 *
	 * @param array $opts Extra fields.
	 * @return array
	 */
	private function open_drill( array $opts = array() ) {
		$r = self::api( 'POST', '/restore/sessions', array_merge( array( 'confirm' => 'DRILL', 'mode' => 'drill', 'ttl' => 600 ), $opts ) );
		$this->assertSame( 201, $r->status, $r->body );
		$j = $r->json();
		return array( $j['id'], array_merge( SB_Auth::admin(), array( 'X-Strongbox-Session-Key: ' . $j['key'] ) ), $j );
	}

	/**
	 * Stages a table (CREATE + rows) in a session.
	 *
	 * @param string $sid     Session.
	 * @param array  $headers Headers.
	 * @param string $table   Table.
	 * @param string $create  CREATE TABLE.
	 * @param string $rows    Row lines.
	 * @return string The staging table's name.
	 */
	private function stage( $sid, array $headers, $table, $create, $rows ) {
		$r = self::api( 'PUT', "/restore/sessions/$sid/tables/$table", array( 'create' => $create ), $headers );
		$this->assertSame( 200, $r->status, $r->body );
		$staging = $r->json()['staging'];
		$r       = SB_Http::request( 'POST', self::API . "/restore/sessions/$sid/tables/$table/rows", array_merge( $headers, array( 'Content-Type: application/octet-stream' ) ), $rows );
		$this->assertSame( 200, $r->status, substr( $r->body, 0, 300 ) );
		$this->assertSame( substr_count( $rows, "\n" ), $r->json()['inserted'] );
		return $staging;
	}

	/**
	 * CREATE statement and row lines of a live table, read through the export API.
	 *
	 * @param string $table Table.
	 * @return array [create, rows]
	 */
	private static function export( $table ) {
		$create = self::api( 'GET', "/db/tables/$table" )->json()['create'];
		return array( $create, self::rows_only( self::api( 'GET', "/db/tables/$table/rows" )->body ) );
	}

	/**
	 * A manifest without what differs between two reads of the same rows.
	 *
	 * @param array $m Manifest.
	 * @return array
	 */
	private static function comparable( array $m ) {
		unset( $m['seconds'], $m['staging'], $m['unchanged'], $m['signal'], $m['signal_usable'], $m['signal_reason'] );
		return $m;
	}

	private static function drill_tables() {
		global $wpdb;
		return $wpdb->get_col( "SHOW TABLES LIKE 'strongbox\\_d\\_%'" );
	}

	public function test_drill_stages_verifies_and_cleans_up_without_touching_the_site() {
		SB_Auth::session( 'administrator' );
		SB_Http::request( 'GET', '/' );
		$live = array();
		$rows = array();
		foreach ( self::TABLES as $t ) {
			$m = self::api( 'GET', "/db/tables/$t/manifest" );
			$this->assertSame( 200, $m->status, $m->body );
			$live[ $t ] = $m->json();
			$rows[ $t ] = self::export( $t );
		}
		$this->assertGreaterThan( 3, count( $live['wp_woocommerce_order_itemmeta']['pages'] ), 'a table of several pages' );
		$before_tables = SB_Site_State::tables();
		$before_files  = SB_Site_State::files();

		list( $sid, $h, $opened ) = $this->open_drill();
		$this->assertSame( 'drill', $opened['mode'] );
		$this->assertFalse( $opened['maintenance'] );
		$this->assertSame( 200, SB_Http::request( 'GET', '/' )->status, 'no maintenance page during a drill' );
		$this->assertFileDoesNotExist( \Strongbox\Data_Dir::path() . '/maintenance.json' );
		$this->assertError( 404, 'strongbox_restore_not_found', self::api( 'GET', '/restore/sessions/current' ), 'a drill is not a restore' );
		$this->assertSame( $sid, self::api( 'GET', '/restore/sessions/current?mode=drill' )->json()['id'] );

		$staging = array();
		foreach ( self::TABLES as $t ) {
			$staging[ $t ] = $this->stage( $sid, $h, $t, $rows[ $t ][0], $rows[ $t ][1] );
			$this->assertMatchesRegularExpression( '/^strongbox_d_' . substr( $sid, 0, 8 ) . '_\d+$/', $staging[ $t ] );
		}
		$listed = array_column( self::api( 'GET', '/db/tables' )->json()['tables'], 'name' );
		$this->assertSame( array(), array_values( preg_grep( '/^strongbox_/', $listed ) ), 'staging tables are never listed or exported' );

		foreach ( self::TABLES as $t ) {
			$q = $live[ $t ]['paged'] ? '&width=' . $live[ $t ]['width'] : '';
			$v = self::api( 'GET', "/restore/sessions/$sid/verify?table=$t$q", null, $h );
			$this->assertSame( 200, $v->status, $v->body );
			$this->assertSame( $staging[ $t ], $v->json()['staging'] );
			$this->assertSame( self::comparable( $live[ $t ] ), self::comparable( $v->json() ), "$t: the staged table's manifest equals the live one" );
			$w = self::api( 'GET', "/restore/sessions/$sid/verify?table=$t", null, $h );
			$this->assertSame( self::comparable( $live[ $t ] ), self::comparable( $w->json() ), "$t: same width chosen" );
		}
		$this->assertError( 404, 'strongbox_table_not_staged', self::api( 'GET', "/restore/sessions/$sid/verify?table=wp_users", null, $h ) );
		$this->assertError( 400, 'strongbox_width_invalid', self::api( 'GET', "/restore/sessions/$sid/verify?table=wp_posts&width=3", null, $h ) );

		// One changed row: exactly its page differs.
		$t       = 'wp_woocommerce_order_itemmeta';
		$lines   = explode( "\n", rtrim( $rows[ $t ][1], "\n" ) );
		$k       = (int) ( count( $lines ) / 2 );
		$changed = preg_replace( "/'([^']*)'\)$/", "'changed by the drill test')", $lines[ $k ] );
		$this->assertNotSame( $lines[ $k ], $changed );
		$lines[ $k ] = $changed;
		$this->stage( $sid, $h, $t, $rows[ $t ][0], implode( "\n", $lines ) . "\n" );
		$v    = self::api( 'GET', "/restore/sessions/$sid/verify?table=$t&width=" . $live[ $t ]['width'], null, $h )->json();
		$diff = array();
		foreach ( $v['pages'] as $i => $p ) {
			$this->assertSame( $live[ $t ]['pages'][ $i ]['p'], $p['p'] );
			$this->assertSame( $live[ $t ]['pages'][ $i ]['rows'], $p['rows'] );
			if ( $p !== $live[ $t ]['pages'][ $i ] ) {
				$diff[] = $p['p'];
			}
		}
		preg_match( '/^\((\d+),/', $changed, $m );
		$this->assertSame( array( (string) intdiv( (int) $m[1], $live[ $t ]['width'] ) ), $diff, 'only the changed row\'s page differs' );

		// Files: staged in the private directory, hashed there; protected files too (never placed).
		$big  = random_bytes( 3 * 1048576 + 17 );
		$file = array_merge( $h, array( 'Content-Type: application/octet-stream' ) );
		$this->assertSame( 200, SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?path=wp-content/uploads/drill/big.bin", $file, substr( $big, 0, 2097152 ) )->status );
		$this->assertSame( 200, SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?path=wp-content/uploads/drill/big.bin&offset=2097152&last=1", $file, substr( $big, 2097152 ) )->status );
		$config = file_get_contents( SB_TEST_WP_DIR . '/wp-config.php' );
		$batch  = '#file ' . json_encode( array( 'path' => 'wp-config.php', 'length' => strlen( $config ), 'last' => true ) ) . "\n" . $config . "\n"
			. '#file ' . json_encode( array( 'path' => 'index.php', 'length' => 5, 'last' => true ) ) . "\nhello\n#done {}\n";
		$r      = SB_Http::request( 'POST', self::API . "/restore/sessions/$sid/files/batch", array_merge( $h, array( 'Content-Type: application/vnd.strongbox.files' ) ), $batch );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( 2, $r->json()['totals']['ok'], $r->body );
		$this->assertFileDoesNotExist( SB_TEST_WP_DIR . '/wp-content/uploads/drill/big.bin' );
		$this->assertStringNotContainsString( 'hello', (string) file_get_contents( SB_TEST_WP_DIR . '/index.php' ) );
		$private = \Strongbox\Data_Dir::path() . "/drill/$sid/files";
		$this->assertFileExists( $private . '/' . sha1( 'wp-content/uploads/drill/big.bin' ) . '.bin' );
		$this->assertFalse( \Strongbox\Data_Dir::is_web_served( $private ) );

		$v = self::api( 'POST', "/restore/sessions/$sid/verify-files", array( 'paths' => array( 'wp-content/uploads/drill/big.bin', 'wp-config.php', 'index.php', 'not/staged.txt', '../etc/passwd' ) ), $h );
		$this->assertSame( 200, $v->status, $v->body );
		$f = $v->json()['files'];
		$this->assertSame( array( 'path' => 'wp-content/uploads/drill/big.bin', 'type' => 'file', 'size' => strlen( $big ), 'sha256' => hash( 'sha256', $big ), 'complete' => true, 'mode' => '0644' ), $f[0] );
		$this->assertSame( hash_file( 'sha256', SB_TEST_WP_DIR . '/wp-config.php' ), $f[1]['sha256'] );
		$this->assertSame( hash( 'sha256', 'hello' ), $f[2]['sha256'] );
		$this->assertSame( 'strongbox_file_not_staged', $f[3]['code'] );
		$this->assertSame( 'strongbox_path_traversal', $f[4]['code'] );
		$this->assertSame( array( 'files' => 3, 'bytes' => strlen( $big ) + strlen( $config ) + 5, 'not_found' => 1 ), $v->json()['totals'] );
		$this->assertError( 400, 'rest_invalid_param', self::api( 'POST', "/restore/sessions/$sid/verify-files", array( 'paths' => array() ), $h ) );

		// Nothing that changes the site is allowed.
		$this->assertError( 409, 'strongbox_drill_refused', self::api( 'POST', "/restore/sessions/$sid/swap", null, $h ) );
		$this->assertError( 409, 'strongbox_drill_refused', self::api( 'POST', "/restore/sessions/$sid/commit", null, $h ) );
		$this->assertError( 409, 'strongbox_drill_refused', self::api( 'POST', "/restore/sessions/$sid/search-replace", array( 'from' => 'a', 'to' => 'b' ), $h ) );
		$this->assertError( 409, 'strongbox_drill_refused', SB_Http::request( 'POST', self::API . "/restore/sessions/$sid/files/keep?roots[]=", array_merge( $h, array( 'Content-Type: text/plain' ) ), "index.php\n" ) );
		$this->assertError( 409, 'strongbox_drill_busy', self::api( 'POST', '/restore/sessions', array( 'confirm' => 'DRILL', 'mode' => 'drill' ) ) );
		$this->assertSame( 200, SB_Http::request( 'GET', '/' )->status );

		$status = self::api( 'GET', "/restore/sessions/$sid", null, $h )->json();
		$this->assertSame( array( 'tables' => 9, 'files' => 3 ), $status['verified'] );

		$r = self::api( 'DELETE', "/restore/sessions/$sid?result=passed&rto_seconds=12.5&snapshot=0123abcd", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$j = $r->json();
		$this->assertSame( 'cleaned_up', $j['state'] );
		$this->assertSame( 'passed', $j['report']['result'] );
		$this->assertSame( 12.5, (float) $j['report']['rto_seconds'] );
		$this->assertSame( '0123abcd', $j['report']['snapshot'] );
		$this->assertSame( 'requested', $j['report']['ended'] );
		$this->assertSame( self::TABLES, array_column( $j['report']['tables'], 'table' ) );
		$this->assertSame( 3, $j['report']['files']['count'] );

		$this->assertSame( array(), self::drill_tables(), 'no staging table left' );
		$this->assertDirectoryDoesNotExist( \Strongbox\Data_Dir::path() . "/drill/$sid" );
		$this->assertSame( $before_tables, SB_Site_State::tables(), 'every table exactly as before' );
		$this->assertSame( $before_files, SB_Site_State::files(), 'every file exactly as before' );
		$reports = self::api( 'GET', '/restore/drills' )->json()['drills'];
		$this->assertSame( $sid, end( $reports )['id'] );
		$this->assertError( 404, 'strongbox_restore_not_found', self::api( 'GET', "/restore/sessions/$sid", null, $h ) );
	}

	public function test_a_restore_wins_over_a_drill() {
		list( $sid, $h ) = $this->open_drill();
		$e = self::export( 'wp_wfconfig' );
		$this->stage( $sid, $h, 'wp_wfconfig', $e[0], $e[1] );
		$this->assertSame( 200, SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?path=wp-content/uploads/drill.txt", array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), 'drill' )->status );
		$this->assertCount( 1, self::drill_tables() );

		$r = self::api( 'POST', '/restore/sessions', array( 'confirm' => 'RESTORE', 'ttl' => 600 ) );
		$this->assertSame( 201, $r->status, $r->body );
		$restore = $r->json();
		$this->assertSame( 'restore', $restore['mode'] );
		$this->assertSame( array(), self::drill_tables(), 'the drill\'s tables are gone' );
		$this->assertDirectoryDoesNotExist( \Strongbox\Data_Dir::path() . "/drill/$sid" );

		foreach ( array(
			array( 'GET', "/restore/sessions/$sid", null ),
			array( 'PUT', "/restore/sessions/$sid/tables/wp_wfconfig", array( 'create' => $e[0] ) ),
			array( 'GET', "/restore/sessions/$sid/verify?table=wp_wfconfig", null ),
			array( 'DELETE', "/restore/sessions/$sid", null ),
		) as $call ) {
			$r = self::api( $call[0], $call[1], $call[2], $h );
			$this->assertError( 409, 'strongbox_drill_cancelled', $r );
			$this->assertSame( 'a restore was started', $r->json()['data']['reason'] );
		}
		$this->assertError( 409, 'strongbox_restore_busy', self::api( 'POST', '/restore/sessions', array( 'confirm' => 'DRILL', 'mode' => 'drill' ) ), 'no drill while a restore is open' );
		$this->assertSame( 503, SB_Http::request( 'GET', '/' )->status, 'the restore\'s gate is up' );
		$reports = self::api( 'GET', '/restore/drills' )->json()['drills'];
		$this->assertSame( $sid, end( $reports )['id'] );
		$this->assertSame( 'cancelled: a restore was started', end( $reports )['ended'] );

		$rh = array_merge( SB_Auth::admin(), array( 'X-Strongbox-Session-Key: ' . $restore['key'] ) );
		$this->assertSame( 200, self::api( 'DELETE', '/restore/sessions/' . $restore['id'], null, $rh )->status );
		$this->assertSame( 200, SB_Http::request( 'GET', '/' )->status );
		list( $sid2 ) = $this->open_drill();
		$this->assertNotSame( $sid, $sid2, 'a drill can run again once the restore is over' );
	}

	public function test_confirmation_modes_and_expiry() {
		$this->assertError( 400, 'strongbox_confirmation_required', self::api( 'POST', '/restore/sessions', array( 'confirm' => 'RESTORE', 'mode' => 'drill' ) ) );
		$this->assertError( 400, 'strongbox_confirmation_required', self::api( 'POST', '/restore/sessions', array( 'confirm' => 'DRILL' ) ) );
		$this->assertError( 400, 'rest_invalid_param', self::api( 'POST', '/restore/sessions', array( 'confirm' => 'DRILL', 'mode' => 'dry-run' ) ) );
		$this->assertSame( 200, self::api( 'GET', '/restore/drills' )->status );

		// Orphan drill tables (state lost) are dropped by the next drill.
		global $wpdb;
		$wpdb->query( 'CREATE TABLE strongbox_d_deadbeef_0 (a int)' );
		list( $sid, $h ) = $this->open_drill( array( 'ttl' => 60, 'maintenance' => true ) );
		$this->assertSame( array(), self::drill_tables() );
		$this->assertSame( 200, SB_Http::request( 'GET', '/' )->status, 'maintenance is never raised by a drill' );
		$this->stage( $sid, $h, 'wp_wfconfig', 'CREATE TABLE `wp_wfconfig` (name varchar(100) NOT NULL, val longblob, PRIMARY KEY (name))', "('a',X'00ff')\n" );
		$this->assertCount( 1, self::drill_tables() );

		// The client vanished: the expiry cleans up on the next request to the site.
		$file         = \Strongbox\Data_Dir::path() . '/drill/session.json';
		$data         = json_decode( file_get_contents( $file ), true );
		$data['expires'] = time() - 1;
		file_put_contents( $file, json_encode( $data ) );
		$this->assertSame( 200, SB_Http::request( 'GET', '/' )->status );
		$this->assertSame( array(), self::drill_tables() );
		$this->assertFileDoesNotExist( $file );
		$this->assertDirectoryDoesNotExist( \Strongbox\Data_Dir::path() . "/drill/$sid" );
		$reports = self::api( 'GET', '/restore/drills' )->json()['drills'];
		$this->assertSame( 'expired', end( $reports )['ended'] );
		$this->assertNull( end( $reports )['result'] );
	}
}
