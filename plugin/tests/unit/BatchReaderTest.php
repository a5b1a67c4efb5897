<?php
/**
 * The batch reader in-process: flat memory, files that change while they are read.
 *
 * @package Strongbox
 */

use PHPUnit\Framework\TestCase;
use Strongbox\Files\Batch_Reader;
use Strongbox\Files\Jail;

/**
 * Batch_Reader.
 */
class BatchReaderTest extends TestCase {

	/** @var string */
	private $root;

	protected function setUp(): void {
		$this->root = sys_get_temp_dir() . '/sb-batch-' . bin2hex( random_bytes( 6 ) );
		mkdir( $this->root );
	}

	protected function tearDown(): void {
		\Strongbox\Data_Dir::rmtree( $this->root );
	}

	public function test_memory_stays_flat_for_a_large_file() {
		$f     = fopen( $this->root . '/big.bin', 'wb' );
		$block = random_bytes( 1 << 20 );
		for ( $i = 0; $i < 48; $i++ ) {
			fwrite( $f, $block );
		}
		fclose( $f );
		$reader = new Batch_Reader( new Jail( $this->root ) );
		$bytes  = 0;
		$pieces = 0;
		if ( function_exists( 'memory_reset_peak_usage' ) ) {
			memory_reset_peak_usage();
		}
		$before = memory_get_usage();
		$done   = $reader->stream(
			array( array( 'path' => 'big.bin', 'offset' => 0, 'length' => 48 << 20 ) ),
			static function ( $b ) use ( &$bytes, &$pieces ) {
				$bytes += strlen( $b );
				++$pieces;
			}
		);
		$this->assertSame( array( 'files' => 1, 'bytes' => 48 << 20 ), $done );
		$this->assertGreaterThan( 190, $pieces, 'written in 256 KiB pieces' );
		if ( function_exists( 'memory_reset_peak_usage' ) ) {
			$this->assertLessThan( 4 << 20, memory_get_peak_usage() - $before, 'a 48 MiB file read with a few pieces in memory' );
		}
		$this->assertGreaterThan( 48 << 20, $bytes );
		$this->assertLessThan( ( 48 << 20 ) + 300, $bytes, 'the bytes, one header, one #done' );
	}

	public function test_a_file_that_shrinks_or_grows_while_read_is_flagged() {
		file_put_contents( $this->root . '/shrinks.bin', str_repeat( 'a', 600000 ) );
		file_put_contents( $this->root . '/grows.bin', str_repeat( 'b', 600000 ) );
		file_put_contents( $this->root . '/steady.bin', str_repeat( 'c', 600000 ) );
		$reader = new Batch_Reader( new Jail( $this->root ) );
		$out    = '';
		$root   = $this->root;
		$seen   = 0;
		$reader->stream(
			array(
				array( 'path' => 'shrinks.bin', 'offset' => 0, 'length' => 600000 ),
				array( 'path' => 'grows.bin', 'offset' => 0, 'length' => 600000 ),
				array( 'path' => 'steady.bin', 'offset' => 0, 'length' => 600000 ),
			),
			static function ( $b ) use ( &$out, &$seen, $root ) {
				$out .= $b;
				if ( strlen( $b ) === Batch_Reader::PIECE ) {
					++$seen;
					if ( 1 === $seen ) {
						$h = fopen( $root . '/shrinks.bin', 'r+b' );
						ftruncate( $h, 300000 );
						fclose( $h );
					} elseif ( 4 === $seen ) {
						file_put_contents( $root . '/grows.bin', 'more', FILE_APPEND );
					}
				}
			}
		);
		// Framing holds: each header's length of bytes, then "\n".
		$lines = array();
		$pos   = 0;
		while ( $pos < strlen( $out ) ) {
			$nl      = strpos( $out, "\n", $pos );
			$line    = substr( $out, $pos, $nl - $pos );
			$pos     = $nl + 1;
			$lines[] = $line;
			if ( 0 === strpos( $line, '#file {' ) ) {
				$h    = json_decode( substr( $line, 6 ), true );
				$data = substr( $out, $pos, $h['length'] );
				$pos += $h['length'];
				$this->assertSame( "\n", $out[ $pos ] );
				++$pos;
				if ( 'shrinks.bin' === $h['path'] ) {
					$this->assertSame( str_repeat( 'a', 300000 ) . str_repeat( "\0", 300000 ), $data, 'padded to the promised length' );
				}
			}
		}
		$words = array_map(
			static function ( $l ) {
				return substr( $l, 0, strpos( $l, ' ' ) ) . ' ' . ( json_decode( substr( $l, strpos( $l, ' ' ) + 1 ), true )['path'] ?? '' );
			},
			$lines
		);
		$this->assertSame( array( '#file shrinks.bin', '#file-changed shrinks.bin', '#file grows.bin', '#file-changed grows.bin', '#file steady.bin', '#done ' ), $words );
	}
}
