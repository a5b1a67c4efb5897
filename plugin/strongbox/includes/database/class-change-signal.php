<?php
/**
 * Proof that a table has not changed since a previous manifest, from what the database
 * server itself maintains (no checksums computed).
 *
 * @package Strongbox
 */

namespace Strongbox\Database;

defined( 'ABSPATH' ) || exit;

/**
 * A manifest answer carries a `signal`: an opaque token (base64url JSON plus an HMAC)
 * with what the server said about the table right before its checksums were computed.
 * Sent back as `unchanged_since`, it lets the next manifest answer `unchanged: true`
 * without reading the table, but only when every one of these holds (otherwise the
 * checksums are computed, as before):
 *
 * - the token is intact (HMAC with the site's auth salt), names this table, and the
 *   width asked is the token's;
 * - the server is MariaDB (MySQL 8 caches information_schema.TABLES statistics unless
 *   information_schema_stats_expiry = 0), the same one (host, port, version, database)
 *   and it has not restarted (start time = now - Uptime, within 2 s);
 * - the table is InnoDB and its UPDATE_TIME (the time of the last commit that changed
 *   it, kept in memory by InnoDB) is set, equal to the token's, and at least MARGIN
 *   seconds older than the token's capture (a commit sets UPDATE_TIME a moment before
 *   its rows become visible; the margin keeps such a commit from hiding behind the
 *   previous checksum pass);
 * - CREATE_TIME (changes on RENAME and rebuilds), AUTO_INCREMENT, the TABLE_ROWS
 *   estimate (must be > 0: TRUNCATE keeps UPDATE_TIME but empties the statistics),
 *   InnoDB's TABLE_ID where information_schema.INNODB_SYS_TABLES is readable
 *   (TRUNCATE, RENAME and rebuilds change it) and the SHOW CREATE TABLE statement
 *   are all unchanged.
 */
final class Change_Signal {

	/** Token layout version. */
	const VERSION = 1;

	/** Seconds between the last commit and a token's capture, at least. */
	const MARGIN = 2;

	/** Tolerance of the server start time (now - Uptime, two one-second clocks). */
	const START_TOLERANCE = 2;

	/**
	 * Whether INNODB_SYS_TABLES is readable (null: not tried yet in this request).
	 *
	 * @var bool|null
	 */
	private static $sys_tables = null;

	/**
	 * Server facts, once per request.
	 *
	 * @var array|null
	 */
	private static $server = null;

	/**
	 * What the server says about a table now. Read BEFORE its checksums are computed.
	 *
	 * @param array  $t      Table description (Schema::table()).
	 * @param string $create Its SHOW CREATE TABLE statement.
	 * @return array {n, s, srv, engine, ut, ct, ai, r, id, cs, supported}
	 */
	public static function capture( array $t, $create ) {
		global $wpdb;
		$server = self::server();
		$clock  = $wpdb->get_row( "SELECT UNIX_TIMESTAMP(), (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'UPTIME')", ARRAY_N );
		$tz     = $wpdb->get_var( 'SELECT @@session.time_zone' );
		$wpdb->query( "SET time_zone = '+00:00'" );
		$row = $wpdb->get_row(
			$wpdb->prepare(
				'SELECT ENGINE, TABLE_ROWS, AUTO_INCREMENT, UNIX_TIMESTAMP(UPDATE_TIME), UNIX_TIMESTAMP(CREATE_TIME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s',
				$t['name']
			),
			ARRAY_N
		);
		$wpdb->query( $wpdb->prepare( 'SET time_zone = %s', (string) $tz ) );
		$now   = null === $clock ? 0 : (int) $clock[0];
		$state = array(
			'n'      => $now,
			's'      => null === $clock || null === $clock[1] ? null : $now - (int) $clock[1],
			'srv'    => $server['id'],
			'engine' => null === $row ? null : (string) $row[0],
			'r'      => null === $row || null === $row[1] ? null : (int) $row[1],
			'ai'     => null === $row || null === $row[2] ? null : (string) $row[2],
			'ut'     => null === $row || null === $row[3] ? null : (int) $row[3],
			'ct'     => null === $row || null === $row[4] ? null : (int) $row[4],
			'id'     => self::table_id( $t['name'] ),
			'cs'     => substr( hash( 'sha256', (string) $create ), 0, 32 ),
		);
		$state['reason']    = self::reason( $state, $server );
		$state['supported'] = null === $state['reason'];
		return $state;
	}

	/**
	 * Why a table's state cannot prove "unchanged" later, or null when it can.
	 *
	 * @param array $state  Captured state.
	 * @param array $server Server facts.
	 * @return string|null server, engine, no_update_time, empty
	 */
	private static function reason( array $state, array $server ) {
		if ( ! $server['supported'] || null === $state['s'] || $state['n'] <= 0 ) {
			return 'server';
		}
		if ( 'innodb' !== strtolower( (string) $state['engine'] ) ) {
			return 'engine';
		}
		if ( null === $state['ut'] ) {
			return 'no_update_time';
		}
		if ( null === $state['r'] || $state['r'] <= 0 ) {
			return 'empty';
		}
		return null;
	}

	/**
	 * The server's identity and whether its statistics can be trusted (once per request).
	 *
	 * @return array {id, supported}
	 */
	private static function server() {
		global $wpdb;
		if ( null === self::$server ) {
			$row     = $wpdb->get_row( 'SELECT VERSION(), @@hostname, @@port, DATABASE()', ARRAY_N );
			$version = null === $row ? '' : (string) $row[0];
			$ok      = false !== stripos( $version, 'mariadb' );
			if ( ! $ok && '' !== $version ) {
				$wpdb->suppress_errors( true );
				$expiry = $wpdb->get_var( 'SELECT @@information_schema_stats_expiry' );
				$wpdb->suppress_errors( false );
				$ok = null !== $expiry && 0 === (int) $expiry;
			}
			self::$server = array(
				'id'        => substr( hash( 'sha256', wp_json_encode( $row ) ), 0, 16 ),
				'supported' => $ok,
			);
		}
		return self::$server;
	}

