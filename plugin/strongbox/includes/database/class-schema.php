<?php
/**
 * Tables, columns and primary keys, read from information_schema.
 *
 * @package Strongbox
 */

namespace Strongbox\Database;

defined( 'ABSPATH' ) || exit;

/**
 * Identifier validation: a table name from a request is only used after it was
 * found, byte for byte, in information_schema among the site's tables.
 */
class Schema {

	/**
	 * Working tables of restore sessions (never listed): staging (n) and previous (o)
	 * tables of a restore, staging tables of a drill (d).
	 */
	const RESTORE_TABLE_PATTERN = '/^strongbox_[nod]_[0-9a-f]{8}_[0-9]+$/';

	/**
	 * Base tables of the site (name starts with the base prefix), by name.
	 *
	 * @return array<string, array>
	 */
	public function tables() {
		global $wpdb;
		$rows = $wpdb->get_results(
			$wpdb->prepare(
				'SELECT TABLE_NAME AS name, ENGINE AS engine, TABLE_ROWS AS rows_estimate, AUTO_INCREMENT AS auto_increment, UPDATE_TIME AS update_time, DATA_LENGTH AS data_length, INDEX_LENGTH AS index_length, TABLE_COLLATION AS collation
				FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = %s AND TABLE_NAME LIKE %s ORDER BY TABLE_NAME',
				'BASE TABLE',
				$wpdb->esc_like( $wpdb->base_prefix ) . '%'
			),
			ARRAY_A
		);
		$out = array();
		foreach ( (array) $rows as $row ) {
			if ( preg_match( self::RESTORE_TABLE_PATTERN, $row['name'] ) ) {
				continue;
			}
			$out[ $row['name'] ] = $row;
		}
		return $out;
	}

	/**
	 * Full description of one table, or an error when it is not one of the site's tables.
	 *
	 * @param mixed $name Table name from the request.
	 * @return array|\WP_Error
	 */
	public function table( $name ) {
		global $wpdb;
		if ( ! is_string( $name ) || '' === $name || strlen( $name ) > 64 ) {
			return self::not_found();
		}
		$tables = $this->tables();
		if ( ! isset( $tables[ $name ] ) ) {
			return self::not_found();
		}
		return self::describe( $name, $tables[ $name ] );
	}

	/**
	 * Columns, primary key and paging of a table already known to exist (a site table
	 * found by table(), or a restore session's staging table, whose name the session made).
	 *
	 * @param string $name Table name.
	 * @param array  $info Its information_schema.TABLES row, if read.
	 * @return array
	 */
	public static function describe( $name, array $info = array() ) {
		global $wpdb;
		$info   += array( 'name' => $name );
		$columns = $wpdb->get_results(
			$wpdb->prepare(
				'SELECT COLUMN_NAME AS name, DATA_TYPE AS data_type, COLUMN_TYPE AS column_type, IS_NULLABLE AS is_nullable
				FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION',
				$name
			),
			ARRAY_A
		);
		$pk      = $wpdb->get_col(
			$wpdb->prepare(
				'SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND INDEX_NAME = %s ORDER BY SEQ_IN_INDEX',
				$name,
				'PRIMARY'
			)
		);
		$types   = array();
		foreach ( $columns as &$col ) {
			$col['class']                = Page_Serializer::column_class( $col['data_type'] );
			$col['nullable']             = 'YES' === $col['is_nullable'];
			$types[ $col['name'] ]       = strtolower( $col['data_type'] );
			unset( $col['is_nullable'] );
		}
		unset( $col );
		$key   = $pk ? $pk[0] : null;
		$paged = null !== $key && in_array( $types[ $key ], array( 'tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint' ), true );

		$info['columns']     = $columns;
		$info['primary_key'] = array_values( $pk );
		$info['paged']       = $paged;
		$info['page_key']    = $paged ? $key : null;
		return $info;
	}

	/**
	 * SHOW CREATE TABLE of a validated table.
	 *
	 * @param string $name Validated table name.
	 * @return string
	 */
	public function create_statement( $name ) {
		global $wpdb;
		$row = $wpdb->get_row( 'SHOW CREATE TABLE ' . self::quote( $name ), ARRAY_N ); // phpcs:ignore WordPress.DB.PreparedSQL -- validated identifier.
		return $row ? $row[1] : '';
	}

	/**
	 * Columns that look like modification timestamps (a cheap change signal).
	 *
	 * @param array $table Table description.
	 * @return string[]
	 */
	public static function modification_columns( array $table ) {
		$out = array();
		foreach ( $table['columns'] as $col ) {
			if ( in_array( $col['data_type'], array( 'datetime', 'timestamp' ), true ) && preg_match( '/(modified|updated)(_gmt)?$/', $col['name'] ) ) {
				$out[] = $col['name'];
			}
		}
		return $out;
	}

	/**
	 * Quotes an identifier that was already validated.
	 *
	 * @param string $name Identifier.
	 * @return string
	 */
	public static function quote( $name ) {
		return '`' . str_replace( '`', '``', $name ) . '`';
	}

	/**
	 * The error for an unknown table.
	 *
	 * @return \WP_Error
	 */
	private static function not_found() {
		return new \WP_Error( 'strongbox_table_not_found', __( 'No such table among the site\'s tables.', 'strongbox' ), array( 'status' => 404 ) );
	}
}
