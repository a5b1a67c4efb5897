<?php
/**
 * Storage destinations, kept server-side; the secret never leaves the server.
 *
 * @package Strongbox
 */

namespace Strongbox\Storage;

use Strongbox\Secrets;

defined( 'ABSPATH' ) || exit;

/**
 * Repository of S3-compatible destinations in a non-autoloaded option. The secret
 * access keys are stored encrypted (Secrets, context `destination:<id>`); a plain one
 * left by an earlier version is encrypted the first time the list is read.
 */
final class Destinations {

	/** Option name. */
	const OPTION = 'strongbox_destinations';

	/** Retention keys (restic's keep-* options) counted in snapshots. */
	const KEEP_COUNTS = array( 'keep_last', 'keep_hourly', 'keep_daily', 'keep_weekly', 'keep_monthly', 'keep_yearly' );

	/**
	 * Retention of a new destination: hourly 24, daily 7, weekly 4, monthly 12.
	 *
	 * @return array
	 */
	public static function default_retention() {
		return array(
			'keep_last'    => 0,
			'keep_hourly'  => 24,
			'keep_daily'   => 7,
			'keep_weekly'  => 4,
			'keep_monthly' => 12,
			'keep_yearly'  => 0,
			'keep_within'  => '',
		);
	}

	/**
	 * A destination's retention policy. Destinations saved before retention existed keep
	 * everything (all zero) until a policy is set.
	 *
	 * @param array $d Destination.
	 * @return array
	 */
	public static function retention( array $d ) {
		$none = array_fill_keys( self::KEEP_COUNTS, 0 ) + array( 'keep_within' => '' );
		return isset( $d['retention'] ) && is_array( $d['retention'] ) ? array_merge( $none, array_intersect_key( $d['retention'], $none ) ) : $none;
	}

	/**
	 * Checks and normalizes a retention policy.
	 *
	 * @param mixed $r Policy.
	 * @return array|\WP_Error
	 */
	public static function normalize_retention( $r ) {
		if ( ! is_array( $r ) ) {
			return self::invalid( __( 'The retention policy must be an object of keep_* values.', 'strongbox' ) );
		}
		$out = array();
		foreach ( self::KEEP_COUNTS as $k ) {
			$v = isset( $r[ $k ] ) ? $r[ $k ] : 0;
			if ( ! is_numeric( $v ) || (int) $v < 0 || (int) $v > 100000 || (int) $v != $v ) { // phpcs:ignore Universal.Operators.StrictComparisons
				/* translators: %s: retention field such as keep_daily */
				return self::invalid( sprintf( __( '%s must be a whole number from 0 (not used) upward.', 'strongbox' ), $k ) );
			}
			$out[ $k ] = (int) $v;
		}
		$within = isset( $r['keep_within'] ) ? (string) $r['keep_within'] : '';
		if ( '' !== $within && ! preg_match( '/^(?:[0-9]{1,5}[ymdh]){1,4}$/', $within ) ) {
			return self::invalid( __( 'keep_within must be empty or a duration such as 2d, 6m or 1y2m3d4h (years, months, days, hours).', 'strongbox' ) );
		}
		$out['keep_within'] = $within;
		$unknown            = array_diff( array_keys( $r ), array_merge( self::KEEP_COUNTS, array( 'keep_within' ) ) );
		if ( $unknown ) {
			/* translators: %s: field name */
			return self::invalid( sprintf( __( 'Unknown retention field "%s".', 'strongbox' ), (string) reset( $unknown ) ) );
		}
		return $out;
	}

	/**
	 * The option as stored (secrets encrypted), plain secrets of earlier versions
	 * encrypted on the way.
	 *
	 * @return array<string, array>
	 */
	private static function stored() {
		$all = get_option( self::OPTION, array() );
		if ( ! is_array( $all ) ) {
			return array();
		}
		$migrated = false;
		foreach ( $all as $id => &$d ) {
			if ( is_array( $d ) && isset( $d['secret_access_key'] ) && is_string( $d['secret_access_key'] ) && '' !== $d['secret_access_key'] && ! Secrets::is_sealed( $d['secret_access_key'] ) ) {
				$d['secret_access_key'] = Secrets::seal( $d['secret_access_key'], self::context( $id ) );
				$migrated               = true;
			}
		}
		unset( $d );
		if ( $migrated ) {
			update_option( self::OPTION, $all ); // Autoload left as it is.
		}
		return $all;
	}

