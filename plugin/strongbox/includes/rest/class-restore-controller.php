<?php
/**
 * Restore routes: open a session, stage tables/rows/files, swap, commit or roll back.
 *
 * @package Strongbox
 */

namespace Strongbox\Rest;

use Strongbox\Capability;
use Strongbox\Files\Raw_Path;
use Strongbox\Plugin;
use Strongbox\Restore\File_Batch;
use Strongbox\Restore\Keep_List;
use Strongbox\Restore\Session;

defined( 'ABSPATH' ) || exit;

/**
 * Restore sessions. Every call after opening also needs the session key
 * (header X-Strongbox-Session-Key), returned once by the open call.
 */
class Restore_Controller extends Controller {

	/** The confirmation text the open call requires. */
	const CONFIRMATION = 'RESTORE';

	/** The confirmation text of a drill. */
	const DRILL_CONFIRMATION = 'DRILL';

	/** Most paths one verify-files call may name. */
	const MAX_VERIFY_FILES = 1000;

	/** Content type of a batch of file data. */
	const FILES_TYPE = 'application/vnd.strongbox.files';

	/** Content type of a list of kept paths. */
	const KEEP_TYPE = 'text/plain';

	/** Most staged files listed per status page. */
	const MAX_LIST = 5000;

	/**
	 * Whether WordPress was kept from reading this request's body into a string
	 * (see defer_batch_body()).
	 *
	 * @var bool
	 */
	private static $body_deferred = false;

