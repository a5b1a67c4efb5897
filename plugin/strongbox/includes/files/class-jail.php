<?php
/**
 * Keeps every file path inside the site root.
 *
 * @package Strongbox
 */

namespace Strongbox\Files;

defined( 'ABSPATH' ) || exit;

/**
 * Path jail: syntax checks on the relative path, then a real-path check.
 *
 * A path is relative to the site root, uses `/`, and has no `..` segment, no NUL
 * or control byte, no backslash and no percent-encoded dot, slash or NUL. After
 * symlinks are resolved it must still lie inside the root.
 *
 * A raw path (sent as `path_b64`, see Raw_Path: any bytes, not necessarily UTF-8) goes
 * through the same checks, except that control characters (a newline in a file name)
 * are allowed: they are only refused in plain `path` strings.
 */
class Jail {

	/**
	 * Real path of the site root, without trailing slash.
	 *
	 * @var string
	 */
	private $root;

	/**
	 * The root as configured (before symbolic links are resolved), without trailing slash.
	 *
	 * @var string
	 */
	private $given;

	/**
	 * Constructor.
	 *
	 * @param string|null $root Root directory; defaults to ABSPATH (filter `strongbox_site_root`).
	 */
	public function __construct( $root = null ) {
		$root       = null === $root ? (string) apply_filters( 'strongbox_site_root', ABSPATH ) : $root;
		$real       = realpath( $root );
		$this->root  = rtrim( false === $real ? $root : $real, '/' );
		$this->given = rtrim( (string) $root, '/' );
	}

	/**
	 * The root (real path).
	 *
	 * @return string
	 */
	public function root() {
		return $this->root;
	}

	/**
	 * Checks a relative path's syntax and normalizes it (`a//b/./c` -> `a/b/c`).
	 *
	 * @param mixed $path Relative path from the request.
	 * @param bool  $raw  Whether the path came as raw bytes (`path_b64`): control
	 *                    characters are then part of the name.
	 * @return string|\WP_Error Normalized path ('' is the root itself).
	 */
	public static function clean( $path, $raw = false ) {
		if ( ! is_string( $path ) ) {
			return self::refuse( 'strongbox_path_invalid', __( 'The path must be a string.', 'strongbox' ) );
		}
		if ( strlen( $path ) > 4096 ) {
			return self::refuse( 'strongbox_path_invalid', __( 'The path is too long.', 'strongbox' ) );
		}
		if ( false !== strpos( $path, "\0" ) ) {
			return self::refuse( 'strongbox_path_nul', __( 'The path contains a NUL byte.', 'strongbox' ) );
		}
		if ( ! $raw && preg_match( '/[\x01-\x1f\x7f]/', $path ) ) {
			return self::refuse( 'strongbox_path_invalid', __( 'The path contains control characters; send such a name as path_b64 (base64 of its bytes).', 'strongbox' ) );
		}
		if ( false !== strpos( $path, '\\' ) ) {
			return self::refuse( 'strongbox_path_invalid', __( 'The path contains a backslash; use forward slashes.', 'strongbox' ) );
		}
		if ( preg_match( '/%(2e|2f|5c|00)/i', $path ) ) {
			return self::refuse( 'strongbox_path_encoded', __( 'The path contains a percent-encoded dot, slash or NUL; send the path decoded.', 'strongbox' ) );
		}
		if ( '' !== $path && ( '/' === $path[0] || preg_match( '/^[A-Za-z]:/', $path ) || 0 === strpos( $path, '~' ) ) ) {
			return self::refuse( 'strongbox_path_absolute', __( 'The path must be relative to the site root.', 'strongbox' ) );
		}
		$parts = array();
		foreach ( explode( '/', $path ) as $segment ) {
			if ( '' === $segment || '.' === $segment ) {
				continue;
			}
			if ( '..' === $segment ) {
				return self::refuse( 'strongbox_path_traversal', __( 'The path may not contain "..".', 'strongbox' ) );
			}
			$parts[] = $segment;
		}
		return implode( '/', $parts );
	}

	/**
	 * Resolves an existing path for reading.
	 *
	 * @param mixed $path Relative path.
	 * @param bool  $raw  Whether the path came as raw bytes (see clean()).
	 * @return string|\WP_Error Absolute real path inside the root.
	 */
	public function resolve( $path, $raw = false ) {
		$rel = self::clean( $path, $raw );
		if ( is_wp_error( $rel ) ) {
			return $rel;
		}
		$abs = '' === $rel ? $this->root : $this->root . '/' . $rel;
		if ( ! file_exists( $abs ) && ! is_link( $abs ) ) {
			return self::refuse( 'strongbox_path_not_found', __( 'No such file or directory in the site.', 'strongbox' ), 404 );
		}
		$real = realpath( $abs );
		if ( false === $real ) {
			return self::refuse( 'strongbox_path_not_found', __( 'The path is a broken symbolic link.', 'strongbox' ), 404 );
		}
		if ( ! $this->contains( $real ) ) {
			return self::refuse( 'strongbox_path_outside_root', __( 'The path leads outside the site root (through a symbolic link).', 'strongbox' ), 403 );
		}
		return $real;
	}

