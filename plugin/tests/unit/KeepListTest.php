<?php
/**
 * Restore\Keep_List (lines split across pieces, a request adds all or nothing, memory of
 * the set) and Restore\Pruner in-process (flat memory over a large tree, exact undo).
 *
 * @package Strongbox
 */

use PHPUnit\Framework\TestCase;
use Strongbox\Data_Dir;
use Strongbox\Files\Jail;
use Strongbox\Files\Lister;
use Strongbox\Restore\Keep_List;
use Strongbox\Restore\Pruner;

/**
 * Keep_List and Pruner.
 */
class KeepListTest extends TestCase {

	/** @var string */
	private $tmp;

	protected function setUp(): void {
		$this->tmp = sys_get_temp_dir() . '/sb-keep-' . getmypid() . '-' . bin2hex( random_bytes( 4 ) );
		mkdir( $this->tmp . '/session', 0700, true );
		mkdir( $this->tmp . '/site', 0755 );
	}

	protected function tearDown(): void {
		Data_Dir::rmtree( $this->tmp );
	}

	/**
	 * A reader handing out a string in pieces of $size bytes.
	 *
	 * @param string $body Body.
	 * @param int    $size Piece size.
	 * @return callable
	 */
	private static function reader( $body, $size ) {
		$pos = 0;
		return static function () use ( $body, $size, &$pos ) {
			if ( $pos >= strlen( $body ) ) {
				return false;
			}
			$piece = substr( $body, $pos, $size );
			$pos  += strlen( $piece );
			return $piece;
		};
	}

	public function test_lines_split_across_pieces_and_the_last_line_without_newline() {
		$body = "a/b.txt\r\n\nc//d/./e.jpg\nf g/h%2Fi\\j\nlast/one";
		$want = "a/b.txt\nc/d/e.jpg\nf g/h%2Fi\\j\nlast/one\n";
		foreach ( array( 1, 2, 3, 7, 1000 ) as $n => $size ) {
			$list = new Keep_List( $this->tmp . '/session' );
			$r    = $list->receive( 10 + $n, self::reader( $body, $size ), 1000 );
			$this->assertSame( array( 'paths' => 4, 'bytes' => strlen( $body ) ), $r, "pieces of $size" );
			$this->assertSame( $want, file_get_contents( $this->tmp . '/session/keep/' . ( 10 + $n ) . '.lst' ) );
		}
		$set = ( new Keep_List( $this->tmp . '/session' ) )->set();
		$this->assertCount( 4, $set );
		$this->assertArrayHasKey( Keep_List::key( 'c/d/e.jpg' ), $set );
		$this->assertArrayNotHasKey( Keep_List::key( 'c//d/./e.jpg' ), $set );
	}

	public function test_a_refused_request_adds_nothing() {
		$list = new Keep_List( $this->tmp . '/session' );
		$big  = str_repeat( "ok/path\n", 100000 ) . "../up\n";
		$r    = $list->receive( 1, self::reader( $big, 65536 ), 33554432 );
		$this->assertSame( 'strongbox_keep_invalid', $r->get_error_code() );
		$this->assertSame( 100001, $r->get_error_data()['line'] );
		$this->assertSame( array(), glob( $this->tmp . '/session/keep/*' ) );
		$r = $list->receive( 2, self::reader( "a\nb\n", 2 ), 3 );
		$this->assertSame( 'strongbox_body_too_large', $r->get_error_code() );
		$r = $list->receive( 3, self::reader( "a\nb\n", 2 ), 100, 10 );
		$this->assertSame( 'strongbox_body_truncated', $r->get_error_code() );
		$this->assertSame( array(), glob( $this->tmp . '/session/keep/*' ) );
		$r = $list->receive( 4, self::reader( str_repeat( 'x', 5000 ), 1000 ), 100000 );
		$this->assertSame( 'strongbox_keep_invalid', $r->get_error_code(), 'a line too long, however it arrives' );
	}

