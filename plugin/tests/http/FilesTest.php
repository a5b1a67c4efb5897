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
		file_put_contents( self::$uploads . '/sb-empty.txt', '' );
		// Bytes that look like framing: newlines, a fake header, a NUL.
		file_put_contents( self::$uploads . '/sb-frame.txt', "line\n#file {\"path\":\"x\",\"length\":99}\n\0#done {}\n" );
		chmod( self::$uploads . '/sb-frame.txt', 0640 );
		foreach ( array( 'sb-evil-dir' => '/etc', 'sb-evil-file' => '/etc/hostname', 'sb-good-link' => '../../index.php' ) as $name => $target ) {
			@unlink( self::$uploads . '/' . $name );
			symlink( $target, self::$uploads . '/' . $name );
		}
	}

	public static function tearDownAfterClass(): void {
		foreach ( array( 'sb-evil-dir', 'sb-evil-file', 'sb-good-link', 'sb-range.bin', 'sb-empty.txt', 'sb-frame.txt', 'sb-unreadable.txt' ) as $name ) {
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

	/**
	 * Parses a `/files/read` body: list of [header, bytes|null], the #done data and
	 * the #file-changed lines; fails on any framing error.
	 *
	 * @param string $body Body.
	 * @return array{0: array, 1: array, 2: array}
	 */
	private function parse_batch( $body ) {
		$files   = array();
		$changed = array();
		$done    = null;
		$pos     = 0;
		while ( $pos < strlen( $body ) ) {
			$nl = strpos( $body, "\n", $pos );
			$this->assertNotFalse( $nl, 'a control line ends with a newline' );
			$line = substr( $body, $pos, $nl - $pos );
			$pos  = $nl + 1;
			$this->assertNull( $done, 'nothing after #done' );
			$this->assertMatchesRegularExpression( '/^#(file|file-changed|done) \{/', $line );
			$sp   = strpos( $line, ' ' );
			$word = substr( $line, 1, $sp - 1 );
			$data = json_decode( substr( $line, $sp + 1 ), true );
			$this->assertIsArray( $data, $line );
			if ( 'done' === $word ) {
				$done = $data;
			} elseif ( 'file-changed' === $word ) {
				$changed[] = $data;
			} elseif ( isset( $data['error'] ) ) {
				$files[] = array( $data, null );
			} else {
				$bytes = substr( $body, $pos, $data['length'] );
				$this->assertSame( $data['length'], strlen( $bytes ), 'exactly length bytes follow' );
				$pos += $data['length'];
				$this->assertSame( "\n", substr( $body, $pos, 1 ), 'a newline after the bytes' );
				++$pos;
				$files[] = array( $data, $bytes );
			}
		}
		$this->assertIsArray( $done, 'the response ends with #done' );
		return array( $files, $done, $changed );
	}

	public function test_batch_read_round_trip() {
		$names = array( 'wp-content/uploads/sb-range.bin', 'wp-content/uploads/sb-empty.txt', 'wp-content/uploads/sb-frame.txt', 'index.php', 'wp-content/uploads/sb-good-link' );
		$req   = array();
		foreach ( $names as $n ) {
			$req[] = array( 'path' => $n, 'offset' => 0, 'length' => 10000000 );
		}
		$r = self::api( 'POST', '/files/read', array( 'files' => $req ) );
		$this->assertSame( 200, $r->status, substr( $r->body, 0, 300 ) );
		$this->assertSame( 'application/vnd.strongbox.files', $r->headers['content-type'] );
		list( $files, $done, $changed ) = $this->parse_batch( $r->body );
		$this->assertCount( count( $names ), $files );
		$this->assertSame( array(), $changed );
		$total = 0;
		foreach ( $names as $i => $n ) {
			list( $h, $bytes ) = $files[ $i ];
			$abs               = realpath( SB_TEST_WP_DIR . '/' . $n );
			$this->assertSame( $n, $h['path'] );
			$this->assertSame( 0, $h['offset'] );
			$this->assertSame( file_get_contents( $abs ), $bytes, $n );
			$this->assertSame( filesize( $abs ), $h['size'] );
			$this->assertSame( filesize( $abs ), $h['length'] );
			$this->assertSame( filemtime( $abs ), $h['mtime'] );
			$this->assertSame( sprintf( '%04o', fileperms( $abs ) & 07777 ), $h['mode'] );
			$total += $h['length'];
		}
		$this->assertSame( '', $files[1][1], 'the zero-length file' );
		$this->assertSame( '0640', $files[2][0]['mode'] );
		$this->assertSame( 300000, $files[0][0]['size'] );
		$this->assertSame( array( 'files' => count( $names ), 'bytes' => $total ), $done );
	}

	public function test_batch_read_ranges() {
		$bytes = file_get_contents( self::$uploads . '/sb-range.bin' );
		$p     = 'wp-content/uploads/sb-range.bin';
		$req   = array(
			array( 'path' => $p, 'offset' => 65530, 'length' => 70000 ),
			array( 'path' => $p, 'offset' => 299990, 'length' => 100 ),
			array( 'path' => $p, 'offset' => 300000, 'length' => 10 ),
			array( 'path' => $p, 'offset' => 400000, 'length' => 10 ),
			array( 'path' => $p, 'offset' => 5, 'length' => 0 ),
			array( 'path' => $p, 'length' => 262145 ),
		);
		$r = self::api( 'POST', '/files/read', array( 'files' => $req ) );
		$this->assertSame( 200, $r->status );
		list( $files, $done ) = $this->parse_batch( $r->body );
		$this->assertSame( substr( $bytes, 65530, 70000 ), $files[0][1] );
		$this->assertSame( 65530, $files[0][0]['offset'] );
		$this->assertSame( substr( $bytes, 299990 ), $files[1][1], 'clamped at the end' );
		$this->assertSame( 10, $files[1][0]['length'] );
		$this->assertSame( 0, $files[2][0]['length'], 'at the end' );
		$this->assertSame( 0, $files[3][0]['length'], 'past the end' );
		$this->assertSame( 300000, $files[3][0]['size'] );
		$this->assertSame( '', $files[4][1] );
		$this->assertSame( substr( $bytes, 0, 262145 ), $files[5][1], 'offset defaults to 0; one piece and one byte' );
		$this->assertSame( 6, $done['files'] );
		$this->assertSame( 70000 + 10 + 262145, $done['bytes'] );
	}

	/**
	 * The jail applies to every entry; a refused or missing entry does not stop the batch.
	 */
	public function test_batch_read_jail_per_entry() {
		$unreadable = self::$uploads . '/sb-unreadable.txt';
		file_put_contents( $unreadable, 'secret' );
		chmod( $unreadable, 0 );
		$cases = array(
			'../wp-config.php'                      => array( 'outside_root', 'strongbox_path_traversal' ),
			'wp-content/../../etc/passwd'           => array( 'outside_root', 'strongbox_path_traversal' ),
			'/etc/passwd'                           => array( 'outside_root', 'strongbox_path_absolute' ),
			'wp-content/uploads/sb-evil-file'       => array( 'outside_root', 'strongbox_path_outside_root' ),
			'wp-content/uploads/sb-evil-dir/passwd' => array( 'outside_root', 'strongbox_path_outside_root' ),
			"index.php\0.txt"                       => array( 'outside_root', 'strongbox_path_nul' ),
			'no/such/file'                          => array( 'not_found', 'strongbox_path_not_found' ),
			'wp-content'                            => array( 'not_found', 'strongbox_not_a_file' ),
		);
		// The file server runs as the same user as the tests: root reads anything.
		if ( ! is_readable( $unreadable ) ) {
			$cases['wp-content/uploads/sb-unreadable.txt'] = array( 'unreadable', 'strongbox_file_unreadable' );
		}
		$req = array();
		foreach ( array_keys( $cases ) as $path ) {
			$req[] = array( 'path' => (string) $path, 'offset' => 0, 'length' => 4096 );
			$req[] = array( 'path' => 'wp-content/uploads/sb-frame.txt', 'offset' => 0, 'length' => 4096 );
		}
		$r = self::api( 'POST', '/files/read', array( 'files' => $req ) );
		chmod( $unreadable, 0600 );
		$this->assertSame( 200, $r->status, substr( $r->body, 0, 300 ) );
		$this->assertStringNotContainsString( 'root:', $r->body );
		$this->assertStringNotContainsString( 'DB_PASSWORD', $r->body );
		list( $files, $done ) = $this->parse_batch( $r->body );
		$this->assertCount( 2 * count( $cases ), $files );
		$i = 0;
		foreach ( $cases as $path => $expect ) {
			list( $h, $bytes ) = $files[ $i ];
			$this->assertNull( $bytes, $path );
			// A path JSON cannot carry (the NUL byte) comes back as path_b64, its display form in path.
			$this->assertSame( (string) $path, isset( $h['path_b64'] ) ? base64_decode( $h['path_b64'] ) : $h['path'] );
			$this->assertSame( $expect[0], $h['error'], $path );
			$this->assertSame( $expect[1], $h['code'], $path );
			$this->assertGreaterThan( 10, strlen( $h['message'] ) );
			$this->assertArrayNotHasKey( 'length', $h );
			$this->assertSame( file_get_contents( self::$uploads . '/sb-frame.txt' ), $files[ $i + 1 ][1], 'the batch goes on' );
			$i += 2;
		}
		$this->assertSame( count( $cases ), $done['files'] );
	}

	public function test_batch_read_limits_and_permissions() {
		$one = array( array( 'path' => 'index.php', 'offset' => 0, 'length' => 10 ) );
		$r   = self::api( 'POST', '/files/read', array( 'files' => array_fill( 0, 1001, $one[0] ) ) );
		$this->assertError( 400, 'strongbox_batch_too_large', $r );
		$this->assertStringContainsString( '1000', $r->json()['message'] );
		$r = self::api( 'POST', '/files/read', array( 'files' => array_fill( 0, 1000, $one[0] ) ) );
		$this->assertSame( 200, $r->status, '1000 entries are fine' );
		$this->assertSame( 1000, $this->parse_batch( $r->body )[1]['files'] );
		$big = array(
			array( 'path' => 'index.php', 'offset' => 0, 'length' => 40 << 20 ),
			array( 'path' => 'index.php', 'offset' => 0, 'length' => ( 24 << 20 ) + 1 ),
		);
		$r   = self::api( 'POST', '/files/read', array( 'files' => $big ) );
		$this->assertError( 400, 'strongbox_batch_too_large', $r );
		$this->assertStringContainsString( '67108864', $r->json()['message'] );
		$this->assertError( 400, 'strongbox_batch_invalid', self::api( 'POST', '/files/read', array( 'files' => array( array( 'path' => 'index.php' ) ) ) ) );
		$this->assertError( 400, 'strongbox_batch_invalid', self::api( 'POST', '/files/read', array( 'files' => array( array( 'path' => 'index.php', 'offset' => -1, 'length' => 1 ) ) ) ) );
		$this->assertError( 400, 'strongbox_batch_invalid', self::api( 'POST', '/files/read', array( 'files' => array( array( 'path' => array( 'x' ), 'length' => 1 ) ) ) ) );
		$this->assertError( 400, 'strongbox_batch_empty', self::api( 'POST', '/files/read', array( 'files' => array() ) ) );
		$this->assertSame( 400, self::api( 'POST', '/files/read', array() )->status );

		foreach ( array( 'subscriber', 'shop_manager', 'editor' ) as $role ) {
			$r = self::api( 'POST', '/files/read', array( 'files' => $one ), SB_Auth::cookie_nonce( $role ) );
			$this->assertError( 403, 'strongbox_forbidden', $r );
			$this->assertStringNotContainsString( '<?php', $r->body );
		}
		$r = self::api( 'POST', '/files/read', array( 'files' => $one ), array() );
		$this->assertError( 401, 'strongbox_unauthorized', $r );
	}

	/**
	 * Names JSON cannot carry (Latin-1 bytes, a newline) are listed with path_b64 (and a
	 * link's target with target_b64), and read back byte for byte through path_b64.
	 */
	public function test_raw_names_are_listed_and_read_with_path_b64() {
		$dir   = 'wp-content/uploads/sb-raw';
		$latin = $dir . "/caf\xe9.txt";
		$nl    = $dir . "/new\nline.txt";
		$link  = $dir . "/link-\xff";
		$abs   = SB_TEST_WP_DIR . '/';
		@mkdir( $abs . $dir, 0755 );
		file_put_contents( $abs . $latin, 'a Latin-1 name' );
		file_put_contents( $abs . $nl, "two\nlines" );
		symlink( "caf\xe9.txt", $abs . $link );
		try {
			$r = self::api( 'GET', '/files?limit=5000' );
			$this->assertSame( 200, $r->status, substr( $r->body, 0, 300 ) );
			$by = array();
			foreach ( $r->json()['entries'] as $e ) {
				$by[ isset( $e['path_b64'] ) ? base64_decode( $e['path_b64'], true ) : $e['path'] ] = $e;
			}
			$this->assertSame( $dir . "/caf\u{FFFD}.txt", $by[ $latin ]['path'], 'the display form replaces the invalid byte' );
			$this->assertSame( base64_encode( $latin ), $by[ $latin ]['path_b64'] );
			$this->assertSame( 'file', $by[ $latin ]['type'] );
			$this->assertSame( 14, $by[ $latin ]['size'] );
			$this->assertSame( $dir . "/new\u{FFFD}line.txt", $by[ $nl ]['path'], 'a control character is replaced too' );
			$this->assertSame( base64_encode( $nl ), $by[ $nl ]['path_b64'] );
			$this->assertSame( 'link', $by[ $link ]['type'] );
			$this->assertSame( "caf\u{FFFD}.txt", $by[ $link ]['target'] );
			$this->assertSame( base64_encode( "caf\xe9.txt" ), $by[ $link ]['target_b64'] );
			$this->assertTrue( $by[ $link ]['target_inside_root'] );
			$this->assertArrayNotHasKey( 'path_b64', $by['index.php'], 'a plain name has no path_b64' );
			$this->assertArrayNotHasKey( 'path_b64', $by[ $dir ] );
			$this->assertArrayNotHasKey( 'target_b64', $by['wp-content/uploads/sb-good-link'] );

			// The cursor of a page that ends on such a name is `b64:` + base64, and resumes after it.
			$steps  = array();
			$cursor = $dir;
			for ( $i = 0; $i < 3; $i++ ) {
				$j = self::api( 'GET', '/files?limit=1&cursor=' . rawurlencode( $cursor ) )->json();
				$this->assertCount( 1, $j['entries'] );
				$steps[] = isset( $j['entries'][0]['path_b64'] ) ? base64_decode( $j['entries'][0]['path_b64'] ) : $j['entries'][0]['path'];
				$cursor  = $j['next_cursor'];
				$this->assertSame( 'b64:' . base64_encode( end( $steps ) ), $cursor );
			}
			$this->assertSame( array( $latin, $link, $nl ), $steps, 'byte order of names' );
			$this->assertError( 400, 'strongbox_path_b64_invalid', self::api( 'GET', '/files?cursor=' . rawurlencode( 'b64:not base64!' ) ) );

			// Ranged reads with path_b64 (URL-encoded: base64 has "+" and "/").
			$r = self::api( 'GET', '/files/content?path_b64=' . rawurlencode( base64_encode( $latin ) ) );
			$this->assertSame( 200, $r->status, $r->body );
			$this->assertSame( 'a Latin-1 name', $r->body );
			$r = self::api( 'GET', '/files/content?offset=4&length=3&path_b64=' . rawurlencode( base64_encode( $nl ) ) );
			$this->assertSame( 200, $r->status, $r->body );
			$this->assertSame( "lin", $r->body );
			$this->assertSame( '9', $r->headers['x-strongbox-file-size'] );
			$this->assertSame( 'a Latin-1 name', self::api( 'GET', '/files/content?path_b64=' . rawurlencode( base64_encode( $link ) ) )->body, 'a link inside is followed' );
			// A plain path with a control character is still refused: such names come as path_b64.
			$this->assertError( 400, 'strongbox_path_invalid', self::api( 'GET', '/files/content?path=' . rawurlencode( $nl ) ) );
			$this->assertError( 400, 'strongbox_path_b64_invalid', self::api( 'GET', '/files/content?path_b64=' . rawurlencode( 'Y2Fm6S50eHQ' ) ), 'padding is required' );
			$this->assertError( 400, 'strongbox_path_b64_invalid', self::api( 'GET', '/files/content?path_b64=%25%25' ) );
			$this->assertStringContainsString( 'base64', self::api( 'GET', '/files/content?path_b64=%25%25' )->json()['message'] );
			$this->assertError( 400, 'rest_missing_callback_param', self::api( 'GET', '/files/content' ) );
			// The decoded bytes go through the same jail.
			foreach ( array( '../wp-config.php' => array( 400, 'strongbox_path_traversal' ), "wp-content/../../etc/passwd" => array( 400, 'strongbox_path_traversal' ), '/etc/passwd' => array( 400, 'strongbox_path_absolute' ), "index.php\0.txt" => array( 400, 'strongbox_path_nul' ), 'wp-content/uploads/sb-evil-file' => array( 403, 'strongbox_path_outside_root' ) ) as $bad => $expect ) {
				$r = self::api( 'GET', '/files/content?path_b64=' . rawurlencode( base64_encode( $bad ) ) );
				$this->assertError( $expect[0], $expect[1], $r );
				$this->assertStringNotContainsString( 'root:', $r->body );
			}

			// The batch read: path_b64 in, path (display) and path_b64 out.
			$req = array(
				array( 'path_b64' => base64_encode( $latin ), 'offset' => 0, 'length' => 100 ),
				array( 'path_b64' => base64_encode( $nl ), 'offset' => 0, 'length' => 100 ),
				array( 'path_b64' => base64_encode( 'index.php' ), 'offset' => 0, 'length' => 5 ),
				array( 'path_b64' => base64_encode( '../wp-config.php' ), 'offset' => 0, 'length' => 5 ),
				array( 'path' => 'ignored.txt', 'path_b64' => base64_encode( $dir . "/no\xfesuch" ), 'offset' => 0, 'length' => 5 ),
			);
			$r   = self::api( 'POST', '/files/read', array( 'files' => $req ) );
			$this->assertSame( 200, $r->status, substr( $r->body, 0, 300 ) );
			list( $files, $done ) = $this->parse_batch( $r->body );
			$this->assertSame( $dir . "/caf\u{FFFD}.txt", $files[0][0]['path'] );
			$this->assertSame( base64_encode( $latin ), $files[0][0]['path_b64'] );
			$this->assertSame( 'a Latin-1 name', $files[0][1] );
			$this->assertSame( base64_encode( $nl ), $files[1][0]['path_b64'] );
			$this->assertSame( "two\nlines", $files[1][1] );
			$this->assertSame( 'index.php', $files[2][0]['path'] );
			$this->assertArrayNotHasKey( 'path_b64', $files[2][0], 'a plain name answers without path_b64, however it was asked' );
			$this->assertSame( 'strongbox_path_traversal', $files[3][0]['code'] );
			$this->assertSame( 'strongbox_path_not_found', $files[4][0]['code'], 'path_b64 wins over path' );
			$this->assertSame( base64_encode( $dir . "/no\xfesuch" ), $files[4][0]['path_b64'] );
			$this->assertSame( 3, $done['files'] );

			$r = self::api( 'POST', '/files/read', array( 'files' => array( $req[0], array( 'path_b64' => 'Y2Fm 6S50eHQ=', 'offset' => 0, 'length' => 1 ) ) ) );
			$this->assertError( 400, 'strongbox_path_b64_invalid', $r );
			$this->assertSame( 1, $r->json()['data']['index'] );
		} finally {
			@unlink( $abs . $latin );
			@unlink( $abs . $nl );
			@unlink( $abs . $link );
			@rmdir( $abs . $dir );
		}
	}
}
