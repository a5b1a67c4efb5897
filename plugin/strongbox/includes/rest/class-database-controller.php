<?php
/**
 * Database routes: table list, page manifests, page rows, multi-table export.
 *
 * @package Strongbox
 */

namespace Strongbox\Rest;

use Strongbox\Database\Change_Signal;
use Strongbox\Database\Checksum;
use Strongbox\Database\Exporter;
use Strongbox\Database\Manifest;
use Strongbox\Database\Schema;

defined( 'ABSPATH' ) || exit;

/**
 * The site's database, read for backups.
 */
class Database_Controller extends Controller {

	/** Most pages one request may name. */
	const MAX_PAGES = 10000;

	/** Most tables one export may name. */
	const MAX_TABLES = 1000;

	/**
	 * Schema reader.
	 *
	 * @var Schema
	 */
	private $schema;

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->schema = new Schema();
	}

	/**
	 * Routes.
	 */
	public function register_routes() {
		$table = '(?P<table>[^/]+)';
		$rows  = array(
			'width'       => array( 'type' => 'integer', 'minimum' => 1, 'maximum' => Checksum::MAX_WIDTH ),
			'pages'       => array( 'type' => 'string' ),
			'from_page'   => array( 'type' => 'string' ),
			'raw'         => array( 'type' => 'boolean', 'default' => false ),
			'snapshot'    => array( 'type' => 'boolean', 'default' => true ),
			'max_seconds' => array( 'type' => 'integer', 'default' => 0, 'minimum' => 0, 'maximum' => 86400 ),
			'max_pages'   => array( 'type' => 'integer', 'default' => 0, 'minimum' => 0 ),
		);
		$this->route( '/db/tables', array( array( 'GET', array( $this, 'list_tables' ), array( 'exact' => array( 'type' => 'boolean', 'default' => false ) ) ) ) );
		$this->route( '/db/tables/' . $table, array( array( 'GET', array( $this, 'get_table' ) ) ) );
		$this->route(
			'/db/tables/' . $table . '/manifest',
			array(
				array(
					'GET',
					array( $this, 'manifest' ),
					array(
						'width'           => array( 'type' => 'integer', 'minimum' => 1, 'maximum' => Checksum::MAX_WIDTH ),
						'unchanged_since' => array( 'type' => 'string', 'maxLength' => 2048 ),
					),
				),
			)
		);
		$this->route( '/db/tables/' . $table . '/rows', array( array( 'GET', array( $this, 'rows' ), $rows ) ) );
		$this->route(
			'/db/manifests',
			array(
				array(
					'POST',
					array( $this, 'manifests' ),
					array(
						'tables' => array(
							'type'     => 'array',
							'required' => true,
							'maxItems' => self::MAX_TABLES,
							'items'    => array( 'type' => 'object' ),
						),
					),
				),
			)
		);
		$this->route(
			'/db/export',
			array(
				array(
					'POST',
					array( $this, 'export' ),
					array(
						'tables'      => array(
							'type'     => 'array',
							'required' => true,
							'maxItems' => self::MAX_TABLES,
							'items'    => array( 'type' => 'object' ),
						),
						'snapshot'    => array( 'type' => 'boolean', 'default' => true ),
						'max_seconds' => array( 'type' => 'integer', 'default' => 0, 'minimum' => 0, 'maximum' => 86400 ),
						'max_pages'   => array( 'type' => 'integer', 'default' => 0, 'minimum' => 0 ),
					),
				),
			)
		);
	}

	/**
	 * GET /db/tables.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response
	 */
	public function list_tables( \WP_REST_Request $request ) {
		global $wpdb;
		$out = array();
		foreach ( array_keys( $this->schema->tables() ) as $name ) {
			$t = $this->schema->table( $name );
			if ( is_wp_error( $t ) ) {
				continue;
			}
			if ( $request['exact'] ) {
				$t['rows'] = (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Schema::quote( $name ) ); // phpcs:ignore WordPress.DB.PreparedSQL -- validated identifier.
			}
			$out[] = $this->describe( $t );
		}
		return new \WP_REST_Response(
			array(
				'database' => $wpdb->get_var( 'SELECT DATABASE()' ),
				'tables'   => $out,
			)
		);
	}

	/**
	 * GET /db/tables/{table}.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function get_table( \WP_REST_Request $request ) {
		$t = $this->schema->table( $request['table'] );
		return is_wp_error( $t ) ? $t : new \WP_REST_Response( $this->describe( $t ) );
	}

	/**
	 * GET /db/tables/{table}/manifest: page checksums computed by the database.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function manifest( \WP_REST_Request $request ) {
		$t = $this->schema->table( $request['table'] );
		if ( is_wp_error( $t ) ) {
			return $t;
		}
		$width = $request['width'];
		if ( null !== $width && ! Checksum::valid_width( (int) $width ) ) {
			return self::error( 'strongbox_width_invalid', __( 'The page width must be a power of two between 1 and 2^40.', 'strongbox' ) );
		}
		$width = null === $width ? null : (int) $width;
		$start = microtime( true );
		// Read before the checksums: a change committed after this is never hidden by the token.
		$state = Change_Signal::capture( $t, $this->schema->create_statement( $t['name'] ) );
		$since = $request['unchanged_since'];
		$token = null === $since || '' === $since ? null : Change_Signal::decode( $since );
		if ( null !== $token && Change_Signal::unchanged( $token, $t['name'], $t['paged'], $width, $state ) ) {
			$w   = $t['paged'] ? $token['w'] : null;
			$out = array(
				'table'     => $t['name'],
				'unchanged' => true,
				'paged'     => $t['paged'],
			);
			if ( $t['paged'] ) {
				$out['key']   = $t['page_key'];
				$out['width'] = $w;
			}
			return new \WP_REST_Response(
				$out + array(
					'signal'        => Change_Signal::token( $t['name'], $w, $state ),
					'signal_usable' => true,
					'signal_reason' => null,
					'seconds'       => round( microtime( true ) - $start, 3 ),
				)
			);
		}
		$out = Manifest::compute( $t, $width );
		if ( is_wp_error( $out ) ) {
			return $out;
		}
		$seconds = $out['seconds'];
		unset( $out['seconds'] );
		return new \WP_REST_Response(
			array( 'table' => $out['table'], 'unchanged' => false ) + $out + array(
				'signal'        => Change_Signal::token( $t['name'], $t['paged'] ? $out['width'] : null, $state ),
				'signal_usable' => $state['supported'],
				'signal_reason' => $state['reason'],
				'seconds'       => round( microtime( true ) - $start, 3 ),
			)
		);
	}

	/**
	 * POST /db/manifests: the manifests of several tables in one request
	 * (body {"tables": [{"table": "wp_posts", "width": 1024}, ...]}; width optional).
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function manifests( \WP_REST_Request $request ) {
		if ( function_exists( 'set_time_limit' ) ) {
			@set_time_limit( 0 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- may be disabled by the host.
		}
		$out = array();
		foreach ( (array) $request['tables'] as $spec ) {
			$spec = (array) $spec;
			$sub  = new \WP_REST_Request( 'GET', '/strongbox/v1/db/tables/x/manifest' );
			$sub->set_url_params( array( 'table' => isset( $spec['table'] ) ? $spec['table'] : null ) );
			if ( isset( $spec['width'] ) ) {
				if ( ! is_int( $spec['width'] ) ) {
					return self::error( 'strongbox_width_invalid', __( 'The page width must be a power of two between 1 and 2^40.', 'strongbox' ) );
				}
				$sub->set_param( 'width', $spec['width'] );
			}
			if ( isset( $spec['unchanged_since'] ) ) {
				if ( ! is_string( $spec['unchanged_since'] ) || strlen( $spec['unchanged_since'] ) > 2048 ) {
					return self::error( 'strongbox_signal_invalid', __( 'unchanged_since must be the signal string of a previous manifest answer.', 'strongbox' ) );
				}
				$sub->set_param( 'unchanged_since', $spec['unchanged_since'] );
			}
			$one = $this->manifest( $sub );
			if ( is_wp_error( $one ) ) {
				return $one;
			}
			$out[] = $one->get_data();
		}
		return new \WP_REST_Response( array( 'manifests' => $out ) );
	}

	/**
	 * GET /db/tables/{table}/rows: one table's pages, streamed.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return Stream_Response|\WP_Error
	 */
	public function rows( \WP_REST_Request $request ) {
		$item = $this->plan_item(
			array(
				'table'     => $request['table'],
				'width'     => $request['width'],
				'pages'     => $request['pages'],
				'from_page' => $request['from_page'],
			)
		);
		if ( is_wp_error( $item ) ) {
			return $item;
		}
		return $this->stream( array( $item ), (bool) $request['snapshot'], (bool) $request['raw'], (int) $request['max_seconds'], (int) $request['max_pages'] );
	}

	/**
	 * POST /db/export: several tables in one response and one snapshot.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return Stream_Response|\WP_Error
	 */
	public function export( \WP_REST_Request $request ) {
		$plan = array();
		foreach ( (array) $request['tables'] as $spec ) {
			$item = $this->plan_item( (array) $spec );
			if ( is_wp_error( $item ) ) {
				return $item;
			}
			$plan[] = $item;
		}
		if ( ! $plan ) {
			return self::error( 'strongbox_export_empty', __( 'Name at least one table to export.', 'strongbox' ) );
		}
		return $this->stream( $plan, (bool) $request['snapshot'], false, (int) $request['max_seconds'], (int) $request['max_pages'] );
	}

	/**
	 * Validates one table request.
	 *
	 * @param array $spec table, width, pages (comma string or list), from_page.
	 * @return array|\WP_Error
	 */
	private function plan_item( array $spec ) {
		global $wpdb;
		$t = $this->schema->table( isset( $spec['table'] ) ? $spec['table'] : null );
		if ( is_wp_error( $t ) ) {
			return $t;
		}
		$width = isset( $spec['width'] ) ? $spec['width'] : null;
		if ( null !== $width && ( ! is_int( $width ) && ! ( is_string( $width ) && ctype_digit( $width ) ) || ! Checksum::valid_width( (int) $width ) ) ) {
			return self::error( 'strongbox_width_invalid', __( 'The page width must be a power of two between 1 and 2^40.', 'strongbox' ) );
		}
		$width = null === $width ? null : (int) $width;
		$pages = isset( $spec['pages'] ) ? $spec['pages'] : null;
		if ( is_string( $pages ) ) {
			$pages = '' === $pages ? array() : explode( ',', $pages );
		}
		if ( null !== $pages ) {
			if ( ! is_array( $pages ) || count( $pages ) > self::MAX_PAGES ) {
				return self::error( 'strongbox_pages_invalid', __( 'Pages must be a list of at most 10000 page numbers.', 'strongbox' ) );
			}
			$clean = array();
			foreach ( $pages as $p ) {
				if ( is_int( $p ) ) {
					$p = (string) $p;
				}
				if ( ! is_string( $p ) || ! Checksum::valid_page( trim( $p ) ) ) {
					return self::error( 'strongbox_page_invalid', __( 'A page number is not a decimal integer.', 'strongbox' ) );
				}
				$clean[ trim( $p ) ] = true;
			}
			$pages = array_keys( $clean );
			usort(
				$pages,
				static function ( $a, $b ) {
					return (float) $a <=> (float) $b ?: strcmp( (string) $a, (string) $b );
				}
			);
			$pages = array_map( 'strval', $pages );
		}
		$from = isset( $spec['from_page'] ) ? $spec['from_page'] : null;
		if ( null !== $from && ( ! is_string( $from ) && ! is_int( $from ) || ! Checksum::valid_page( (string) $from ) ) ) {
			return self::error( 'strongbox_page_invalid', __( 'The cursor (from_page) is not a decimal page number.', 'strongbox' ) );
		}
		if ( ( null !== $pages || null !== $from ) && ( ! $t['paged'] || null === $width ) ) {
			return self::error( 'strongbox_width_required', __( 'Pages can only be requested from a paged table, with the width of its manifest.', 'strongbox' ) );
		}
		if ( $t['paged'] && null === $width ) {
			$k     = Schema::quote( $t['page_key'] );
			$range = $wpdb->get_row( 'SELECT MIN(' . $k . '), MAX(' . $k . '), COUNT(*) FROM ' . Schema::quote( $t['name'] ), ARRAY_N ); // phpcs:ignore WordPress.DB.PreparedSQL -- validated identifiers.
			$width = Checksum::choose_width( $range[0], $range[1], $range[2] );
		}
		return array(
			'table'     => $t,
			'width'     => $width,
			'pages'     => $pages,
			'from_page' => null === $from ? null : (string) $from,
		);
	}

	/**
	 * Builds the streamed response.
	 *
	 * @param array $plan        Plan.
	 * @param bool  $snapshot    Try a consistent snapshot.
	 * @param bool  $raw         Rows only.
	 * @param int   $max_seconds Time budget (0 = none).
	 * @param int   $max_pages   Page budget (0 = none).
	 * @return Stream_Response
	 */
	private function stream( array $plan, $snapshot, $raw, $max_seconds, $max_pages ) {
		$exporter    = new Exporter();
		$consistency = $exporter->begin( $plan, $snapshot );
		return new Stream_Response(
			static function ( $write ) use ( $exporter, $plan, $raw, $max_seconds, $max_pages ) {
				$exporter->stream( $plan, $write, $raw, $max_seconds, $max_pages );
			},
			array(
				'Content-Type'            => 'application/vnd.strongbox.rows; charset=binary',
				'Cache-Control'           => 'no-store',
				'X-Strongbox-Format'      => $raw ? 'strongbox-rows-v1; raw' : 'strongbox-rows-v1; framed',
				'X-Strongbox-Consistency' => $consistency,
				'X-Strongbox-Memory-At-Start' => (string) memory_get_usage(),
			)
		);
	}

	/**
	 * Public description of a table.
	 *
	 * @param array $t Table description.
	 * @return array
	 */
	private function describe( array $t ) {
		$signals = array();
		if ( null !== $t['auto_increment'] ) {
			$signals['auto_increment'] = (int) $t['auto_increment'];
		}
		if ( null !== $t['update_time'] ) {
			$signals['update_time'] = $t['update_time'];
		}
		$mod = Schema::modification_columns( $t );
		if ( $mod ) {
			$signals['modification_columns'] = $mod;
		}
		return array(
			'name'           => $t['name'],
			'engine'         => $t['engine'],
			'collation'      => $t['collation'],
			'rows'           => isset( $t['rows'] ) ? $t['rows'] : (int) $t['rows_estimate'],
			'rows_exact'     => isset( $t['rows'] ),
			'data_bytes'     => (int) $t['data_length'],
			'index_bytes'    => (int) $t['index_length'],
			'primary_key'    => $t['primary_key'],
			'paged'          => $t['paged'],
			'page_key'       => $t['page_key'],
			'columns'        => $t['columns'],
			'create'         => $this->schema->create_statement( $t['name'] ),
			'change_signals' => (object) $signals,
		);
	}
}
