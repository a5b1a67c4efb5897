<?php
/**
 * Secrets at rest: the destinations' secret access keys and the repository passphrase
 * are stored encrypted in the options table.
 *
 * @package Strongbox
 */

namespace Strongbox;

defined( 'ABSPATH' ) || exit;

/**
 * XSalsa20-Poly1305 (sodium_crypto_secretbox; PHP's sodium extension, or WordPress's
 * bundled sodium_compat) with a key derived from wp-config.php's salts, so a copy of
 * the database alone (a leaked dump, a stolen backup of it) does not reveal them.
 *
 * Stored form: `sbx1:<key id, 8 hex>:<base64(24-byte nonce || box)>`. The key is
 * BLAKE2b (sodium_crypto_generichash) of the key material, then one subkey per use
 * (`destination:<id>`, `passphrase`), so a value cannot be moved to another field. The
 * key material is STRONGBOX_SECRET_KEY when defined (lets a host rotate WordPress's
 * salts without losing the secrets), else AUTH_KEY and SECURE_AUTH_KEY (wp_salt()
 * when wp-config.php lacks them: WordPress then keeps salts in the database, which
 * protects less). When the salts change, stored secrets can no longer be decrypted:
 * strongbox_secret_key_changed ("re-enter the secret"). Plain values stored by earlier
 * versions are read as they are and encrypted when next read (migrate-on-read).
 */
final class Secrets {

	/** Prefix of an encrypted value. */
	const PREFIX = 'sbx1:';

	/**
	 * The key for one use.
	 *
	 * @param string $context E.g. "passphrase", "destination:d0123456789ab".
	 * @return string 32 bytes.
	 */
	private static function key( $context ) {
		return sodium_crypto_generichash( 'strongbox secret at rest v1|' . $context, self::master(), SODIUM_CRYPTO_SECRETBOX_KEYBYTES );
	}

	/**
	 * The master key, from wp-config.php's salts (filter `strongbox_secret_key_material`).
	 *
	 * @return string 32 bytes.
	 */
	private static function master() {
		if ( defined( 'STRONGBOX_SECRET_KEY' ) && is_string( STRONGBOX_SECRET_KEY ) && strlen( STRONGBOX_SECRET_KEY ) >= 32 ) {
			$material = 'STRONGBOX_SECRET_KEY|' . STRONGBOX_SECRET_KEY;
		} else {
			$auth     = defined( 'AUTH_KEY' ) && '' !== AUTH_KEY && 'put your unique phrase here' !== AUTH_KEY ? AUTH_KEY : wp_salt( 'auth' );
			$secure   = defined( 'SECURE_AUTH_KEY' ) && '' !== SECURE_AUTH_KEY && 'put your unique phrase here' !== SECURE_AUTH_KEY ? SECURE_AUTH_KEY : wp_salt( 'secure_auth' );
			$material = 'AUTH_KEY|' . $auth . '|SECURE_AUTH_KEY|' . $secure;
		}
		$material = (string) apply_filters( 'strongbox_secret_key_material', $material );
		return sodium_crypto_generichash( $material, '', 32 );
	}

	/**
	 * Short id of the current master key (tells "other salts" from "damaged").
	 *
	 * @return string 8 hex digits.
	 */
	private static function key_id() {
		return substr( bin2hex( sodium_crypto_generichash( 'strongbox key id', self::master(), 16 ) ), 0, 8 );
	}

	/**
	 * Whether a stored value is encrypted.
	 *
	 * @param mixed $stored Stored value.
	 * @return bool
	 */
	public static function is_sealed( $stored ) {
		return is_string( $stored ) && 0 === strpos( $stored, self::PREFIX );
	}

	/**
	 * Encrypts a value for storage ('' stays '').
	 *
	 * @param string $plain   Plain text.
	 * @param string $context Use.
	 * @return string
	 */
	public static function seal( $plain, $context ) {
		$plain = (string) $plain;
		if ( '' === $plain ) {
			return '';
		}
		$nonce = random_bytes( SODIUM_CRYPTO_SECRETBOX_NONCEBYTES );
		$box   = sodium_crypto_secretbox( $plain, $nonce, self::key( $context ) );
		return self::PREFIX . self::key_id() . ':' . base64_encode( $nonce . $box ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions -- binary to text, not obfuscation.
	}

	/**
	 * Decrypts a stored value. A plain value (stored by an earlier version) is returned
	 * as it is.
	 *
	 * @param mixed  $stored  Stored value.
	 * @param string $context Use.
	 * @param string $what    What it is, for the message (e.g. "the secret access key of destination X").
	 * @return string|\WP_Error strongbox_secret_key_changed or strongbox_secret_corrupt.
	 */
	public static function open( $stored, $context, $what ) {
		if ( ! self::is_sealed( $stored ) ) {
			return is_string( $stored ) ? $stored : '';
		}
		$parts = explode( ':', $stored, 3 );
		$raw   = 3 === count( $parts ) ? base64_decode( $parts[2], true ) : false; // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions
		$plain = false;
		if ( false !== $raw && strlen( $raw ) > SODIUM_CRYPTO_SECRETBOX_NONCEBYTES + SODIUM_CRYPTO_SECRETBOX_MACBYTES - 1 ) {
			$plain = sodium_crypto_secretbox_open( substr( $raw, SODIUM_CRYPTO_SECRETBOX_NONCEBYTES ), substr( $raw, 0, SODIUM_CRYPTO_SECRETBOX_NONCEBYTES ), self::key( $context ) );
		}
		if ( false !== $plain ) {
			return $plain;
		}
		if ( 3 === count( $parts ) && $parts[1] !== self::key_id() ) {
			return new \WP_Error(
				'strongbox_secret_key_changed',
				/* translators: %s: what the secret is */
				sprintf( __( 'Strongbox can no longer decrypt %s: it was encrypted with other WordPress salts (AUTH_KEY / SECURE_AUTH_KEY in wp-config.php changed, or the database comes from another site). Re-enter the secret.', 'strongbox' ), $what ),
				array(
					'status'  => 409,
					'context' => $context,
				)
			);
		}
		return new \WP_Error(
			'strongbox_secret_corrupt',
			/* translators: %s: what the secret is */
			sprintf( __( 'The stored value of %s is damaged and cannot be decrypted. Re-enter the secret.', 'strongbox' ), $what ),
			array(
				'status'  => 409,
				'context' => $context,
			)
		);
	}

	/**
	 * Reads a secret kept in an option of its own, encrypting a plain value found there.
	 *
	 * @param string $option  Option name.
	 * @param string $context Use.
	 * @param string $what    What it is, for messages.
	 * @return string|\WP_Error '' when not set.
	 */
	public static function get_option( $option, $context, $what ) {
		$stored = get_option( $option, '' );
		$plain  = self::open( $stored, $context, $what );
		if ( is_string( $plain ) && '' !== $plain && ! self::is_sealed( $stored ) ) {
			update_option( $option, self::seal( $plain, $context ) ); // Migrate a value stored in plain text (autoload left as it is).
		}
		return $plain;
	}

	/**
	 * Stores a secret in an option of its own (not autoloaded), encrypted.
	 *
	 * @param string $option  Option name.
	 * @param string $plain   Value.
	 * @param string $context Use.
	 * @return bool
	 */
	public static function set_option( $option, $plain, $context ) {
		$sealed = self::seal( $plain, $context );
		if ( false === get_option( $option, false ) ) {
			return add_option( $option, $sealed, '', 'no' );
		}
		return update_option( $option, $sealed, false );
	}
}
