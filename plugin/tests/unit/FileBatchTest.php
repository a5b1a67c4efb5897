<?php
/**
 * The framing of restore file batches, in-process: strings and streams read alike,
 * malformed bodies located, and a 24 MiB batch staged with flat memory.
 *
 * @package Strongbox
 */

use PHPUnit\Framework\TestCase;
use Strongbox\Restore\File_Batch;
use Strongbox\Restore\Session;

/**
 * File_Batch, and Session::add_files() on a stream.
 */
class FileBatchTest extends TestCase {

	/** Where the restored test files go. */
	const DIR = 'wp-content/uploads/sb-batch-unit';

	protected function tearDown(): void {
		$s = Session::current();
		if ( $s ) {
			$s->rollback( 'test cleanup' );
		}
		\Strongbox\Data_Dir::rmtree( SB_TEST_WP_DIR . '/' . self::DIR );
	}

	/**
	 * A header line.
	 *
	 * @param array $h Fields.
	 * @return string
	 */
	private static function head( array $h ) {
		return '#file ' . json_encode( $h, JSON_UNESCAPED_SLASHES ) . "\n";
	}

	/**
	 * A stream holding bytes.
	 *
	 * @param string $bytes Bytes.
	 * @return resource
	 */
	private static function stream( $bytes ) {
		$h = fopen( 'php://temp', 'w+b' );
		fwrite( $h, $bytes );
		rewind( $h );
		return $h;
	}

	/**
	 * Every entry of a batch with its bytes; the entries named in $skip are not read.
	 *
	 * @param File_Batch $batch Batch.
	 * @param array      $skip  Paths not to read.
	 * @return array
	 */
	private static function entries( File_Batch $batch, array $skip = array() ) {
		$out = array();
		$batch->each(
			static function ( array $e, callable $read ) use ( &$out, $skip ) {
				$data = null;
				if ( ! in_array( $e['path'], $skip, true ) ) {
					$data = '';
					$read(
						static function ( $piece ) use ( &$data ) {
							$data .= $piece;
						}
					);
				}
				$out[] = array( $e, $data );
			}
		);
		return $out;
	}

	public function test_a_string_and_a_stream_give_the_same_entries() {
		$big  = random_bytes( File_Batch::PIECE * 2 + 17 );
		$body = self::head( array( 'path' => 'a.txt', 'offset' => 0, 'length' => 3, 'mode' => '0600', 'last' => true ) ) . "a\nb\n"
			. self::head( array( 'path' => 'skipped.bin', 'length' => 5 ) ) . "\n\n\n\n\n\n"
			. self::head( array( 'path' => 'big.bin', 'offset' => 7, 'length' => strlen( $big ), 'last' => false ) ) . $big . "\n"
			. self::head( array( 'path' => 'empty', 'length' => 0, 'mode' => '755' ) ) . "\n"
			. "#done {\"files\":4}\n";
		$expect = array(
			array( array( 'path' => 'a.txt', 'raw' => false, 'offset' => 0, 'length' => 3, 'mode' => 0600, 'last' => true, 'type' => 'file' ), "a\nb" ),
			array( array( 'path' => 'skipped.bin', 'raw' => false, 'offset' => 0, 'length' => 5, 'mode' => 0644, 'last' => false, 'type' => 'file' ), null ),
			array( array( 'path' => 'big.bin', 'raw' => false, 'offset' => 7, 'length' => strlen( $big ), 'mode' => 0644, 'last' => false, 'type' => 'file' ), $big ),
			array( array( 'path' => 'empty', 'raw' => false, 'offset' => 0, 'length' => 0, 'mode' => 0755, 'last' => false, 'type' => 'file' ), '' ),
		);
		foreach ( array( 'string' => File_Batch::from_string( $body, 1 << 25 ), 'stream' => File_Batch::from_stream( self::stream( $body ), 1 << 25 ) ) as $source => $batch ) {
			$this->assertSame( array( 'files' => 4, 'bytes' => 3 + 5 + strlen( $big ), 'body_bytes' => strlen( $body ) ), $batch->validate(), $source );
			$this->assertSame( $expect, self::entries( $batch, array( 'skipped.bin' ) ), $source );
		}
	}