	/**
	 * Routes.
	 */
	public function register_routes() {
		$sid   = '/restore/sessions/(?P<id>[0-9a-f]{32})';
		$perm  = array( $this, 'can_restore' );
		$swapd = array( $this, 'can_finish' );
		$this->route(
			'/restore/sessions',
			array(
				array(
					'POST',
					array( $this, 'open' ),
					array(
						'confirm'                 => array( 'type' => 'string', 'required' => true ),
						'mode'                    => array( 'type' => 'string', 'enum' => array( Session::RESTORE, Session::DRILL ), 'default' => Session::RESTORE ),
						'ttl'                     => array( 'type' => 'integer', 'minimum' => Session::MIN_TTL, 'maximum' => Session::MAX_TTL ),
						'overwrite_protected'     => array( 'type' => 'boolean', 'default' => false ),
						'maintenance'             => array( 'type' => 'boolean', 'default' => true ),
						'keep_strongbox_settings' => array( 'type' => 'boolean', 'default' => true ),
					),
					$perm,
				),
			)
		);
		$this->route(
			'/restore/sessions/current',
			array( array( 'GET', array( $this, 'current' ), array( 'mode' => array( 'type' => 'string', 'enum' => array( Session::RESTORE, Session::DRILL ), 'default' => Session::RESTORE ) ), $perm ) )
		);
		$this->route( '/restore/drills', array( array( 'GET', array( $this, 'drills' ), array(), $perm ) ) );
		$this->route(
			$sid,
			array(
				array(
					'GET',
					array( $this, 'status' ),
					array(
						'files'  => array( 'type' => 'boolean', 'default' => false ),
						'cursor' => array( 'type' => 'string', 'default' => '' ),
						'limit'  => array( 'type' => 'integer', 'default' => 1000, 'minimum' => 1, 'maximum' => self::MAX_LIST ),
					),
					$swapd,
				),
				array(
					'DELETE',
					array( $this, 'rollback' ),
					array(
						'result'      => array( 'type' => 'string', 'enum' => array( 'passed', 'failed' ) ),
						'rto_seconds' => array( 'type' => 'number', 'minimum' => 0, 'maximum' => 31536000 ),
						'snapshot'    => array( 'type' => 'string', 'pattern' => '^[0-9a-f]{8,64}$' ),
						'detail'      => array( 'type' => 'string', 'maxLength' => 2000 ),
					),
					$swapd,
				),
			)
		);
		$this->route(
			$sid . '/verify',
			array(
				array(
					'GET',
					array( $this, 'verify' ),
					array(
						'table' => array( 'type' => 'string', 'required' => true, 'maxLength' => 64 ),
						'width' => array( 'type' => 'integer', 'minimum' => 1, 'maximum' => \Strongbox\Database\Checksum::MAX_WIDTH ),
					),
					$perm,
				),
			)
		);
		$this->route(
			$sid . '/verify-files',
			array(
				array(
					'POST',
					array( $this, 'verify_files' ),
					array(
						'paths' => array(
							'type'     => 'array',
							'required' => true,
							'minItems' => 1,
							'maxItems' => self::MAX_VERIFY_FILES,
							'items'    => array( 'type' => array( 'string', 'object' ) ),
						),
					),
					$perm,
				),
			)
		);
		$this->route( $sid . '/key', array( array( 'POST', array( $this, 'rekey' ), array(), $perm ) ) );
		$this->route(
			$sid . '/tables/(?P<table>[^/]+)',
			array( array( 'PUT', array( $this, 'add_table' ), array( 'create' => array( 'type' => 'string', 'required' => true ) ), $perm ) )
		);
		$this->route( $sid . '/tables/(?P<table>[^/]+)/rows', array( array( 'POST', array( $this, 'add_rows' ), array(), $perm ) ) );
		$this->route(
			$sid . '/files',
			array(
				array(
					'PUT',
					array( $this, 'add_file' ),
					array(
						'path'     => array( 'type' => 'string' ),
						'path_b64' => array( 'type' => 'string' ),
						'offset'   => array( 'type' => 'integer', 'default' => 0, 'minimum' => 0 ),
						'mode'     => array( 'type' => 'string', 'default' => '0644', 'pattern' => '^0?[0-7]{3}$' ),
						'last'     => array( 'type' => 'boolean', 'default' => false ),
					),
					$perm,
				),
			)
		);
		$this->route( $sid . '/files/batch', array( array( 'POST', array( $this, 'add_files' ), array(), $perm ) ) );
		$this->route(
			$sid . '/files/keep',
			array(
				array(
					'POST',
					array( $this, 'keep_files' ),
					array(
						'roots'   => array( 'type' => 'array', 'items' => array( 'type' => 'string' ), 'maxItems' => 200 ),
						'exclude' => array( 'type' => 'array', 'items' => array( 'type' => 'string' ), 'default' => array(), 'maxItems' => 200 ),
						'reset'   => array( 'type' => 'boolean', 'default' => false ),
					),
					$perm,
				),
			)
		);
		$this->route(
			$sid . '/search-replace',
			array(
				array(
					'POST',
					array( $this, 'search_replace' ),
					array(
						'from' => array( 'type' => 'string', 'required' => true ),
						'to'   => array( 'type' => 'string', 'required' => true ),
					),
					$perm,
				),
			)
		);
		$this->route( $sid . '/swap', array( array( 'POST', array( $this, 'swap' ), array(), $perm ) ) );
		$this->route( $sid . '/commit', array( array( 'POST', array( $this, 'commit' ), array(), $swapd ) ) );
		$this->route( $sid . '/rollback', array( array( 'POST', array( $this, 'rollback' ), array(), $swapd ) ) );
	}

	/**
	 * Permission: an administrator (filter `strongbox_restore_capability`).
	 *
	 * @return true|\WP_Error
	 */
	public function can_restore() {
		$base = Capability::check();
		if ( true !== $base ) {
			return $base;
		}
		$cap = (string) apply_filters( 'strongbox_restore_capability', Capability::name() );
		if ( ! current_user_can( $cap ) ) {
			return self::error( 'strongbox_forbidden', __( 'Only an administrator may restore the site.', 'strongbox' ), 403 );
		}
		return true;
	}

	/**
	 * Permission of status, commit and rollback: an administrator, or, once the
	 * tables are swapped (the restored user tables may no longer know the current
	 * login), the holder of the session key.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return true|\WP_Error
	 */
	public function can_finish( \WP_REST_Request $request ) {
		$base = $this->can_restore();
		if ( true === $base ) {
			return true;
		}
		$s = Session::get( $request['id'] );
		if ( ! is_wp_error( $s ) && 'swapped' === $s->state() && $s->key_matches( $request->get_header( 'X-Strongbox-Session-Key' ) ) ) {
			return true;
		}
		return $base;
	}

