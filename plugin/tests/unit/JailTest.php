<?php
/**
 * Path jail and row-line parser (in-process).
 *
 * @package Strongbox
 */

use PHPUnit\Framework\TestCase;
use Strongbox\Files\Jail;
use Strongbox\Restore\Row_Parser;

/**
 * Jail and Row_Parser.
 */
class JailTest extends TestCase {

	public function test_clean_normalizes_and_refuses() {
		$this->assertSame( 'a/b/c', Jail::clean( 'a//b/./c/' ) );
		$this->assertSame( '', Jail::clean( '' ) );
		$cases = array(
			'../etc/passwd'        => 'strongbox_path_traversal',
			'wp-content/../../x'   => 'strongbox_path_traversal',
			'a/..'                 => 'strongbox_path_traversal',
			'/etc/passwd'          => 'strongbox_path_absolute',
			'C:/Windows'           => 'strongbox_path_absolute',
			'~root/.ssh'           => 'strongbox_path_absolute',
			"index.php\0.txt"      => 'strongbox_path_nul',
			'..\\..\\etc\\passwd'  => 'strongbox_path_invalid',
			'%2e%2e/%2e%2e/etc'    => 'strongbox_path_encoded',
			'..%2fetc%2fpasswd'    => 'strongbox_path_encoded',
			"a\nb"                 => 'strongbox_path_invalid',
		);
		foreach ( $cases as $path => $code ) {
			$r = Jail::clean( $path );
			$this->assertInstanceOf( WP_Error::class, $r, $path );
			$this->assertSame( $code, $r->get_error_code(), $path );
		}
		$this->assertInstanceOf( WP_Error::class, Jail::clean( array( 'x' ) ) );
		// Nothing decodes paths after WordPress did once: "%252e" is a literal name, not "..".
		$this->assertSame( '%252e%252e/etc', Jail::clean( '%252e%252e/etc' ) );
	}

	public function test_resolve_refuses_links_leading_outside() {
		$root = sys_get_temp_dir() . '/sb-jail-' . getmypid();
		@mkdir( $root . '/inside', 0700, true );
		file_put_contents( $root . '/inside/f.txt', 'x' );
		@symlink( '/etc', $root . '/out-dir' );
		@symlink( '/etc/hostname', $root . '/out-file' );
		@symlink( $root . '/inside/f.txt', $root . '/in-link' );
		$jail = new Jail( $root );
		$this->assertSame( realpath( $root . '/inside/f.txt' ), $jail->resolve( 'in-link' ) );
		$this->assertSame( 'strongbox_path_outside_root', $jail->resolve( 'out-dir/passwd' )->get_error_code() );
		$this->assertSame( 'strongbox_path_outside_root', $jail->resolve( 'out-file' )->get_error_code() );
		$this->assertSame( 'strongbox_path_outside_root', $jail->resolve_for_write( 'out-dir/new.txt' )->get_error_code() );
		$this->assertSame( 'strongbox_path_outside_root', $jail->resolve_for_write( 'out-file' )->get_error_code() );
		$this->assertSame( $root . '/inside/new/deeper.txt', $jail->resolve_for_write( 'inside/new/deeper.txt' ) );
		$this->assertSame( 'strongbox_path_not_found', $jail->resolve( 'nope' )->get_error_code() );
		\Strongbox\Data_Dir::rmtree( $root );
	}

	public function test_row_parser_accepts_format_rows_only() {
		$this->assertTrue( Row_Parser::check( "(1,-2.5,1e+100,NULL,'a\\'b\\\\c\\0\\n\\r\\Z',X'00ff',X'','')", 8 ) );
		$bad = array(
			"(1),(2)"                                 => 1,
			"(1);DROP TABLE wp_users"                 => 1,
			"((SELECT user_pass FROM wp_users))"      => 1,
			"(1 OR 1=1)"                              => 1,
			"(0x41)"                                  => 1,
			"('unterminated)"                         => 1,
			"('bad escape \\x')"                      => 1,
			"(X'abc')"                                => 1,
			"(X'GG')"                                 => 1,
			"(1,2)"                                   => 3,
			"(CHAR(65))"                              => 1,
			"(@@version)"                             => 1,
			"(1) ON DUPLICATE KEY UPDATE a=1"         => 1,
			""                                        => 1,
			"(null)"                                  => 1,
		);
		foreach ( $bad as $line => $cols ) {
			$this->assertNotTrue( Row_Parser::check( $line, $cols ), $line );
		}
	}
}
