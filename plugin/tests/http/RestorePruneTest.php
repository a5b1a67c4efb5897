<?php
/**
 * A full restore removes what the snapshot does not have (POST .../files/keep): extra
 * files, links and empty folders under the restored roots leave at swap, come back
 * byte for byte on rollback and are deleted by commit; excluded and protected files
 * are never removed; roots limit the removal; bad requests are refused.
 *
 * @package Strongbox
 */

/**
 * POST /restore/sessions/{id}/files/keep and the swap's removal.
 */
class RestorePruneTest extends SB_Http_Test_Case {

	/** The test's folder. */
	const DIR = 'wp-content/uploads/sb-prune';

	/** A file of the default exclusions (Lister::DEFAULT_EXCLUDES: wc-logs). */
	const DEFAULT_EXCLUDED = 'wp-content/uploads/wc-logs/sb-prune-log.txt';

	/** A file in Strongbox's own folder (protected). */
	const PROTECTED_EXTRA = 'wp-content/plugins/strongbox/sb-prune-extra.txt';

	/** Files and links of the snapshot, as created (path => bytes, or ['link' => target]). */
	const KEPT = array(
		self::DIR . '/a/keep1.txt'     => 'kept one',
		self::DIR . '/a/sub/keep2.txt' => 'kept two',
		self::DIR . '/a/kept-link'     => array( 'link' => 'keep1.txt' ),
		self::DIR . '/b/keep-b.txt'    => 'kept in b',
	);

	/** What the site has and the snapshot does not, in folder a. */
	const EXTRA_A = array(
		self::DIR . '/a/extra.txt'                => 'added after the snapshot',
		self::DIR . '/a/extra-dir/x1.txt'         => 'x1',
		self::DIR . '/a/extra-dir/deeper/x2.bin'  => "\x00\x01binary\xff",
		self::DIR . '/a/extra-link'               => array( 'link' => 'keep1.txt' ),
		self::DIR . "/a/new\nline.php"            => '<?php /* newline */',
	);

	/**
	 * A file the snapshot does not have, named in bytes that are not UTF-8: removed like
	 * any other (the list carries such names as `b64:` lines, see
	 * RestoreRawPathsTest for one that is kept).
	 */
	const NOT_UTF8 = array( self::DIR . "/a/bad\xff name.php" => '<?php /* not UTF-8 */' );

	/** Folders of a the snapshot does not have (removed once empty). */
	const EXTRA_DIRS_A = array( self::DIR . '/a/extra-dir/deeper', self::DIR . '/a/extra-dir', self::DIR . '/a/extra-empty' );

	/** Excluded files (by the site's setting, by the request's exclude[]), never removed. */
	const EXCLUDED = array(
		self::DIR . '/a/custom-excluded.log' => 'excluded by strongbox_file_excludes',
		self::DIR . '/a/engine-excluded.tmp' => 'excluded by exclude[]',
	);

	/** Extra file in b. */
	const EXTRA_B = self::DIR . '/b/extra-b.txt';

	/** @var mixed The site's strongbox_file_excludes before the test. */
	private static $excludes_before;

	public static function setUpBeforeClass(): void {
		self::$excludes_before = get_option( 'strongbox_file_excludes', null );
		update_option( 'strongbox_file_excludes', array( self::DIR . '/*/custom-excluded*' ) );
	}

	public static function tearDownAfterClass(): void {
		self::cleanup();
		if ( null === self::$excludes_before ) {
			delete_option( 'strongbox_file_excludes' );
		} else {
			update_option( 'strongbox_file_excludes', self::$excludes_before );
		}
	}

