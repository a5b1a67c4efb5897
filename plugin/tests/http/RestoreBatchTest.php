<?php
/**
 * Restore sessions: file data in framed batches (POST .../files/batch), per-entry
 * refusals, malformed bodies refused whole, resuming an interrupted restore from the
 * status listing, flat memory, and the time saved against one request per file.
 *
 * @package Strongbox
 */

/**
 * POST /restore/sessions/{id}/files/batch, GET /restore/sessions/{id}?files=1, POST .../key.
 */
class RestoreBatchTest extends SB_Http_Test_Case {

	/** Where the restored test files go. */
	const DIR = 'wp-content/uploads/sb-batch';

	public static function tearDownAfterClass(): void {
		$s = \Strongbox\Restore\Session::current();
		if ( $s ) {
			$s->rollback( 'test teardown' );
		}
		\Strongbox\Data_Dir::rmtree( SB_TEST_WP_DIR . '/' . self::DIR );
	}

	protected function tearDown(): void {
		$s = \Strongbox\Restore\Session::current();
		if ( $s ) {
			$s->rollback( 'test cleanup' );
		}
		\Strongbox\Data_Dir::rmtree( SB_TEST_WP_DIR . '/' . self::DIR );
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
		return array( $j['id'], array_merge( SB_Auth::admin(), array( 'X-Strongbox-Session-Key: ' . $j['key'] ) ) );
	}

	/**
	 * Frames entries: each [path, bytes, offset (0), last (true), mode ('0644')].
	 *
	 * @param array  $entries Entries.
	 * @param string $done    The closing line.
	 * @return string
	 */
	private static function frame( array $entries, $done = "#done {}\n" ) {
		$out = '';
		foreach ( $entries as $e ) {
			$head = array(
				'path'   => $e[0],
				'offset' => isset( $e[2] ) ? $e[2] : 0,
				'length' => strlen( $e[1] ),
				'mode'   => isset( $e[4] ) ? $e[4] : '0644',
				'last'   => isset( $e[3] ) ? $e[3] : true,
			);
			$out .= '#file ' . json_encode( $head, JSON_UNESCAPED_SLASHES ) . "\n" . $e[1] . "\n";
		}
		return $out . $done;
	}

	/**
	 * Sends a batch.
	 *
	 * @param string $sid     Session.
	 * @param array  $headers Headers.
	 * @param string $body    Body.
	 * @param string $type    Content type.
	 * @return SB_Response
	 */
	private static function batch( $sid, array $headers, $body, $type = 'application/vnd.strongbox.files' ) {
		return SB_Http::request( 'POST', self::API . "/restore/sessions/$sid/files/batch", array_merge( $headers, array( 'Content-Type: ' . $type ) ), $body );
	}

	/**
	 * Every staged file, following the cursors of the status listing.
	 *
	 * @param string $sid     Session.
	 * @param array  $headers Headers.
	 * @param int    $limit   Page size.
	 * @return array path => entry
	 */
	private function listing( $sid, array $headers, $limit = 1000 ) {
		$out    = array();
		$cursor = '';
		$pages  = 0;
		do {
			$r = self::api( 'GET', "/restore/sessions/$sid?files=1&limit=$limit&cursor=" . rawurlencode( $cursor ), null, $headers );
			$this->assertSame( 200, $r->status, $r->body );
			$f = $r->json()['files'];
			$this->assertLessThanOrEqual( $limit, count( $f['entries'] ) );
			foreach ( $f['entries'] as $e ) {
				$this->assertArrayNotHasKey( $e['path'], $out, 'each file listed once' );
				$out[ $e['path'] ] = $e;
			}
			$cursor = $f['next_cursor'];
			$this->assertLessThan( 1000, ++$pages );
		} while ( null !== $cursor );
		return $out;
	}

	/**
	 * A status of the session.
	 *
	 * @param string $sid     Session.
	 * @param array  $headers Headers.
	 * @return array
	 */
	private function status( $sid, array $headers ) {
		$r = self::api( 'GET', "/restore/sessions/$sid", null, $headers );
		$this->assertSame( 200, $r->status, $r->body );
		return $r->json();
	}

