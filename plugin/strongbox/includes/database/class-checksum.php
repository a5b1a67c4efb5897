<?php
/**
 * Page widths, page ranges and the checksum SQL of docs/FORMAT.md.
 *
 * @package Strongbox
 */

namespace Strongbox\Database;

defined( 'ABSPATH' ) || exit;

/**
 * Builds the exact SQL the format prescribes; the database computes every checksum.
 */
final class Checksum {

	/** Largest page width (2^40). */
	const MAX_WIDTH = 1099511627776;

	/** Rows a page aims at. */
	const ROWS_PER_PAGE = 1000;

	/**
	 * The row hash expression: CRC32(CONCAT_WS(X'1F', cols..., CONCAT(ISNULL(nullable)...))).
	 *
	 * @param array $table Table description from Schema::table().
	 * @return string
	 */
	public static function row_hash_sql( array $table ) {
		$cols  = array();
		$nulls = array();
		foreach ( $table['columns'] as $col ) {
			$cols[] = Schema::quote( $col['name'] );
			if ( $col['nullable'] ) {
				$nulls[] = 'ISNULL(' . Schema::quote( $col['name'] ) . ')';
			}
		}
		if ( $nulls ) {
			$cols[] = 'CONCAT(' . implode( ', ', $nulls ) . ')';
		}
		return "CRC32(CONCAT_WS(X'1F', " . implode( ', ', $cols ) . '))';
	}

	/**
	 * The manifest query of a paged table.
	 *
	 * @param array $table Table description.
	 * @param int   $width Page width.
	 * @return string
	 */
	public static function manifest_sql( array $table, $width ) {
		$k = Schema::quote( $table['page_key'] );
		return 'SELECT ' . $k . ' DIV ' . (int) $width . ' AS _sbx_p, COUNT(*), BIT_XOR(_sbx_h), SUM(_sbx_h) FROM (SELECT ' . $k . ', '
			. self::row_hash_sql( $table ) . ' AS _sbx_h FROM ' . Schema::quote( $table['name'] ) . ') AS _sbx_x GROUP BY _sbx_p ORDER BY _sbx_p';
	}

	/**
	 * The whole-table checksum query of a streamed table.
	 *
	 * @param array $table Table description.
	 * @return string
	 */
	public static function table_sql( array $table ) {
		return 'SELECT COUNT(*), BIT_XOR(_sbx_h), SUM(_sbx_h) FROM (SELECT ' . self::row_hash_sql( $table ) . ' AS _sbx_h FROM ' . Schema::quote( $table['name'] ) . ') AS _sbx_x';
	}

	/**
	 * Smallest power of two >= 1000 * (max - min + 1) / count, clamped to [1, 2^40].
	 *
	 * @param string|int $min   MIN(k) as returned by the server.
	 * @param string|int $max   MAX(k).
	 * @param int        $count COUNT(*); 0 gives null (no width yet).
	 * @return int|null
	 */
	public static function choose_width( $min, $max, $count ) {
		$count = (int) $count;
		if ( $count <= 0 ) {
			return null;
		}
		// Exact integer arithmetic while it fits; beyond that floats (the width is then huge anyway).
		$span_f = (float) $max - (float) $min + 1.0;
		$w      = 1;
		if ( $span_f < 9.0e15 && is_numeric( $min ) && is_numeric( $max ) && (string) (int) $min === (string) $min && (string) (int) $max === (string) $max ) {
			$need = self::ROWS_PER_PAGE * ( (int) $max - (int) $min + 1 );
			while ( $w < self::MAX_WIDTH && $w * $count < $need ) {
				$w *= 2;
			}
			return $w;
		}
		$ratio = self::ROWS_PER_PAGE * $span_f / $count;
		while ( $w < self::MAX_WIDTH && $w < $ratio ) {
			$w *= 2;
		}
		return $w;
	}

	/**
	 * Whether a width is acceptable (a power of two in [1, 2^40]).
	 *
	 * @param mixed $width Width.
	 * @return bool
	 */
	public static function valid_width( $width ) {
		return is_int( $width ) && $width >= 1 && $width <= self::MAX_WIDTH && 0 === ( $width & ( $width - 1 ) );
	}

	/**
	 * Whether a page number is a decimal integer within BIGINT's reach.
	 *
	 * @param mixed $p Page number (string or int).
	 * @return bool
	 */
	public static function valid_page( $p ) {
		return ( is_int( $p ) || ( is_string( $p ) && preg_match( '/^-?(0|[1-9][0-9]{0,19})$/', $p ) ) );
	}

	/**
	 * SQL constant expressions for the bounds lo and hi of page p.
	 *
	 * Plain integers while |p|·w fits comfortably in PHP's int, DECIMAL arithmetic beyond.
	 *
	 * @param string|int $p Validated page number.
	 * @param int        $w Validated width.
	 * @return string[] [lo, hi]
	 */
	public static function bounds_sql( $p, $w ) {
		$p = (string) $p;
		if ( abs( (float) $p ) * $w < 4.0e18 ) {
			$pi = (int) $p;
			if ( $pi > 0 ) {
				return array( (string) ( $pi * $w ), (string) ( ( $pi + 1 ) * $w - 1 ) );
			}
			if ( 0 === $pi ) {
				return array( (string) ( -( $w - 1 ) ), (string) ( $w - 1 ) );
			}
			return array( (string) ( ( $pi - 1 ) * $w + 1 ), (string) ( $pi * $w ) );
		}
		$d = 'CAST(' . $p . ' AS DECIMAL(65,0))';
		if ( '-' !== $p[0] ) {
			return array( "($d * $w)", "(($d + 1) * $w - 1)" );
		}
		return array( "(($d - 1) * $w + 1)", "($d * $w)" );
	}
}
