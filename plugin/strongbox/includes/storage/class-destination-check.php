<?php
/**
 * Tests a destination from the server: reachable, keys valid, writable, and open to
 * the browser (CORS); adds the missing CORS rule on request.
 *
 * @package Strongbox
 */

namespace Strongbox\Storage;

defined( 'ABSPATH' ) || exit;

/**
 * The destination test. Every message is a plain sentence for a shop owner; none
 * contains the secret key.
 */
final class Destination_Check {

	/** The checks, in the order they run. */
	const CHECKS = array( 'endpoint', 'credentials', 'write', 'cors' );

	/** Preflights the browser engine's requests need: method => request headers. */
	const PREFLIGHTS = array(
		'PUT'    => array( 'content-type', 'if-none-match' ),
		'GET'    => array( 'range' ),
		'DELETE' => array(),
	);

	/**
	 * Destination, with its secret.
	 *
	 * @var array
	 */
	private $d;

	/**
	 * Origin of the admin pages (scheme://host[:port]).
	 *
	 * @var string
	 */
	private $origin;

	/**
	 * Client.
	 *
	 * @var S3_Client
	 */
	private $client;

	/**
	 * Key of the test object, under `<prefix>/locks/`.
	 *
	 * @var string
	 */
	private $test_key;

	/**
	 * Constructor.
	 *
	 * @param array  $d      Destination, with its secret.
	 * @param string $origin Normalized origin (see origin()).
	 */
	public function __construct( array $d, $origin ) {
		$this->d        = $d;
		$this->origin   = $origin;
		$this->client   = new S3_Client( $d );
		$locks          = ( '' === (string) $d['prefix'] ? '' : $d['prefix'] . '/' ) . Key_Policy::LOCKS_DIR;
		$this->test_key = $locks . '/.strongbox-test-' . bin2hex( random_bytes( 8 ) );
	}

	/**
	 * Normalizes an origin: `scheme://host[:port]`, lowercase, default port dropped.
	 *
	 * @param mixed $value Origin from the request, or null for the admin pages' origin.
	 * @return string|\WP_Error
	 */
	public static function origin( $value ) {
		if ( null === $value || '' === $value ) {
			$value = admin_url();
			$p     = wp_parse_url( $value );
			unset( $p['path'], $p['query'], $p['fragment'] );
		} else {
			$p = is_string( $value ) && strlen( $value ) <= 300 && ! preg_match( '/[\x00-\x20\x7f]/', $value ) ? wp_parse_url( rtrim( $value, '/' ) ) : false;
		}
		if ( ! is_array( $p ) || empty( $p['scheme'] ) || empty( $p['host'] ) || ! in_array( strtolower( $p['scheme'] ), array( 'http', 'https' ), true )
			|| isset( $p['path'] ) || isset( $p['query'] ) || isset( $p['fragment'] ) || isset( $p['user'] ) || isset( $p['pass'] )
			|| ! preg_match( '/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/i', $p['host'] ) ) {
			return new \WP_Error( 'strongbox_origin_invalid', __( 'The origin must look like https://shop.example: a scheme, a host name and an optional port, nothing after.', 'strongbox' ), array( 'status' => 400 ) );
		}
		$scheme = strtolower( $p['scheme'] );
		$port   = isset( $p['port'] ) ? (int) $p['port'] : null;
		if ( ( 'https' === $scheme && 443 === $port ) || ( 'http' === $scheme && 80 === $port ) ) {
			$port = null;
		}
		return $scheme . '://' . strtolower( $p['host'] ) . ( null === $port ? '' : ':' . $port );
	}