	public function test_folders_and_links_are_header_lines_alone_and_raw_names_are_decoded() {
		$body = '#dir {"path":"a/empty","mode":"2775"}' . "\n"
			. '#link {"path_b64":"' . base64_encode( "l\xe9" ) . '","target_b64":"' . base64_encode( "caf\xe9\n" ) . '"}' . "\n"
			. '#dir {"path_b64":"' . base64_encode( "d\nir" ) . '"}' . "\n"
			. self::head( array( 'path_b64' => base64_encode( "f\xff" ), 'length' => 2, 'last' => true ) ) . "ab\n"
			. '#link {"path":"x","target":"../y"}' . "\n"
			. "#done {\"files\":5,\"bytes\":2}\n";
		$expect = array(
			array( array( 'path' => 'a/empty', 'raw' => false, 'mode' => 0775, 'type' => 'dir' ), '' ),
			array( array( 'path' => "l\xe9", 'raw' => true, 'target' => "caf\xe9\n", 'type' => 'link' ), '' ),
			array( array( 'path' => "d\nir", 'raw' => true, 'mode' => 0755, 'type' => 'dir' ), '' ),
			array( array( 'path' => "f\xff", 'raw' => true, 'offset' => 0, 'length' => 2, 'mode' => 0644, 'last' => true, 'type' => 'file' ), 'ab' ),
			array( array( 'path' => 'x', 'raw' => false, 'target' => '../y', 'type' => 'link' ), '' ),
		);
		foreach ( array( 'string' => File_Batch::from_string( $body, 1 << 25 ), 'stream' => File_Batch::from_stream( self::stream( $body ), 1 << 25 ) ) as $source => $batch ) {
			$this->assertSame( array( 'files' => 5, 'bytes' => 2, 'body_bytes' => strlen( $body ) ), $batch->validate(), $source );
			$this->assertSame( $expect, self::entries( $batch, array() ), $source );
		}
		$cases = array(
			"#link\n#done {}\n"                                     => 'strongbox_batch_invalid',
			"#dir\n#done {}\n"                                      => 'strongbox_batch_invalid',
			"#dir {\"path\":\"a\",\"mode\":\"99\"}\n#done {}\n"              => 'strongbox_batch_invalid',
			"#link {\"path\":\"a\",\"target\":7}\n#done {}\n"            => 'strongbox_batch_invalid',
			"#dir {\"path\":\"a\"}\n\n#done {}\n"                         => 'strongbox_batch_invalid',
			"#dir {\"path_b64\":\"YQ\"}\n#done {}\n"                      => 'strongbox_path_b64_invalid',
			"#link {\"path\":\"a\",\"target_b64\":\"*\"}\n#done {}\n"      => 'strongbox_path_b64_invalid',
			"#file {\"path_b64\":\"YQ==\\n\",\"length\":0}\n\n#done {}\n" => 'strongbox_path_b64_invalid',
		);
		foreach ( $cases as $bad => $code ) {
			$e = File_Batch::from_string( $bad, 1 << 25 )->validate();
			$this->assertInstanceOf( WP_Error::class, $e, $bad );
			$this->assertSame( $code, $e->get_error_code(), $bad );
			$this->assertSame( 400, $e->get_error_data()['status'] );
		}
	}