	/**
	 * InnoDB's table id, or null where INNODB_SYS_TABLES cannot be read (it needs the
	 * PROCESS privilege; without it, CREATE_TIME and the row estimate stand in).
	 *
	 * @param string $name Table name.
	 * @return string|null
	 */
	private static function table_id( $name ) {
		global $wpdb;
		if ( false === self::$sys_tables ) {
			return null;
		}
		$wpdb->suppress_errors( true );
		$id = $wpdb->get_var( $wpdb->prepare( 'SELECT TABLE_ID FROM information_schema.INNODB_SYS_TABLES WHERE NAME = CONCAT(DATABASE(), %s)', '/' . $name ) );
		$failed = '' !== $wpdb->last_error;
		$wpdb->suppress_errors( false );
		if ( $failed ) {
			self::$sys_tables = false;
			return null;
		}
		self::$sys_tables = true;
		return null === $id ? null : (string) $id;
	}

	/**
	 * The token of a captured state, for the manifest computed right after the capture.
	 *
	 * @param string   $table Table name.
	 * @param int|null $width The manifest's width (null for a streamed table).
	 * @param array    $state capture().
	 * @return string
	 */
	public static function token( $table, $width, array $state ) {
		$payload = wp_json_encode(
			array(
				'v'   => self::VERSION,
				't'   => $table,
				'w'   => null === $width ? null : (int) $width,
				'n'   => $state['n'],
				's'   => $state['s'],
				'srv' => $state['srv'],
				'ut'  => $state['ut'],
				'ct'  => $state['ct'],
				'ai'  => $state['ai'],
				'r'   => $state['r'],
				'id'  => $state['id'],
				'cs'  => $state['cs'],
			)
		);
		return self::b64( $payload ) . '.' . self::b64( self::mac( $payload ) );
	}

	/**
	 * A token's fields, or null when it is not one of ours (malformed, altered, other site).
	 *
	 * @param mixed $token Token.
	 * @return array|null
	 */
	public static function decode( $token ) {
		if ( ! is_string( $token ) || strlen( $token ) > 2048 || 1 !== substr_count( $token, '.' ) ) {
			return null;
		}
		list( $p, $m ) = explode( '.', $token );
		$payload       = self::unb64( $p );
		$mac           = self::unb64( $m );
		if ( null === $payload || null === $mac || ! hash_equals( self::mac( $payload ), $mac ) ) {
			return null;
		}
		$data = json_decode( $payload, true );
		return is_array( $data ) && isset( $data['v'] ) && self::VERSION === $data['v'] ? $data : null;
	}

	/**
	 * Whether the table provably has not changed since the token's manifest.
	 *
	 * @param array    $token  decode().
	 * @param string   $table  Table name.
	 * @param bool     $paged  Whether the table is paged.
	 * @param int|null $width  Width asked (null: the token's).
	 * @param array    $state  capture(), now.
	 * @return bool
	 */
	public static function unchanged( array $token, $table, $paged, $width, array $state ) {
		$keys = array( 't', 'w', 'n', 's', 'srv', 'ut', 'ct', 'ai', 'r', 'id', 'cs' );
		foreach ( $keys as $k ) {
			if ( ! array_key_exists( $k, $token ) ) {
				return false;
			}
		}
		if ( $token['t'] !== $table || ! $state['supported'] ) {
			return false;
		}
		if ( $paged ? ( ! is_int( $token['w'] ) || ( null !== $width && (int) $width !== $token['w'] ) ) : null !== $token['w'] ) {
			return false;
		}
		if ( $token['srv'] !== $state['srv'] || ! is_int( $token['s'] ) || abs( $token['s'] - $state['s'] ) > self::START_TOLERANCE ) {
			return false;
		}
		if ( ! is_int( $token['ut'] ) || $token['ut'] !== $state['ut'] || $state['ut'] > (int) $token['n'] - self::MARGIN ) {
			return false;
		}
		return $token['ct'] === $state['ct'] && $token['ai'] === $state['ai'] && $token['r'] === $state['r'] && $state['r'] > 0
			&& $token['id'] === $state['id'] && $token['cs'] === $state['cs'];
	}

	/**
	 * The HMAC of a payload (16 bytes).
	 *
	 * @param string $payload Payload.
	 * @return string
	 */
	private static function mac( $payload ) {
		return substr( hash_hmac( 'sha256', 'strongbox-signal|' . $payload, wp_salt( 'auth' ), true ), 0, 16 );
	}

	/**
	 * Base64url without padding.
	 *
	 * @param string $bytes Bytes.
	 * @return string
	 */
	private static function b64( $bytes ) {
		return rtrim( strtr( base64_encode( $bytes ), '+/', '-_' ), '=' ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions -- a token, not obfuscation.
	}

	/**
	 * Decodes base64url.
	 *
	 * @param string $text Text.
	 * @return string|null
	 */
	private static function unb64( $text ) {
		if ( ! preg_match( '/^[A-Za-z0-9_-]*$/', $text ) ) {
			return null;
		}
		$out = base64_decode( strtr( $text, '-_', '+/' ), true ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions
		return false === $out ? null : $out;
	}

	/**
	 * Forgets per-request caches (tests).
	 */
	public static function reset() {
		self::$server     = null;
		self::$sys_tables = null;
	}
}