	/**
	 * Runs the four checks in order; a check whose premise failed is reported as skipped.
	 *
	 * @return array{ok: bool, origin: string, checks: array, cors_fixable: bool, cors_rule: array, csp_note: string}
	 */
	public function run() {
		self::no_time_limit();
		$checks   = array();
		$fixable  = false;
		$listing  = $this->client->send(
			'GET',
			'',
			array(
				'list-type' => '2',
				'max-keys'  => '1',
				'prefix'    => '' === (string) $this->d['prefix'] ? '' : $this->d['prefix'] . '/',
			)
		);
		$checks[] = $this->endpoint_check( $listing );
		if ( ! $checks[0]['ok'] ) {
			$why = __( 'Not checked, because the storage could not be reached.', 'strongbox' );
			return $this->result( array_merge( $checks, array( self::skipped( 'credentials', $why ), self::skipped( 'write', $why ), self::skipped( 'cors', $why ) ) ), false );
		}
		$checks[] = $this->credentials_check( $listing );
		if ( ! $checks[1]['ok'] ) {
			$why = __( 'Not checked, because the bucket could not be listed with these settings.', 'strongbox' );
			return $this->result( array_merge( $checks, array( self::skipped( 'write', $why ), self::skipped( 'cors', $why ) ) ), false );
		}
		$checks[] = $this->write_check();
		list( $cors, $fixable ) = $this->cors_check();
		$checks[] = $cors;
		return $this->result( $checks, $fixable );
	}

	/**
	 * Adds Strongbox's CORS rule for the origin (first, every other rule kept), then
	 * runs the CORS check again.
	 *
	 * @return array{ok: bool, applied: bool, origin: string, checks: array, cors_fixable: bool, cors_rule: array, csp_note: string}
	 */
	public function fix_cors() {
		self::no_time_limit();
		$rule  = Cors_Rules::strongbox_rule( $this->origin );
		$json  = Cors_Rules::console_json( $rule );
		$state = $this->read_rules();
		$fail  = null;
		if ( 'read' !== $state['state'] && 'none' !== $state['state'] ) {
			$fail = $state['message'] . ' ' . sprintf(
				/* translators: %s: CORS rule in JSON */
				__( 'Nothing was changed. Add this rule in your storage provider\'s console: %s', 'strongbox' ),
				$json
			);
		} elseif ( count( $state['rules'] ) >= Cors_Rules::MAX_RULES ) {
			/* translators: %d: most CORS rules per bucket */
			$fail = sprintf( __( 'The bucket already has %d CORS rules, the most it may have. Nothing was changed; remove a rule you no longer need in your storage provider\'s console, then try again.', 'strongbox' ), Cors_Rules::MAX_RULES );
		} else {
			$xml = Cors_Rules::to_xml( Cors_Rules::with_strongbox_rule( $state['rules'], $this->origin ) );
			$put = $this->client->send(
				'PUT',
				'',
				array( 'cors' => '' ),
				$xml,
				array(
					'Content-Type' => 'application/xml',
					'Content-MD5'  => base64_encode( md5( $xml, true ) ), // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- S3 requires the header.
				)
			);
			if ( is_wp_error( $put ) ) {
				/* translators: %s: technical error */
				$fail = sprintf( __( 'Strongbox could not send the new CORS rules to the storage (%s). Nothing was changed; try again.', 'strongbox' ), $put->get_error_message() );
			} elseif ( $put['status'] < 200 || $put['status'] > 299 ) {
				$fail = 403 === $put['status']
					/* translators: 1: HTTP status, 2: S3 error code, 3: CORS rule in JSON */
					? sprintf( __( 'The access key may not change the bucket\'s CORS settings (HTTP %1$d %2$s). Add this rule in your storage provider\'s console: %3$s', 'strongbox' ), $put['status'], S3_Client::error_code( $put['body'] ), $json )
					/* translators: 1: HTTP status, 2: S3 error code, 3: CORS rule in JSON */
					: sprintf( __( 'The storage refused the new CORS rules (HTTP %1$d %2$s). Add this rule in your storage provider\'s console: %3$s', 'strongbox' ), $put['status'], S3_Client::error_code( $put['body'] ), $json );
			}
		}
		if ( null !== $fail ) {
			$check = array(
				'id'      => 'cors',
				'ok'      => false,
				'message' => $fail,
			);
			return $this->result( array( $check ), false, array( 'applied' => false ) );
		}
		list( $cors, $fixable ) = $this->cors_check();
		return $this->result( array( $cors ), $fixable, array( 'applied' => true ) );
	}

