<?php
/**
 * Streams table pages with unbuffered queries, inside one consistent snapshot when possible.
 *
 * @package Strongbox
 */

namespace Strongbox\Database;

defined( 'ABSPATH' ) || exit;

/**
 * Database export.
 *
 * Output framing (unless raw): control lines start with `#`, rows with `(`:
 *   #export {json}      consistency reached, before any row
 *   #table {json}       table, width, paged
 *   #page {"p":"3"}     then the page's row lines (exact FORMAT.md bytes)
 *   #page-end {json}    p, rows, bytes
 *   #stream / #stream-end  same, for a streamed table (whole table)
 *   #error {json}       code, message; nothing follows
 *   #done {json}        complete, resume point, totals, seconds, peak memory
 * Raw mode writes only the row lines.
 */
class Exporter {

	/**
	 * Consistency reached by begin(): snapshot, snapshot-partial or none.
	 *
	 * @var string
	 */
	private $consistency = 'none';

	/**
	 * Tables whose engine ignores transactions.
	 *
	 * @var string[]
	 */
	private $non_transactional = array();

	/**
	 * Starts the consistent snapshot (call before the response headers are built).
	 *
	 * @param array $plan     List of ['table' => description, ...].
	 * @param bool  $snapshot Whether to try one.
	 * @return string The consistency reached.
	 */
	public function begin( array $plan, $snapshot ) {
		global $wpdb;
		if ( function_exists( 'set_time_limit' ) ) {
			@set_time_limit( 0 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- may be disabled by the host.
		}
		foreach ( $plan as $item ) {
			if ( 'InnoDB' !== $item['table']['engine'] && 'Aria' !== $item['table']['engine'] ) {
				$this->non_transactional[] = $item['table']['name'];
			}
		}
		if ( $snapshot ) {
			$wpdb->query( 'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ' );
			if ( false !== $wpdb->query( 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY' ) ) {
				$this->consistency = $this->non_transactional ? 'snapshot-partial' : 'snapshot';
			}
		}
		return $this->consistency;
	}

	/**
	 * Streams the plan.
	 *
	 * @param array    $plan        Items: table (description), width (?int), pages (?string[]), from_page (?string).
	 * @param callable $write       Receives bytes.
	 * @param bool     $raw         Rows only, no control lines.
	 * @param int      $max_seconds Stop after the page that crosses this budget (0 = none).
	 * @param int      $max_pages   Stop after this many pages in all (0 = none).
	 */
	public function stream( array $plan, callable $write, $raw = false, $max_seconds = 0, $max_pages = 0 ) {
		global $wpdb;
		$start  = microtime( true );
		$budget = array(
			'start'   => $start,
			'seconds' => (int) $max_seconds,
			'pages'   => (int) $max_pages,
			'done'    => 0,
		);
		$totals = array(
			'rows'  => 0,
			'bytes' => 0,
		);
		$ctl    = static function ( $word, array $data ) use ( $write, $raw ) {
			if ( ! $raw ) {
				$write( '#' . $word . ' ' . wp_json_encode( $data ) . "\n" );
			}
		};
		$ctl(
			'export',
			array(
				'format'            => 'strongbox-rows-v1',
				'consistency'       => $this->consistency,
				'non_transactional' => $this->non_transactional,
				'time_limit'        => (int) ini_get( 'max_execution_time' ),
			)
		);
		$dbh = $wpdb->dbh;
		if ( 'utf8mb4' !== $wpdb->charset ) {
			mysqli_set_charset( $dbh, 'utf8mb4' );
		}
		$resume = null;
		$error  = null;
		foreach ( $plan as $index => $item ) {
			$table = $item['table'];
			$ctl(
				'table',
				array(
					'table' => $table['name'],
					'paged' => $table['paged'],
					'width' => $item['width'],
				)
			);
			$classes = array_column( $table['columns'], 'class' );
			$cols    = implode( ', ', array_map( array( __CLASS__, 'select_expression' ), $table['columns'] ) );
			$order   = implode( ', ', array_map( array( Schema::class, 'quote' ), $table['primary_key'] ? $table['primary_key'] : array_column( $table['columns'], 'name' ) ) );
			$from    = ' FROM ' . Schema::quote( $table['name'] );

			if ( ! $table['paged'] || null === $item['width'] ) {
				$ctl( 'stream', array( 'table' => $table['name'] ) );
				$r = $this->run( $dbh, 'SELECT ' . $cols . $from . ' ORDER BY ' . $order, $classes, $write );
				if ( ! isset( $r['code'] ) ) {
					$ctl( 'stream-end', $r );
					$totals['rows']  += $r['rows'];
					$totals['bytes'] += $r['bytes'];
				} else {
					$error = $r;
					break;
				}
				continue;
			}

			$k = Schema::quote( $table['page_key'] );
			$w = (int) $item['width'];
			if ( null === $item['pages'] ) {
				// Every page from from_page on, in one unbuffered query; p computed by the server.
				$where = '';
				if ( null !== $item['from_page'] ) {
					list( $lo ) = Checksum::bounds_sql( $item['from_page'], $w );
					$where      = ' WHERE ' . $k . ' >= ' . $lo;
				}
				$sql = 'SELECT ' . $k . ' DIV ' . $w . ', ' . $cols . $from . $where . ' ORDER BY ' . $order;
				$r   = $this->run_pages( $dbh, $sql, $classes, $write, $ctl, $budget );
			} else {
				$r = array(
					'rows'  => 0,
					'bytes' => 0,
					'last'  => null,
					'stop'  => false,
				);
				foreach ( $item['pages'] as $p ) {
					list( $lo, $hi ) = Checksum::bounds_sql( $p, $w );
					$ctl( 'page', array( 'p' => (string) $p ) );
					$one = $this->run( $dbh, 'SELECT ' . $cols . $from . ' WHERE ' . $k . ' BETWEEN ' . $lo . ' AND ' . $hi . ' ORDER BY ' . $order, $classes, $write );
					if ( isset( $one['code'] ) ) {
						$r = $one;
						break;
					}
					$ctl( 'page-end', array( 'p' => (string) $p ) + $one );
					$r['rows']  += $one['rows'];
					$r['bytes'] += $one['bytes'];
					$r['last']   = (string) $p;
					if ( self::over_budget( $budget ) ) {
						$r['stop'] = true;
						break;
					}
				}
			}
			if ( isset( $r['code'] ) ) {
				$error = $r;
				break;
			}
			$totals['rows']  += $r['rows'];
			$totals['bytes'] += $r['bytes'];
			if ( $r['stop'] ) {
				$resume = array(
					'plan_index' => $index,
					'table'      => $table['name'],
					'after_page' => $r['last'],
					// Pages are contiguous key ranges: the next request asks from_page = after_page + 1.
					'from_page'  => null === $r['last'] || abs( (float) $r['last'] ) > 9.0e15 ? null : (string) ( (int) $r['last'] + 1 ),
				);
				break;
			}
		}
		if ( 'none' !== $this->consistency ) {
			$wpdb->query( 'COMMIT' );
		}
		if ( $error ) {
			$ctl( 'error', $error );
			return;
		}
		$ctl(
			'done',
			array(
				'complete'          => null === $resume,
				'resume'            => $resume,
				'rows'              => $totals['rows'],
				'bytes'             => $totals['bytes'],
				'seconds'           => round( microtime( true ) - $start, 3 ),
				'consistency'       => $this->consistency,
				'peak_memory'       => memory_get_peak_usage(),
				'peak_memory_real'  => memory_get_peak_usage( true ),
			)
		);
	}

	/**
	 * Runs one unbuffered query and writes its rows.
	 *
	 * @param \mysqli  $dbh     Connection.
	 * @param string   $sql     Query.
	 * @param string[] $classes Column classes.
	 * @param callable $write   Writer.
	 * @return array|array{code:string,message:string} rows/bytes, or an error array (has 'code').
	 */
	private function run( $dbh, $sql, array $classes, callable $write ) {
		$res = mysqli_query( $dbh, $sql, MYSQLI_USE_RESULT );
		if ( false === $res ) {
			return self::db_error( $dbh );
		}
		$rows  = 0;
		$bytes = 0;
		$buf   = '';
		$esc   = Page_Serializer::TEXT_ESCAPES;
		$text  = Page_Serializer::TEXT;
		$num   = Page_Serializer::NUMERIC;
		while ( $row = mysqli_fetch_row( $res ) ) { // phpcs:ignore WordPress.CodeAnalysis.AssignmentInCondition
			foreach ( $row as $i => $v ) {
				if ( null === $v ) {
					$row[ $i ] = 'NULL';
				} elseif ( $text === $classes[ $i ] ) {
					$row[ $i ] = "'" . strtr( $v, $esc ) . "'";
				} elseif ( $num !== $classes[ $i ] ) {
					$row[ $i ] = "X'" . bin2hex( $v ) . "'";
				}
			}
			$buf .= '(' . implode( ',', $row ) . ")\n";
			++$rows;
			if ( strlen( $buf ) >= 262144 ) {
				$bytes += strlen( $buf );
				$write( $buf );
				$buf = '';
			}
		}
		$errno = mysqli_errno( $dbh );
		mysqli_free_result( $res );
		if ( $errno ) {
			return self::db_error( $dbh );
		}
		if ( '' !== $buf ) {
			$bytes += strlen( $buf );
			$write( $buf );
		}
		return array(
			'rows'  => $rows,
			'bytes' => $bytes,
		);
	}

	/**
	 * Runs the all-pages query (first column = page number) and frames pages.
	 *
	 * @param \mysqli  $dbh         Connection.
	 * @param string   $sql         Query.
	 * @param string[] $classes     Column classes (without the page column).
	 * @param callable $write       Writer.
	 * @param callable $ctl         Control-line writer.
	 * @param array    $budget      Time and page budget (updated).
	 * @return array
	 */
	private function run_pages( $dbh, $sql, array $classes, callable $write, callable $ctl, array &$budget ) {
		$res = mysqli_query( $dbh, $sql, MYSQLI_USE_RESULT );
		if ( false === $res ) {
			return self::db_error( $dbh );
		}
		array_unshift( $classes, Page_Serializer::NUMERIC );
		$esc   = Page_Serializer::TEXT_ESCAPES;
		$text  = Page_Serializer::TEXT;
		$num   = Page_Serializer::NUMERIC;
		$out   = array(
			'rows'  => 0,
			'bytes' => 0,
			'last'  => null,
			'stop'  => false,
		);
		$cur   = null;
		$prows = 0;
		$pbyte = 0;
		$buf   = '';
		$flush = static function () use ( &$buf, &$pbyte, $write ) {
			if ( '' !== $buf ) {
				$pbyte += strlen( $buf );
				$write( $buf );
				$buf = '';
			}
		};
		while ( $row = mysqli_fetch_row( $res ) ) { // phpcs:ignore WordPress.CodeAnalysis.AssignmentInCondition
			$p = $row[0];
			if ( $p !== $cur ) {
				if ( null !== $cur ) {
					$flush();
					$ctl( 'page-end', array( 'p' => $cur, 'rows' => $prows, 'bytes' => $pbyte ) );
					$out['rows']  += $prows;
					$out['bytes'] += $pbyte;
					$out['last']   = $cur;
					if ( self::over_budget( $budget ) ) {
						$out['stop'] = true;
						break;
					}
				}
				$cur   = $p;
				$prows = 0;
				$pbyte = 0;
				$ctl( 'page', array( 'p' => $p ) );
			}
			unset( $row[0] );
			foreach ( $row as $i => $v ) {
				if ( null === $v ) {
					$row[ $i ] = 'NULL';
				} elseif ( $text === $classes[ $i ] ) {
					$row[ $i ] = "'" . strtr( $v, $esc ) . "'";
				} elseif ( $num !== $classes[ $i ] ) {
					$row[ $i ] = "X'" . bin2hex( $v ) . "'";
				}
			}
			$buf .= '(' . implode( ',', $row ) . ")\n";
			++$prows;
			if ( strlen( $buf ) >= 262144 ) {
				$flush();
			}
		}
		if ( $out['stop'] ) {
			mysqli_free_result( $res ); // Drains the rest of the unbuffered result.
			return $out;
		}
		$errno = mysqli_errno( $dbh );
		mysqli_free_result( $res );
		if ( $errno ) {
			return self::db_error( $dbh );
		}
		if ( null !== $cur ) {
			$flush();
			$ctl( 'page-end', array( 'p' => $cur, 'rows' => $prows, 'bytes' => $pbyte ) );
			$out['rows']  += $prows;
			$out['bytes'] += $pbyte;
			$out['last']   = $cur;
		}
		return $out;
	}

	/**
	 * Counts a finished page and tells whether the response should end here.
	 *
	 * @param array $budget Budget (updated).
	 * @return bool
	 */
	private static function over_budget( array &$budget ) {
		++$budget['done'];
		return ( $budget['pages'] > 0 && $budget['done'] >= $budget['pages'] )
			|| ( $budget['seconds'] > 0 && microtime( true ) - $budget['start'] > $budget['seconds'] );
	}

	/**
	 * Select-list expression of a column. BIT columns are read as CAST(... AS BINARY):
	 * mysqlnd turns BIT values of the text protocol into decimal digits, while the
	 * format wants the value's bytes (ceil(M/8) bytes, big-endian), as on the wire.
	 *
	 * @param array $col Column description.
	 * @return string
	 */
	public static function select_expression( array $col ) {
		$q = Schema::quote( $col['name'] );
		return 'bit' === strtolower( $col['data_type'] ) ? 'CAST(' . $q . ' AS BINARY)' : $q;
	}

	/**
	 * Error array from the connection.
	 *
	 * @param \mysqli $dbh Connection.
	 * @return array
	 */
	private static function db_error( $dbh ) {
		return array(
			'code'    => 'strongbox_db_error',
			'message' => sprintf(
				/* translators: %s: database error text */
				__( 'The database refused the export query: %s', 'strongbox' ),
				mysqli_error( $dbh )
			),
		);
	}
}