	/**
	 * POST /restore/sessions.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function open( \WP_REST_Request $request ) {
		$drill = Session::DRILL === $request['mode'];
		if ( $drill && self::DRILL_CONFIRMATION !== $request['confirm'] ) {
			return self::error( 'strongbox_confirmation_required', __( 'A drill restores a snapshot into scratch tables and files, never into the site: confirm it by sending confirm = "DRILL".', 'strongbox' ) );
		}
		if ( ! $drill && self::CONFIRMATION !== $request['confirm'] ) {
			return self::error( 'strongbox_confirmation_required', __( 'A restore replaces the site\'s data: confirm it by sending confirm = "RESTORE".', 'strongbox' ) );
		}
		$opened = Session::open(
			get_current_user_id(),
			array(
				'mode'                    => $request['mode'],
				'ttl'                     => $request['ttl'],
				'overwrite_protected'     => $request['overwrite_protected'],
				'maintenance'             => $request['maintenance'],
				'keep_strongbox_settings' => $request['keep_strongbox_settings'],
			)
		);
		if ( is_wp_error( $opened ) ) {
			return $opened;
		}
		list( $session, $key ) = $opened;
		$out                   = $session->to_array();
		$out['key']            = $key;
		return new \WP_REST_Response( $out, 201 );
	}

	/**
	 * GET /restore/sessions/current.
	 *
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function current( \WP_REST_Request $request ) {
		Session::expire_abandoned();
		$s = Session::current( Session::DRILL === $request['mode'] ? Session::DRILL : Session::RESTORE );
		if ( null === $s ) {
			return self::error( 'strongbox_restore_not_found', __( 'No restore session is open.', 'strongbox' ), 404 );
		}
		return new \WP_REST_Response( $s->to_array() );
	}

	/**
	 * GET /restore/drills: the reports of the last drills (oldest first).
	 *
	 * @return \WP_REST_Response
	 */
	public function drills() {
		Session::expire_abandoned();
		return new \WP_REST_Response( array( 'drills' => Session::reports() ) );
	}

