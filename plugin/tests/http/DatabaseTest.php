<?php
/**
 * Database export: exact FORMAT.md bytes, checksums computed by MariaDB, injection, memory.
 *
 * @package Strongbox
 */

/**
 * Database routes.
 */
class DatabaseTest extends SB_Http_Test_Case {

	/** @var mysqli An independent connection (not the plugin's code path). */
	private static $db;

	public static function setUpBeforeClass(): void {
		global $wpdb;
		list( $host, $port ) = explode( ':', DB_HOST );
		self::$db            = mysqli_init();
		self::$db->real_connect( $host, DB_USER, DB_PASSWORD, DB_NAME, (int) $port );
		self::$db->set_charset( 'utf8mb4' );

		$wpdb->query( 'DROP TABLE IF EXISTS wp_sb_edge, wp_sb_nopk, wp_sb_strpk' );
		$wpdb->query(
			"CREATE TABLE wp_sb_edge (
				id int NOT NULL, t varchar(100) NULL, b varbinary(20) NULL, bl longblob NULL, bits bit(10) NULL,
				d decimal(10,3) NULL, f float NULL, g double NOT NULL DEFAULT 0, dt datetime NULL, j longtext NULL,
				e enum('x','y') NULL, tx text NOT NULL, PRIMARY KEY (id)
			) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci"
		);
		$rows = array(
			array( -5, "quote ' back \\ nul \0 lf \n cr \r sub \x1a tab \t", "\x00\xff\x1a'", str_repeat( "\x00\x01", 100 ), 'b\'1010101010\'', '-1.500', 3.25, 1e100, '2024-02-29 23:59:59', '{"a":[1,"✓"]}', 'x', 'Größe ✓ 😀 中文' ),
			array( 0, '', '', '', "b'0'", '0.000', 0, 0, '0000-00-00 00:00:00', null, 'y', '' ),
			array( 3, null, null, null, null, null, null, -0.000001, null, null, null, 'NULL' ),
			array( 1500, 'x', 'y', 'z', "b'1'", '99.999', -1.5e-10, 123456789.125, '1970-01-01 00:00:01', '[]', 'x', "multi\nline" ),
		);
		foreach ( $rows as $r ) {
			$vals = array();
			foreach ( $r as $i => $v ) {
				if ( null === $v ) {
					$vals[] = 'NULL';
				} elseif ( 4 === $i ) {
					$vals[] = $v;
				} elseif ( is_float( $v ) || is_int( $v ) ) {
					$vals[] = var_export( $v, true );
				} else {
					$vals[] = "'" . self::$db->real_escape_string( $v ) . "'";
				}
			}
			self::$db->query( "SET SESSION sql_mode='NO_AUTO_VALUE_ON_ZERO'" );
			if ( ! self::$db->query( 'INSERT INTO wp_sb_edge VALUES (' . implode( ',', $vals ) . ')' ) ) {
				throw new RuntimeException( self::$db->error );
			}
		}
		$wpdb->query( 'CREATE TABLE wp_sb_nopk (a int NULL, b varchar(10) NULL) ENGINE=InnoDB' );
		$wpdb->query( "INSERT INTO wp_sb_nopk VALUES (2,'b'),(1,NULL),(NULL,'a'),(1,'a')" );
		$wpdb->query( 'CREATE TABLE wp_sb_strpk (k varchar(20) NOT NULL, v int, PRIMARY KEY (k)) ENGINE=InnoDB' );
		$wpdb->query( "INSERT INTO wp_sb_strpk VALUES ('b',2),('a',1),('c',NULL)" );
	}

	public static function tearDownAfterClass(): void {
		global $wpdb;
		$wpdb->query( 'DROP TABLE IF EXISTS wp_sb_edge, wp_sb_nopk, wp_sb_strpk' );
	}

	/**
	 * FORMAT.md serialization, written independently of the plugin: every row of a table,
	 * ordered by primary key (or every column), with the server's text for every value.
	 *
	 * @param string $table Table.
	 * @param int    $width Width (0: no page numbers).
	 * @return array [bytes, rows-by-page, page hashes]
	 */
	private static function expected( $table, $width ) {
		$cols = array();
		$res  = self::$db->query( "SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '$table' ORDER BY ORDINAL_POSITION" );
		while ( $c = $res->fetch_row() ) {
			$cols[] = $c;
		}
		$pk  = array();
		$res = self::$db->query( "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '$table' AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX" );
		while ( $c = $res->fetch_row() ) {
			$pk[] = '`' . $c[0] . '`';
		}
		$order = $pk ? $pk : array_map( static function ( $c ) { return '`' . $c[0] . '`'; }, $cols );
		$bytes = '';
		$pages = array();
		$sums  = array();
		$res   = self::$db->query( "SELECT * FROM `$table` ORDER BY " . implode( ',', $order ), MYSQLI_USE_RESULT );
		while ( $row = $res->fetch_row() ) {
			$vals = array();
			$hash = array();
			$nul  = '';
			foreach ( $row as $i => $v ) {
				$type = strtolower( $cols[ $i ][1] );
				if ( 'bit' === $type && null !== $v ) {
					// mysqlnd hands BIT(M) over as decimal digits; the value's bytes are ceil(M/8) big-endian bytes.
					preg_match( '/bit\((\d+)\)/', $cols[ $i ][3], $mm );
					$v = substr( pack( 'J', (int) $v ), 8 - intdiv( (int) $mm[1] + 7, 8 ) );
				}
				if ( 'YES' === $cols[ $i ][2] ) {
					$nul .= null === $v ? '1' : '0';
				}
				if ( null !== $v ) {
					$hash[] = $v;
				}
				if ( null === $v ) {
					$vals[] = 'NULL';
				} elseif ( preg_match( '/^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|float|double|real)$/', $type ) ) {
					$vals[] = $v;
				} elseif ( preg_match( '/^(binary|varbinary|tinyblob|blob|mediumblob|longblob|bit|geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection)$/', $type ) ) {
					$vals[] = "X'" . bin2hex( $v ) . "'";
				} else {
					$vals[] = "'" . str_replace( array( '\\', "'", "\0", "\n", "\r", "\x1a" ), array( '\\\\', "\\'", '\\0', '\\n', '\\r', '\\Z' ), $v ) . "'";
				}
			}
			$line   = '(' . implode( ',', $vals ) . ")\n";
			$bytes .= $line;
			if ( $width ) {
				$p = (string) intdiv( (int) $row[0], $width );
				if ( '' !== $nul ) {
					$hash[] = $nul;
				}
				$h = crc32( implode( "\x1f", $hash ) );
				if ( ! isset( $pages[ $p ] ) ) {
					$pages[ $p ] = '';
					$sums[ $p ]  = array( 0, 0, 0 );
				}
				$pages[ $p ] .= $line;
				$sums[ $p ][0]++;
				$sums[ $p ][1] ^= $h;
				$sums[ $p ][2] += $h;
			}
		}
		$res->free();
		return array( $bytes, $pages, $sums );
	}

	public function test_table_list_describes_tables_and_change_signals() {
		$r = self::api( 'GET', '/db/tables' );
		$this->assertSame( 200, $r->status );
		$tables = array_column( $r->json()['tables'], null, 'name' );
		$this->assertArrayHasKey( 'wp_wc_orders', $tables );
		$this->assertArrayHasKey( 'wp_woocommerce_order_itemmeta', $tables );
		$this->assertStringStartsWith( 'CREATE TABLE `wp_sb_edge`', $tables['wp_sb_edge']['create'] );
		$this->assertSame( array( 'id' ), $tables['wp_sb_edge']['primary_key'] );
		$this->assertTrue( $tables['wp_sb_edge']['paged'] );
		$this->assertFalse( $tables['wp_sb_nopk']['paged'] );
		$this->assertFalse( $tables['wp_sb_strpk']['paged'] );
		$this->assertContains( 'post_modified_gmt', $tables['wp_posts']['change_signals']['modification_columns'] );
		$this->assertGreaterThan( 1, $tables['wp_posts']['change_signals']['auto_increment'] );
		$this->assertContains( 'date_updated_gmt', $tables['wp_wc_orders']['change_signals']['modification_columns'] );
		$exact = array_column( self::api( 'GET', '/db/tables?exact=1' )->json()['tables'], null, 'name' );
		$this->assertSame( 4, $exact['wp_sb_edge']['rows'] );
		$this->assertTrue( $exact['wp_sb_edge']['rows_exact'] );
	}

	/**
	 * Byte-exact export, page framing and database checksums, on edge cases and shop tables.
	 */
	public function test_export_is_byte_exact_and_manifest_matches_rows() {
		$tables = array( 'wp_sb_edge', 'wp_options', 'wp_posts', 'wp_usermeta', 'wp_wfhits', 'wp_wc_orders', 'wp_wc_order_addresses', 'wp_woocommerce_order_itemmeta', 'wp_wc_product_attributes_lookup' );
		foreach ( $tables as $table ) {
			$m = self::api( 'GET', "/db/tables/$table/manifest" );
			$this->assertSame( 200, $m->status, $m->body );
			$manifest = $m->json();
			$width    = $manifest['width'];
			list( $bytes, $pages, $sums ) = self::expected( $table, $width );

			$r = self::api( 'GET', "/db/tables/$table/rows?width=$width" );
			$this->assertSame( 200, $r->status );
			$this->assertSame( md5( $bytes ), md5( self::rows_only( $r->body ) ), "$table: export bytes" );
			$ctl   = self::control( $r->body );
			$found = array();
			$cur   = null;
			foreach ( explode( "\n", $r->body ) as $line ) {
				if ( 0 === strpos( $line, '#page ' ) ) {
					$cur           = json_decode( substr( $line, 6 ), true )['p'];
					$found[ $cur ] = '';
				} elseif ( '' !== $line && '(' === $line[0] ) {
					$found[ $cur ] .= $line . "\n";
				}
			}
			$this->assertSame( array_map( 'strval', array_keys( $pages ) ), array_map( 'strval', array_keys( $found ) ), "$table: pages" );
			foreach ( $pages as $p => $pb ) {
				$this->assertSame( md5( $pb ), md5( $found[ $p ] ), "$table: page $p bytes" );
			}
			$this->assertSame( 'done', end( $ctl )[0] );

			$this->assertCount( count( $sums ), $manifest['pages'], "$table: manifest pages" );
			foreach ( $manifest['pages'] as $mp ) {
				$this->assertSame( $sums[ $mp['p'] ], array( $mp['rows'], $mp['bit_xor'], $mp['sum'] ), "$table: checksum of page {$mp['p']} (CRC32 of CONCAT_WS)" );
			}
		}
	}

	/**
	 * The Rust core, reading the same database itself, produces exactly the
	 * plugin's page bytes and checksums (docs/FORMAT.md is one contract for
	 * both): the native `strongbox` backs the database up into a scratch
	 * unencrypted repository, and every page of it is compared with the
	 * plugin's export at the same width.
	 */
	public function test_rust_core_and_plugin_produce_the_same_pages() {
		$bin = getenv( 'STRONGBOX_BIN' ) ?: dirname( __DIR__, 3 ) . '/target/debug/strongbox';
		if ( ! is_executable( $bin ) ) {
			if ( getenv( 'STRONGBOX_REQUIRE_SERVICES' ) ) {
				$this->fail( "the strongbox binary is missing at $bin (cargo build)" );
			}
			$this->markTestSkipped( "no strongbox binary at $bin" );
		}
		$repo = sys_get_temp_dir() . '/strongbox-xcheck-' . getmypid();
		exec( 'rm -rf ' . escapeshellarg( $repo ) );
		list( $host, $port ) = explode( ':', DB_HOST );
		$sb = function ( $args ) use ( $bin, $repo ) {
			$out = array();
			exec( escapeshellarg( $bin ) . ' -q -r ' . escapeshellarg( $repo ) . ' ' . $args . ' 2>&1', $out, $rc );
			$this->assertSame( 0, $rc, implode( "\n", $out ) );
			return implode( "\n", $out );
		};
		$sb( 'init --no-encryption' );
		$sb(
			'backup --db-name ' . escapeshellarg( DB_NAME ) . ' --db-host ' . escapeshellarg( $host ) . ' --db-port ' . (int) $port
			. ' --db-user ' . escapeshellarg( DB_USER ) . ' --db-password ' . escapeshellarg( DB_PASSWORD )
		);
		$snap   = json_decode( $sb( '--json snapshots' ), true );
		$tables = array();
		foreach ( $snap[0]['snapshot']['database']['tables'] as $t ) {
			$tables[ $t['name'] ] = $t['manifest'];
		}
		$compared = 0;
		// Tables no request writes to (WordPress updates options and, for
		// Application Passwords, user meta on requests, between the two reads).
		foreach ( array( 'wp_sb_edge', 'wp_posts', 'wp_postmeta', 'wp_wc_orders', 'wp_wc_order_addresses', 'wp_woocommerce_order_itemmeta' ) as $table ) {
			$this->assertArrayHasKey( $table, $tables );
			$m = json_decode( $sb( 'cat blob ' . $tables[ $table ] ), true );
			$this->assertSame( 'paged', $m['mode'], $table );
			$width = $m['width'];
			$plugin_manifest = self::api( 'GET', "/db/tables/$table/manifest?width=$width" )->json();
			$sums            = array();
			foreach ( $plugin_manifest['pages'] as $mp ) {
				$sums[ (string) $mp['p'] ] = array( (int) $mp['rows'], (int) $mp['bit_xor'], (int) $mp['sum'] );
			}
			$this->assertCount( count( $m['pages'] ), $sums, "$table: page count at width $width" );
			foreach ( $m['pages'] as $page ) {
				$p = (string) $page['page'];
				$this->assertSame( $sums[ $p ], array( $page['checksum']['rows'], $page['checksum']['xor'], $page['checksum']['sum'] ), "$table: checksum of page $p" );
				$rust = '';
				foreach ( $page['blobs'] as $blob ) {
					// Raw bytes (exec() would trim each line).
					$rust .= (string) shell_exec( escapeshellarg( $bin ) . ' -q -r ' . escapeshellarg( $repo ) . ' cat blob ' . escapeshellarg( $blob ) );
				}
				$php = self::api( 'GET', "/db/tables/$table/rows?width=$width&pages=$p&raw=1" )->body;
				$this->assertSame( md5( $php ), md5( $rust ), "$table: bytes of page $p" );
				++$compared;
			}
		}
		$this->assertGreaterThan( 6, $compared );
		exec( 'rm -rf ' . escapeshellarg( $repo ) );
	}

	public function test_manifests_of_several_tables_in_one_request() {
		$r = self::api( 'POST', '/db/manifests', array( 'tables' => array( array( 'table' => 'wp_posts' ), array( 'table' => 'wp_sb_edge', 'width' => 1 ), array( 'table' => 'wp_sb_nopk' ) ) ) );
		$this->assertSame( 200, $r->status, $r->body );
		$m = $r->json()['manifests'];
		$this->assertCount( 3, $m );
		$one = self::api( 'GET', '/db/tables/wp_posts/manifest' )->json();
		unset( $one['seconds'], $m[0]['seconds'], $one['signal'], $m[0]['signal'] ); // The signal holds the time it was read.
		$this->assertSame( $one, $m[0] );
		$this->assertSame( 1, $m[1]['width'] );
		$this->assertFalse( $m[2]['paged'] );
		$this->assertError( 404, 'strongbox_table_not_found', self::api( 'POST', '/db/manifests', array( 'tables' => array( array( 'table' => 'wp_posts' ), array( 'table' => 'wp_users`' ) ) ) ) );
		$this->assertError( 400, 'strongbox_width_invalid', self::api( 'POST', '/db/manifests', array( 'tables' => array( array( 'table' => 'wp_posts', 'width' => '1024; DROP' ) ) ) ) );
	}

	public function test_negative_and_zero_keys_and_page_subsets() {
		$m = self::api( 'GET', '/db/tables/wp_sb_edge/manifest?width=1' )->json();
		$this->assertSame( array( '-5', '0', '3', '1500' ), array_column( $m['pages'], 'p' ) );
		$this->assertSame( array( '-5', '-5' ), array( $m['pages'][0]['lo'], $m['pages'][0]['hi'] ) );
		$this->assertSame( array( '0', '0' ), array( $m['pages'][1]['lo'], $m['pages'][1]['hi'] ) );

		$m1024 = self::api( 'GET', '/db/tables/wp_sb_edge/manifest?width=1024' )->json();
		$this->assertSame( array( '0', '1' ), array_column( $m1024['pages'], 'p' ) );
		$this->assertSame( 3, $m1024['pages'][0]['rows'], 'p=0 holds -1023..1023: -5, 0 and 3' );

		list( , $pages ) = self::expected( 'wp_sb_edge', 1024 );
		$raw             = self::api( 'GET', '/db/tables/wp_sb_edge/rows?width=1024&pages=1&raw=1' );
		$this->assertSame( $pages['1'], $raw->body, 'raw mode: exactly the page bytes' );
		$this->assertSame( 'snapshot', $raw->headers['x-strongbox-consistency'] );
		$both = self::api( 'GET', '/db/tables/wp_sb_edge/rows?width=1024&pages=1,0,7&raw=1' );
		$this->assertSame( $pages['0'] . $pages['1'], $both->body, 'pages in ascending order, empty page 7 has no bytes' );
		$from = self::api( 'GET', '/db/tables/wp_sb_edge/rows?width=1&from_page=3&raw=1' );
		list( , $p1 ) = self::expected( 'wp_sb_edge', 1 );
		$this->assertSame( $p1['3'] . $p1['1500'], $from->body, 'from_page resumes' );
	}

	/**
	 * The fallback for hosts that cut long requests: bounded responses that say where to resume.
	 */
	public function test_bounded_responses_resume_page_by_page() {
		list( $bytes ) = self::expected( 'wp_usermeta', 0 );
		$got           = '';
		$from          = null;
		$requests      = 0;
		do {
			$r    = self::api( 'GET', '/db/tables/wp_usermeta/rows?width=256&max_pages=3' . ( null === $from ? '' : '&from_page=' . $from ) );
			$ctl  = self::control( $r->body );
			$done = end( $ctl );
			$this->assertSame( 'done', $done[0] );
			$got .= self::rows_only( $r->body );
			$from = $done[1]['complete'] ? null : $done[1]['resume']['from_page'];
			++$requests;
		} while ( null !== $from && $requests < 100 );
		$this->assertGreaterThan( 2, $requests );
		$this->assertSame( md5( $bytes ), md5( $got ) );
	}

	public function test_streamed_tables_without_integer_key() {
		foreach ( array( 'wp_sb_nopk', 'wp_sb_strpk', 'wp_analytics_pageviews', 'wp_wfconfig' ) as $table ) {
			list( $bytes ) = self::expected( $table, 0 );
			$r             = self::api( 'GET', "/db/tables/$table/rows" );
			$this->assertSame( md5( $bytes ), md5( self::rows_only( $r->body ) ), $table );
			$this->assertSame( 'stream', self::control( $r->body )[2][0] );
			$m = self::api( 'GET', "/db/tables/$table/manifest" )->json();
			$this->assertFalse( $m['paged'] );
			$this->assertArrayHasKey( 'checksum', $m );
		}
		$this->assertSame( "(NULL,'a')\n(1,NULL)\n(1,'a')\n(2,'b')\n", self::rows_only( self::api( 'GET', '/db/tables/wp_sb_nopk/rows' )->body ) );
		$this->assertError( 400, 'strongbox_width_required', self::api( 'GET', '/db/tables/wp_sb_strpk/rows?width=1024&pages=0' ) );
	}

	/**
	 * One request, several tables, one consistent snapshot; memory reported and flat.
	 */
	public function test_multi_table_export_in_one_snapshot_with_flat_memory() {
		$small = self::api( 'POST', '/db/export', array( 'tables' => array( array( 'table' => 'wp_sb_strpk' ) ) ) );
		$big   = self::api(
			'POST',
			'/db/export',
			array(
				'tables' => array(
					array( 'table' => 'wp_woocommerce_order_itemmeta' ),
					array( 'table' => 'wp_wc_orders_meta' ),
					array( 'table' => 'wp_usermeta' ),
					array( 'table' => 'wp_wfconfig' ),
					array( 'table' => 'wp_options' ),
				),
			)
		);
		$this->assertSame( 200, $big->status );
		$ctl = self::control( $big->body );
		$this->assertSame( 'export', $ctl[0][0] );
		$this->assertSame( 'snapshot', $ctl[0][1]['consistency'] );
		$done = end( $ctl );
		$this->assertSame( 'done', $done[0] );
		$this->assertTrue( $done[1]['complete'] );
		$this->assertGreaterThan( 4 * 1024 * 1024, strlen( $big->body ) );
		$this->assertSame( strlen( self::rows_only( $big->body ) ), $done[1]['bytes'] );
		$small_ctl  = self::control( $small->body );
		$small_peak = end( $small_ctl )[1]['peak_memory'];
		// The biggest single value (a 4.4 MB option row of the generated shop) is held once, escaped, plus the 256 KiB buffer.
		$this->assertLessThan( 24 * 1024 * 1024, $done[1]['peak_memory'] - $small_peak, 'memory stays flat' );
		fwrite( STDERR, sprintf( "\n[export] %d bytes in %.3f s, peak PHP memory %.1f MB (small export %.1f MB)\n", $done[1]['bytes'], $done[1]['seconds'], $done[1]['peak_memory'] / 1048576, $small_peak / 1048576 ) );
	}

	/**
	 * SQL injection through table names, page lists, cursors and widths.
	 */
	public function test_sql_injection_is_refused() {
		foreach ( array( "wp_users' OR '1'='1", 'wp_users`', 'wp_users;DROP TABLE wp_posts', 'wp_users%20--', 'information_schema.TABLES', 'mysql.user', 'WP_USERS', 'wp_users%00' ) as $name ) {
			foreach ( array( '', '/manifest', '/rows' ) as $suffix ) {
				$this->assertError( 404, 'strongbox_table_not_found', self::api( 'GET', '/db/tables/' . rawurlencode( $name ) . $suffix ) );
			}
		}
		$this->assertError( 400, 'strongbox_page_invalid', self::api( 'GET', '/db/tables/wp_users/rows?width=1024&pages=' . rawurlencode( '0 OR 1=1' ) ) );
		$this->assertError( 400, 'strongbox_page_invalid', self::api( 'GET', '/db/tables/wp_users/rows?width=1024&pages=' . rawurlencode( '0) UNION SELECT user_pass FROM wp_users -- ' ) ) );
		$this->assertError( 400, 'strongbox_page_invalid', self::api( 'GET', '/db/tables/wp_users/rows?width=1024&from_page=' . rawurlencode( '0;DROP TABLE wp_posts' ) ) );
		$this->assertError( 400, 'strongbox_width_invalid', self::api( 'GET', '/db/tables/wp_users/rows?width=1000&pages=0' ) );
		$this->assertSame( 400, self::api( 'GET', '/db/tables/wp_users/rows?width=' . rawurlencode( '1024 OR 1' ) )->status );
		$this->assertError( 400, 'strongbox_pages_invalid', self::api( 'POST', '/db/export', array( 'tables' => array( array( 'table' => 'wp_users', 'width' => 1024, 'pages' => range( 0, 10001 ) ) ) ) ) );
		$this->assertError( 404, 'strongbox_table_not_found', self::api( 'POST', '/db/export', array( 'tables' => array( array( 'table' => array( 'wp_users' ) ) ) ) ) );
		global $wpdb;
		$this->assertSame( 'wp_posts', $wpdb->get_var( "SHOW TABLES LIKE 'wp_posts'" ) );
	}
}