	/**
	 * Check 1: anything answered.
	 *
	 * @param array|\WP_Error $listing Response of the listing.
	 * @return array
	 */
	private function endpoint_check( $listing ) {
		if ( ! is_wp_error( $listing ) ) {
			/* translators: %s: endpoint URL */
			return self::check( 'endpoint', true, sprintf( __( 'The storage at %s answered.', 'strongbox' ), $this->d['endpoint'] ) );
		}
		/* translators: 1: endpoint URL, 2: technical error */
		$message = sprintf( __( 'Strongbox could not reach the storage at %1$s (%2$s). Check the endpoint address, and that this web server may connect to it.', 'strongbox' ), $this->d['endpoint'], $listing->get_error_message() );
		if ( defined( 'WP_HTTP_BLOCK_EXTERNAL' ) && WP_HTTP_BLOCK_EXTERNAL ) {
			$message .= ' ' . __( 'This site blocks outgoing requests (WP_HTTP_BLOCK_EXTERNAL in wp-config.php): add the storage\'s host name to WP_ACCESSIBLE_HOSTS.', 'strongbox' );
		}
		return self::check( 'endpoint', false, $message );
	}

	/**
	 * Check 2: the keys work and the bucket exists (ListObjectsV2, max-keys=1, under the prefix).
	 *
	 * @param array $r Response of the listing.
	 * @return array
	 */
	private function credentials_check( array $r ) {
		$bucket = $this->d['bucket'];
		$code   = S3_Client::error_code( $r['body'] );
		if ( 200 === $r['status'] && false !== strpos( $r['body'], '<ListBucketResult' ) ) {
			/* translators: %s: bucket name */
			return self::check( 'credentials', true, sprintf( __( 'The access key works and the bucket "%s" exists.', 'strongbox' ), $bucket ) );
		}
		if ( 200 === $r['status'] ) {
			/* translators: %s: endpoint URL */
			$message = sprintf( __( 'Something answered at %s, but not like S3 storage. Check the endpoint address (for Amazon S3, for example https://s3.eu-central-1.amazonaws.com).', 'strongbox' ), $this->d['endpoint'] );
		} elseif ( 'NoSuchBucket' === $code ) {
			/* translators: 1: bucket name, 2: endpoint URL */
			$message = sprintf( __( 'There is no bucket named "%1$s" at %2$s. Create it in your storage provider\'s console, or correct the bucket name.', 'strongbox' ), $bucket, $this->d['endpoint'] );
		} elseif ( 'InvalidAccessKeyId' === $code ) {
			/* translators: %s: access key id */
			$message = sprintf( __( 'The storage does not know the access key id "%s". Copy it again from your storage provider\'s console.', 'strongbox' ), $this->d['access_key_id'] );
		} elseif ( 'SignatureDoesNotMatch' === $code ) {
			$message = __( 'The storage rejected the secret access key. Enter it again (Strongbox never shows it).', 'strongbox' );
		} elseif ( 'RequestTimeTooSkewed' === $code ) {
			$message = __( 'The storage refused the request because this web server\'s clock is wrong. Ask your host to synchronize the server time.', 'strongbox' );
		} elseif ( in_array( $r['status'], array( 301, 307 ), true ) || in_array( $code, array( 'PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException' ), true ) ) {
			$region  = S3_Client::error_region( $r );
			$message = '' !== $region && $region !== $this->d['region']
				/* translators: 1: bucket name, 2: the bucket's region, 3: the configured region */
				? sprintf( __( 'The bucket "%1$s" is in the region %2$s, not %3$s. Set the region to %2$s.', 'strongbox' ), $bucket, $region, $this->d['region'] )
				/* translators: 1: bucket name, 2: the configured region */
				: sprintf( __( 'The bucket "%1$s" is not in the region %2$s, or the endpoint is wrong. Check both in your storage provider\'s console.', 'strongbox' ), $bucket, $this->d['region'] );
		} elseif ( 403 === $r['status'] ) {
			/* translators: 1: bucket name, 2: key prefix */
			$message = sprintf( __( 'The access key may not list the bucket "%1$s" (access denied). Give it permission to list, read, write and delete objects under "%2$s".', 'strongbox' ), $bucket, $this->prefix_shown() );
		} else {
			/* translators: 1: bucket name, 2: HTTP status, 3: S3 error code */
			$message = sprintf( __( 'The storage refused to list the bucket "%1$s" (HTTP %2$d %3$s). Check the bucket name, the region and the access keys.', 'strongbox' ), $bucket, $r['status'], $code );
		}
		return self::check( 'credentials', false, $message );
	}

