<?php
/**
 * Files: listing, reading, path jail over HTTP (anchors: Duplicator CVE-2020-11738, BackupBuddy CVE-2022-31474).
 *
 * @package Strongbox
 */

/**
 * Files routes.
 */
class FilesTest extends SB_Http_Test_Case {

	/** @var string */
	private static $uploads;

	public static function setUpBeforeClass(): void {
		self::$uploads = SB_TEST_WP_DIR . '/wp-content/uploads';
		@mkdir( self::$uploads, 0755, true );
		@mkdir( SB_TEST_WP_DIR . '/wp-content/cache/page', 0755, true );
		@mkdir( SB_TEST_WP_DIR . '/wp-content/updraft', 0755, true );
		file_put_contents( SB_TEST_WP_DIR . '/wp-content/cache/page/x.html', 'cache' );
		file_put_contents( SB_TEST_WP_DIR . '/wp-content/updraft/backup_db.gz', 'other plugin backup' );
		$bytes = '';
		for ( $i = 0; $i < 300000; $i++ ) {
			$bytes .= chr( ( $i * 7 + 3 ) & 0xff );
		}
		file_put_contents( self::$uploads . '/sb-range.bin', $bytes );
		foreach ( array( 'sb-evil-dir' => '/etc', 'sb-evil-file' => '/etc/hostname', 'sb-good-link' => '../../index.php' ) as $name => $target ) {
			@unlink( self::$uploads . '/' . $name );
			symlink( $target, self::$uploads . '/' . $name );
		}
	}

	public static function tearDownAfterClass(): void {
		foreach ( array( 'sb-evil-dir', 'sb-evil-file', 'sb-good-link', 'sb-range.bin' ) as $name ) {
			@unlink( self::$uploads . '/' . $name );
		}
		\Strongbox\Data_Dir::rmtree( SB_TEST_WP_DIR . '/wp-content/cache' );
		\Strongbox\Data_Dir::rmtree( SB_TEST_WP_DIR . '/wp-content/updraft' );
	}

	/**
	 * Walking the paged listing gives every file exactly once, in order, without
	 * exclusions and without following links.
	 */
	public function test_paged_listing_is_complete_and_resumable() {
		$seen   = array();
		$cursor = '';
		$pages  = 0;
		do {
			$r = self::api( 'GET', '/files?limit=700&cursor=' . rawurlencode( $cursor ) );
			$this->assertSame( 200, $r->status, $r->body );
			$j = $r->json();
			foreach ( $j['entries'] as $e ) {
				$this->assertArrayNotHasKey( $e['path'], $seen, 'no duplicates across pages' );
				$seen[ $e['path'] ] = $e;
			}
			$cursor = $j['next_cursor'];
			++$pages;
		} while ( null !== $cursor && $pages < 50 );
		$this->assertGreaterThan( 2, $pages );

		// Same set as a walk of the file system that skips the excluded directories and never follows links.
		$expected = array();
		$it       = new RecursiveIteratorIterator( new RecursiveDirectoryIterator( SB_TEST_WP_DIR, FilesystemIterator::SKIP_DOTS ), RecursiveIteratorIterator::SELF_FIRST );
		foreach ( $it as $path => $info ) {
			$rel = substr( $path, strlen( SB_TEST_WP_DIR ) + 1 );
			if ( preg_match( '#^wp-content/(cache|updraft)(/|$)|^wp-content/debug\.log$#', $rel ) ) {
				continue;
			}
			$expected[] = $rel;
		}
		sort( $expected );
		$got = array_keys( $seen );
		sort( $got );
		$this->assertSame( array(), array_values( array_diff( $expected, $got ) ), "missing from the listing" );
		$this->assertSame( array(), array_values( array_diff( $got, $expected ) ), "listed but not expected" );
		$this->assertSame( $expected, $got );

		$this->assertSame( 'link', $seen['wp-content/uploads/sb-evil-dir']['type'] );
		$this->assertFalse( $seen['wp-content/uploads/sb-evil-dir']['target_inside_root'] );
		$this->assertTrue( $seen['wp-content/uploads/sb-good-link']['target_inside_root'] );
		$this->assertSame( 300000, $seen['wp-content/uploads/sb-range.bin']['size'] );
		$this->assertMatchesRegularExpression( '/^0[0-7]{3}$/', $seen['index.php']['mode'] );
		$this->assertArrayNotHasKey( 'wp-content/uploads/sb-evil-dir/passwd', $seen );
	}

