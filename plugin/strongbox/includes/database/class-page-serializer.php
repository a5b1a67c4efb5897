<?php
/**
 * Row and value encoding of docs/FORMAT.md ("Value encoding", "Row and page serialization").
 *
 * @package Strongbox
 */

namespace Strongbox\Database;

defined( 'ABSPATH' ) || exit;

/**
 * Turns rows read through the text protocol into the exact bytes the core expects.
 */
final class Page_Serializer {

	const NUMERIC = 'numeric';
	const BINARY  = 'binary';
	const TEXT    = 'text';

	/** Escapes of text values, and nothing else. */
	const TEXT_ESCAPES = array(
		'\\'   => '\\\\',
		"'"    => "\\'",
		"\0"   => '\\0',
		"\n"   => '\\n',
		"\r"   => '\\r',
		"\x1a" => '\\Z',
	);

	/**
	 * Column class of an information_schema DATA_TYPE.
	 *
	 * @param string $data_type Data type.
	 * @return string
	 */
	public static function column_class( $data_type ) {
		static $numeric = array( 'tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'numeric', 'float', 'double', 'real' );
		static $binary  = array( 'binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'bit', 'geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection' );
		$t = strtolower( (string) $data_type );
		if ( in_array( $t, $numeric, true ) ) {
			return self::NUMERIC;
		}
		if ( in_array( $t, $binary, true ) ) {
			return self::BINARY;
		}
		return self::TEXT;
	}

	/**
	 * One value as an SQL literal.
	 *
	 * @param string|null $value Server text of the value.
	 * @param string      $class Column class.
	 * @return string
	 */
	public static function value( $value, $class ) {
		if ( null === $value ) {
			return 'NULL';
		}
		if ( self::NUMERIC === $class ) {
			return (string) $value;
		}
		if ( self::BINARY === $class ) {
			return "X'" . bin2hex( $value ) . "'";
		}
		return "'" . strtr( $value, self::TEXT_ESCAPES ) . "'";
	}

	/**
	 * One row, LF-terminated.
	 *
	 * @param array    $row     Values in column ordinal order.
	 * @param string[] $classes Classes in the same order.
	 * @return string
	 */
	public static function row( array $row, array $classes ) {
		$out = array();
		foreach ( $row as $i => $v ) {
			if ( null === $v ) {
				$out[] = 'NULL';
			} elseif ( self::TEXT === $classes[ $i ] ) {
				$out[] = "'" . strtr( $v, self::TEXT_ESCAPES ) . "'";
			} elseif ( self::NUMERIC === $classes[ $i ] ) {
				$out[] = $v;
			} else {
				$out[] = "X'" . bin2hex( $v ) . "'";
			}
		}
		return '(' . implode( ',', $out ) . ")\n";
	}
}
