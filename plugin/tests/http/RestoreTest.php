<?php
/**
 * Restore sessions: staging, atomic swap, rollback to the exact previous state,
 * abandonment, maintenance gate, search and replace, bad input.
 *
 * @package Strongbox
 */

/**
 * Restore routes.
 */
class RestoreTest extends SB_Http_Test_Case {

	const OLD_NAME = 'Strongbox Test Shop';
	const NEW_NAME = 'Restored Shop ✓';

	public static function setUpBeforeClass(): void {
		global $wpdb;
		$wpdb->query( 'DROP TABLE IF EXISTS wp_sb_commit, wp_sb_new' );
		$wpdb->query( 'CREATE TABLE wp_sb_commit (id int NOT NULL, v varchar(20) NULL, PRIMARY KEY (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4' );
		$wpdb->query( "INSERT INTO wp_sb_commit VALUES (1,'old'),(2,'old')" );
		file_put_contents( SB_TEST_WP_DIR . '/wp-content/uploads/sb-existing.txt', 'old content' );
		update_option( 'blogname', self::OLD_NAME );
	}

	public static function tearDownAfterClass(): void {
		global $wpdb;
		$s = \Strongbox\Restore\Session::current();
		if ( $s ) {
			$s->rollback( 'test teardown' );
		}
		$wpdb->query( 'DROP TABLE IF EXISTS wp_sb_commit, wp_sb_new' );
		@unlink( SB_TEST_WP_DIR . '/wp-content/uploads/sb-existing.txt' );
	}

	protected function tearDown(): void {
		$s = \Strongbox\Restore\Session::current();
		if ( $s ) {
			$s->rollback( 'test cleanup' );
		}
	}

	/**
	 * Opens a session; returns [id, headers with the session key].
	 *
	 * @param array $opts Extra fields.
	 * @return array
	 */
	private function open( array $opts = array() ) {
		$r = self::api( 'POST', '/restore/sessions', array_merge( array( 'confirm' => 'RESTORE', 'ttl' => 600 ), $opts ) );
		$this->assertSame( 201, $r->status, $r->body );
		$j = $r->json();
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{32}$/', $j['id'] );
		return array( $j['id'], array_merge( SB_Auth::admin(), array( 'X-Strongbox-Session-Key: ' . $j['key'] ) ) );
	}

	/**
	 * Stages one table with rows.
	 *
	 * @param string $sid     Session.
	 * @param array  $headers Headers.
	 * @param string $table   Table.
	 * @param string $create  CREATE TABLE.
	 * @param string $rows    Row lines.
	 */
	private function stage( $sid, array $headers, $table, $create, $rows ) {
		$r = self::api( 'PUT', "/restore/sessions/$sid/tables/$table", array( 'create' => $create ), $headers );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertStringStartsWith( 'strongbox_n_', $r->json()['staging'] );
		$inserted = 0;
		foreach ( self::chunks( $rows, 2 * 1024 * 1024 ) as $chunk ) {
			$r = SB_Http::request( 'POST', self::API . "/restore/sessions/$sid/tables/$table/rows", array_merge( $headers, array( 'Content-Type: application/octet-stream' ) ), $chunk );
			$this->assertSame( 200, $r->status, substr( $r->body, 0, 300 ) );
			$inserted += $r->json()['inserted'];
		}
		$this->assertSame( substr_count( $rows, "\n" ), $inserted );
	}

	/**
	 * Cuts row lines into pieces of about $size bytes, at line boundaries.
	 *
	 * @param string $rows Lines.
	 * @param int    $size Size.
	 * @return string[]
	 */
	private static function chunks( $rows, $size ) {
		$out = array();
		$cur = '';
		foreach ( explode( "\n", rtrim( $rows, "\n" ) ) as $line ) {
			if ( '' !== $cur && strlen( $cur ) + strlen( $line ) > $size ) {
				$out[] = $cur;
				$cur   = '';
			}
			$cur .= $line . "\n";
		}
		if ( '' !== $cur ) {
			$out[] = $cur;
		}
		return $out;
	}

	/**
	 * CREATE statement and row lines of a live table, through the export API.
	 *
	 * @param string $table Table.
	 * @return array [create, rows]
	 */
	private static function export( $table ) {
		$create = self::api( 'GET', "/db/tables/$table" )->json()['create'];
		return array( $create, self::rows_only( self::api( 'GET', "/db/tables/$table/rows" )->body ) );
	}