	public function test_extra_exclusion_patterns() {
		$r = self::api( 'GET', '/files?limit=5000&exclude[]=wp-admin&exclude[]=*.php' );
		$j = $r->json();
		foreach ( $j['entries'] as $e ) {
			$this->assertStringStartsNotWith( 'wp-admin', $e['path'] );
			$this->assertStringEndsNotWith( '.php', $e['path'] );
		}
		$this->assertContains( 'wp-admin', $j['excludes'] );
	}

	public function test_read_whole_file_and_ranges() {
		$bytes = file_get_contents( self::$uploads . '/sb-range.bin' );
		$r     = self::api( 'GET', '/files/content?path=wp-content/uploads/sb-range.bin' );
		$this->assertSame( 200, $r->status );
		$this->assertSame( 'application/octet-stream', $r->headers['content-type'] );
		$this->assertSame( sha1( $bytes ), sha1( $r->body ) );
		$this->assertSame( '300000', $r->headers['x-strongbox-file-size'] );

		$r = self::api( 'GET', '/files/content?path=wp-content/uploads/sb-range.bin&offset=65530&length=70000' );
		$this->assertSame( substr( $bytes, 65530, 70000 ), $r->body );
		$r = self::api( 'GET', '/files/content?path=wp-content/uploads/sb-range.bin&offset=299990' );
		$this->assertSame( substr( $bytes, 299990 ), $r->body );
		$this->assertError( 416, 'strongbox_range_invalid', self::api( 'GET', '/files/content?path=wp-content/uploads/sb-range.bin&offset=300001' ) );
		$this->assertError( 400, 'strongbox_not_a_file', self::api( 'GET', '/files/content?path=wp-content' ) );
		$this->assertError( 404, 'strongbox_path_not_found', self::api( 'GET', '/files/content?path=no/such/file' ) );
		// A link that stays inside is followed.
		$this->assertSame( file_get_contents( SB_TEST_WP_DIR . '/index.php' ), self::api( 'GET', '/files/content?path=wp-content/uploads/sb-good-link' )->body );
	}

	/**
	 * Traversal, absolute paths, NUL bytes, encoded variants, links leading outside.
	 */
	public function test_path_jail_over_http() {
		$cases = array(
			'../wp-config.php'                       => array( 400, 'strongbox_path_traversal' ),
			'..%2F..%2Fetc%2Fpasswd'                 => array( 400, 'strongbox_path_traversal' ),
			'wp-content%2F..%2F..%2F..%2Fetc%2Fpasswd' => array( 400, 'strongbox_path_traversal' ),
			'%2Fetc%2Fpasswd'                        => array( 400, 'strongbox_path_absolute' ),
			'%252e%252e%252fetc%252fpasswd'          => array( 400, 'strongbox_path_encoded' ),
			'index.php%00.txt'                       => array( 400, 'strongbox_path_nul' ),
			'..%5C..%5Cetc%5Cpasswd'                 => array( 400, 'strongbox_path_invalid' ),
			'wp-content/uploads/sb-evil-dir/passwd'  => array( 403, 'strongbox_path_outside_root' ),
			'wp-content/uploads/sb-evil-file'        => array( 403, 'strongbox_path_outside_root' ),
			'wp-content/uploads/sb-evil-dir'         => array( 403, 'strongbox_path_outside_root' ),
		);
		foreach ( $cases as $path => $expect ) {
			$r = self::api( 'GET', '/files/content?path=' . $path );
			$this->assertError( $expect[0], $expect[1], $r );
			$this->assertStringNotContainsString( 'root:', $r->body, $path );
		}
		$r = self::api( 'GET', '/files/content?path[]=x' );
		$this->assertSame( 400, $r->status );
		$this->assertError( 400, 'strongbox_path_traversal', self::api( 'GET', '/files?cursor=..%2F..%2Fetc' ) );
	}
}
