<?php
/**
 * Serialization-safe search and replace.
 *
 * @package Strongbox
 */

use PHPUnit\Framework\TestCase;
use Strongbox\Restore\Search_Replace;

/**
 * Search_Replace.
 */
class SearchReplaceTest extends TestCase {

	const FROM = 'http://old.example';
	const TO   = 'https://www.new-shop.example.org';

	/**
	 * Replaces and checks the result still unserializes to the expected value.
	 *
	 * @param mixed $value    Original PHP value.
	 * @param mixed $expected Expected PHP value after replacement.
	 */
	private function roundtrip( $value, $expected ) {
		$sr  = new Search_Replace( self::FROM, self::TO );
		$out = $sr->replace( serialize( $value ) );
		$this->assertSame( serialize( $expected ), $out );
		$this->assertEquals( $expected, unserialize( $out ) );
	}

	public function test_plain_string() {
		$sr = new Search_Replace( self::FROM, self::TO );
		$this->assertSame( 'see ' . self::TO . '/x', $sr->replace( 'see ' . self::FROM . '/x' ) );
		$this->assertSame( 'untouched', $sr->replace( 'untouched' ) );
	}

	public function test_nested_arrays_keep_lengths() {
		$v = array(
			'home'  => self::FROM,
			'deep'  => array( 'a' => array( 'b' => array( self::FROM . '/wp-content/x.jpg', 42, 1.5, true, null ) ) ),
			'utf8'  => 'Größe ✓ ' . self::FROM,
		);
		$e = array(
			'home'  => self::TO,
			'deep'  => array( 'a' => array( 'b' => array( self::TO . '/wp-content/x.jpg', 42, 1.5, true, null ) ) ),
			'utf8'  => 'Größe ✓ ' . self::TO,
		);
		$this->roundtrip( $v, $e );
	}

	public function test_objects_with_private_and_protected_properties() {
		$o = new SB_Fixture_Object( self::FROM . '/a', array( 'x' => self::FROM ) );
		$e = new SB_Fixture_Object( self::TO . '/a', array( 'x' => self::TO ) );
		$this->roundtrip( array( 'obj' => $o ), array( 'obj' => $e ) );
	}

	public function test_object_of_unknown_class_is_rewritten_without_instantiating_it() {
		$s   = 'O:19:"Unknown_Class_Xyzzy":1:{s:3:"url";s:' . strlen( self::FROM ) . ':"' . self::FROM . '";}';
		$sr  = new Search_Replace( self::FROM, self::TO );
		$out = $sr->replace( $s );
		$this->assertSame( 'O:19:"Unknown_Class_Xyzzy":1:{s:3:"url";s:' . strlen( self::TO ) . ':"' . self::TO . '";}', $out );
	}

	public function test_serialized_string_inside_serialized_array() {
		$inner = serialize( array( 'url' => self::FROM ) );
		$this->roundtrip( array( 'widget' => $inner, 'n' => 1 ), array( 'widget' => serialize( array( 'url' => self::TO ) ), 'n' => 1 ) );
	}

	public function test_keys_are_not_rewritten() {
		$this->roundtrip( array( self::FROM => self::FROM ), array( self::FROM => self::TO ) );
	}

	public function test_broken_serialization_falls_back_to_plain_replacement() {
		$sr = new Search_Replace( self::FROM, self::TO );
		$this->assertSame( 'a:1:{s:99:"' . self::TO . '";}', $sr->replace( 'a:1:{s:99:"' . self::FROM . '";}' ) );
	}

	public function test_shorter_replacement() {
		$sr  = new Search_Replace( 'https://long-old-domain.example.com', 'http://x.io' );
		$out = $sr->replace( serialize( array( 'a' => 'https://long-old-domain.example.com/p?q=1' ) ) );
		$this->assertSame( array( 'a' => 'http://x.io/p?q=1' ), unserialize( $out ) );
	}
}

/**
 * Fixture with visibility variants (their serialized names contain NUL bytes).
 */
class SB_Fixture_Object {
	public $pub;
	protected $prot;
	private $priv = 'keep';

	public function __construct( $pub, $prot ) {
		$this->pub  = $pub;
		$this->prot = $prot;
	}
}