	/**
	 * The encryption context of a destination's secret.
	 *
	 * @param string $id Id.
	 * @return string
	 */
	private static function context( $id ) {
		return 'destination:' . $id;
	}

	/**
	 * All destinations, with secrets decrypted (server-side use only). A secret that
	 * can no longer be decrypted is '' with `secret_error` set to the error code.
	 *
	 * @return array<string, array>
	 */
	public static function all() {
		$out = array();
		foreach ( self::stored() as $id => $d ) {
			$out[ $id ] = self::decrypted( (string) $id, (array) $d );
		}
		return $out;
	}

	/**
	 * A stored destination with its secret decrypted (or `secret_error`).
	 *
	 * @param string $id Id.
	 * @param array  $d  Stored destination.
	 * @return array
	 */
	private static function decrypted( $id, array $d ) {
		$plain = Secrets::open( isset( $d['secret_access_key'] ) ? $d['secret_access_key'] : '', self::context( $id ), self::what( $d ) );
		if ( is_wp_error( $plain ) ) {
			$d['secret_access_key'] = '';
			$d['secret_error']      = $plain->get_error_code();
			$d['has_secret']        = true;
		} else {
			$d['secret_access_key'] = $plain;
		}
		return $d;
	}

	/**
	 * Names a destination's secret in messages.
	 *
	 * @param array $d Destination.
	 * @return string
	 */
	private static function what( array $d ) {
		/* translators: %s: destination name */
		return sprintf( __( 'the secret access key of the destination "%s"', 'strongbox' ), isset( $d['name'] ) ? (string) $d['name'] : '' );
	}

	/**
	 * One destination with its secret, or an error (also when its secret can no longer
	 * be decrypted, unless $need_secret is false).
	 *
	 * @param mixed $id          Id.
	 * @param bool  $need_secret Whether the caller signs with the secret.
	 * @return array|\WP_Error
	 */
	public static function get( $id, $need_secret = true ) {
		$all = self::stored();
		if ( ! is_string( $id ) || ! isset( $all[ $id ] ) ) {
			return new \WP_Error( 'strongbox_destination_not_found', __( 'No such destination.', 'strongbox' ), array( 'status' => 404 ) );
		}
		if ( ! $need_secret ) {
			return self::decrypted( $id, $all[ $id ] );
		}
		$plain = Secrets::open( $all[ $id ]['secret_access_key'], self::context( $id ), self::what( $all[ $id ] ) );
		if ( is_wp_error( $plain ) ) {
			return $plain;
		}
		$d                      = $all[ $id ];
		$d['secret_access_key'] = $plain;
		return $d;
	}

	/**
	 * Creates or updates a destination. A missing secret keeps the stored one.
	 *
	 * @param array       $input Fields.
	 * @param string|null $id    Id to update, null to create.
	 * @return array|\WP_Error The public view.
	 */
	public static function save( array $input, $id = null ) {
		$all  = self::stored();
		$prev = null;
		if ( null !== $id ) {
			if ( ! isset( $all[ $id ] ) ) {
				return new \WP_Error( 'strongbox_destination_not_found', __( 'No such destination.', 'strongbox' ), array( 'status' => 404 ) );
			}
			$prev = $all[ $id ];
		}
		$d = array_merge(
			array(
				'name'              => '',
				'endpoint'          => '',
				'region'            => 'us-east-1',
				'bucket'            => '',
				'prefix'            => '',
				'access_key_id'     => '',
				'secret_access_key' => '',
				'path_style'        => true,
			),
			(array) $prev,
			array_intersect_key( $input, array_flip( array( 'name', 'endpoint', 'region', 'bucket', 'prefix', 'access_key_id', 'secret_access_key', 'path_style' ) ) )
		);
		if ( isset( $input['retention'] ) ) {
			$retention = self::normalize_retention( $input['retention'] );
			if ( is_wp_error( $retention ) ) {
				return $retention;
			}
			$d['retention'] = $retention;
		} elseif ( null === $prev ) {
			$d['retention'] = self::default_retention();
		}
		$keep = $prev && ( ! isset( $input['secret_access_key'] ) || '' === $input['secret_access_key'] );
		if ( $keep ) {
			$d['secret_access_key'] = $prev['secret_access_key']; // As stored (encrypted): checked below as present.
		}
		$check = $d;
		if ( $keep && '' !== (string) $prev['secret_access_key'] ) {
			$check['secret_access_key'] = 'kept';
		}
		$valid = self::validate( $check );
		if ( is_wp_error( $valid ) ) {
			return $valid;
		}
		unset( $d['secret_error'], $d['has_secret'] );
		$d['prefix']     = trim( $d['prefix'], '/' );
		$d['path_style'] = (bool) $d['path_style'];
		$d['id']         = null === $id ? 'd' . bin2hex( random_bytes( 6 ) ) : $id;
		if ( ! $keep ) {
			$d['secret_access_key'] = Secrets::seal( $d['secret_access_key'], self::context( $d['id'] ) );
		}
		$d['updated']    = time();
		$all[ $d['id'] ] = $d;
		if ( false === get_option( self::OPTION, false ) ) {
			add_option( self::OPTION, $all, '', 'no' );
		} else {
			update_option( self::OPTION, $all, false );
		}
		return self::public_view( self::decrypted( $d['id'], $d ) );
	}