	protected function setUp(): void {
		self::cleanup();
		$root = SB_TEST_WP_DIR . '/';
		foreach ( array_merge( self::KEPT, self::EXTRA_A, self::NOT_UTF8, self::EXCLUDED, array( self::EXTRA_B => 'extra in b', self::DEFAULT_EXCLUDED => 'log', self::PROTECTED_EXTRA => 'protected' ) ) as $rel => $bytes ) {
			if ( ! is_dir( dirname( $root . $rel ) ) ) {
				mkdir( dirname( $root . $rel ), 0755, true );
			}
			if ( is_array( $bytes ) ) {
				symlink( $bytes['link'], $root . $rel );
			} else {
				file_put_contents( $root . $rel, $bytes );
			}
		}
		chmod( $root . self::DIR . '/a/extra.txt', 0640 );
		touch( $root . self::DIR . '/a/extra.txt', 1500000000 );
		mkdir( $root . self::DIR . '/a/extra-empty', 0750 );
		mkdir( $root . self::DIR . '/a/kept-empty', 0755 );
		touch( $root . self::DIR . '/a/extra-dir', 1500000100 );
	}

	protected function tearDown(): void {
		self::cleanup();
	}

	/**
	 * Rolls back a session left open and removes the test's files.
	 */
	private static function cleanup() {
		$s = \Strongbox\Restore\Session::current();
		if ( $s ) {
			$s->rollback( 'test cleanup' );
		}
		\Strongbox\Data_Dir::rmtree( SB_TEST_WP_DIR . '/' . self::DIR );
		@unlink( SB_TEST_WP_DIR . '/' . self::DEFAULT_EXCLUDED );
		@rmdir( dirname( SB_TEST_WP_DIR . '/' . self::DEFAULT_EXCLUDED ) );
		@unlink( SB_TEST_WP_DIR . '/' . self::PROTECTED_EXTRA );
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
	 * The snapshot's list: every path the site lists now under a folder (as a backup
	 * would have listed it: Lister, with its exclusions), but those given.
	 *
	 * @param string   $under  Folder ('' = the whole site).
	 * @param string[] $absent Paths the snapshot does not have.
	 * @return string[]
	 */
	private static function snapshot_list( $under, array $absent ) {
		$lister = new \Strongbox\Files\Lister( new \Strongbox\Files\Jail() );
		$out    = array();
		$cursor = '';
		do {
			$page = $lister->page( $cursor, 5000 );
			foreach ( $page['entries'] as $e ) {
				if ( ( '' === $under || 0 === strpos( $e['path'], $under . '/' ) ) && ! in_array( $e['path'], $absent, true ) ) {
					$out[] = $e['path'];
				}
			}
			$cursor = $page['next_cursor'];
		} while ( null !== $cursor );
		return $out;
	}

	/**
	 * Sends part of the list.
	 *
	 * @param string   $sid     Session.
	 * @param array    $headers Headers.
	 * @param string[] $paths   Paths.
	 * @param string   $query   Query string.
	 * @param string   $type    Content type.
	 * @return SB_Response
	 */
	private static function keep( $sid, array $headers, array $paths, $query = '', $type = 'text/plain; charset=utf-8' ) {
		$body = '' === implode( '', $paths ) ? '' : implode( "\n", $paths ) . "\n";
		return SB_Http::request( 'POST', self::API . "/restore/sessions/$sid/files/keep" . ( '' === $query ? '' : '?' . $query ), array_merge( $headers, array( 'Content-Type: ' . $type ) ), $body );
	}

	/**
	 * Whether a file or link exists.
	 *
	 * @param string $rel Relative path.
	 * @return bool
	 */
	private static function there( $rel ) {
		$abs = SB_TEST_WP_DIR . '/' . $rel;
		return file_exists( $abs ) || is_link( $abs );
	}

