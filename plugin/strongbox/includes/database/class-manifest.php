<?php
/**
 * A table's page manifest (checksums computed by the database, docs/FORMAT.md).
 *
 * @package Strongbox
 */

namespace Strongbox\Database;

defined( 'ABSPATH' ) || exit;

/**
 * One place computes manifests, for the live tables (GET /db/tables/{t}/manifest) and
 * for a restore session's staging tables (GET /restore/sessions/{id}/verify), so both
 * answers are the same for the same rows.
 */
final class Manifest {

	/**
	 * The manifest of a table described by Schema (its `name` is the table read).
	 *
	 * @param array    $t     Table description (Schema::table() or Schema::describe()).
	 * @param int|null $width Page width (null: chosen per FORMAT.md); validated by the caller.
	 * @return array|\WP_Error paged: {table, paged, key, width, rows, pages[{p, lo, hi, rows, bit_xor, sum}], seconds};
	 *                        streamed: {table, paged, rows, checksum{rows, bit_xor, sum}, seconds}
	 */
	public static function compute( array $t, $width = null ) {
		global $wpdb;
		$start = microtime( true );
		if ( ! $t['paged'] ) {
			$row = $wpdb->get_row( Checksum::table_sql( $t ), ARRAY_N ); // phpcs:ignore WordPress.DB.PreparedSQL -- built from validated identifiers.
			if ( null === $row || '' !== $wpdb->last_error ) {
				return self::db_error();
			}
			return array(
				'table'    => $t['name'],
				'paged'    => false,
				'rows'     => (int) $row[0],
				'checksum' => array(
					'rows'    => (int) $row[0],
					'bit_xor' => (int) $row[1],
					'sum'     => null === $row[2] ? 0 : (int) $row[2],
				),
				'seconds'  => round( microtime( true ) - $start, 3 ),
			);
		}
		if ( null === $width ) {
			$k     = Schema::quote( $t['page_key'] );
			$range = $wpdb->get_row( 'SELECT MIN(' . $k . '), MAX(' . $k . '), COUNT(*) FROM ' . Schema::quote( $t['name'] ), ARRAY_N ); // phpcs:ignore WordPress.DB.PreparedSQL -- validated identifiers.
			if ( null === $range ) {
				return self::db_error();
			}
			$width = Checksum::choose_width( $range[0], $range[1], $range[2] );
		}
		$pages = array();
		$rows  = 0;
		if ( null !== $width ) {
			$result = $wpdb->get_results( Checksum::manifest_sql( $t, (int) $width ), ARRAY_N ); // phpcs:ignore WordPress.DB.PreparedSQL -- built from validated identifiers.
			if ( '' !== $wpdb->last_error ) {
				return self::db_error();
			}
			foreach ( $result as $r ) {
				list( $lo, $hi ) = Checksum::bounds_sql( $r[0], (int) $width );
				$pages[]         = array(
					'p'       => $r[0],
					'lo'      => $lo,
					'hi'      => $hi,
					'rows'    => (int) $r[1],
					'bit_xor' => (int) $r[2],
					'sum'     => (int) $r[3],
				);
				$rows           += (int) $r[1];
			}
		}
		return array(
			'table'   => $t['name'],
			'paged'   => true,
			'key'     => $t['page_key'],
			'width'   => null === $width ? null : (int) $width,
			'rows'    => $rows,
			'pages'   => $pages,
			'seconds' => round( microtime( true ) - $start, 3 ),
		);
	}

	/**
	 * The database error as a WP_Error.
	 *
	 * @return \WP_Error
	 */
	private static function db_error() {
		global $wpdb;
		return new \WP_Error(
			'strongbox_db_error',
			/* translators: %s: database error */
			sprintf( __( 'The database refused the query: %s', 'strongbox' ), $wpdb->last_error ),
			array( 'status' => 500 )
		);
	}
}