	/**
	 * Resolves a path for writing: its deepest existing ancestor must be inside the
	 * root, and an existing final component must not be a link leading outside.
	 *
	 * @param mixed $path        Relative path.
	 * @param bool  $raw         Whether the path came as raw bytes (see clean()).
	 * @param bool  $check_final Whether an existing link at the path must lead inside.
	 * @return string|\WP_Error Absolute path (not resolved through the final component).
	 */
	public function resolve_for_write( $path, $raw = false, $check_final = true ) {
		$rel = self::clean( $path, $raw );
		if ( is_wp_error( $rel ) ) {
			return $rel;
		}
		if ( '' === $rel ) {
			return self::refuse( 'strongbox_path_invalid', __( 'The site root itself cannot be written.', 'strongbox' ) );
		}
		$abs      = $this->root . '/' . $rel;
		$ancestor = dirname( $abs );
		while ( ! file_exists( $ancestor ) && strlen( $ancestor ) > strlen( $this->root ) ) {
			$ancestor = dirname( $ancestor );
		}
		$real = realpath( $ancestor );
		if ( false === $real || ! $this->contains( $real ) ) {
			return self::refuse( 'strongbox_path_outside_root', __( 'The path leads outside the site root (through a symbolic link).', 'strongbox' ), 403 );
		}
		if ( $check_final && is_link( $abs ) ) {
			$target = realpath( $abs );
			if ( false === $target || ! $this->contains( $target ) ) {
				return self::refuse( 'strongbox_path_outside_root', __( 'The path is a symbolic link leading outside the site root.', 'strongbox' ), 403 );
			}
		}
		return $real . substr( $abs, strlen( $ancestor ) );
	}

	/**
	 * Resolves a path whose final component is replaced, never written through (a
	 * folder or a symbolic link a restore creates, or what a roll back puts back): like
	 * resolve_for_write(), but an existing link there may lead anywhere or nowhere.
	 *
	 * @param mixed $path Relative path.
	 * @param bool  $raw  Whether the path came as raw bytes (see clean()).
	 * @return string|\WP_Error Absolute path (not resolved through the final component).
	 */
	public function resolve_entry( $path, $raw = false ) {
		return $this->resolve_for_write( $path, $raw, false );
	}

	/**
	 * Where a symbolic link would point, worked out without following links: a relative
	 * target is joined to the link's folder (a real path: $abs comes from
	 * resolve_for_write()) and its `.` and `..` applied; an absolute target is taken as
	 * it is (written with the root as configured, it is mapped onto the real root).
	 *
	 * @param string $abs    Absolute path of the link (its folder resolved).
	 * @param string $target The link's target as it will be stored.
	 * @return string|null Normalized absolute path; null for an empty target, a NUL byte
	 *                     or more than 4096 bytes.
	 */
	public function link_destination( $abs, $target ) {
		if ( ! is_string( $target ) || '' === $target || strlen( $target ) > 4096 || false !== strpos( $target, "\0" ) ) {
			return null;
		}
		if ( '/' === $target[0] ) {
			$path = $target;
			if ( $this->given !== $this->root && '' !== $this->given && ( $path === $this->given || 0 === strpos( $path, $this->given . '/' ) ) ) {
				$path = $this->root . substr( $path, strlen( $this->given ) );
			}
		} else {
			$path = dirname( $abs ) . '/' . $target;
		}
		$parts = array();
		foreach ( explode( '/', $path ) as $segment ) {
			if ( '' === $segment || '.' === $segment ) {
				continue;
			}
			if ( '..' === $segment ) {
				array_pop( $parts );
				continue;
			}
			$parts[] = $segment;
		}
		return '/' . implode( '/', $parts );
	}

	/**
	 * The path relative to the root of an absolute path inside it ('' for the root).
	 *
	 * @param string $abs Absolute path the root contains.
	 * @return string|null Null when it is not inside the root.
	 */
	public function relative( $abs ) {
		if ( $abs === $this->root ) {
			return '';
		}
		return 0 === strpos( $abs, $this->root . '/' ) ? substr( $abs, strlen( $this->root ) + 1 ) : null;
	}

	/**
	 * Whether an absolute real path is the root or inside it.
	 *
	 * @param string $real Real path.
	 * @return bool
	 */
	public function contains( $real ) {
		return $real === $this->root || 0 === strpos( $real, $this->root . '/' );
	}

	/**
	 * Builds the refusal.
	 *
	 * @param string $code    Code.
	 * @param string $message Message.
	 * @param int    $status  Status.
	 * @return \WP_Error
	 */
	private static function refuse( $code, $message, $status = 400 ) {
		return new \WP_Error( $code, $message, array( 'status' => $status ) );
	}
}