	public function test_the_set_of_100000_paths_takes_about_50_bytes_a_path() {
		$body = '';
		for ( $i = 0; $i < 100000; $i++ ) {
			$body .= sprintf( "wp-content/uploads/shop-catalogue-images/%04d/%02d/product-image-%06d-%s.jpg\n", 2015 + $i % 10, 1 + $i % 12, $i, substr( md5( (string) $i ), 0, 24 ) );
		}
		$this->assertGreaterThan( 9800000, strlen( $body ) );
		$list = new Keep_List( $this->tmp . '/session' );
		memory_reset_peak_usage();
		$m0 = memory_get_usage();
		$r  = $list->receive( 1, self::reader( $body, Keep_List::CHUNK ), 33554432 );
		$this->assertSame( 100000, $r['paths'] );
		$this->assertLessThan( 2000000, memory_get_peak_usage() - $m0, 'receiving holds a piece, not the list' );
		$m1  = memory_get_usage();
		$set = $list->set();
		$m2  = memory_get_usage();
		$this->assertCount( 100000, $set );
		$this->assertLessThan( 8000000, $m2 - $m1 );
		fwrite( STDERR, sprintf( "\n[keep list] 100,000 paths (%.1f MB of list): set %.1f MB of PHP memory (%d bytes a path)\n", strlen( $body ) / 1e6, ( $m2 - $m1 ) / 1e6, ( $m2 - $m1 ) / 100000 ) );
	}

	public function test_pruner_walks_a_large_tree_with_flat_memory_and_undoes_exactly() {
		$site = $this->tmp . '/site';
		$keep = '';
		for ( $d = 0; $d < 200; $d++ ) {
			mkdir( sprintf( '%s/u/%03d/deep', $site, $d ), 0755, true );
			$keep .= sprintf( "u/%03d\nu/%03d/deep\n", $d, $d );
			for ( $f = 0; $f < 50; $f++ ) {
				$rel = sprintf( 'u/%03d/%s/f%02d.bin', $d, $f % 2 ? 'deep' : '.', $f );
				file_put_contents( $site . '/' . $rel, "$d $f" );
				if ( 0 === $f % 5 ) {
					$keep .= str_replace( '/./', '/', $rel ) . "\n";
				}
			}
		}
		mkdir( $site . '/u/empty-extra/inner', 0700, true );
		$before = self::tree( $site );
		$list   = new Keep_List( $this->tmp . '/session' );
		$list->receive( 1, self::reader( "u\n" . $keep, Keep_List::CHUNK ), 33554432 );
		$jail   = new Jail( $site );
		$set    = $list->set();
		$pruner = new Pruner( $jail, $this->tmp . '/session', $set, new Lister( $jail ), false );
		unset( $set );
		memory_reset_peak_usage();
		$m0 = memory_get_usage();
		$t  = microtime( true );
		$this->assertTrue( $pruner->run( array( 'u' ) ) );
		$t = microtime( true ) - $t;
		$walk = memory_get_peak_usage() - $m0;
		$this->assertLessThan( 500000, $walk, 'the walk keeps no list of the tree' );
		$this->assertSame( array( 'files' => 8000, 'dirs' => 2, 'roots' => array() ), $pruner->counts() );
		$this->assertCount( 2000 + 400 + 1, self::tree( $site ) );
		$t2 = microtime( true );
		Pruner::restore( $jail, $this->tmp . '/session' );
		$t2 = microtime( true ) - $t2;
		$this->assertSame( $before, self::tree( $site ) );
		fwrite( STDERR, sprintf( "[pruner] 10,000 files in 400 folders, 8,000 removed: walk %.2f s (peak memory above the set %d KB), undo %.2f s\n", $t, $walk / 1024, $t2 ) );
	}

	/**
	 * Every path under a root with its bytes, mode and time.
	 *
	 * @param string $root Root.
	 * @return array
	 */
	private static function tree( $root ) {
		$out = array();
		$it  = new RecursiveIteratorIterator( new RecursiveDirectoryIterator( $root, FilesystemIterator::SKIP_DOTS ), RecursiveIteratorIterator::SELF_FIRST );
		foreach ( $it as $path => $info ) {
			clearstatcache( true, $path );
			$out[ substr( $path, strlen( $root ) + 1 ) ] = ( is_dir( $path ) ? 'dir' : sha1_file( $path ) ) . ' ' . decoct( fileperms( $path ) & 0777 ) . ' ' . filemtime( $path );
		}
		ksort( $out );
		return $out;
	}
}