	/**
	 * Check 3: a test object can be written and deleted under `<prefix>/locks/`.
	 *
	 * @return array
	 */
	private function write_check() {
		$put = $this->client->send( 'PUT', $this->test_key, array(), "Strongbox destination test.\n", array( 'Content-Type' => 'text/plain' ) );
		if ( is_wp_error( $put ) ) {
			/* translators: %s: technical error */
			return self::check( 'write', false, sprintf( __( 'Strongbox could not write a test file (%s). Try again; if it keeps failing, check the endpoint address.', 'strongbox' ), $put->get_error_message() ) );
		}
		if ( $put['status'] < 200 || $put['status'] > 299 ) {
			$message = 403 === $put['status']
				/* translators: 1: HTTP status, 2: S3 error code, 3: key prefix */
				? sprintf( __( 'The access key may not write files into the bucket (HTTP %1$d %2$s). Give it permission to write and delete objects under "%3$s".', 'strongbox' ), $put['status'], S3_Client::error_code( $put['body'] ), $this->prefix_shown() )
				/* translators: 1: HTTP status, 2: S3 error code */
				: sprintf( __( 'The storage refused to store a test file (HTTP %1$d %2$s). Check that the bucket accepts new files (quota, read-only or locked bucket).', 'strongbox' ), $put['status'], S3_Client::error_code( $put['body'] ) );
			return self::check( 'write', false, $message );
		}
		$delete = $this->client->send( 'DELETE', $this->test_key );
		if ( is_wp_error( $delete ) || $delete['status'] < 200 || $delete['status'] > 299 ) {
			return self::check(
				'write',
				false,
				sprintf(
					/* translators: 1: HTTP status or error, 2: key prefix, 3: key of the test file */
					__( 'Strongbox wrote a test file but could not delete it (%1$s). Give the access key permission to delete objects under "%2$s" (Strongbox removes its lock files), then delete "%3$s" by hand.', 'strongbox' ),
					is_wp_error( $delete ) ? $delete->get_error_message() : 'HTTP ' . $delete['status'] . ' ' . S3_Client::error_code( $delete['body'] ),
					$this->prefix_shown(),
					$this->test_key
				)
			);
		}
		/* translators: %s: key prefix of the lock files */
		return self::check( 'write', true, sprintf( __( 'Strongbox wrote and deleted a test file under "%s".', 'strongbox' ), dirname( $this->test_key ) . '/' ) );
	}

	/**
	 * Check 4: the bucket's CORS rules let the browser on the origin upload, download
	 * and delete, send the engine's headers, and read ETag. Real preflights, plus the
	 * rules themselves (GetBucketCors) for ExposeHeader.
	 *
	 * @return array{0: array, 1: bool} The check and whether Strongbox can fix it.
	 */
	private function cors_check() {
		$state   = $this->read_rules();
		$problem = null;
		$put     = null;
		foreach ( self::PREFLIGHTS as $method => $headers ) {
			$problem = $this->preflight( $method, $headers, $response );
			if ( 'PUT' === $method ) {
				$put = $response;
			}
			if ( null !== $problem ) {
				break;
			}
		}
		if ( null === $problem ) {
			$rule = 'read' === $state['state'] ? Cors_Rules::first_match( $state['rules'], $this->origin, 'PUT' ) : null;
			if ( null !== $rule ) {
				$etag = Cors_Rules::exposes( $rule, 'ETag' );
			} else {
				$exposed = isset( $put['headers']['access-control-expose-headers'] ) ? array_map( 'trim', explode( ',', strtolower( $put['headers']['access-control-expose-headers'] ) ) ) : array();
				$etag    = in_array( 'etag', $exposed, true );
			}
			if ( ! $etag ) {
				/* translators: %s: origin of the site */
				$problem = sprintf( __( 'The bucket\'s CORS rules for %s do not expose the ETag header, which Strongbox needs to finish large uploads.', 'strongbox' ), $this->origin );
			}
		}
		if ( null === $problem ) {
			/* translators: %s: origin of the site */
			return array( self::check( 'cors', true, sprintf( __( 'The bucket lets this site (%s) upload, download and delete from the browser, and shows it the ETag header.', 'strongbox' ), $this->origin ) ), false );
		}
		$json    = Cors_Rules::console_json( Cors_Rules::strongbox_rule( $this->origin ) );
		$fixable = 'read' === $state['state'] || 'none' === $state['state'];
		if ( $fixable ) {
			/* translators: %s: CORS rule in JSON */
			$problem .= ' ' . sprintf( __( 'Click \'Fix CORS\' to add a rule, or add this rule in your storage provider\'s console: %s', 'strongbox' ), $json );
		} else {
			/* translators: %s: CORS rule in JSON */
			$problem .= ' ' . $state['message'] . ' ' . sprintf( __( 'Add this rule in your storage provider\'s console: %s', 'strongbox' ), $json );
		}
		return array( self::check( 'cors', false, $problem ), $fixable );
	}

