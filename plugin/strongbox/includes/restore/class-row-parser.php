<?php
/**
 * Checks that uploaded row lines are exactly FORMAT.md rows and nothing else.
 *
 * @package Strongbox
 */

namespace Strongbox\Restore;

defined( 'ABSPATH' ) || exit;

/**
 * A row line is `(` literal (`,` literal)* `)`, where a literal is NULL, a number,
 * X'hex' or a quoted string with the format's escapes. Nothing else can reach
 * the INSERT statement: no expressions, no subqueries, no second statement.
 */
final class Row_Parser {

	/**
	 * Validates one line (without its LF).
	 *
	 * @param string $line    Line.
	 * @param int    $columns Expected number of values.
	 * @return true|string True, or a short reason.
	 */
	public static function check( $line, $columns ) {
		$len = strlen( $line );
		if ( $len < 2 || '(' !== $line[0] || ')' !== $line[ $len - 1 ] ) {
			return 'a row must start with "(" and end with ")"';
		}
		$pos    = 1;
		$values = 0;
		while ( true ) {
			$c = $pos < $len ? $line[ $pos ] : '';
			if ( "'" === $c ) {
				++$pos;
				while ( true ) {
					$pos += strcspn( $line, "\\'", $pos );
					if ( $pos >= $len ) {
						return 'unterminated string';
					}
					if ( "'" === $line[ $pos ] ) {
						++$pos;
						break;
					}
					if ( $pos + 1 >= $len || false === strpos( "\\'0nrZ", $line[ $pos + 1 ] ) ) {
						return 'invalid escape in string';
					}
					$pos += 2;
				}
			} elseif ( 'X' === $c && $pos + 1 < $len && "'" === $line[ $pos + 1 ] ) {
				$pos += 2;
				$hex  = strspn( $line, '0123456789abcdef', $pos );
				if ( 0 !== $hex % 2 || $pos + $hex >= $len || "'" !== $line[ $pos + $hex ] ) {
					return 'invalid hexadecimal literal';
				}
				$pos += $hex + 1;
			} elseif ( 'N' === $c && 0 === substr_compare( $line, 'NULL', $pos, 4 ) ) {
				$pos += 4;
			} elseif ( preg_match( '/\G-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[-+]?[0-9]+)?/i', $line, $m, 0, $pos ) ) {
				$pos += strlen( $m[0] );
			} else {
				return 'invalid value at byte ' . $pos;
			}
			++$values;
			if ( $pos === $len - 1 ) {
				break;
			}
			if ( ',' !== $line[ $pos ] ) {
				return 'expected "," at byte ' . $pos;
			}
			++$pos;
		}
		if ( $values !== $columns ) {
			return sprintf( 'expected %d values, found %d', $columns, $values );
		}
		return true;
	}
}
