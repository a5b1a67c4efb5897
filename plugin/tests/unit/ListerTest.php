<?php
/**
 * Resumable listing: every page size gives the same complete, ordered listing.
 *
 * @package Strongbox
 */

use PHPUnit\Framework\TestCase;
use Strongbox\Files\Jail;
use Strongbox\Files\Lister;

/**
 * Lister.
 */
class ListerTest extends TestCase {

	public function test_every_page_size_resumes_exactly() {
		$root = sys_get_temp_dir() . '/sb-lister-' . getmypid();
		foreach ( array( 'a/x', 'a/y/z', 'a-b', 'a.b/c', 'b', 'empty' ) as $d ) {
			@mkdir( "$root/$d", 0755, true );
		}
		foreach ( array( 'a/x/1', 'a/y/z/2', 'a-b/3', 'a.b/c/4', 'top', 'a/5' ) as $f ) {
			file_put_contents( "$root/$f", $f );
		}
		symlink( '/etc', "$root/b/out" );
		$lister = new Lister( new Jail( $root ) );
		$full   = array_column( $lister->page( '', 1000 )['entries'], 'path' );
		$this->assertSame( array( 'a', 'a/5', 'a/x', 'a/x/1', 'a/y', 'a/y/z', 'a/y/z/2', 'a-b', 'a-b/3', 'a.b', 'a.b/c', 'a.b/c/4', 'b', 'b/out', 'empty', 'top' ), $full );
		for ( $limit = 1; $limit <= 5; $limit++ ) {
			$got    = array();
			$cursor = '';
			do {
				$page   = $lister->page( $cursor, $limit );
				$got    = array_merge( $got, array_column( $page['entries'], 'path' ) );
				$cursor = $page['next_cursor'];
			} while ( null !== $cursor );
			$this->assertSame( $full, $got, "limit $limit" );
		}
		\Strongbox\Data_Dir::rmtree( $root );
	}
}
