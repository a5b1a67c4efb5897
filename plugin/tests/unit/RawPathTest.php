<?php
/**
 * Files\Raw_Path (the wire form of names JSON cannot carry) and the jail's handling of
 * raw paths and link targets (in-process).
 *
 * @package Strongbox
 */

use PHPUnit\Framework\TestCase;
use Strongbox\Files\Jail;
use Strongbox\Files\Raw_Path;

/**
 * Raw_Path, Jail::clean( raw ), Jail::link_destination().
 */
class RawPathTest extends TestCase {

	public function test_which_names_are_unsafe_and_their_display_form() {
		foreach ( array( 'a/b.txt', 'Größe ✓.jpg', 'back\\slash %2F', '' ) as $safe ) {
			$this->assertFalse( Raw_Path::unsafe( $safe ), $safe );
			$this->assertSame( $safe, Raw_Path::display( $safe ) );
			$this->assertSame( array( 'path' => $safe ), Raw_Path::put( array(), 'path', $safe ) );
		}
		$cases = array(
			"caf\xe9.txt"       => "caf\u{FFFD}.txt",
			"new\nline"         => "new\u{FFFD}line",
			"tab\there\x7f"     => "tab\u{FFFD}here\u{FFFD}",
			"\xff\xfe"          => "\u{FFFD}\u{FFFD}",
			"ok é \xc3"         => "ok é \u{FFFD}",
			"\xed\xa0\x80"      => "\u{FFFD}\u{FFFD}\u{FFFD}", // A UTF-16 surrogate is not UTF-8.
			"\xc0\xaf"          => "\u{FFFD}\u{FFFD}",          // Nor an overlong "/".
		);
		foreach ( $cases as $raw => $shown ) {
			$this->assertTrue( Raw_Path::unsafe( $raw ), bin2hex( $raw ) );
			$this->assertSame( $shown, Raw_Path::display( $raw ), bin2hex( $raw ) );
			$this->assertSame( 1, preg_match( '//u', Raw_Path::display( $raw ) ) );
			$this->assertSame( array( 'target' => $shown, 'target_b64' => base64_encode( $raw ) ), Raw_Path::put( array(), 'target', $raw ) );
		}
		$this->assertSame( array( 'target' => null ), Raw_Path::put( array(), 'target', null ) );
	}

	public function test_strict_base64_and_request_fields() {
		$this->assertSame( "caf\xe9.txt", Raw_Path::decode( base64_encode( "caf\xe9.txt" ) ) );
		$this->assertSame( '', Raw_Path::decode( '' ) );
		foreach ( array( 'Y2Fm6S50eHQ', 'Y2Fm 6S50eHQ=', "Y2Fm6S50eHQ=\n", 'Y2Fm6S50eHR=', '!!!!', 'Y2Fm6S50eHQ==', 42, null ) as $bad ) {
			$this->assertNull( Raw_Path::decode( $bad ), var_export( $bad, true ) );
		}
		$this->assertSame( 'plain', Raw_Path::from( array( 'path' => 'plain' ) ) );
		$this->assertSame( "r\xe9", Raw_Path::from( array( 'path' => 'ignored', 'path_b64' => base64_encode( "r\xe9" ) ) ), 'path_b64 wins' );
		$this->assertNull( Raw_Path::from( array( 'path' => array( 'x' ) ) ) );
		$e = Raw_Path::from( array( 'target_b64' => '%%' ), 'target' );
		$this->assertSame( 'strongbox_path_b64_invalid', $e->get_error_code() );
		$this->assertSame( 400, $e->get_error_data()['status'] );
		$this->assertStringContainsString( 'target_b64', $e->get_error_message() );
	}

	public function test_lines() {
		foreach ( array( 'a/b.txt', "caf\xe9", "new\nline", "cr\r", 'b64:looks-encoded', "\x01" ) as $raw ) {
			$line = Raw_Path::to_line( $raw );
			$this->assertStringNotContainsString( "\n", $line );
			$this->assertSame( $raw, Raw_Path::from_line( $line ) );
		}
		$this->assertSame( 'a/b.txt', Raw_Path::to_line( 'a/b.txt' ) );
		$this->assertSame( 'b64:' . base64_encode( 'b64:x' ), Raw_Path::to_line( 'b64:x' ) );
		$this->assertNull( Raw_Path::from_line( 'b64:not base64' ) );
	}

	public function test_raw_paths_in_the_jail() {
		$this->assertSame( 'strongbox_path_invalid', Jail::clean( "a\nb" )->get_error_code(), 'a plain path keeps refusing control characters' );
		$this->assertSame( "a\nb/c\xe9", Jail::clean( "a\nb//./c\xe9", true ) );
		foreach ( array( '../x' => 'strongbox_path_traversal', '/etc/passwd' => 'strongbox_path_absolute', "a\0b" => 'strongbox_path_nul', 'a\\b' => 'strongbox_path_invalid', '%2e%2e/x' => 'strongbox_path_encoded' ) as $path => $code ) {
			$this->assertSame( $code, Jail::clean( $path, true )->get_error_code(), $path );
		}
	}

	public function test_link_destinations_are_worked_out_without_following_links() {
		$root = sys_get_temp_dir() . '/sb-link-' . getmypid();
		@mkdir( $root . '/a/b', 0700, true );
		$real = realpath( $root );
		$jail = new Jail( $root );
		$link = $real . '/a/b/link';
		$this->assertSame( $real . '/a/b/x', $jail->link_destination( $link, 'x' ) );
		$this->assertSame( $real . '/a/x', $jail->link_destination( $link, '../x' ) );
		$this->assertSame( $real . '/a/b', $jail->link_destination( $link, '.' ) );
		$this->assertSame( $real, $jail->link_destination( $link, '../..' ) );
		$this->assertSame( dirname( $real ) . '/etc', $jail->link_destination( $link, '../../../etc' ) );
		$this->assertSame( '/etc', $jail->link_destination( $link, '../../../../../../../../../etc' ) );
		$this->assertSame( '/etc/passwd', $jail->link_destination( $link, '/etc//./passwd' ) );
		$this->assertNull( $jail->link_destination( $link, '' ) );
		$this->assertNull( $jail->link_destination( $link, "a\0b" ) );
		$this->assertSame( 'a/x', $jail->relative( $real . '/a/x' ) );
		$this->assertSame( '', $jail->relative( $real ) );
		$this->assertNull( $jail->relative( dirname( $real ) . '/etc' ) );
		$this->assertNull( $jail->relative( $real . '-other/x' ) );
		\Strongbox\Data_Dir::rmtree( $root );
	}
}