	/**
	 * A visitor's view of the front page.
	 *
	 * @param array $headers Headers.
	 * @return SB_Response
	 */
	private static function visit( array $headers = array() ) {
		return SB_Http::request( 'GET', '/', $headers );
	}

	/**
	 * Site fingerprint without restore working tables.
	 *
	 * @return array
	 */
	private static function tables_without_staging() {
		return array_filter(
			SB_Site_State::tables(),
			static function ( $name ) {
				return 0 !== strpos( $name, 'strongbox_' );
			},
			ARRAY_FILTER_USE_KEY
		);
	}

	private static function blogname() {
		global $wpdb;
		return $wpdb->get_var( "SELECT option_value FROM wp_options WHERE option_name = 'blogname'" );
	}

	public function test_swap_then_rollback_restores_exactly_the_previous_state() {
		global $wpdb;
		// Credentials are minted before the fingerprint (session tokens live in wp_usermeta).
		SB_Auth::session( 'editor' );
		SB_Auth::session( 'administrator' );
		self::visit();
		self::api( 'GET', '/site' );
		$exports = array();
		foreach ( array( 'wp_options', 'wp_posts', 'wp_postmeta', 'wp_wc_orders' ) as $t ) {
			$exports[ $t ] = self::export( $t );
		}
		$before_tables = SB_Site_State::tables();
		$before_files  = SB_Site_State::files();

		list( $sid, $h ) = $this->open();
		$this->assertError( 409, 'strongbox_restore_busy', self::api( 'POST', '/restore/sessions', array( 'confirm' => 'RESTORE' ) ) );

		// Maintenance: visitors get 503 + Retry-After, administrators and the API keep working.
		$v = self::visit();
		$this->assertSame( 503, $v->status );
		$this->assertMatchesRegularExpression( '/^\d+$/', $v->headers['retry-after'] );
		$this->assertGreaterThan( 0, (int) $v->headers['retry-after'] );
		$this->assertStringContainsString( 'maintenance', $v->body );
		$this->assertSame( 503, self::visit( array( SB_Auth::session( 'editor' )['cookie'] ) )->status, 'editors are visitors too' );
		$this->assertSame( 200, self::visit( array( SB_Auth::session( 'administrator' )['cookie'] ) )->status, 'administrators pass' );
		$this->assertSame( 200, self::api( 'GET', '/site' )->status );

		foreach ( $exports as $t => $e ) {
			$this->stage( $sid, $h, $t, $e[0], $e[1] );
		}
		$this->stage( $sid, $h, 'wp_sb_new', 'CREATE TABLE `wp_sb_new` (id int NOT NULL, v varchar(10), PRIMARY KEY (id))', "(1,'a')\n(2,NULL)\n" );
		$sr = self::api( 'POST', "/restore/sessions/$sid/search-replace", array( 'from' => self::OLD_NAME, 'to' => self::NEW_NAME ), $h );
		$this->assertSame( 200, $sr->status, $sr->body );

		$this->assertSame( 200, SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?path=wp-content/uploads/sb-existing.txt", array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), 'new content' )->status );
		$this->assertSame( 200, SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?path=wp-content/uploads/sb-restored/deep/new.txt&mode=0600", array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), 'part one, ' )->status );
		$r = SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?path=wp-content/uploads/sb-restored/deep/new.txt&offset=10&mode=0600", array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), 'part two' );
		$this->assertSame( 18, $r->json()['size'] );
		$this->assertError( 409, 'strongbox_offset_invalid', SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?path=wp-content/uploads/sb-restored/deep/new.txt&offset=5", array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), 'x' ) );
		foreach ( array( 'wp-config.php', 'wp-content/plugins/strongbox/strongbox.php', 'wp-content/plugins/strongbox/includes/x.php' ) as $protected ) {
			$this->assertError( 403, 'strongbox_file_protected', SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?path=$protected", array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), '<?php evil();' ) );
		}
		$this->assertError( 400, 'strongbox_path_traversal', SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?path=../outside.txt", array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), 'x' ) );

		// Nothing visible changed before the swap.
		$this->assertSame( self::OLD_NAME, self::blogname() );
		$this->assertSame( 'old content', file_get_contents( SB_TEST_WP_DIR . '/wp-content/uploads/sb-existing.txt' ) );
		$this->assertSame( $before_tables, self::tables_without_staging() );

		$r = self::api( 'POST', "/restore/sessions/$sid/swap", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( 'swapped', $r->json()['state'] );
		$this->assertSame( self::NEW_NAME, self::blogname() );
		$this->assertSame( '2', $wpdb->get_var( 'SELECT COUNT(*) FROM wp_sb_new' ) );
		$this->assertSame( 'new content', file_get_contents( SB_TEST_WP_DIR . '/wp-content/uploads/sb-existing.txt' ) );
		$this->assertSame( 'part one, part two', file_get_contents( SB_TEST_WP_DIR . '/wp-content/uploads/sb-restored/deep/new.txt' ) );
		$this->assertSame( 0600, fileperms( SB_TEST_WP_DIR . '/wp-content/uploads/sb-restored/deep/new.txt' ) & 0777 );
		$this->assertCount( 4, $wpdb->get_col( "SHOW TABLES LIKE 'strongbox\\_o\\_%'" ), 'previous tables kept until commit' );
		$this->assertSame( 503, self::visit()->status, 'still in maintenance until commit or rollback' );

		$r = self::api( 'POST', "/restore/sessions/$sid/rollback", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( 'rolled_back', $r->json()['state'] );

		$this->assertSame( $before_tables, SB_Site_State::tables(), 'every table exactly as before (and no working tables left)' );
		$this->assertSame( $before_files, SB_Site_State::files(), 'every file exactly as before' );
		$this->assertSame( 200, self::visit()->status, 'gate lifted' );
		$this->assertError( 404, 'strongbox_restore_not_found', self::api( 'GET', '/restore/sessions/current' ) );
	}

	public function test_commit_makes_the_restore_final_and_accepts_the_session_key_after_swap() {
		global $wpdb;
		list( $sid, $h ) = $this->open();
		$this->stage( $sid, $h, 'wp_sb_commit', 'CREATE TABLE `wp_sb_commit` (id int NOT NULL, v varchar(60) NULL, PRIMARY KEY (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4', "(1,'new')\n(0,'zero stays zero')\n(3,'a:1:{s:1:\"u\";s:3:\"new\";}')\n" );
		$sr = self::api( 'POST', "/restore/sessions/$sid/search-replace", array( 'from' => 'new', 'to' => 'brand-new' ), $h );
		$this->assertSame( 200, $sr->status, $sr->body );
		$key_only = array( end( $h ) );
		$this->assertError( 401, 'strongbox_unauthorized', self::api( 'POST', "/restore/sessions/$sid/commit", null, $key_only ), 'the key alone is not enough before the swap' );
		$this->assertError( 409, 'strongbox_restore_state', self::api( 'POST', "/restore/sessions/$sid/commit", null, $h ) );
		$this->assertSame( 200, self::api( 'POST', "/restore/sessions/$sid/swap", null, $h )->status );
		$this->assertError( 401, 'strongbox_unauthorized', self::api( 'POST', "/restore/sessions/$sid/commit", null, array( 'X-Strongbox-Session-Key: wrong' ) ) );
		// Restored user tables may not know the current login any more: the key finishes the job.
		$r = self::api( 'POST', "/restore/sessions/$sid/commit", null, $key_only );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( 'committed', $r->json()['state'] );
		$this->assertSame( array( '0', '1', '3' ), $wpdb->get_col( 'SELECT id FROM wp_sb_commit ORDER BY id' ) );
		$this->assertSame( 'zero stays zero', $wpdb->get_var( 'SELECT v FROM wp_sb_commit WHERE id = 0' ) );
		$this->assertSame( 'brand-new', $wpdb->get_var( 'SELECT v FROM wp_sb_commit WHERE id = 1' ) );
		$this->assertSame( 'a:1:{s:1:"u";s:9:"brand-new";}', $wpdb->get_var( 'SELECT v FROM wp_sb_commit WHERE id = 3' ), 'serialized lengths follow the replacement' );
		$this->assertSame( array( 'u' => 'brand-new' ), unserialize( $wpdb->get_var( 'SELECT v FROM wp_sb_commit WHERE id = 3' ) ) );
		$this->assertSame( array(), $wpdb->get_col( "SHOW TABLES LIKE 'strongbox\\_%'" ) );
		$this->assertSame( 200, self::visit()->status );
	}

	public function test_abandoned_session_is_rolled_back_when_it_expires() {
		$before_tables = SB_Site_State::tables();
		$before_files  = SB_Site_State::files();
		list( $sid, $h ) = $this->open( array( 'ttl' => 60 ) );
		$this->stage( $sid, $h, 'wp_sb_commit', 'CREATE TABLE `wp_sb_commit` (id int NOT NULL, v varchar(20) NULL, PRIMARY KEY (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4', "(9,'abandoned')\n" );
		$this->assertSame( 200, SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?path=wp-content/uploads/sb-existing.txt", array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), 'abandoned' )->status );
		$this->assertSame( 200, self::api( 'POST', "/restore/sessions/$sid/swap", null, $h )->status );
		$this->assertSame( 503, self::visit()->status );

		// Time passes: the client vanished. Move both expiries into the past.
		$dir = \Strongbox\Data_Dir::path();
		foreach ( array( "$dir/restore/session.json" => 'expires', "$dir/maintenance.json" => 'until' ) as $file => $field ) {
			$data           = json_decode( file_get_contents( $file ), true );
			$data[ $field ] = time() - 1;
			file_put_contents( $file, json_encode( $data ) );
		}
		$this->assertSame( 200, self::visit()->status, 'an expired gate no longer blocks visitors' );
		$this->assertSame( $before_tables, SB_Site_State::tables(), 'the abandoned restore left every table as it was' );
		$this->assertSame( $before_files, SB_Site_State::files(), 'and every file' );
		$this->assertFileDoesNotExist( "$dir/restore/session.json" );
		$this->assertError( 404, 'strongbox_restore_not_found', self::api( 'GET', "/restore/sessions/$sid", null, $h ) );
	}

	public function test_failed_swap_rolls_back_and_lifts_the_gate() {
		$before_tables = SB_Site_State::tables();
		$before_files  = SB_Site_State::files();
		list( $sid, $h ) = $this->open();
		$this->stage( $sid, $h, 'wp_sb_commit', 'CREATE TABLE `wp_sb_commit` (id int NOT NULL, v varchar(20) NULL, PRIMARY KEY (id))', "(5,'failed')\n" );
		$this->assertSame( 200, SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?path=wp-content/uploads/sb-existing.txt", array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), 'should not stay' )->status );
		// A file below a regular file: its directory cannot be created at swap time.
		$this->assertSame( 200, SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?path=index.php/impossible.txt", array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), 'x' )->status );
		$this->assertError( 500, 'strongbox_write_failed', self::api( 'POST', "/restore/sessions/$sid/swap", null, $h ) );
		$this->assertSame( $before_tables, SB_Site_State::tables() );
		$this->assertSame( $before_files, SB_Site_State::files() );
		$this->assertSame( 200, self::visit()->status );
		$this->assertNull( \Strongbox\Restore\Session::current() );
	}

	public function test_bad_input_is_refused_with_stable_codes() {
		$this->assertError( 400, 'strongbox_confirmation_required', self::api( 'POST', '/restore/sessions', array( 'confirm' => 'restore' ) ) );
		$this->assertSame( 400, self::api( 'POST', '/restore/sessions', array() )->status );
		$this->assertError( 400, 'rest_invalid_json', SB_Http::request( 'POST', self::API . '/restore/sessions', array_merge( SB_Auth::admin(), array( 'Content-Type: application/json' ) ), '{"confirm": "RESTORE",' ) );

		// Staging tables of a session whose state was lost are dropped by the next open.
		global $wpdb;
		$wpdb->query( 'CREATE TABLE strongbox_n_deadbeef_0 (a int)' );

		// Two opens at the same moment: exactly one wins.
		$req   = array( 'POST', self::API . '/restore/sessions', array_merge( SB_Auth::admin(), array( 'Content-Type: application/json' ) ), json_encode( array( 'confirm' => 'RESTORE' ) ) );
		$both  = SB_Http::multi( array( $req, $req ), 2 );
		$codes = array( $both[0]->status, $both[1]->status );
		sort( $codes );
		$this->assertSame( array( 201, 409 ), $codes );
		$winner = 201 === $both[0]->status ? $both[0]->json() : $both[1]->json();
		$sid    = $winner['id'];
		$this->assertNull( $wpdb->get_var( "SHOW TABLES LIKE 'strongbox\\_n\\_deadbeef\\_0'" ), 'orphan staging table dropped' );
		$h      = array_merge( SB_Auth::admin(), array( 'X-Strongbox-Session-Key: ' . $winner['key'] ) );

		$this->assertError( 403, 'strongbox_restore_key_invalid', self::api( 'POST', "/restore/sessions/$sid/swap", null, SB_Auth::admin() ) );
		$this->assertError( 403, 'strongbox_restore_key_invalid', self::api( 'POST', "/restore/sessions/$sid/swap", null, array_merge( SB_Auth::admin(), array( 'X-Strongbox-Session-Key: ' . str_repeat( 'a', 48 ) ) ) ) );
		$this->assertError( 409, 'strongbox_restore_empty', self::api( 'POST', "/restore/sessions/$sid/swap", null, $h ) );

		$creates = array(
			'wp_sb_x'       => array( 'CREATE TABLE `wp_sb_x` SELECT * FROM wp_users', 'strongbox_create_invalid' ),
			'wp_sb_y'       => array( 'CREATE TABLE `wp_sb_y` (a int) AS SELECT user_pass AS a FROM wp_users', 'strongbox_create_invalid' ),
			'wp_sb_z'       => array( 'DROP TABLE wp_users', 'strongbox_create_invalid' ),
			'wp_sb_w'       => array( 'CREATE TABLE `wp_users` (a int)', 'strongbox_create_invalid' ),
			'wp_sb_v'       => array( "CREATE TABLE `wp_sb_v` (a int) DATA DIRECTORY='/tmp'", 'strongbox_create_invalid' ),
			'wp_sb_u'       => array( 'CREATE TABLE `wp_sb_u` (a int); DROP TABLE wp_users', 'strongbox_create_invalid' ),
			'evil'          => array( 'CREATE TABLE `evil` (a int)', 'strongbox_table_name_invalid' ),
			'wp_x;DROP'     => array( 'CREATE TABLE `wp_x;DROP` (a int)', 'strongbox_table_name_invalid' ),
			'strongbox_n_0' => array( 'CREATE TABLE `strongbox_n_0` (a int)', 'strongbox_table_name_invalid' ),
		);
		foreach ( $creates as $table => $c ) {
			$this->assertError( 400, $c[1], self::api( 'PUT', "/restore/sessions/$sid/tables/" . rawurlencode( $table ), array( 'create' => $c[0] ), $h ) );
		}
		$this->assertError( 404, 'strongbox_table_not_staged', SB_Http::request( 'POST', self::API . "/restore/sessions/$sid/tables/wp_users/rows", array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), "(1)\n" ) );

		$this->assertSame( 200, self::api( 'PUT', "/restore/sessions/$sid/tables/wp_sb_new", array( 'create' => 'CREATE TABLE `wp_sb_new` (id int NOT NULL, v varchar(10), PRIMARY KEY (id))' ), $h )->status );
		foreach ( array( "(1,'a'),(2,'b'); DROP TABLE wp_users", "((SELECT user_pass FROM wp_users LIMIT 1),'a')", "(1)", "(1,'a',3)", "(1,'a') ON DUPLICATE KEY UPDATE v='x'", "(1,CONCAT('a','b'))", "(1,'a\\')" ) as $bad ) {
			$this->assertError( 400, 'strongbox_row_invalid', SB_Http::request( 'POST', self::API . "/restore/sessions/$sid/tables/wp_sb_new/rows", array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), "(7,'ok')\n" . $bad . "\n" ) );
		}
		$this->assertSame( '0', $wpdb->get_var( 'SELECT COUNT(*) FROM `strongbox_n_' . substr( $sid, 0, 8 ) . '_0`' ), 'a request with one bad row inserts nothing' );
		$this->assertSame( 'wp_users', $wpdb->get_var( "SHOW TABLES LIKE 'wp_users'" ) );

		$big = str_repeat( "(1,'a')\n", 4400000 ); // 35 MB.
		$this->assertError( 413, 'strongbox_body_too_large', SB_Http::request( 'POST', self::API . "/restore/sessions/$sid/tables/wp_sb_new/rows", array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), $big ) );
		$this->assertError( 400, 'strongbox_replace_invalid', self::api( 'POST', "/restore/sessions/$sid/search-replace", array( 'from' => '', 'to' => 'x' ), $h ) );
		$this->assertSame( 200, self::api( 'DELETE', "/restore/sessions/$sid", null, $h )->status );
		$this->assertSame( array(), $wpdb->get_col( "SHOW TABLES LIKE 'strongbox\\_%'" ) );
	}
}