	public function test_malformed_bodies_say_which_entry_and_where() {
		$ok   = self::head( array( 'path' => 'a', 'length' => 1 ) ) . "a\n";
		$cases = array(
			array( $ok . self::head( array( 'path' => 'b', 'length' => 10 ) ) . "12345", 'strongbox_batch_truncated', 1, strlen( $ok ) ),
			array( $ok . '#file {"path":"' . str_repeat( 'p', File_Batch::MAX_LINE ) . "\",\"length\":0}\n\n#done {}\n", 'strongbox_batch_invalid', 1, strlen( $ok ) ),
			array( $ok . self::head( array( 'path' => 'b', 'length' => 1.5 ) ) . "x\n#done {}\n", 'strongbox_batch_invalid', 1, strlen( $ok ) ),
			array( $ok . self::head( array( 'path' => 'b', 'length' => 0, 'last' => 'yes' ) ) . "\n#done {}\n", 'strongbox_batch_invalid', 1, strlen( $ok ) ),
			array( $ok . "#done {}\n\n", 'strongbox_batch_invalid', 1, strlen( $ok ) ),
			array( $ok . '#done', 'strongbox_batch_truncated', 1, strlen( $ok ) ),
		);
		foreach ( $cases as $i => $c ) {
			foreach ( array( File_Batch::from_string( $c[0], 1 << 25 ), File_Batch::from_stream( self::stream( $c[0] ), 1 << 25 ) ) as $batch ) {
				$e = $batch->validate();
				$this->assertInstanceOf( WP_Error::class, $e, "case $i" );
				$this->assertSame( $c[1], $e->get_error_code(), "case $i: " . $e->get_error_message() );
				$this->assertSame( array( 'status' => 400, 'index' => $c[2], 'offset' => $c[3] ), $e->get_error_data(), "case $i" );
				$this->assertStringContainsString( 'nothing of this request was applied', $e->get_error_message() );
			}
		}
		// Over the byte limit, or too many entries.
		$e = File_Batch::from_string( $ok . $ok . "#done {}\n", strlen( $ok ) + 3 )->validate();
		$this->assertSame( 'strongbox_body_too_large', $e->get_error_code() );
		$this->assertSame( 413, $e->get_error_data()['status'] );
		$many = str_repeat( self::head( array( 'path' => 'a', 'length' => 0 ) ) . "\n", File_Batch::MAX_FILES + 1 ) . "#done {}\n";
		$e    = File_Batch::from_stream( self::stream( $many ), 1 << 25 )->validate();
		$this->assertSame( 'strongbox_batch_too_large', $e->get_error_code() );
		$this->assertSame( File_Batch::MAX_FILES, $e->get_error_data()['max_files'] );
	}

	public function test_memory_stays_flat_for_a_24_mib_batch() {
		list( $session ) = Session::open( 1, array( 'ttl' => 600, 'maintenance' => false ) );
		$this->assertInstanceOf( Session::class, $session );
		$body   = tmpfile();
		$block  = random_bytes( 1 << 20 );
		$sizes  = array( 'big.bin' => 16 << 20 );
		for ( $i = 0; $i < 8; $i++ ) {
			$sizes[ "one-$i.bin" ] = ( 1 << 20 ) - $i;
		}
		$hashes = array();
		foreach ( $sizes as $name => $size ) {
			fwrite( $body, '#file ' . json_encode( array( 'path' => self::DIR . '/' . $name, 'offset' => 0, 'length' => $size, 'mode' => '0644', 'last' => true ), JSON_UNESCAPED_SLASHES ) . "\n" );
			$ctx = hash_init( 'sha256' );
			for ( $left = $size; $left > 0; $left -= strlen( $piece ) ) {
				$piece = substr( $block, 0, min( $left, strlen( $block ) ) );
				fwrite( $body, $piece );
				hash_update( $ctx, $piece );
			}
			fwrite( $body, "\n" );
			$hashes[ self::DIR . '/' . $name ] = hash_final( $ctx );
		}
		fwrite( $body, "#done {}\n" );
		rewind( $body );
		$this->assertSame( ( 24 << 20 ) - 28, array_sum( $sizes ) );
		unset( $block );

		$before = memory_get_usage();
		if ( function_exists( 'memory_reset_peak_usage' ) ) {
			memory_reset_peak_usage();
		}
		$batch  = File_Batch::from_stream( $body, Session::MAX_BODY );
		$check  = $batch->validate();
		$result = $session->add_files( $batch );
		$peak   = memory_get_peak_usage() - $before;
		$this->assertSame( 9, $check['files'] );
		$this->assertSame( 9, $result['totals']['ok'] );
		$this->assertSame( array_sum( $sizes ), $result['totals']['bytes'] );
		if ( function_exists( 'memory_reset_peak_usage' ) ) {
			$this->assertLessThan( 2 << 20, $peak, 'a 24 MiB batch staged with a piece or two in memory' );
		}
		fwrite( STDERR, sprintf( "\n[restore files] 24 MiB batch staged in-process from a stream: peak memory above the start %.2f MB\n", $peak / 1048576 ) );

		$this->assertSame( array( 'count' => 9, 'bytes' => array_sum( $sizes ), 'complete' => 9, 'dirs' => 0, 'links' => 0 ), $session->to_array()['files'] );
		$this->assertIsArray( $session->swap() );
		foreach ( $hashes as $path => $hash ) {
			$this->assertSame( $hash, hash_file( 'sha256', SB_TEST_WP_DIR . '/' . $path ), $path );
		}
		$session->rollback( 'test done' );
		$this->assertDirectoryDoesNotExist( SB_TEST_WP_DIR . '/' . self::DIR );
	}
}
