<?php
/**
 * Value encoding, page widths, page bounds and the checksum SQL of docs/FORMAT.md.
 *
 * @package Strongbox
 */

use PHPUnit\Framework\TestCase;
use Strongbox\Database\Checksum;
use Strongbox\Database\Page_Serializer;

/**
 * Format.
 */
class FormatTest extends TestCase {

	public function test_column_classes() {
		foreach ( array( 'tinyint', 'BIGINT', 'decimal', 'double', 'real', 'numeric' ) as $t ) {
			$this->assertSame( 'numeric', Page_Serializer::column_class( $t ), $t );
		}
		foreach ( array( 'binary', 'varbinary', 'longblob', 'bit', 'geometry', 'point', 'geometrycollection' ) as $t ) {
			$this->assertSame( 'binary', Page_Serializer::column_class( $t ), $t );
		}
		foreach ( array( 'varchar', 'longtext', 'enum', 'set', 'date', 'datetime', 'timestamp', 'year', 'json', 'time', 'char' ) as $t ) {
			$this->assertSame( 'text', Page_Serializer::column_class( $t ), $t );
		}
	}

	public function test_value_encoding() {
		$this->assertSame( 'NULL', Page_Serializer::value( null, 'text' ) );
		$this->assertSame( '-1.50', Page_Serializer::value( '-1.50', 'numeric' ) );
		$this->assertSame( '1e+100', Page_Serializer::value( '1e+100', 'numeric' ) );
		$this->assertSame( "X''", Page_Serializer::value( '', 'binary' ) );
		$this->assertSame( "X'00ff1a'", Page_Serializer::value( "\x00\xff\x1a", 'binary' ) );
		$this->assertSame( "''", Page_Serializer::value( '', 'text' ) );
		$this->assertSame( "'a\\\\b\\'c\\0d\\ne\\rf\\Zg\tÄ✓'", Page_Serializer::value( "a\\b'c\0d\ne\rf\x1ag\tÄ✓", 'text' ) );
		$this->assertSame( "(1,NULL,'x',X'01')\n", Page_Serializer::row( array( '1', null, 'x', "\x01" ), array( 'numeric', 'text', 'text', 'binary' ) ) );
	}

	public function test_width_is_the_smallest_power_of_two_for_about_1000_rows() {
		$this->assertNull( Checksum::choose_width( null, null, 0 ) );
		$this->assertSame( 1024, Checksum::choose_width( '1', '1000', 1000 ) ); // 1000 exactly -> 1024.
		$this->assertSame( 1, Checksum::choose_width( '5', '5', 1000 ) ); // tiny span: at least 1.
		$this->assertSame( 1024, Checksum::choose_width( '1', '1024', 1000 ) ); // 1024000/1000 = 1024.
		$this->assertSame( 2048, Checksum::choose_width( '1', '1025', 1000 ) ); // 1025 -> 2048.
		$this->assertSame( 8192, Checksum::choose_width( '1', '16000', 2000 ) ); // 8000 -> 8192.
		$this->assertSame( Checksum::MAX_WIDTH, Checksum::choose_width( '0', '18446744073709551615', 2 ) );
		$this->assertSame( 1024, Checksum::choose_width( '-500', '499', 1000 ) );
	}

	public function test_page_bounds() {
		$this->assertSame( array( '-1023', '1023' ), Checksum::bounds_sql( '0', 1024 ) );
		$this->assertSame( array( '1024', '2047' ), Checksum::bounds_sql( '1', 1024 ) );
		$this->assertSame( array( '-2047', '-1024' ), Checksum::bounds_sql( '-1', 1024 ) );
		$this->assertSame( array( '0', '0' ), Checksum::bounds_sql( '0', 1 ) );
		$this->assertSame( array( '5', '5' ), Checksum::bounds_sql( '5', 1 ) );
		$big = Checksum::bounds_sql( '16777215', Checksum::MAX_WIDTH );
		$this->assertStringContainsString( 'DECIMAL(65,0)', $big[0] );
	}

	public function test_width_and_page_validation() {
		$this->assertTrue( Checksum::valid_width( 1024 ) );
		$this->assertFalse( Checksum::valid_width( 1000 ) );
		$this->assertFalse( Checksum::valid_width( 0 ) );
		$this->assertFalse( Checksum::valid_width( Checksum::MAX_WIDTH * 2 ) );
		$this->assertTrue( Checksum::valid_page( '-12' ) );
		foreach ( array( '1 OR 1=1', '0;DROP TABLE wp_users', '01', '', '1e3', '0x10', ' 1', '-', '123456789012345678901' ) as $bad ) {
			$this->assertFalse( Checksum::valid_page( $bad ), $bad );
		}
	}

	public function test_checksum_sql_is_the_format_text() {
		$table = array(
			'name'     => 'wp_t',
			'page_key' => 'id',
			'columns'  => array(
				array( 'name' => 'id', 'nullable' => false ),
				array( 'name' => 'a', 'nullable' => true ),
				array( 'name' => 'b', 'nullable' => false ),
				array( 'name' => 'c', 'nullable' => true ),
			),
		);
		$this->assertSame(
			"SELECT `id` DIV 1024 AS _sbx_p, COUNT(*), BIT_XOR(_sbx_h), SUM(_sbx_h) FROM (SELECT `id`, CRC32(CONCAT_WS(X'1F', `id`, `a`, `b`, `c`, CONCAT(ISNULL(`a`), ISNULL(`c`)))) AS _sbx_h FROM `wp_t`) AS _sbx_x GROUP BY _sbx_p ORDER BY _sbx_p",
			Checksum::manifest_sql( $table, 1024 )
		);
		$table['columns'] = array( array( 'name' => 'id', 'nullable' => false ) );
		$this->assertSame( "SELECT COUNT(*), BIT_XOR(_sbx_h), SUM(_sbx_h) FROM (SELECT CRC32(CONCAT_WS(X'1F', `id`)) AS _sbx_h FROM `wp_t`) AS _sbx_x", Checksum::table_sql( $table ) );
	}
}