	/**
	 * Sends a browser's preflight for a method on the test key.
	 *
	 * @param string     $method   Method the browser would send.
	 * @param string[]   $headers  Request headers it would send.
	 * @param array|null $response Receives the response (null on a transport error).
	 * @return string|null The problem in plain words, null when the browser would go ahead.
	 */
	private function preflight( $method, array $headers, &$response ) {
		$ask = array(
			'Origin'                        => $this->origin,
			'Access-Control-Request-Method' => $method,
		);
		if ( $headers ) {
			$ask['Access-Control-Request-Headers'] = implode( ',', $headers );
		}
		$r        = $this->client->send( 'OPTIONS', $this->test_key, array(), null, $ask, $method );
		$response = is_wp_error( $r ) ? null : $r;
		if ( is_wp_error( $r ) ) {
			/* translators: %s: technical error */
			return sprintf( __( 'Strongbox could not ask the bucket whether browsers may use it (%s).', 'strongbox' ), $r->get_error_message() );
		}
		$h     = $r['headers'];
		$allow = isset( $h['access-control-allow-origin'] ) ? trim( $h['access-control-allow-origin'] ) : '';
		if ( $r['status'] < 200 || $r['status'] > 299 || ( $allow !== $this->origin && '*' !== $allow ) ) {
			/* translators: %s: origin of the site */
			return sprintf( __( 'The bucket does not allow uploads from %s.', 'strongbox' ), $this->origin );
		}
		$methods = isset( $h['access-control-allow-methods'] ) ? array_map( 'trim', explode( ',', strtoupper( $h['access-control-allow-methods'] ) ) ) : array();
		if ( ! in_array( $method, $methods, true ) && ! in_array( '*', $methods, true ) ) {
			/* translators: 1: origin of the site, 2: HTTP method */
			return sprintf( __( 'The bucket\'s CORS rules for %1$s do not allow %2$s requests, which Strongbox needs.', 'strongbox' ), $this->origin, $method );
		}
		$allowed = isset( $h['access-control-allow-headers'] ) ? array_map( 'trim', explode( ',', strtolower( $h['access-control-allow-headers'] ) ) ) : array();
		$missing = array();
		foreach ( $headers as $header ) {
			// Browsers read a literal "*" as any header except Authorization.
			if ( ! in_array( $header, $allowed, true ) && ! ( in_array( '*', $allowed, true ) && 'authorization' !== $header ) ) {
				$missing[] = $header;
			}
		}
		if ( $missing ) {
			/* translators: 1: origin of the site, 2: header names */
			return sprintf( __( 'The bucket\'s CORS rules for %1$s do not allow the request headers %2$s, which Strongbox sends.', 'strongbox' ), $this->origin, implode( ', ', $missing ) );
		}
		return null;
	}

