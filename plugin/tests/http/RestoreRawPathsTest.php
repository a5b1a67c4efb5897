<?php
/**
 * Restores of what JSON and the old protocol could not carry: names that are not UTF-8
 * or hold a newline (path_b64), empty folders (#dir) and symbolic links (#link, only
 * when their target stays inside the site), through a real session over HTTP: staged,
 * listed for a resume, swapped in, rolled back exactly; kept in mirror mode.
 *
 * @package Strongbox
 */

/**
 * #dir, #link, path_b64 and target_b64 in restore sessions, b64: lines in the kept list.
 */
class RestoreRawPathsTest extends SB_Http_Test_Case {

	/** The test's folder. */
	const DIR = 'wp-content/uploads/sb-raw-restore';

	/** A link the test restores, and the folder it points at. */
	const LATEST = 'wp-content/uploads/latest';
	const YEAR   = 'wp-content/uploads/2026';

	protected function setUp(): void {
		self::cleanup();
		$root = SB_TEST_WP_DIR . '/';
		mkdir( $root . self::DIR . '/existing-dir', 0755, true );
		chmod( $root . self::DIR . '/existing-dir', 0755 );
		file_put_contents( $root . self::DIR . '/existing-dir/inside.txt', 'inside' );
		file_put_contents( $root . self::DIR . '/existing-file-at-dir', 'a file where the snapshot has a folder' );
		file_put_contents( $root . self::DIR . '/replaced-by-link.txt', 'a file where the snapshot has a link' );
		symlink( '/etc', $root . self::DIR . '/evil-chain' );
		symlink( 'nowhere', $root . self::DIR . '/dangling' );
		mkdir( $root . self::YEAR, 0755 );
		file_put_contents( $root . self::YEAR . '/photo.txt', 'photo of 2026' );
	}

	protected function tearDown(): void {
		self::cleanup();
	}