	public function test_full_restore_removes_what_the_snapshot_lacks_and_rollback_puts_it_back() {
		$absent = array_merge( array_keys( self::EXTRA_A ), array_keys( self::NOT_UTF8 ), self::EXTRA_DIRS_A, array( self::EXTRA_B, self::DEFAULT_EXCLUDED, self::PROTECTED_EXTRA, 'wp-config.php', array_keys( self::EXCLUDED )[1] ) );
		$list   = self::snapshot_list( '', $absent );
		$this->assertContains( self::DIR . '/a/kept-empty', $list );
		$this->assertContains( self::DIR . '/a/kept-link', $list );
		$this->assertNotContains( array_keys( self::EXCLUDED )[0], $list, 'the site\'s exclusions keep it out of a backup' );
		$before     = SB_Site_State::files();
		$extra_time = filemtime( SB_TEST_WP_DIR . '/' . self::DIR . '/a/extra.txt' );

		list( $sid, $h ) = $this->open();
		// A staged file replaces a listed one; a staged file not listed is kept too.
		foreach ( array( self::DIR . '/a/keep1.txt' => 'restored one', self::DIR . '/a/staged-new.txt' => 'staged, not listed' ) as $rel => $bytes ) {
			$r = SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?last=1&path=" . rawurlencode( $rel ), array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), $bytes );
			$this->assertSame( 200, $r->status, $r->body );
		}
		// The list in two requests; the roots and extra exclusions with the first.
		$half = intdiv( count( $list ), 2 );
		$r    = self::keep( $sid, $h, array_slice( $list, 0, $half ), 'roots[]=&exclude[]=' . rawurlencode( self::DIR . '/*/engine-excluded*' ) );
		$this->assertSame( 200, $r->status, $r->body );
		$j = $r->json();
		$this->assertSame( $half, $j['listed'] );
		$this->assertSame( array( '' ), $j['prune']['roots'] );
		$this->assertSame( array( self::DIR . '/*/engine-excluded*' ), $j['prune']['exclude'] );
		$r = self::keep( $sid, $h, array_slice( $list, $half ) );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( 2, $r->json()['prune']['requests'] );
		$this->assertSame( count( $list ), $r->json()['prune']['listed'] );
		$this->assertSame( 200, self::keep( $sid, $h, array(), 'roots[]=' )->status, 'the same roots again are fine' );

		$t = microtime( true );
		$r = self::api( 'POST', "/restore/sessions/$sid/swap", null, $h );
		$t = microtime( true ) - $t;
		$this->assertSame( 200, $r->status, $r->body );
		$j = $r->json();
		$this->assertSame( 'swapped', $j['state'] );
		$this->assertSame( count( self::EXTRA_A ) + count( self::NOT_UTF8 ) + 1, $j['prune']['removed_files'], 'the extra files of a and b; ' . json_encode( $j['log'] ) );
		$this->assertSame( count( self::EXTRA_DIRS_A ), $j['prune']['removed_dirs'] );
		$this->assertSame( array(), $j['prune']['skipped_roots'] );
		$this->assertSame( $j['prune'], self::api( 'GET', "/restore/sessions/$sid", null, $h )->json()['prune'], 'the status reports it too' );

		foreach ( array_merge( array_keys( self::EXTRA_A ), array_keys( self::NOT_UTF8 ), self::EXTRA_DIRS_A, array( self::EXTRA_B ) ) as $rel ) {
			$this->assertFalse( self::there( $rel ), "$rel was removed" );
		}
		foreach ( array_merge( array_keys( self::KEPT ), array_keys( self::EXCLUDED ), array( self::DEFAULT_EXCLUDED, self::PROTECTED_EXTRA, 'wp-config.php', self::DIR . '/a/kept-empty', self::DIR . '/a/staged-new.txt' ) ) as $rel ) {
			$this->assertTrue( self::there( $rel ), "$rel stays" );
		}
		$this->assertSame( 'restored one', file_get_contents( SB_TEST_WP_DIR . '/' . self::DIR . '/a/keep1.txt' ) );
		$this->assertSame( 'keep1.txt', readlink( SB_TEST_WP_DIR . '/' . self::DIR . '/a/kept-link' ) );
		$this->assertSame( 200, self::api( 'GET', '/site' )->status, 'the site still answers' );

		$r = self::api( 'POST', "/restore/sessions/$sid/rollback", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( $before, SB_Site_State::files(), 'every file, link and folder as before, same bytes and modes' );
		clearstatcache();
		$this->assertSame( $extra_time, filemtime( SB_TEST_WP_DIR . '/' . self::DIR . '/a/extra.txt' ) );
		$this->assertSame( 1500000100, filemtime( SB_TEST_WP_DIR . '/' . self::DIR . '/a/extra-dir' ), 'a removed folder gets its time back' );
		$this->assertSame( 'keep1.txt', readlink( SB_TEST_WP_DIR . '/' . self::DIR . '/a/extra-link' ) );
		fwrite( STDERR, sprintf( "\n[prune] whole site: %d paths listed, swap with removal %.3f s\n", count( $list ), $t ) );
	}

	public function test_roots_limit_the_removal_and_commit_deletes_what_was_removed() {
		$a_list = self::snapshot_list( self::DIR . '/a', array_merge( array_keys( self::EXTRA_A ), array_keys( self::NOT_UTF8 ), self::EXTRA_DIRS_A ) );
		list( $sid, $h ) = $this->open();
		// A first list for the wrong roots, then started over for folder a.
		$this->assertSame( 200, self::keep( $sid, $h, array( self::DIR . '/b/keep-b.txt' ), 'roots[]=' . rawurlencode( self::DIR . '/b' ) )->status );
		$this->assertError( 409, 'strongbox_keep_roots_mismatch', self::keep( $sid, $h, $a_list, 'roots[]=' . rawurlencode( self::DIR . '/a' ) ) );
		$r = self::keep( $sid, $h, $a_list, 'reset=1&roots[]=' . rawurlencode( self::DIR . '/a' ) . '&roots[]=' . rawurlencode( self::DIR . '/a/sub' ) . '&exclude[]=' . rawurlencode( self::DIR . '/*/engine-excluded*' ) );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( array( self::DIR . '/a' ), $r->json()['prune']['roots'], 'a root inside another is dropped' );
		$this->assertSame( 1, $r->json()['prune']['requests'] );
		$this->assertSame( count( $a_list ), $r->json()['prune']['listed'] );

		$r = self::api( 'POST', "/restore/sessions/$sid/swap", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( count( self::EXTRA_A ) + count( self::NOT_UTF8 ), $r->json()['prune']['removed_files'], 'only folder a: a prune-only restore needs no staged data' );
		$this->assertTrue( self::there( self::EXTRA_B ), 'b is outside the roots' );
		$this->assertTrue( self::there( self::DIR . '/b/keep-b.txt' ) );
		$old = \Strongbox\Data_Dir::path() . "/restore/$sid/old";
		$this->assertCount( count( self::EXTRA_A ) + count( self::NOT_UTF8 ), glob( "$old/*" ), 'the removed files wait in the previous-state area' );

		$r = self::api( 'POST', "/restore/sessions/$sid/commit", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertDirectoryDoesNotExist( \Strongbox\Data_Dir::path() . "/restore/$sid", 'commit deleted them' );
		foreach ( array_merge( array_keys( self::EXTRA_A ), array_keys( self::NOT_UTF8 ), self::EXTRA_DIRS_A ) as $rel ) {
			$this->assertFalse( self::there( $rel ), "$rel stays removed" );
		}
		foreach ( array_merge( array_keys( self::KEPT ), array_keys( self::EXCLUDED ) ) as $rel ) {
			$this->assertTrue( self::there( $rel ), "$rel stays" );
		}
	}

	public function test_a_removal_that_fails_half_way_rolls_the_whole_swap_back() {
		global $wpdb;
		$before_files  = SB_Site_State::files();
		$before_tables = SB_Site_State::tables();
		list( $sid, $h ) = $this->open();
		$this->assertSame( 200, self::api( 'PUT', "/restore/sessions/$sid/tables/wp_sb_prune_t", array( 'create' => 'CREATE TABLE `wp_sb_prune_t` (id int NOT NULL, PRIMARY KEY (id))' ), $h )->status );
		$r = SB_Http::request( 'PUT', self::API . "/restore/sessions/$sid/files?last=1&path=" . rawurlencode( self::DIR . '/a/keep1.txt' ), array_merge( $h, array( 'Content-Type: application/octet-stream' ) ), 'replaced' );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( 200, self::keep( $sid, $h, self::snapshot_list( self::DIR, array_merge( array_keys( self::EXTRA_A ), array_keys( self::NOT_UTF8 ) ) ), 'roots[]=' . rawurlencode( self::DIR ) . '&exclude[]=' . rawurlencode( self::DIR . '/*/engine-excluded*' ) )->status );
		// One extra file cannot be set aside: its place in the previous-state area is taken by a folder.
		$blocker = \Strongbox\Data_Dir::path() . "/restore/$sid/old/" . sha1( self::DIR . '/a/extra-dir/x1.txt' );
		mkdir( $blocker . '/in-the-way', 0700, true );
		$r = self::api( 'POST', "/restore/sessions/$sid/swap", null, $h );
		$this->assertError( 500, 'strongbox_write_failed', $r );
		$this->assertSame( $before_files, SB_Site_State::files(), 'files removed before the failure are back, the replaced file too' );
		$this->assertSame( $before_tables, SB_Site_State::tables(), 'and the tables' );
		$this->assertNull( $wpdb->get_var( "SHOW TABLES LIKE 'wp\\_sb\\_prune\\_t'" ) );
		$this->assertNull( \Strongbox\Restore\Session::current() );
		$this->assertSame( 200, SB_Http::request( 'GET', '/' )->status, 'gate lifted' );
	}

	public function test_protected_files_are_only_removed_with_overwrite_protected() {
		$plugin = 'wp-content/plugins/strongbox';
		$list   = self::snapshot_list( $plugin, array( self::PROTECTED_EXTRA ) );
		$this->assertContains( $plugin . '/strongbox.php', $list );

		list( $sid, $h ) = $this->open();
		$this->assertSame( 200, self::keep( $sid, $h, $list, 'roots[]=' . rawurlencode( $plugin ) )->status );
		$r = self::api( 'POST', "/restore/sessions/$sid/swap", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( 0, $r->json()['prune']['removed_files'] );
		$this->assertSame( array( $plugin ), $r->json()['prune']['skipped_roots'], 'a protected root is not walked' );
		$this->assertTrue( self::there( self::PROTECTED_EXTRA ) );
		$this->assertSame( 200, self::api( 'POST', "/restore/sessions/$sid/rollback", null, $h )->status );

		$before          = SB_Site_State::files();
		list( $sid, $h ) = $this->open( array( 'overwrite_protected' => true ) );
		$this->assertSame( 200, self::keep( $sid, $h, $list, 'roots[]=' . rawurlencode( $plugin ) )->status );
		$r = self::api( 'POST', "/restore/sessions/$sid/swap", null, $h );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( 1, $r->json()['prune']['removed_files'] );
		$this->assertFalse( self::there( self::PROTECTED_EXTRA ) );
		$this->assertSame( 200, self::api( 'POST', "/restore/sessions/$sid/rollback", null, $h )->status );
		$this->assertSame( $before, SB_Site_State::files() );
	}

	public function test_bad_requests_are_refused_and_change_nothing() {
		list( $sid, $h ) = $this->open();
		$root            = 'roots[]=' . rawurlencode( self::DIR );
		$this->assertError( 403, 'strongbox_restore_key_invalid', self::keep( $sid, SB_Auth::admin(), array( 'x' ), $root ) );
		$this->assertError( 403, 'strongbox_restore_key_invalid', self::keep( $sid, array_merge( SB_Auth::admin(), array( 'X-Strongbox-Session-Key: ' . str_repeat( 'b', 48 ) ) ), array( 'x' ), $root ) );
		$this->assertError( 415, 'strongbox_keep_content_type', self::keep( $sid, $h, array( 'x' ), $root, 'application/octet-stream' ) );
		$this->assertError( 400, 'strongbox_keep_roots_required', self::keep( $sid, $h, array( 'x' ) ) );
		$this->assertError( 400, 'strongbox_keep_root_invalid', self::keep( $sid, $h, array( 'x' ), 'roots[]=..%2Fetc' ) );
		$this->assertError( 400, 'strongbox_keep_root_invalid', self::keep( $sid, $h, array( 'x' ), 'roots[]=%2Fetc' ) );
		foreach ( array( '../wp-config.php' => 'strongbox_path_traversal', 'a/../../b' => 'strongbox_path_traversal', '/etc/passwd' => 'strongbox_path_absolute', "b64:bad base64" => 'strongbox_path_b64_invalid', 'b64:YWI' => 'strongbox_path_b64_invalid', "a\0b" => 'strongbox_path_nul', str_repeat( 'x', 5000 ) => 'strongbox_path_invalid' ) as $bad => $reason ) {
			$r = self::keep( $sid, $h, array( 'wp-content/uploads', $bad, 'wp-content' ), $root );
			$this->assertError( 400, 'strongbox_keep_invalid', $r );
			$this->assertSame( 2, $r->json()['data']['line'], $r->body );
			$this->assertSame( $reason, $r->json()['data']['reason'] );
		}
		$status = self::api( 'GET', "/restore/sessions/$sid", null, $h )->json();
		$this->assertNull( $status['prune']['roots'], 'nothing of the refused requests was kept' );
		$this->assertSame( 0, $status['prune']['listed'] );
		$this->assertSame( array(), glob( \Strongbox\Data_Dir::path() . "/restore/$sid/keep/*" ), 'no list and no leftover part' );

		$this->assertError( 413, 'strongbox_body_too_large', SB_Http::request( 'POST', self::API . "/restore/sessions/$sid/files/keep?$root", array_merge( $h, array( 'Content-Type: text/plain' ) ), str_repeat( "wp-content/uploads/a-long-name-of-a-file.jpg\n", 750000 ) ) );

		// CRLF lines, empty lines and unclean spellings are accepted and normalized; names
		// the file routes refuse (backslash, "%2F", control characters) are only compared
		// (stored as a `b64:` line when not plain text).
		$r = SB_Http::request( 'POST', self::API . "/restore/sessions/$sid/files/keep?$root", array_merge( $h, array( 'Content-Type: text/plain' ) ), self::DIR . "/a//keep1.txt\r\n\r\n./" . self::DIR . "/b/keep-b.txt\nback\\slash 100%2F\x01.txt" );
		$this->assertSame( 200, $r->status, $r->body );
		$this->assertSame( 3, $r->json()['listed'] );
		$lists = glob( \Strongbox\Data_Dir::path() . "/restore/$sid/keep/*.lst" );
		$this->assertCount( 1, $lists );
		$this->assertSame( self::DIR . "/a/keep1.txt\n" . self::DIR . "/b/keep-b.txt\nb64:" . base64_encode( "back\\slash 100%2F\x01.txt" ) . "\n", file_get_contents( $lists[0] ) );

		$this->assertSame( 200, self::api( 'POST', "/restore/sessions/$sid/swap", null, $h )->status );
		$this->assertError( 409, 'strongbox_restore_state', self::keep( $sid, $h, array( 'x' ), $root ) );
		$this->assertSame( 200, self::api( 'POST', "/restore/sessions/$sid/rollback", null, $h )->status );
		$this->assertError( 404, 'strongbox_restore_not_found', self::keep( $sid, $h, array( 'x' ), $root ) );
	}
}
