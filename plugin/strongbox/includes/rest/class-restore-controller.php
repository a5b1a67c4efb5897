<?php
/**
 * Restore routes: open a session, stage tables/rows/files, swap, commit or roll back.
 *
 * @package Strongbox
 */

namespace Strongbox\Rest;

use Strongbox\Capability;
use Strongbox\Restore\Session;

defined( 'ABSPATH' ) || exit;

/**
 * Restore sessions. Every call after opening also needs the session key
 * (header X-Strongbox-Session-Key), returned once by the open call.
 */
class Restore_Controller extends Controller {

	/** The confirmation text the open call requires. */
	const CONFIRMATION = 'RESTORE';

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
						'confirm'             => array( 'type' => 'string', 'required' => true ),
						'ttl'                 => array( 'type' => 'integer', 'minimum' => Session::MIN_TTL, 'maximum' => Session::MAX_TTL ),
						'overwrite_protected' => array( 'type' => 'boolean', 'default' => false ),
						'maintenance'         => array( 'type' => 'boolean', 'default' => true ),
					),
					$perm,
				),
			)
		);
		$this->route( '/restore/sessions/current', array( array( 'GET', array( $this, 'current' ), array(), $perm ) ) );
		$this->route(
			$sid,
			array(
				array( 'GET', array( $this, 'status' ), array(), $swapd ),
				array( 'DELETE', array( $this, 'rollback' ), array(), $swapd ),
			)
		);
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
						'path'   => array( 'type' => 'string', 'required' => true ),
						'offset' => array( 'type' => 'integer', 'default' => 0, 'minimum' => 0 ),
						'mode'   => array( 'type' => 'string', 'default' => '0644', 'pattern' => '^0?[0-7]{3}$' ),
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
		if ( self::CONFIRMATION !== $request['confirm'] ) {
			return self::error( 'strongbox_confirmation_required', __( 'A restore replaces the site\'s data: confirm it by sending confirm = "RESTORE".', 'strongbox' ) );
		}
		$opened = Session::open(
			get_current_user_id(),
			array(
				'ttl'                 => $request['ttl'],
				'overwrite_protected' => $request['overwrite_protected'],
				'maintenance'         => $request['maintenance'],
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
	public function current() {
		Session::expire_abandoned();
		$s = Session::current();
		if ( null === $s ) {
			return self::error( 'strongbox_restore_not_found', __( 'No restore session is open.', 'strongbox' ), 404 );
		}
		return new \WP_REST_Response( $s->to_array() );
	}

	/**
	 * GET /restore/sessions/{id}.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function status( \WP_REST_Request $request ) {
		$s = $this->session( $request );
		return is_wp_error( $s ) ? $s : new \WP_REST_Response( $s->to_array() );
	}

	/**
	 * PUT /restore/sessions/{id}/tables/{table}.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function add_table( \WP_REST_Request $request ) {
		$s = $this->session( $request );
		return is_wp_error( $s ) ? $s : self::respond( $s->add_table( $request['table'], $request['create'] ) );
	}

	/**
	 * POST /restore/sessions/{id}/tables/{table}/rows (body: row lines).
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function add_rows( \WP_REST_Request $request ) {
		$s = $this->session( $request );
		if ( is_wp_error( $s ) ) {
			return $s;
		}
		$body = $this->body( $request );
		return is_wp_error( $body ) ? $body : self::respond( $s->add_rows( $request['table'], $body ) );
	}

	/**
	 * PUT /restore/sessions/{id}/files?path=&offset=&mode= (body: file bytes).
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function add_file( \WP_REST_Request $request ) {
		$s = $this->session( $request );
		if ( is_wp_error( $s ) ) {
			return $s;
		}
		$body = $this->body( $request );
		return is_wp_error( $body ) ? $body : self::respond( $s->add_file( $request['path'], $body, (int) $request['offset'], octdec( $request['mode'] ) ) );
	}

	/**
	 * POST /restore/sessions/{id}/search-replace.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function search_replace( \WP_REST_Request $request ) {
		$s = $this->session( $request );
		return is_wp_error( $s ) ? $s : self::respond( $s->search_replace( $request['from'], $request['to'] ) );
	}

	/**
	 * POST /restore/sessions/{id}/swap.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function swap( \WP_REST_Request $request ) {
		$s = $this->session( $request );
		return is_wp_error( $s ) ? $s : self::respond( $s->swap() );
	}

	/**
	 * POST /restore/sessions/{id}/commit.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function commit( \WP_REST_Request $request ) {
		$s = $this->session( $request );
		return is_wp_error( $s ) ? $s : self::respond( $s->commit() );
	}

	/**
	 * POST /restore/sessions/{id}/rollback and DELETE /restore/sessions/{id}.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function rollback( \WP_REST_Request $request ) {
		$s = $this->session( $request );
		return is_wp_error( $s ) ? $s : self::respond( $s->rollback( 'requested' ) );
	}

	/**
	 * The session named in the URL, checked against the session key.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return Session|\WP_Error
	 */
	private function session( \WP_REST_Request $request ) {
		$s = Session::get( $request['id'] );
		if ( is_wp_error( $s ) ) {
			return $s;
		}
		if ( ! $s->key_matches( $request->get_header( 'X-Strongbox-Session-Key' ) ) ) {
			return self::error( 'strongbox_restore_key_invalid', __( 'The restore session key is missing or wrong (header X-Strongbox-Session-Key, returned when the session was opened).', 'strongbox' ), 403 );
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
