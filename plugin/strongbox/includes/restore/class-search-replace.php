<?php
/**
 * Serialization-safe search and replace (URL migration).
 *
 * @package Strongbox
 */

namespace Strongbox\Restore;

defined( 'ABSPATH' ) || exit;

/**
 * Replaces text inside values that may hold serialized PHP, rewriting the
 * serialized form itself (never unserialize(): no object is ever instantiated),
 * so string lengths stay correct at every nesting level, inside arrays, objects
 * and serialized strings within serialized strings. Array keys and property names
 * are left alone; custom-serialized objects (C:) are copied untouched.
 */
final class Search_Replace {

	/**
	 * Text to find.
	 *
	 * @var string
	 */
	private $from;

	/**
	 * Replacement.
	 *
	 * @var string
	 */
	private $to;

	/**
	 * Constructor.
	 *
	 * @param string $from Text to find (not empty).
	 * @param string $to   Replacement.
	 */
	public function __construct( $from, $to ) {
		$this->from = (string) $from;
		$this->to   = (string) $to;
	}

	/**
	 * Replaces in one value.
	 *
	 * @param string $value Value.
	 * @param int    $depth Nesting depth of serialized strings.
	 * @return string
	 */
	public function replace( $value, $depth = 0 ) {
		if ( '' === $this->from || false === strpos( $value, $this->from ) ) {
			return $value;
		}
		if ( $depth < 8 && self::looks_serialized( $value ) ) {
			$pos = 0;
			$out = $this->parse( $value, $pos, $depth, false );
			if ( null !== $out && strlen( $value ) === $pos ) {
				return $out;
			}
		}
		return str_replace( $this->from, $this->to, $value );
	}

	/**
	 * Cheap test before parsing.
	 *
	 * @param string $v Value.
	 * @return bool
	 */
	private static function looks_serialized( $v ) {
		return (bool) preg_match( '/^(?:N;|[bidsaOCE]:)/', $v );
	}

	/**
	 * Parses one serialized value at $pos and returns it rewritten, or null.
	 *
	 * @param string $s     Serialized text.
	 * @param int    $pos   Position (advanced).
	 * @param int    $depth Depth.
	 * @param bool   $key   Whether this is an array key / property name (kept).
	 * @return string|null
	 */
	private function parse( $s, &$pos, $depth, $key ) {
		$len = strlen( $s );
		if ( $pos >= $len ) {
			return null;
		}
		$type = $s[ $pos ];
		if ( 'N' === $type ) {
			if ( ';' !== substr( $s, $pos + 1, 1 ) ) {
				return null;
			}
			$pos += 2;
			return 'N;';
		}
		if ( 'b' === $type || 'i' === $type || 'd' === $type || 'r' === $type || 'R' === $type ) {
			if ( ! preg_match( '/\G[bidrR]:[^;:{}"]*;/', $s, $m, 0, $pos ) ) {
				return null;
			}
			$pos += strlen( $m[0] );
			return $m[0];
		}
		if ( 's' === $type ) {
			if ( ! preg_match( '/\Gs:([0-9]+):"/', $s, $m, 0, $pos ) ) {
				return null;
			}
			$n     = (int) $m[1];
			$start = $pos + strlen( $m[0] );
			if ( $start + $n + 2 > $len || '";' !== substr( $s, $start + $n, 2 ) ) {
				return null;
			}
			$inner = substr( $s, $start, $n );
			$pos   = $start + $n + 2;
			if ( ! $key ) {
				$inner = $this->replace( $inner, $depth + 1 );
			}
			return 's:' . strlen( $inner ) . ':"' . $inner . '";';
		}
		if ( 'a' === $type || 'O' === $type ) {
			if ( 'a' === $type ) {
				if ( ! preg_match( '/\Ga:([0-9]+):\{/', $s, $m, 0, $pos ) ) {
					return null;
				}
				$count = (int) $m[1];
			} else {
				if ( ! preg_match( '/\GO:([0-9]+):"/', $s, $m, 0, $pos ) ) {
					return null;
				}
				$cl = (int) $m[1];
				$p2 = $pos + strlen( $m[0] ) + $cl;
				if ( ! preg_match( '/\G":([0-9]+):\{/', $s, $m2, 0, $p2 ) ) {
					return null;
				}
				$m[0] = substr( $s, $pos, $p2 - $pos ) . $m2[0];
				$count = (int) $m2[1];
			}
			$out  = $m[0];
			$pos += strlen( $m[0] );
			for ( $i = 0; $i < $count; $i++ ) {
				$k = $this->parse( $s, $pos, $depth, true );
				if ( null === $k ) {
					return null;
				}
				$v = $this->parse( $s, $pos, $depth, false );
				if ( null === $v ) {
					return null;
				}
				$out .= $k . $v;
			}
			if ( $pos >= $len || '}' !== $s[ $pos ] ) {
				return null;
			}
			++$pos;
			return $out . '}';
		}
		if ( 'C' === $type ) {
			if ( ! preg_match( '/\GC:([0-9]+):"/', $s, $m, 0, $pos ) ) {
				return null;
			}
			$p2 = $pos + strlen( $m[0] ) + (int) $m[1];
			if ( ! preg_match( '/\G":([0-9]+):\{/', $s, $m2, 0, $p2 ) ) {
				return null;
			}
			$end = $p2 + strlen( $m2[0] ) + (int) $m2[1];
			if ( $end >= $len || '}' !== $s[ $end ] ) {
				return null;
			}
			$out = substr( $s, $pos, $end + 1 - $pos );
			$pos = $end + 1;
			return $out;
		}
		if ( 'E' === $type ) {
			if ( ! preg_match( '/\GE:([0-9]+):"/', $s, $m, 0, $pos ) ) {
				return null;
			}
			$end = $pos + strlen( $m[0] ) + (int) $m[1];
			if ( '";' !== substr( $s, $end, 2 ) ) {
				return null;
			}
			$out = substr( $s, $pos, $end + 2 - $pos );
			$pos = $end + 2;
			return $out;
		}
		return null;
	}
}