	/**
	 * GET /restore/sessions/{id}/verify?table=&width=: the staged table's page manifest,
	 * computed like GET /db/tables/{table}/manifest.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function verify( \WP_REST_Request $request ) {
		$s = $this->session( $request, true );
		if ( is_wp_error( $s ) ) {
			return $s;
		}
		if ( function_exists( 'set_time_limit' ) ) {
			@set_time_limit( 0 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- may be disabled by the host.
		}
		return self::respond( $s->verify_table( $request['table'], null === $request['width'] ? null : (int) $request['width'] ) );
	}

	/**
	 * POST /restore/sessions/{id}/verify-files {"paths": [...]}: size and SHA-256 of
	 * each staged file. A path is a string, or {"path": "..."} / {"path_b64": "..."}
	 * (the base64 of a name JSON cannot carry).
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function verify_files( \WP_REST_Request $request ) {
		$s = $this->session( $request, true );
		if ( is_wp_error( $s ) ) {
			return $s;
		}
		if ( function_exists( 'set_time_limit' ) ) {
			@set_time_limit( 0 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- may be disabled by the host.
		}
		$paths = array();
		foreach ( array_values( (array) $request['paths'] ) as $i => $p ) {
			if ( is_string( $p ) ) {
				$paths[] = $p;
				continue;
			}
			$p   = (array) $p;
			$raw = Raw_Path::from( $p );
			if ( is_wp_error( $raw ) ) {
				return Raw_Path::bad_b64( 'path_b64', array( 'index' => $i ) );
			}
			if ( null === $raw ) {
				return self::error(
					'strongbox_verify_invalid',
					/* translators: %d: index in the list */
					sprintf( __( 'Item %d of "paths" must be a path string, or an object with "path" or "path_b64".', 'strongbox' ), $i ),
					400,
					array( 'index' => $i )
				);
			}
			$paths[] = array( $raw, isset( $p['path_b64'] ) );
		}
		return self::respond( $s->verify_files( $paths ) );
	}

	/**
	 * GET /restore/sessions/{id}: the state, the staged tables with their row counts,
	 * the staged files counted; with files=1 also one page of the staged files.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function status( \WP_REST_Request $request ) {
		$s = $this->session( $request );
		if ( is_wp_error( $s ) ) {
			return $s;
		}
		$out = $s->to_array();
		if ( $request['files'] ) {
			$page = $s->list_files( $request['cursor'], (int) $request['limit'] );
			if ( is_wp_error( $page ) ) {
				return $page;
			}
			$out['files'] += $page;
		}
		return new \WP_REST_Response( $out );
	}

	/**
	 * POST /restore/sessions/{id}/key: a new session key for an administrator whose
	 * client lost it (a closed tab); the previous key stops working. The only call on
	 * a session that does not need its key.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function rekey( \WP_REST_Request $request ) {
		$s = Session::get( $request['id'] );
		if ( is_wp_error( $s ) ) {
			return $s;
		}
		$locked = $s->lock();
		if ( is_wp_error( $locked ) ) {
			return $locked;
		}
		$key        = $s->rekey( get_current_user_id() );
		$out        = $s->to_array();
		$out['key'] = $key;
		return new \WP_REST_Response( $out );
	}

	/**
	 * PUT /restore/sessions/{id}/tables/{table}.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function add_table( \WP_REST_Request $request ) {
		$s = $this->session( $request, true );
		return is_wp_error( $s ) ? $s : self::respond( $s->add_table( $request['table'], $request['create'] ) );
	}

	/**
	 * POST /restore/sessions/{id}/tables/{table}/rows (body: row lines).
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function add_rows( \WP_REST_Request $request ) {
		$s = $this->session( $request, true );
		if ( is_wp_error( $s ) ) {
			return $s;
		}
		$body = $this->body( $request );
		return is_wp_error( $body ) ? $body : self::respond( $s->add_rows( $request['table'], $body ) );
	}

	/**
	 * PUT /restore/sessions/{id}/files?path=&offset=&mode=&last= (body: file bytes); path_b64
	 * (the base64 of the raw name) may replace path.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function add_file( \WP_REST_Request $request ) {
		$s = $this->session( $request, true );
		if ( is_wp_error( $s ) ) {
			return $s;
		}
		$raw  = null !== $request['path_b64'];
		$path = $raw ? Raw_Path::decode( str_replace( ' ', '+', (string) $request['path_b64'] ) ) : $request['path'];
		if ( $raw && null === $path ) {
			return Raw_Path::bad_b64();
		}
		if ( null === $path ) {
			return self::error( 'rest_missing_callback_param', __( 'Name the file with "path" (or "path_b64": the base64 of its raw bytes).', 'strongbox' ), 400, array( 'params' => array( 'path' ) ) );
		}
		$body = $this->body( $request );
		return is_wp_error( $body ) ? $body : self::respond( $s->add_file( $path, $body, (int) $request['offset'], octdec( $request['mode'] ), (bool) $request['last'], $raw ) );
	}

	/**
	 * POST /restore/sessions/{id}/files/batch (body: framed file data, see File_Batch).
	 * The framing of the whole body is checked before any entry is applied; then each
	 * entry is applied or refused on its own, and the answer lists them all.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function add_files( \WP_REST_Request $request ) {
		$s = $this->session( $request, true );
		if ( is_wp_error( $s ) ) {
			return $s;
		}
		$type = strtolower( trim( explode( ';', (string) $request->get_header( 'Content-Type' ) )[0] ) );
		if ( self::FILES_TYPE !== $type ) {
			return self::error(
				'strongbox_batch_content_type',
				/* translators: %s: content type */
				sprintf( __( 'Send the batch with Content-Type: %s.', 'strongbox' ), self::FILES_TYPE ),
				415
			);
		}
		$declared = $request->get_header( 'Content-Length' );
		if ( null !== $declared && (int) $declared > Session::MAX_BODY ) {
			return File_Batch::too_large( Session::MAX_BODY );
		}
		$body   = (string) $request->get_body();
		$stream = null;
		if ( self::$body_deferred && '' === $body ) {
			$stream = fopen( 'php://input', 'rb' ); // phpcs:ignore WordPress.WP.AlternativeFunctions -- the body, read in pieces.
		}
		$batch = false === $stream || null === $stream ? File_Batch::from_string( $body, Session::MAX_BODY ) : File_Batch::from_stream( $stream, Session::MAX_BODY );
		$check = $batch->validate();
		if ( is_wp_error( $check ) ) {
			$where = (array) $check->get_error_data();
			if ( null !== $declared && (int) $declared > 0 && isset( $where['offset'] ) && 0 === $where['offset'] && 'strongbox_batch_truncated' === $check->get_error_code() ) {
				// Nothing arrived although something was sent: PHP dropped a body above post_max_size.
				return self::error(
					'strongbox_body_truncated',
					/* translators: %s: PHP's post_max_size */
					sprintf( __( 'The request body did not arrive whole (PHP\'s post_max_size is %s); send smaller pieces.', 'strongbox' ), ini_get( 'post_max_size' ) ),
					413
				);
			}
			return $check;
		}
		if ( function_exists( 'set_time_limit' ) ) {
			@set_time_limit( 0 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- may be disabled by the host.
		}
		return self::respond( $s->add_files( $batch ) );
	}

	/**
	 * POST /restore/sessions/{id}/files/keep?roots[]=&exclude[]=&reset= (body, text/plain:
	 * the snapshot's files, links and folders under the roots, one relative path per
	 * line). At swap, every other file or link under the roots is removed (kept aside
	 * until commit), and the empty folders the list does not name.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function keep_files( \WP_REST_Request $request ) {
		$s = $this->session( $request, true );
		if ( is_wp_error( $s ) ) {
			return $s;
		}
		$type = strtolower( trim( explode( ';', (string) $request->get_header( 'Content-Type' ) )[0] ) );
		if ( self::KEEP_TYPE !== $type ) {
			return self::error(
				'strongbox_keep_content_type',
				/* translators: %s: content type */
				sprintf( __( 'Send the list of kept files with Content-Type: %s (UTF-8, one path per line).', 'strongbox' ), self::KEEP_TYPE ),
				415
			);
		}
		$declared = $request->get_header( 'Content-Length' );
		if ( null !== $declared && (int) $declared > Session::MAX_BODY ) {
			return self::error( 'strongbox_body_too_large', __( 'The request body is larger than 32 MiB; send the data in smaller pieces.', 'strongbox' ), 413 );
		}
		$body   = (string) $request->get_body();
		$stream = self::$body_deferred && '' === $body ? fopen( 'php://input', 'rb' ) : false; // phpcs:ignore WordPress.WP.AlternativeFunctions -- the body, read in pieces.
		$pos    = 0;
		$read   = false !== $stream
			? static function () use ( $stream ) {
				$piece = feof( $stream ) ? false : fread( $stream, Keep_List::CHUNK ); // phpcs:ignore WordPress.WP.AlternativeFunctions
				return false === $piece || '' === $piece ? false : $piece;
			}
			: static function () use ( $body, &$pos ) {
				if ( $pos >= strlen( $body ) ) {
					return false;
				}
				$piece = substr( $body, $pos, Keep_List::CHUNK );
				$pos  += strlen( $piece );
				return $piece;
			};
		$roots  = $request['roots'];
		$result = $s->keep_files( $read, null === $roots ? null : (array) $roots, array_map( 'strval', (array) $request['exclude'] ), (bool) $request['reset'], null === $declared ? null : (int) $declared );
		if ( false !== $stream ) {
			fclose( $stream ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		}
		return self::respond( $result );
	}

	/**
	 * `rest_api_init`: for a POST to .../files/batch or .../files/keep, keeps WordPress
	 * from reading the whole body into a string (WP_REST_Server::get_raw_data() reads
	 * php://input unless $HTTP_RAW_POST_DATA is set): add_files() and keep_files() read
	 * it from php://input in pieces. Any other request is left alone.
	 */
	public static function defer_batch_body() {
		global $wp;
		$method = isset( $_SERVER['REQUEST_METHOD'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REQUEST_METHOD'] ) ) : '';
		if ( 'POST' !== $method || isset( $GLOBALS['HTTP_RAW_POST_DATA'] ) || ! ( $wp instanceof \WP ) || empty( $wp->query_vars['rest_route'] ) || ! is_string( $wp->query_vars['rest_route'] ) ) {
			return;
		}
		if ( ! preg_match( '#^/' . preg_quote( Plugin::REST_NAMESPACE, '#' ) . '/restore/sessions/[0-9a-f]{32}/files/(?:batch|keep)/?$#i', $wp->query_vars['rest_route'] ) ) {
			return;
		}
		$GLOBALS['HTTP_RAW_POST_DATA'] = ''; // phpcs:ignore WordPress.WP.GlobalVariablesOverride -- WordPress's own cache of the raw body.
		self::$body_deferred           = true;
	}

	/**
	 * POST /restore/sessions/{id}/search-replace.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function search_replace( \WP_REST_Request $request ) {
		$s = $this->session( $request, true );
		return is_wp_error( $s ) ? $s : self::respond( $s->search_replace( $request['from'], $request['to'] ) );
	}

	/**
	 * POST /restore/sessions/{id}/swap.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function swap( \WP_REST_Request $request ) {
		$s = $this->session( $request, true );
		if ( is_wp_error( $s ) ) {
			return $s;
		}
		if ( function_exists( 'set_time_limit' ) ) {
			@set_time_limit( 0 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- may be disabled by the host; the walk of a large site takes time.
		}
		return self::respond( $s->swap() );
	}

	/**
	 * POST /restore/sessions/{id}/commit.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function commit( \WP_REST_Request $request ) {
		$s = $this->session( $request, true );
		return is_wp_error( $s ) ? $s : self::respond( $s->commit() );
	}

	/**
	 * POST /restore/sessions/{id}/rollback and DELETE /restore/sessions/{id}.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function rollback( \WP_REST_Request $request ) {
		$s = $this->session( $request, true );
		if ( is_wp_error( $s ) ) {
			return $s;
		}
		if ( $s->is_drill() && 'DELETE' === $request->get_method() ) {
			$s->set_client_result(
				array(
					'result'      => $request['result'],
					'rto_seconds' => null === $request['rto_seconds'] ? null : (float) $request['rto_seconds'],
					'snapshot'    => $request['snapshot'],
					'detail'      => null === $request['detail'] ? null : sanitize_textarea_field( $request['detail'] ),
				)
			);
		}
		return self::respond( $s->rollback( 'requested' ) );
	}

	/**
	 * The session named in the URL, checked against the session key.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @param bool             $lock    Whether the call changes the session (then it is
	 *                                  locked for the rest of the request).
	 * @return Session|\WP_Error
	 */
	private function session( \WP_REST_Request $request, $lock = false ) {
		$s = Session::get( $request['id'] );
		if ( is_wp_error( $s ) ) {
			return $s;
		}
		if ( $lock ) {
			$locked = $s->lock();
			if ( is_wp_error( $locked ) ) {
				return $locked;
			}
		}
		if ( ! $s->key_matches( $request->get_header( 'X-Strongbox-Session-Key' ) ) ) {
			return self::error( 'strongbox_restore_key_invalid', __( 'The restore session key is missing or wrong (header X-Strongbox-Session-Key, returned when the session was opened; an administrator can get a new one with POST /restore/sessions/{id}/key).', 'strongbox' ), 403 );
		}
		return $s;
	}

	/**
	 * The raw body, refused when too large.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return string|\WP_Error
	 */
	private function body( \WP_REST_Request $request ) {
		$declared = $request->get_header( 'Content-Length' );
		$body     = (string) $request->get_body();
		if ( ( null !== $declared && (int) $declared > Session::MAX_BODY ) || strlen( $body ) > Session::MAX_BODY ) {
			return self::error( 'strongbox_body_too_large', __( 'The request body is larger than 32 MiB; send the data in smaller pieces.', 'strongbox' ), 413 );
		}
		if ( null !== $declared && (int) $declared !== strlen( $body ) ) {
			// Some PHP setups drop bodies above post_max_size: never mistake that for empty data.
			return self::error(
				'strongbox_body_truncated',
				/* translators: %s: PHP's post_max_size */
				sprintf( __( 'The request body did not arrive whole (PHP\'s post_max_size is %s); send smaller pieces.', 'strongbox' ), ini_get( 'post_max_size' ) ),
				413
			);
		}
		return $body;
	}

	/**
	 * Wraps a result.
	 *
	 * @param array|\WP_Error $result Result.
	 * @return \WP_REST_Response|\WP_Error
	 */
	private static function respond( $result ) {
		return is_wp_error( $result ) ? $result : new \WP_REST_Response( $result );
	}
}
