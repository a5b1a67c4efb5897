<?php
/**
 * Paths as raw bytes on the wire: file names that JSON cannot carry.
 *
 * @package Strongbox
 */

namespace Strongbox\Files;

defined( 'ABSPATH' ) || exit;

/**
 * A file name on Linux may hold any byte but "/" and NUL; JSON strings must be UTF-8,
 * and line-based formats break on control characters. So a path (or a link's target)
 * is "unsafe for JSON" when it is not valid UTF-8 or holds a byte below 0x20 or 0x7F.
 *
 * - Answers: an object whose `path` is unsafe also carries `path_b64` (standard base64,
 *   with padding, of the raw bytes), and `path` holds a display form (every invalid
 *   byte and every control character replaced by U+FFFD). Readers prefer `path_b64`.
 * - Requests: `path_b64` may be sent instead of `path`; it is decoded strictly (the
 *   canonical standard base64 of the bytes, nothing else) and then checked by the jail
 *   like any path.
 * - Line-based bodies and files (the kept-files list, the staged-files index, the swap
 *   log): a line `b64:<base64>` holds the raw bytes, any other line is the path itself.
 *   So a path is written as `b64:` whenever it is unsafe or begins with `b64:` itself.
 */
final class Raw_Path {

	/** Prefix of a base64 line or cursor. */
	const PREFIX = 'b64:';

	/**
	 * Whether a raw value cannot travel as a JSON string as it is.
	 *
	 * @param string $raw Raw bytes.
	 * @return bool
	 */
	public static function unsafe( $raw ) {
		$raw = (string) $raw;
		return 1 !== preg_match( '//u', $raw ) || 1 === preg_match( '/[\x00-\x1f\x7f]/', $raw );
	}

	/**
	 * Whether a raw value must be written as a `b64:` line (unsafe, or it looks like one).
	 *
	 * @param string $raw Raw bytes.
	 * @return bool
	 */
	public static function needs_line_b64( $raw ) {
		return self::unsafe( $raw ) || 0 === strpos( (string) $raw, self::PREFIX );
	}

	/**
	 * Display form: valid UTF-8 kept, every invalid byte and every control character
	 * replaced by U+FFFD (without mbstring, which not every host has).
	 *
	 * @param string $raw Raw bytes.
	 * @return string
	 */
	public static function display( $raw ) {
		$raw = (string) $raw;
		if ( ! self::unsafe( $raw ) ) {
			return $raw;
		}
		$out = preg_replace_callback(
			'/[\x20-\x7E]+|[\xC2-\xDF][\x80-\xBF]|\xE0[\xA0-\xBF][\x80-\xBF]|[\xE1-\xEC\xEE\xEF][\x80-\xBF]{2}|\xED[\x80-\x9F][\x80-\xBF]|\xF0[\x90-\xBF][\x80-\xBF]{2}|[\xF1-\xF3][\x80-\xBF]{3}|\xF4[\x80-\x8F][\x80-\xBF]{2}|(.)/s',
			static function ( $m ) {
				return isset( $m[1] ) && '' !== $m[1] ? "\xEF\xBF\xBD" : $m[0];
			},
			$raw
		);
		return null === $out ? str_repeat( "\xEF\xBF\xBD", strlen( $raw ) ) : $out;
	}

	/**
	 * Adds a raw value to an answer object: `$key` (display form) and, when the value
	 * is unsafe, `$key_b64`. A null value is kept as null.
	 *
	 * @param array       $entry Object being built.
	 * @param string      $key   Field name (`path`, `target`).
	 * @param string|null $raw   Raw bytes.
	 * @return array
	 */
	public static function put( array $entry, $key, $raw ) {
		if ( null === $raw ) {
			$entry[ $key ] = null;
			return $entry;
		}
		$entry[ $key ] = self::display( $raw );
		if ( self::unsafe( $raw ) ) {
			$entry[ $key . '_b64' ] = base64_encode( (string) $raw ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- the wire format of raw names.
		}
		return $entry;
	}

	/**
	 * Strict base64: the canonical standard encoding (padding, no whitespace, no stray
	 * bits) of some bytes.
	 *
	 * @param mixed $b64 Encoded text.
	 * @return string|null Raw bytes, or null when it is not such an encoding.
	 */
	public static function decode( $b64 ) {
		if ( ! is_string( $b64 ) || strlen( $b64 ) > 8192 ) {
			return null;
		}
		$raw = base64_decode( $b64, true ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode -- the wire format of raw names.
		if ( false === $raw || base64_encode( $raw ) !== $b64 ) { // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode
			return null;
		}
		return $raw;
	}

	/**
	 * The refusal of a value that is not strict base64.
	 *
	 * @param string $field Field name (`path_b64`, `target_b64`).
	 * @param array  $data  Extra error data.
	 * @return \WP_Error
	 */
	public static function bad_b64( $field = 'path_b64', array $data = array() ) {
		return new \WP_Error(
			'strongbox_path_b64_invalid',
			/* translators: %s: field name */
			sprintf( __( '"%s" is not valid base64: send the raw bytes of the path in standard base64 with padding (RFC 4648, alphabet A-Z a-z 0-9 + /, no spaces or line breaks).', 'strongbox' ), $field ),
			array_merge( $data, array( 'status' => 400 ) )
		);
	}

	/**
	 * The raw value of a request object that may carry `$key` or `$key_b64` (preferred).
	 *
	 * @param array  $data Request object.
	 * @param string $key  Field name (`path`, `target`).
	 * @return string|null|\WP_Error Raw bytes; null when neither field is a string;
	 *                               an error for bad base64.
	 */
	public static function from( array $data, $key = 'path' ) {
		if ( array_key_exists( $key . '_b64', $data ) && null !== $data[ $key . '_b64' ] ) {
			$raw = self::decode( $data[ $key . '_b64' ] );
			return null === $raw ? self::bad_b64( $key . '_b64' ) : $raw;
		}
		return isset( $data[ $key ] ) && is_string( $data[ $key ] ) ? $data[ $key ] : null;
	}

	/**
	 * One line of a line-based body or file: `b64:` lines decoded.
	 *
	 * @param string $line Line without its newline.
	 * @return string|null Raw bytes, or null for a `b64:` line that is not strict base64.
	 */
	public static function from_line( $line ) {
		return 0 === strpos( $line, self::PREFIX ) ? self::decode( substr( $line, strlen( self::PREFIX ) ) ) : $line;
	}

	/**
	 * A raw value as one line (without the newline): itself, or `b64:` and its base64.
	 *
	 * @param string $raw Raw bytes.
	 * @return string
	 */
	public static function to_line( $raw ) {
		return self::needs_line_b64( $raw ) ? self::PREFIX . base64_encode( (string) $raw ) : (string) $raw; // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode
	}
}