	/**
	 * Deletes a destination.
	 *
	 * @param mixed $id Id.
	 * @return bool
	 */
	public static function delete( $id ) {
		$all = self::stored();
		if ( ! is_string( $id ) || ! isset( $all[ $id ] ) ) {
			return false;
		}
		unset( $all[ $id ] );
		update_option( self::OPTION, $all, false );
		return true;
	}

	/**
	 * The view sent to clients: the secret replaced by a flag.
	 *
	 * @param array $d Destination.
	 * @return array
	 */
	public static function public_view( array $d ) {
		$d['has_secret'] = ! empty( $d['has_secret'] ) || '' !== (string) $d['secret_access_key'];
		if ( ! isset( $d['secret_error'] ) ) {
			$d['secret_error'] = null; // strongbox_secret_key_changed / strongbox_secret_corrupt: re-enter the secret.
		}
		$d['retention'] = self::retention( $d );
		unset( $d['secret_access_key'] );
		return $d;
	}

	/**
	 * Checks the fields.
	 *
	 * @param array $d Destination.
	 * @return true|\WP_Error
	 */
	private static function validate( array $d ) {
		foreach ( array( 'name', 'endpoint', 'region', 'bucket', 'prefix', 'access_key_id', 'secret_access_key' ) as $f ) {
			if ( ! is_string( $d[ $f ] ) || strlen( $d[ $f ] ) > 1024 || preg_match( '/[\x00-\x1f\x7f]/', $d[ $f ] ) ) {
				/* translators: %s: field name */
				return self::invalid( sprintf( __( 'The field "%s" must be a short single-line string.', 'strongbox' ), $f ) );
			}
		}
		$url = wp_parse_url( $d['endpoint'] );
		if ( ! $url || empty( $url['host'] ) || ! in_array( isset( $url['scheme'] ) ? $url['scheme'] : '', array( 'http', 'https' ), true ) || isset( $url['query'] ) || isset( $url['user'] ) ) {
			return self::invalid( __( 'The endpoint must be an http(s) URL such as https://s3.eu-central-1.amazonaws.com.', 'strongbox' ) );
		}
		if ( ! preg_match( '/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/', $d['bucket'] ) ) {
			return self::invalid( __( 'The bucket name must be 3-63 lowercase letters, digits, dots or hyphens.', 'strongbox' ) );
		}
		if ( ! preg_match( '/^[a-z0-9-]{1,32}$/', $d['region'] ) ) {
			return self::invalid( __( 'The region must look like us-east-1.', 'strongbox' ) );
		}
		if ( '' !== $d['prefix'] && ! Key_Policy::valid_key( trim( $d['prefix'], '/' ) ) ) {
			return self::invalid( __( 'The key prefix may not contain "..", empty segments or control characters.', 'strongbox' ) );
		}
		if ( '' === $d['access_key_id'] || '' === $d['secret_access_key'] ) {
			return self::invalid( __( 'An access key id and a secret access key are required.', 'strongbox' ) );
		}
		return true;
	}

	/**
	 * Validation error.
	 *
	 * @param string $message Message.
	 * @return \WP_Error
	 */
	private static function invalid( $message ) {
		return new \WP_Error( 'strongbox_destination_invalid', $message, array( 'status' => 400 ) );
	}
}