	/**
	 * The bucket's CORS rules (GetBucketCors).
	 *
	 * @return array{state: string, rules: array, message: string} state: read, none
	 *               (no configuration), forbidden, unsupported or error.
	 */
	private function read_rules() {
		$r = $this->client->send( 'GET', '', array( 'cors' => '' ) );
		if ( is_wp_error( $r ) ) {
			return array(
				'state'   => 'error',
				'rules'   => array(),
				/* translators: %s: technical error */
				'message' => sprintf( __( 'Strongbox could not read the bucket\'s CORS settings (%s).', 'strongbox' ), $r->get_error_message() ),
			);
		}
		$code = S3_Client::error_code( $r['body'] );
		if ( 404 === $r['status'] && 'NoSuchCORSConfiguration' === $code ) {
			return array(
				'state'   => 'none',
				'rules'   => array(),
				'message' => '',
			);
		}
		if ( 200 === $r['status'] ) {
			$rules = Cors_Rules::parse( $r['body'] );
			if ( null !== $rules ) {
				return array(
					'state'   => 'read',
					'rules'   => $rules,
					'message' => '',
				);
			}
		}
		if ( 403 === $r['status'] ) {
			return array(
				'state'   => 'forbidden',
				'rules'   => array(),
				'message' => __( 'The access key may not read the bucket\'s CORS settings, so Strongbox cannot change them itself.', 'strongbox' ),
			);
		}
		return array(
			'state'   => 'unsupported',
			'rules'   => array(),
			/* translators: 1: HTTP status, 2: S3 error code */
			'message' => sprintf( __( 'This storage does not let Strongbox manage its CORS settings (HTTP %1$d %2$s).', 'strongbox' ), $r['status'], $code ),
		);
	}

	/**
	 * The answer, with the secret scrubbed from every message (it is never put in one;
	 * this is the guard).
	 *
	 * @param array $checks  Checks.
	 * @param bool  $fixable Whether POST /cors can fix the CORS check.
	 * @param array $extra   Extra fields.
	 * @return array
	 */
	private function result( array $checks, $fixable, array $extra = array() ) {
		$ok = count( $checks ) > 0;
		foreach ( $checks as $i => $c ) {
			$ok                      = $ok && $c['ok'];
			$checks[ $i ]['message'] = $this->scrub( $c['message'] );
		}
		$rule = Cors_Rules::strongbox_rule( $this->origin );
		return array_merge(
			array(
				'ok'           => $ok,
				'origin'       => $this->origin,
				'checks'       => $checks,
				'cors_fixable' => (bool) $fixable,
				'cors_rule'    => json_decode( Cors_Rules::console_json( $rule ), true )[0],
				'csp_note'     => $this->scrub(
					sprintf(
						/* translators: %s: origin of the storage */
						__( 'If your site sends a Content-Security-Policy header, the Strongbox admin pages need script-src \'wasm-unsafe-eval\' (to run the backup engine in the browser) and connect-src %s (to reach your storage).', 'strongbox' ),
						$this->client->origin()
					)
				),
			),
			$extra
		);
	}

	/**
	 * Removes the secret from a text.
	 *
	 * @param string $text Text.
	 * @return string
	 */
	private function scrub( $text ) {
		$secret = (string) $this->d['secret_access_key'];
		if ( strlen( $secret ) < 8 ) {
			return $text;
		}
		return str_replace( array( $secret, rawurlencode( $secret ), wp_json_encode( $secret ) ), '[secret]', $text );
	}

	/**
	 * The prefix as shown in messages.
	 *
	 * @return string
	 */
	private function prefix_shown() {
		return '' === (string) $this->d['prefix'] ? '/' : $this->d['prefix'] . '/';
	}

	/**
	 * One check.
	 *
	 * @param string $id      Id.
	 * @param bool   $ok      Passed.
	 * @param string $message Plain words.
	 * @return array
	 */
	private static function check( $id, $ok, $message ) {
		return array(
			'id'      => $id,
			'ok'      => $ok,
			'message' => $message,
		);
	}

	/**
	 * A check not run.
	 *
	 * @param string $id  Id.
	 * @param string $why Plain words.
	 * @return array
	 */
	private static function skipped( $id, $why ) {
		$c            = self::check( $id, false, $why );
		$c['skipped'] = true;
		return $c;
	}

	/**
	 * Several requests of up to 15 s each: lift the time limit where the host allows it.
	 */
	private static function no_time_limit() {
		if ( function_exists( 'set_time_limit' ) ) {
			@set_time_limit( 0 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- may be disabled by the host.
		}
	}
}