	/**
	 * $n small files of random sizes (one empty) under a directory: path => bytes.
	 *
	 * @param string $dir Directory under DIR.
	 * @param int    $n   Count.
	 * @return array
	 */
	private static function small_files( $dir, $n ) {
		$out = array();
		for ( $i = 0; $i < $n; $i++ ) {
			$out[ sprintf( '%s/%s/%02d/file-%03d.txt', self::DIR, $dir, $i % 7, $i ) ] = 0 === $i ? '' : random_bytes( 1 + ( $i * 37 ) % 4000 );
		}
		return $out;
	}

	public function test_300_files_and_a_3_mib_file_in_two_pieces_land_byte_for_byte() {
		list( $sid, $h ) = $this->open();
		$small = self::small_files( 'small', 300 );
		$big   = random_bytes( 3 * 1024 * 1024 );
		$half  = 1536 * 1024;
		$path  = self::DIR . '/big/archive.bin';

		$entries = array();
		foreach ( $small as $p => $bytes ) {
			$entries[] = array( $p, $bytes );
		}
		$entries[] = array( $path, substr( $big, 0, $half ), 0, false, '0644' );
		$r         = self::batch( $sid, $h, self::frame( $entries ) );
		$this->assertSame( 200, $r->status, substr( $r->body, 0, 500 ) );
		$j = $r->json();
		$this->assertSame( 301, $j['totals']['entries'] );
		$this->assertSame( 301, $j['totals']['ok'] );
		$this->assertSame( 0, $j['totals']['refused'] );
		$this->assertSame( array_sum( array_map( 'strlen', $small ) ) + $half, $j['totals']['bytes'] );
		$this->assertCount( 301, $j['entries'] );
		foreach ( $j['entries'] as $i => $e ) {
			$this->assertTrue( $e['ok'], json_encode( $e ) );
			$this->assertNull( $e['code'] );
			$this->assertSame( $entries[ $i ][0], $e['path'], 'answers in the order sent' );
		}
		$this->assertSame( array( 'path' => $path, 'type' => 'file', 'offset' => 0, 'length' => $half, 'ok' => true, 'code' => null, 'message' => null, 'size' => $half, 'complete' => false ), end( $j['entries'] ) );
		$this->assertSame( array( 'count' => 301, 'bytes' => array_sum( array_map( 'strlen', $small ) ) + $half, 'complete' => 300, 'dirs' => 0, 'links' => 0 ), $j['files'] );
		$this->assertFileDoesNotExist( SB_TEST_WP_DIR . '/' . $path, 'nothing reaches the site before the swap' );

		// The second piece, in a second request, continues the file and completes it.
		$r = self::batch( $sid, $h, self::frame( array( array( $path, substr( $big, $half ), $half, true, '0600' ) ) ) );
		$this->assertSame( 200, $r->status, $r->body );
		$e = $r->json()['entries'][0];
		$this->assertTrue( $e['ok'] );
		$this->assertSame( strlen( $big ), $e['size'] );
		$this->assertTrue( $e['complete'] );
		$st = $this->status( $sid, $h );
		$this->assertSame( array( 'count' => 301, 'bytes' => array_sum( array_map( 'strlen', $small ) ) + strlen( $big ), 'complete' => 301, 'dirs' => 0, 'links' => 0 ), $st['files'] );
		$this->assertArrayNotHasKey( 'entries', $st['files'], 'listed only with files=1' );

		$r = self::api( 'POST', "/restore/sessions/$sid/swap", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( 'swapped', $r->json()['state'] );
		foreach ( $small + array( $path => $big ) as $p => $bytes ) {
			$this->assertSame( hash( 'sha256', $bytes ), hash_file( 'sha256', SB_TEST_WP_DIR . '/' . $p ), $p );
		}
		$this->assertSame( 0600, fileperms( SB_TEST_WP_DIR . '/' . $path ) & 0777 );
		$this->assertSame( 0644, fileperms( SB_TEST_WP_DIR . '/' . array_key_first( $small ) ) & 0777 );
		$list = $this->listing( $sid, $h, 120 );
		$this->assertCount( 301, $list );
		$this->assertSame( array( 'path' => $path, 'type' => 'file', 'size' => strlen( $big ), 'complete' => true, 'mode' => '0600' ), $list[ $path ], 'the listing still holds after the swap' );
		$this->assertError( 409, 'strongbox_restore_state', self::batch( $sid, $h, self::frame( array( array( $path, 'late' ) ) ) ) );

		$r = self::api( 'POST', "/restore/sessions/$sid/rollback", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertDirectoryDoesNotExist( SB_TEST_WP_DIR . '/' . self::DIR, 'the rollback removes the files and the directories it created' );
	}

	public function test_one_batch_is_much_faster_than_one_request_per_file() {
		list( $sid, $h ) = $this->open();
		// Three batches of 300 (the machine is shared: one figure alone says little).
		$times = array();
		$kb    = 0;
		for ( $run = 0; $run < 3; $run++ ) {
			$entries = array();
			foreach ( self::small_files( "timed-batch-$run", 300 ) as $p => $bytes ) {
				$entries[] = array( $p, $bytes );
			}
			$body    = self::frame( $entries );
			$kb      = strlen( $body ) / 1024;
			$t0      = microtime( true );
			$r       = self::batch( $sid, $h, $body );
			$times[] = microtime( true ) - $t0;
			$this->assertSame( 200, $r->status, substr( $r->body, 0, 300 ) );
			$this->assertSame( 300, $r->json()['totals']['ok'] );
		}
		$put = array_merge( $h, array( 'Content-Type: application/octet-stream' ) );
		$t0  = microtime( true );
		foreach ( self::small_files( 'timed-single', 300 ) as $p => $bytes ) {
			$r = SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?path=" . rawurlencode( $p ) . '&offset=0&mode=0644&last=1', $put, $bytes );
			$this->assertSame( 200, $r->status, $r->body );
			$this->assertTrue( $r->json()['complete'] );
		}
		$single = microtime( true ) - $t0;
		$st     = $this->status( $sid, $h );
		$this->assertSame( 1200, $st['files']['count'] );
		$this->assertSame( 1200, $st['files']['complete'] );
		$sorted = $times;
		sort( $sorted );
		fwrite(
			STDERR,
			sprintf(
				"\n[restore files] 300 files (%.1f KB): one batch request %s s (median %.3f), 300 single PUT requests %.3f s (%.0fx the median)\n",
				$kb,
				implode( ' / ', array_map( static function ( $t ) { return sprintf( '%.3f', $t ); }, $times ) ),
				$sorted[1],
				$single,
				$single / max( 0.001, $sorted[1] )
			)
		);
	}

	public function test_protected_and_outside_paths_are_refused_per_entry_and_the_rest_applied() {
		$config_before = sha1_file( SB_TEST_WP_DIR . '/wp-config.php' );
		list( $sid, $h ) = $this->open();
		$entries = array(
			array( self::DIR . '/first.txt', 'first' ),
			array( 'wp-config.php', "<?php evil();\n" ),
			array( 'wp-content/plugins/strongbox/strongbox.php', '<?php evil();' ),
			array( '../outside.txt', 'escaped' ),
			array( self::DIR . '/../../../../outside.txt', 'escaped' ),
			array( '/etc/sb-absolute.txt', 'absolute' ),
			array( "nul\0.txt", 'nul' ),
			array( self::DIR . '/%2e%2e/encoded.txt', 'encoded' ),
			array( self::DIR . '/late.txt', 'x', 5 ),
			array( self::DIR . '/last.txt', 'last' ),
		);
		$r = self::batch( $sid, $h, self::frame( $entries ) );
		$this->assertSame( 200, $r->status, $r->body );
		$j     = $r->json();
		$codes = array_map(
			static function ( $e ) {
				return $e['ok'] ? 'ok' : $e['code'];
			},
			$j['entries']
		);
		$this->assertSame( array( 'ok', 'strongbox_file_protected', 'strongbox_file_protected', 'strongbox_path_traversal', 'strongbox_path_traversal', 'strongbox_path_absolute', 'strongbox_path_nul', 'strongbox_path_encoded', 'strongbox_offset_invalid', 'ok' ), $codes );
		foreach ( $j['entries'] as $e ) {
			if ( ! $e['ok'] ) {
				$this->assertGreaterThan( 10, strlen( $e['message'] ), 'a sentence a person understands' );
			}
		}
		$this->assertSame( 0, $j['entries'][8]['size'], 'an out-of-order entry says where the file stands' );
		$this->assertSame( array( 'entries' => 10, 'ok' => 2, 'refused' => 8, 'bytes' => 9 ), array_diff_key( $j['totals'], array( 'peak_memory' => 1 ) ) );
		$this->assertSame( array( self::DIR . '/first.txt', self::DIR . '/last.txt' ), array_keys( $this->listing( $sid, $h ) ) );

		$this->assertSame( 200, self::api( 'POST', "/restore/sessions/$sid/swap", null, $h )->status );
		$this->assertSame( 'first', file_get_contents( SB_TEST_WP_DIR . '/' . self::DIR . '/first.txt' ) );
		$this->assertSame( 'last', file_get_contents( SB_TEST_WP_DIR . '/' . self::DIR . '/last.txt' ) );
		$this->assertSame( $config_before, sha1_file( SB_TEST_WP_DIR . '/wp-config.php' ) );
		$this->assertFileDoesNotExist( dirname( SB_TEST_WP_DIR ) . '/outside.txt' );
		$this->assertFileDoesNotExist( '/etc/sb-absolute.txt' );
		$this->assertSame( 200, self::api( 'POST', "/restore/sessions/$sid/rollback", null, $h )->status );
	}

	public function test_wrong_key_wrong_type_and_oversized_bodies_are_refused() {
		list( $sid, $h ) = $this->open();
		$body = self::frame( array( array( self::DIR . '/a.txt', 'a' ) ) );
		$this->assertError( 403, 'strongbox_restore_key_invalid', self::batch( $sid, SB_Auth::admin(), $body ) );
		$this->assertError( 403, 'strongbox_restore_key_invalid', self::batch( $sid, array_merge( SB_Auth::admin(), array( 'X-Strongbox-Session-Key: ' . str_repeat( 'a', 48 ) ) ), $body ) );
		$this->assertError( 404, 'strongbox_restore_not_found', self::batch( str_repeat( 'cd', 16 ), $h, $body ) );
		$this->assertError( 415, 'strongbox_batch_content_type', self::batch( $sid, $h, $body, 'application/octet-stream' ) );
		$this->assertError( 413, 'strongbox_body_too_large', self::batch( $sid, $h, self::frame( array( array( self::DIR . '/huge.bin', str_repeat( 'x', 33 * 1024 * 1024 ) ) ) ) ) );
		$this->assertSame( array( 'count' => 0, 'bytes' => 0, 'complete' => 0, 'dirs' => 0, 'links' => 0 ), $this->status( $sid, $h )['files'] );
		$post_max = wp_convert_hr_to_bytes( self::api( 'GET', '/site' )->json()['php_limits']['post_max_size'] );
		if ( $post_max > 0 && $post_max < 30 * 1024 * 1024 ) {
			// FPM and mod_php drop a POST body above post_max_size (php -S passes it on):
			// either it arrives whole, or it is refused, never taken for an empty batch.
			$len = $post_max + 1024;
			$r   = self::batch( $sid, $h, self::frame( array( array( self::DIR . '/big.bin', str_repeat( 'x', $len ) ) ) ) );
			if ( 200 === $r->status ) {
				$this->assertSame( $len, $r->json()['entries'][0]['size'] );
			} else {
				$this->assertError( 413, 'strongbox_body_truncated', $r );
			}
		}
		$this->assertSame( 200, self::batch( $sid, $h, $body )->status );
	}

	public function test_malformed_bodies_are_refused_whole() {
		list( $sid, $h ) = $this->open();
		$good = self::frame( array( array( self::DIR . '/ok.txt', 'fine' ) ), '' );
		$two  = self::frame( array( array( self::DIR . '/ok.txt', 'fine' ), array( self::DIR . '/cut.bin', str_repeat( 'c', 5000 ) ) ) );
		$bad  = array(
			'cut off in the data'       => array( substr( $two, 0, strlen( $two ) - 2000 ), 'strongbox_batch_truncated', 1 ),
			'cut off before #done'      => array( substr( $two, 0, strlen( $two ) - strlen( "#done {}\n" ) ), 'strongbox_batch_truncated', 2 ),
			'cut off in a header'       => array( $good . '#file {"path":"x","len', 'strongbox_batch_truncated', 1 ),
			'length beyond the body'    => array( $good . '#file {"path":"' . self::DIR . '/b.txt","length":999999}' . "\nshort\n#done {}\n", 'strongbox_batch_truncated', 1 ),
			'length too short'          => array( $good . '#file {"path":"' . self::DIR . '/b.txt","length":2}' . "\nlonger\n#done {}\n", 'strongbox_batch_invalid', 1 ),
			'header not JSON'           => array( $good . "#file {path: x}\n\n#done {}\n", 'strongbox_batch_invalid', 1 ),
			'unknown line'              => array( $good . "#delete {\"path\":\"x\"}\n#done {}\n", 'strongbox_batch_invalid', 1 ),
			'no length'                 => array( $good . "#file {\"path\":\"x\"}\n\n#done {}\n", 'strongbox_batch_invalid', 1 ),
			'negative offset'           => array( $good . "#file {\"path\":\"x\",\"length\":0,\"offset\":-1}\n\n#done {}\n", 'strongbox_batch_invalid', 1 ),
			'bad mode'                  => array( $good . "#file {\"path\":\"x\",\"length\":0,\"mode\":\"rwxr--r--\"}\n\n#done {}\n", 'strongbox_batch_invalid', 1 ),
			'data after #done'          => array( $good . "#done {}\n#file {\"path\":\"x\",\"length\":0}\n\n", 'strongbox_batch_invalid', 1 ),
			'#done counts other files'  => array( $good . "#done {\"files\":2}\n", 'strongbox_batch_invalid', 1 ),
			'empty body'                => array( '', 'strongbox_batch_truncated', 0 ),
		);
		foreach ( $bad as $name => $b ) {
			$r = self::batch( $sid, $h, $b[0] );
			$this->assertError( 400, $b[1], $r );
			$this->assertSame( $b[2], $r->json()['data']['index'], $name );
			$this->assertIsInt( $r->json()['data']['offset'], $name );
		}
		$this->assertSame( array( 'count' => 0, 'bytes' => 0, 'complete' => 0, 'dirs' => 0, 'links' => 0 ), $this->status( $sid, $h )['files'], 'not even the well-formed first entry was applied' );
		$this->assertSame( array(), $this->listing( $sid, $h ) );
		$this->assertSame( 200, self::batch( $sid, $h, $good . "#done {\"files\":1,\"bytes\":4}\n" )->status, 'a #done that counts right is accepted' );
	}

	public function test_an_interrupted_restore_resumes_from_the_status_listing() {
		list( $sid, $h ) = $this->open();
		$r = self::api( 'PUT', "/restore/sessions/$sid/tables/wp_sb_resume", array( 'create' => 'CREATE TABLE `wp_sb_resume` (id int NOT NULL, PRIMARY KEY (id))' ), $h );
		$this->assertSame( 200, $r->status, $r->body );
		$r = SB_Http::request( 'POST', self::API . "/restore/sessions/$sid/tables/wp_sb_resume/rows", array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), "(1)\n(2)\n(3)\n" );
		$this->assertSame( 200, $r->status, $r->body );

		$done  = self::small_files( 'resume', 5 );
		$big   = random_bytes( 2621440 );
		$path  = self::DIR . '/resume/partial.bin';
		$first = 1048576;
		$batch = array();
		foreach ( $done as $p => $bytes ) {
			$batch[] = array( $p, $bytes );
		}
		$batch[] = array( $path, substr( $big, 0, $first ), 0, false );
		$this->assertSame( 200, self::batch( $sid, $h, self::frame( $batch ) )->status );
		// The next request is cut off in the middle of the file's second piece: refused whole.
		$next = self::frame( array( array( self::DIR . '/resume/never.txt', 'never' ), array( $path, substr( $big, $first, $first ), $first, false ) ) );
		$this->assertError( 400, 'strongbox_batch_truncated', self::batch( $sid, $h, substr( $next, 0, 300000 ) ) );

		// The tab is closed: the key is gone. A new tab finds the session...
		$cur = self::api( 'GET', '/restore/sessions/current' );
		$this->assertSame( 200, $cur->status, $cur->body );
		$c = $cur->json();
		$this->assertSame( $sid, $c['id'] );
		$this->assertSame( 'open', $c['state'] );
		$this->assertSame( 600, $c['ttl'] );
		$this->assertArrayNotHasKey( 'key', $c );
		$this->assertSame( array( array( 'table' => 'wp_sb_resume', 'staging' => 'strongbox_n_' . substr( $sid, 0, 8 ) . '_0', 'rows' => 3 ) ), $c['tables'] );
		$this->assertSame( array( 'count' => 6, 'bytes' => array_sum( array_map( 'strlen', $done ) ) + $first, 'complete' => 5, 'dirs' => 0, 'links' => 0 ), $c['files'] );
		// ...and gets a new key; the old one stops working.
		$this->assertError( 401, 'strongbox_unauthorized', self::api( 'POST', "/restore/sessions/$sid/key", null, array() ) );
		$k = self::api( 'POST', "/restore/sessions/$sid/key" );
		$this->assertSame( 200, $k->status, $k->body );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{48}$/', $k->json()['key'] );
		$this->assertError( 403, 'strongbox_restore_key_invalid', self::api( 'GET', "/restore/sessions/$sid", null, $h ) );
		$h = array_merge( SB_Auth::admin(), array( 'X-Strongbox-Session-Key: ' . $k->json()['key'] ) );

		// The listing, in pages of 2, says what to skip and where to continue.
		$list = $this->listing( $sid, $h, 2 );
		$this->assertSame( array_merge( array_keys( $done ), array( $path ) ), array_keys( $list ) );
		foreach ( $done as $p => $bytes ) {
			$this->assertSame( array( 'path' => $p, 'type' => 'file', 'size' => strlen( $bytes ), 'complete' => true, 'mode' => '0644' ), $list[ $p ] );
		}
		$this->assertSame( array( 'path' => $path, 'type' => 'file', 'size' => $first, 'complete' => false, 'mode' => '0644' ), $list[ $path ] );
		foreach ( array( 'abc', '3', '99999999', '-1' ) as $bad ) {
			$this->assertError( 400, 'strongbox_cursor_invalid', self::api( 'GET', "/restore/sessions/$sid?files=1&cursor=$bad", null, $h ) );
		}

		// Resume: skip the complete files, continue the partial one at its size.
		$r = self::batch( $sid, $h, self::frame( array( array( $path, substr( $big, $list[ $path ]['size'] ), $list[ $path ]['size'], true ) ) ) );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertTrue( $r->json()['entries'][0]['complete'] );
		$this->assertSame( 200, self::api( 'POST', "/restore/sessions/$sid/swap", null, $h )->status );
		foreach ( $done + array( $path => $big ) as $p => $bytes ) {
			$this->assertSame( hash( 'sha256', $bytes ), hash_file( 'sha256', SB_TEST_WP_DIR . '/' . $p ), $p );
		}
		$this->assertFileDoesNotExist( SB_TEST_WP_DIR . '/' . self::DIR . '/resume/never.txt' );
		$this->assertSame( 200, self::api( 'POST', "/restore/sessions/$sid/rollback", null, $h )->status );
	}

	public function test_memory_stays_flat_over_http() {
		list( $sid, $h ) = $this->open();
		$r = self::batch( $sid, $h, self::frame( array( array( self::DIR . '/tiny.txt', 'tiny' ) ) ) );
		$this->assertSame( 200, $r->status, $r->body );
		$tiny = $r->json()['totals']['peak_memory'];
		$size = 6 * 1024 * 1024;
		$r    = self::batch( $sid, $h, self::frame( array( array( self::DIR . '/six.bin', str_repeat( random_bytes( 1024 ), $size / 1024 ) ) ) ) );
		$this->assertSame( 200, $r->status, $r->body );
		$six = $r->json()['totals']['peak_memory'];
		fwrite( STDERR, sprintf( "\n[restore files] peak PHP memory of a batch request: 4 bytes %.1f MB, 6 MiB %.1f MB\n", $tiny / 1048576, $six / 1048576 ) );
		$this->assertLessThan( 2 * 1024 * 1024, $six - $tiny, 'the body is read from php://input in pieces, never whole' );
	}
}