	/**
	 * Rolls back a session left open and removes the test's files.
	 */
	private static function cleanup() {
		\Strongbox\Restore\Session::cancel_drill( 'test cleanup' );
		$s = \Strongbox\Restore\Session::current();
		if ( $s ) {
			$s->rollback( 'test cleanup' );
		}
		\Strongbox\Data_Dir::rmtree( SB_TEST_WP_DIR . '/' . self::DIR );
		\Strongbox\Data_Dir::rmtree( SB_TEST_WP_DIR . '/' . self::YEAR );
		@unlink( SB_TEST_WP_DIR . '/' . self::LATEST );
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
	 * A batch body: entries [word, header, bytes (files only)], then #done.
	 *
	 * @param array $entries Entries.
	 * @return string
	 */
	private static function body( array $entries ) {
		$b = '';
		foreach ( $entries as $e ) {
			$b .= '#' . $e[0] . ' ' . json_encode( $e[1], JSON_UNESCAPED_SLASHES ) . "\n";
			if ( 'file' === $e[0] ) {
				$b .= $e[2] . "\n"; // #dir and #link have no data block.
			}
		}
		return $b . "#done {}\n";
	}

	/**
	 * A #file entry (whole file) for a raw name.
	 *
	 * @param string $raw   Raw path.
	 * @param string $bytes Content.
	 * @param string $mode  Mode.
	 * @return array
	 */
	private static function file( $raw, $bytes, $mode = '0644' ) {
		return array( 'file', array( 'path_b64' => base64_encode( $raw ), 'offset' => 0, 'length' => strlen( $bytes ), 'mode' => $mode, 'last' => true ), $bytes );
	}

	/**
	 * Posts a batch.
	 *
	 * @param string $sid     Session.
	 * @param array  $headers Headers.
	 * @param string $body    Body.
	 * @return SB_Response
	 */
	private static function batch( $sid, array $headers, $body ) {
		return SB_Http::request( 'POST', self::API . "/restore/sessions/$sid/files/batch", array_merge( $headers, array( 'Content-Type: application/vnd.strongbox.files' ) ), $body );
	}

	/**
	 * The raw value of an answer's field (`x_b64` preferred, as readers must).
	 *
	 * @param array  $e   Object.
	 * @param string $key Field.
	 * @return string|null
	 */
	private static function raw_of( array $e, $key = 'path' ) {
		return isset( $e[ $key . '_b64' ] ) ? base64_decode( $e[ $key . '_b64' ], true ) : $e[ $key ];
	}

	/**
	 * Every entry of the status listing, by raw path.
	 *
	 * @param string $sid     Session.
	 * @param array  $headers Headers.
	 * @param int    $limit   Page size.
	 * @return array
	 */
	private function listing( $sid, array $headers, $limit ) {
		$out    = array();
		$cursor = '';
		do {
			$r = self::api( 'GET', "/restore/sessions/$sid?files=1&limit=$limit&cursor=" . rawurlencode( $cursor ), null, $headers );
			$this->assertSame( 200, $r->status, $r->body );
			foreach ( $r->json()['files']['entries'] as $e ) {
				$out[ self::raw_of( $e ) ] = $e;
			}
			$cursor = $r->json()['files']['next_cursor'];
		} while ( null !== $cursor );
		return $out;
	}

	/**
	 * Whether something (even a dangling link) is at a path.
	 *
	 * @param string $rel Relative path.
	 * @return bool
	 */
	private static function there( $rel ) {
		$abs = SB_TEST_WP_DIR . '/' . $rel;
		return file_exists( $abs ) || is_link( $abs );
	}

	/**
	 * Permission bits.
	 *
	 * @param string $rel Relative path.
	 * @return int
	 */
	private static function mode( $rel ) {
		clearstatcache();
		return fileperms( SB_TEST_WP_DIR . '/' . $rel ) & 0777;
	}

	public function test_raw_names_folders_and_links_are_staged_listed_swapped_and_rolled_back() {
		$d      = self::DIR;
		$latin  = "$d/caf\xe9.txt";
		$nl     = "$d/new\nline.txt";
		$rawdir = "$d/d\xefr";
		$rawlnk = "$d/l\xefnk";
		$config = sha1_file( SB_TEST_WP_DIR . '/wp-config.php' );
		$before = SB_Site_State::files();
		list( $sid, $h ) = $this->open();

		$entries = array(
			self::file( $latin, 'a Latin-1 name', '0640' ),
			self::file( $nl, "two\nlines" ),
			array( 'dir', array( 'path' => "$d/empty", 'mode' => '0750' ) ),
			array( 'dir', array( 'path' => "$d/empty/nested" ) ),
			array( 'dir', array( 'path_b64' => base64_encode( $rawdir ), 'mode' => '0755' ) ),
			array( 'dir', array( 'path' => "$d/existing-file-at-dir", 'mode' => '0700' ) ),
			array( 'dir', array( 'path' => "$d/existing-dir", 'mode' => '0750' ) ),
			array( 'link', array( 'path' => self::LATEST, 'target' => '2026' ) ),
			array( 'link', array( 'path_b64' => base64_encode( $rawlnk ), 'target_b64' => base64_encode( "caf\xe9.txt" ) ) ),
			array( 'link', array( 'path' => "$d/replaced-by-link.txt", 'target' => '../2026' ) ),
			array( 'link', array( 'path' => "$d/abs-inside", 'target' => realpath( SB_TEST_WP_DIR ) . '/index.php' ) ),
			array( 'link', array( 'path' => "$d/passwd", 'target' => '/etc/passwd' ) ),
			array( 'link', array( 'path' => "$d/config", 'target' => '../../../wp-config.php' ) ),
			array( 'link', array( 'path' => "$d/escape", 'target' => '../../../../etc' ) ),
			array( 'link', array( 'path' => "$d/chain", 'target' => 'evil-chain/passwd' ) ),
			array( 'link', array( 'path' => "$d/private", 'target' => \Strongbox\Data_Dir::path() ) ),
			array( 'link', array( 'path' => 'wp-config.php', 'target' => 'wp-config-sample.php' ) ),
			// Inside the site, but longer than the system takes: the swap cannot create it.
			array( 'link', array( 'path' => "$d/too-long", 'target' => str_repeat( './', 2048 ) ) ),
			array( 'file', array( 'path' => "$d/after.txt", 'length' => 5, 'last' => true ), 'after' ),
		);
		$r = self::batch( $sid, $h, self::body( $entries ) );
		$this->assertSame( 200, $r->status, $r->body );
		$j     = $r->json();
		$codes = array_map(
			static function ( $e ) {
				return $e['ok'] ? 'ok ' . $e['type'] : $e['code'];
			},
			$j['entries']
		);
		$this->assertSame(
			array( 'ok file', 'ok file', 'ok dir', 'ok dir', 'ok dir', 'ok dir', 'ok dir', 'ok link', 'ok link', 'ok link', 'ok link', 'strongbox_link_outside', 'strongbox_link_outside', 'strongbox_link_outside', 'strongbox_link_outside', 'strongbox_link_outside', 'strongbox_file_protected', 'ok link', 'ok file' ),
			$codes
		);
		$this->assertSame( "$d/caf\u{FFFD}.txt", $j['entries'][0]['path'], 'display form' );
		$this->assertSame( base64_encode( $latin ), $j['entries'][0]['path_b64'] );
		$this->assertSame( base64_encode( $nl ), $j['entries'][1]['path_b64'] );
		$this->assertSame( array( 'path' => "$d/empty", 'type' => 'dir', 'offset' => 0, 'length' => 0, 'ok' => true, 'code' => null, 'message' => null, 'size' => 0, 'complete' => true ), $j['entries'][2] );
		$this->assertSame( base64_encode( $rawdir ), $j['entries'][4]['path_b64'] );
		$this->assertArrayNotHasKey( 'path_b64', $j['entries'][7] );
		foreach ( array_slice( $j['entries'], 11, 5 ) as $e ) {
			$this->assertStringContainsString( 'not restored', $e['message'], 'says what happened' );
			$this->assertNull( $e['size'] );
			$this->assertFalse( $e['complete'] );
		}
		$this->assertSame( array( 'entries' => 19, 'ok' => 13, 'refused' => 6, 'bytes' => 14 + 9 + 5 ), array_diff_key( $j['totals'], array( 'peak_memory' => 1 ) ) );
		$this->assertSame( array( 'count' => 13, 'bytes' => 28, 'complete' => 13, 'dirs' => 5, 'links' => 5 ), $j['files'] );
		$this->assertFalse( self::there( "$d/empty" ), 'nothing reaches the site before the swap' );
		$this->assertFalse( self::there( self::LATEST ) );

		// A new tab resumes: new key, then the listing (pages of 4) names every staged path with its type.
		$k = self::api( 'POST', "/restore/sessions/$sid/key" );
		$this->assertSame( 200, $k->status, $k->body );
		$h    = array_merge( SB_Auth::admin(), array( 'X-Strongbox-Session-Key: ' . $k->json()['key'] ) );
		$list = $this->listing( $sid, $h, 4 );
		$this->assertSame( array( $latin, $nl, "$d/empty", "$d/empty/nested", $rawdir, "$d/existing-file-at-dir", "$d/existing-dir", self::LATEST, $rawlnk, "$d/replaced-by-link.txt", "$d/abs-inside", "$d/too-long", "$d/after.txt" ), array_keys( $list ) );
		$this->assertSame( array( 'path' => "$d/caf\u{FFFD}.txt", 'path_b64' => base64_encode( $latin ), 'type' => 'file', 'size' => 14, 'complete' => true, 'mode' => '0640' ), $list[ $latin ] );
		$this->assertSame( array( 'path' => "$d/empty", 'type' => 'dir', 'size' => 0, 'complete' => true, 'mode' => '0750' ), $list[ "$d/empty" ] );
		$this->assertSame( '0755', $list[ "$d/empty/nested" ]['mode'], 'a folder\'s mode defaults to 0755' );
		$this->assertSame( array( 'path' => self::LATEST, 'type' => 'link', 'size' => 0, 'complete' => true, 'mode' => '0777', 'target' => '2026' ), $list[ self::LATEST ] );
		$this->assertSame( 'link', $list[ $rawlnk ]['type'] );
		$this->assertSame( "caf\u{FFFD}.txt", $list[ $rawlnk ]['target'] );
		$this->assertSame( base64_encode( "caf\xe9.txt" ), $list[ $rawlnk ]['target_b64'] );

		$r = self::api( 'POST', "/restore/sessions/$sid/swap", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$j = $r->json();
		$this->assertSame( 'swapped', $j['state'] );
		$this->assertCount( 1, $j['skipped'], 'the link the system refused is reported' );
		$this->assertSame( "$d/too-long", $j['skipped'][0]['path'] );
		$this->assertSame( 'link', $j['skipped'][0]['type'] );
		$this->assertSame( 'strongbox_link_failed', $j['skipped'][0]['code'] );
		$this->assertStringContainsString( 'symbolic links', $j['skipped'][0]['message'] );
		$this->assertSame( $j['skipped'], self::api( 'GET', "/restore/sessions/$sid", null, $h )->json()['skipped'], 'the status keeps it' );

		$root = SB_TEST_WP_DIR . '/';
		$this->assertSame( 'a Latin-1 name', file_get_contents( $root . $latin ) );
		$this->assertSame( 0640, self::mode( $latin ) );
		$this->assertSame( "two\nlines", file_get_contents( $root . $nl ) );
		foreach ( array( "$d/empty" => 0750, "$d/empty/nested" => 0755, $rawdir => 0755, "$d/existing-file-at-dir" => 0700, "$d/existing-dir" => 0750 ) as $rel => $mode ) {
			$this->assertTrue( is_dir( $root . $rel ) && ! is_link( $root . $rel ), "$rel is a folder" );
			$this->assertSame( $mode, self::mode( $rel ), "$rel mode" );
		}
		$this->assertSame( array(), array_values( array_diff( scandir( $root . "$d/empty" ), array( '.', '..', 'nested' ) ) ) );
		$this->assertSame( 'inside', file_get_contents( $root . "$d/existing-dir/inside.txt" ), 'an existing folder keeps what it holds' );
		$this->assertSame( '2026', readlink( $root . self::LATEST ) );
		$this->assertSame( 'photo of 2026', file_get_contents( $root . self::LATEST . '/photo.txt' ) );
		$this->assertSame( "caf\xe9.txt", readlink( $root . $rawlnk ) );
		$this->assertSame( 'a Latin-1 name', file_get_contents( $root . $rawlnk ) );
		$this->assertSame( '../2026', readlink( $root . "$d/replaced-by-link.txt" ) );
		$this->assertSame( realpath( SB_TEST_WP_DIR ) . '/index.php', readlink( $root . "$d/abs-inside" ) );
		foreach ( array( 'passwd', 'config', 'escape', 'chain', 'private', 'too-long' ) as $name ) {
			$this->assertFalse( self::there( "$d/$name" ), "$name was not created" );
		}
		$this->assertSame( array(), glob( $root . "$d/.strongbox-tmp-*" ), 'no temporary link left' );
		$this->assertSame( $config, sha1_file( SB_TEST_WP_DIR . '/wp-config.php' ) );
		$this->assertFalse( is_link( SB_TEST_WP_DIR . '/wp-config.php' ) );

		$r = self::api( 'POST', "/restore/sessions/$sid/rollback", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( $before, SB_Site_State::files(), 'every file, link, folder and mode as before' );
		$this->assertFalse( self::there( self::LATEST ) );
		$this->assertFalse( self::there( "$d/empty" ), 'the created folders are gone' );
		$this->assertSame( 'a file where the snapshot has a folder', file_get_contents( $root . "$d/existing-file-at-dir" ), 'what a folder replaced is back' );
		$this->assertSame( 'a file where the snapshot has a link', file_get_contents( $root . "$d/replaced-by-link.txt" ), 'what a link replaced is back' );
		$this->assertSame( 0755, self::mode( "$d/existing-dir" ), 'an existing folder gets its mode back' );
	}

	public function test_links_and_folders_replace_folders_and_links_and_a_commit_keeps_them() {
		$d      = self::DIR;
		$root   = SB_TEST_WP_DIR . '/';
		$before = SB_Site_State::files();
		list( $sid, $h ) = $this->open();
		$r = self::batch(
			$sid,
			$h,
			self::body(
				array(
					array( 'link', array( 'path' => "$d/existing-dir", 'target' => '../2026' ) ),
					array( 'dir', array( 'path' => "$d/kept-empty", 'mode' => '0750' ) ),
					array( 'link', array( 'path' => "$d/dangling", 'target' => '../2026' ) ),
					array( 'dir', array( 'path' => "$d/evil-chain", 'mode' => '0755' ) ),
				)
			)
		);
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( array( true, true, true, true ), array_column( $r->json()['entries'], 'ok' ), $r->body );
		$this->assertSame( 200, self::api( 'POST', "/restore/sessions/$sid/swap", null, $h )->status );
		$this->assertSame( '../2026', readlink( $root . "$d/existing-dir" ), 'the folder was set aside for the link' );
		$this->assertSame( '../2026', readlink( $root . "$d/dangling" ), 'a dangling link is replaced' );
		$this->assertTrue( is_dir( $root . "$d/evil-chain" ) && ! is_link( $root . "$d/evil-chain" ), 'a link (even one leading outside) is set aside for a folder, never followed' );
		$this->assertFileDoesNotExist( '/etc/evil-chain' );
		$r = self::api( 'POST', "/restore/sessions/$sid/rollback", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( $before, SB_Site_State::files() );
		$this->assertSame( 'nowhere', readlink( $root . "$d/dangling" ) );
		$this->assertSame( '/etc', readlink( $root . "$d/evil-chain" ) );
		$this->assertTrue( is_dir( SB_TEST_WP_DIR . "/$d/existing-dir" ) && ! is_link( SB_TEST_WP_DIR . "/$d/existing-dir" ) );
		$this->assertSame( 'inside', file_get_contents( SB_TEST_WP_DIR . "/$d/existing-dir/inside.txt" ), 'the folder is back with what it held' );
		$this->assertFalse( self::there( "$d/kept-empty" ) );

		list( $sid, $h ) = $this->open();
		$r = self::batch( $sid, $h, self::body( array( array( 'dir', array( 'path' => "$d/kept-empty", 'mode' => '0750' ) ), array( 'link', array( 'path' => self::LATEST, 'target' => '2026' ) ) ) ) );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( 200, self::api( 'POST', "/restore/sessions/$sid/swap", null, $h )->status );
		$this->assertSame( 200, self::api( 'POST', "/restore/sessions/$sid/commit", null, $h )->status );
		$this->assertSame( 0750, self::mode( "$d/kept-empty" ), 'a commit keeps the restored folder' );
		$this->assertSame( '2026', readlink( SB_TEST_WP_DIR . '/' . self::LATEST ) );
	}

	public function test_the_kept_list_keeps_raw_names_in_mirror_mode() {
		$k    = self::DIR . '/mirror';
		$root = SB_TEST_WP_DIR . '/';
		$have = array(
			"$k/plain.txt"        => 'plain',
			"$k/caf\xe9.txt"      => 'Latin-1, listed as a b64: line',
			"$k/new\nline.txt"    => 'newline, listed as a b64: line',
			"$k/raw\xfe.txt"      => 'not UTF-8, listed as it is',
			"$k/b64:looks-encoded" => 'a name that begins with b64:, listed as a b64: line',
		);
		$gone = array( "$k/gone\xff.txt" => 'not in the snapshot' );
		mkdir( $root . $k, 0755 );
		foreach ( $have + $gone as $rel => $bytes ) {
			file_put_contents( $root . $rel, $bytes );
		}
		$before = SB_Site_State::files();
		list( $sid, $h ) = $this->open();
		// Staged folders and links are kept without being listed, like staged files.
		$r = self::batch( $sid, $h, self::body( array( array( 'dir', array( 'path' => "$k/staged-empty" ) ), array( 'link', array( 'path' => "$k/staged-link", 'target' => 'plain.txt' ) ) ) ) );
		$this->assertSame( 200, $r->status, $r->body );
		$lines = array( $k, "$k/plain.txt", 'b64:' . base64_encode( "$k/caf\xe9.txt" ), 'b64:' . base64_encode( "$k/new\nline.txt" ), "$k/raw\xfe.txt", 'b64:' . base64_encode( "$k/b64:looks-encoded" ) );
		$r     = SB_Http::request( 'POST', self::API . "/restore/sessions/$sid/files/keep?roots[]=" . rawurlencode( $k ), array_merge( $h, array( 'Content-Type: text/plain' ) ), implode( "\n", $lines ) . "\n" );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( 6, $r->json()['listed'] );

		$r = self::api( 'POST', "/restore/sessions/$sid/swap", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( 1, $r->json()['prune']['removed_files'], 'only the file the snapshot lacks' );
		$this->assertFalse( self::there( "$k/gone\xff.txt" ) );
		foreach ( $have as $rel => $bytes ) {
			$this->assertSame( $bytes, file_get_contents( $root . $rel ), "$rel is kept" );
		}
		$this->assertTrue( is_dir( $root . "$k/staged-empty" ) );
		$this->assertSame( 'plain.txt', readlink( $root . "$k/staged-link" ) );

		$this->assertSame( 200, self::api( 'POST', "/restore/sessions/$sid/rollback", null, $h )->status );
		$this->assertSame( $before, SB_Site_State::files(), 'the removed file is back, the staged folder and link gone' );
	}

	public function test_bad_base64_and_malformed_entries_are_refused_whole() {
		$d = self::DIR;
		list( $sid, $h ) = $this->open();
		$ok  = self::file( "$d/ok\xe9.txt", 'fine' );
		$bad = array(
			'path_b64 with a space'     => array( array( 'file', array( 'path_b64' => 'Y2Fm 6S50eHQ=', 'length' => 1 ), 'x' ), 'strongbox_path_b64_invalid' ),
			'path_b64 without padding'  => array( array( 'dir', array( 'path_b64' => 'YWJj ZA' ) ), 'strongbox_path_b64_invalid' ),
			'target_b64 not base64'     => array( array( 'link', array( 'path' => "$d/l", 'target_b64' => '!!' ) ), 'strongbox_path_b64_invalid' ),
			'#dir without a path'       => array( array( 'dir', array( 'mode' => '0755' ) ), 'strongbox_batch_invalid' ),
			'#dir with a bad mode'      => array( array( 'dir', array( 'path' => "$d/x", 'mode' => 'rwx' ) ), 'strongbox_batch_invalid' ),
			'#link without a target'    => array( array( 'link', array( 'path' => "$d/l" ) ), 'strongbox_batch_invalid' ),
		);
		foreach ( $bad as $name => $b ) {
			$r = self::batch( $sid, $h, self::body( array( $ok, $b[0] ) ) );
			$this->assertError( 400, $b[1], $r );
			$this->assertSame( 1, $r->json()['data']['index'], $name );
			if ( 'strongbox_path_b64_invalid' === $b[1] ) {
				$this->assertStringContainsString( 'base64', $r->json()['message'], $name );
			}
		}
		// A #dir must not be followed by a data block: a blank line after it is malformed.
		$r = self::batch( $sid, $h, '#dir {"path":"' . $d . '/x"}' . "\n\n#done {}\n" );
		$this->assertError( 400, 'strongbox_batch_invalid', $r );
		$this->assertSame( 1, $r->json()['data']['index'] );
		$this->assertSame( 0, self::api( 'GET', "/restore/sessions/$sid", null, $h )->json()['files']['count'], 'nothing was applied' );
		// The decoded bytes go through the jail like any path.
		$r = self::batch( $sid, $h, self::body( array( self::file( '../outside.txt', 'x' ), array( 'dir', array( 'path_b64' => base64_encode( '/etc/sb' ) ) ), array( 'link', array( 'path_b64' => base64_encode( "a\0b" ), 'target' => 'x' ) ) ) ) );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( array( 'strongbox_path_traversal', 'strongbox_path_absolute', 'strongbox_path_nul' ), array_column( $r->json()['entries'], 'code' ) );
		// The single-file PUT takes path_b64 too.
		$r = SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?last=1&path_b64=" . rawurlencode( base64_encode( "$d/put\xe9.txt" ) ), array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), 'put' );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( base64_encode( "$d/put\xe9.txt" ), $r->json()['path_b64'] );
		$this->assertError( 400, 'strongbox_path_b64_invalid', SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?path_b64=%25", array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), 'x' ) );
	}

	public function test_a_drill_verifies_raw_names_folders_and_links() {
		$d = self::DIR;
		$r = self::api( 'POST', '/restore/sessions', array( 'confirm' => 'DRILL', 'mode' => 'drill', 'ttl' => 600 ) );
		$this->assertSame( 201, $r->status, $r->body );
		$sid = $r->json()['id'];
		$h   = array_merge( SB_Auth::admin(), array( 'X-Strongbox-Session-Key: ' . $r->json()['key'] ) );
		$r   = self::batch(
			$sid,
			$h,
			self::body(
				array(
					self::file( "$d/caf\xe9.txt", 'drilled' ),
					array( 'dir', array( 'path_b64' => base64_encode( "$d/d\xefr" ), 'mode' => '0750' ) ),
					array( 'link', array( 'path' => "$d/l", 'target_b64' => base64_encode( "caf\xe9.txt" ) ) ),
					array( 'link', array( 'path' => "$d/out", 'target' => '/etc/passwd' ) ),
				)
			)
		);
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( array( null, null, null, 'strongbox_link_outside' ), array_column( $r->json()['entries'], 'code' ) );
		$this->assertFalse( self::there( "$d/caf\xe9.txt" ), 'a drill never touches the site' );

		$r = self::api( 'POST', "/restore/sessions/$sid/verify-files", array( 'paths' => array( array( 'path_b64' => base64_encode( "$d/caf\xe9.txt" ) ), array( 'path_b64' => base64_encode( "$d/d\xefr" ) ), "$d/l", array( 'path' => "$d/out" ) ) ), $h );
		$this->assertSame( 200, $r->status, $r->body );
		$f = $r->json()['files'];
		$this->assertSame( array( 'path' => "$d/caf\u{FFFD}.txt", 'path_b64' => base64_encode( "$d/caf\xe9.txt" ), 'type' => 'file', 'size' => 7, 'sha256' => hash( 'sha256', 'drilled' ), 'complete' => true, 'mode' => '0644' ), $f[0] );
		$this->assertSame( array( 'path' => "$d/d\u{FFFD}r", 'path_b64' => base64_encode( "$d/d\xefr" ), 'type' => 'dir', 'size' => 0, 'sha256' => null, 'complete' => true, 'mode' => '0750' ), $f[1] );
		$this->assertSame( 'link', $f[2]['type'] );
		$this->assertSame( base64_encode( "caf\xe9.txt" ), $f[2]['target_b64'] );
		$this->assertSame( 'strongbox_file_not_staged', $f[3]['code'] );
		$this->assertSame( array( 'files' => 3, 'bytes' => 7, 'not_found' => 1 ), $r->json()['totals'] );
		$r = self::api( 'POST', "/restore/sessions/$sid/verify-files", array( 'paths' => array( "$d/l", array( 'path_b64' => 'bad!' ) ) ), $h );
		$this->assertError( 400, 'strongbox_path_b64_invalid', $r );
		$this->assertSame( 1, $r->json()['data']['index'] );
		$this->assertError( 400, 'strongbox_verify_invalid', self::api( 'POST', "/restore/sessions/$sid/verify-files", array( 'paths' => array( array( 'size' => 1 ) ) ), $h ) );
		$this->assertSame( 200, self::api( 'DELETE', "/restore/sessions/$sid", null, $h )->status );
	}
}
