<?php
/**
 * A bucket's CORS configuration: parsed, matched like S3 does, rebuilt.
 *
 * @package Strongbox
 */

namespace Strongbox\Storage;

defined( 'ABSPATH' ) || exit;

/**
 * CORS rules as arrays: id, origins, methods, headers, expose, max_age.
 */
final class Cors_Rules {

	/** Methods the browser engine uses. */
	const METHODS = array( 'GET', 'PUT', 'HEAD', 'DELETE' );

	/** Request headers the browser engine sends (S3 allows one `*` per pattern). */
	const HEADERS = array( 'content-type', 'if-none-match', 'range', 'x-amz-*' );

	/** Most rules S3 keeps per bucket. */
	const MAX_RULES = 100;

	/**
	 * Parses a GetBucketCors body.
	 *
	 * @param string $xml Body.
	 * @return array|null List of rules, or null when the body is not a CORS configuration.
	 */
	public static function parse( $xml ) {
		if ( ! function_exists( 'simplexml_load_string' ) || '' === trim( (string) $xml ) ) {
			return null;
		}
		$previous = libxml_use_internal_errors( true );
		$doc      = simplexml_load_string( (string) $xml, 'SimpleXMLElement', LIBXML_NONET );
		libxml_clear_errors();
		libxml_use_internal_errors( $previous );
		if ( false === $doc || 'CORSConfiguration' !== $doc->getName() ) {
			return null;
		}
		$fields = array(
			'AllowedOrigin' => 'origins',
			'AllowedMethod' => 'methods',
			'AllowedHeader' => 'headers',
			'ExposeHeader'  => 'expose',
		);
		$spaces = $doc->getNamespaces();
		$ns     = isset( $spaces[''] ) ? $spaces[''] : '';
		$rules  = array();
		foreach ( $doc->children( $ns ) as $node ) {
			if ( 'CORSRule' !== $node->getName() ) {
				continue;
			}
			$rule = array(
				'id'      => null,
				'origins' => array(),
				'methods' => array(),
				'headers' => array(),
				'expose'  => array(),
				'max_age' => null,
			);
			foreach ( $node->children( $ns ) as $child ) {
				$name  = $child->getName();
				$value = trim( (string) $child );
				if ( isset( $fields[ $name ] ) ) {
					$rule[ $fields[ $name ] ][] = $value;
				} elseif ( 'ID' === $name ) {
					$rule['id'] = $value;
				} elseif ( 'MaxAgeSeconds' === $name && ctype_digit( $value ) ) {
					$rule['max_age'] = (int) $value;
				}
			}
			$rules[] = $rule;
		}
		return $rules;
	}

	/**
	 * The CORSConfiguration document of a list of rules (for PutBucketCors).
	 *
	 * @param array $rules Rules.
	 * @return string
	 */
	public static function to_xml( array $rules ) {
		$tags = array(
			'origins' => 'AllowedOrigin',
			'methods' => 'AllowedMethod',
			'headers' => 'AllowedHeader',
			'expose'  => 'ExposeHeader',
		);
		$xml  = '<?xml version="1.0" encoding="UTF-8"?>' . "\n" . '<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">';
		foreach ( $rules as $rule ) {
			$xml .= '<CORSRule>';
			if ( null !== $rule['id'] && '' !== $rule['id'] ) {
				$xml .= '<ID>' . self::text( $rule['id'] ) . '</ID>';
			}
			foreach ( $tags as $field => $tag ) {
				foreach ( $rule[ $field ] as $value ) {
					$xml .= '<' . $tag . '>' . self::text( $value ) . '</' . $tag . '>';
				}
			}
			if ( null !== $rule['max_age'] ) {
				$xml .= '<MaxAgeSeconds>' . (int) $rule['max_age'] . '</MaxAgeSeconds>';
			}
			$xml .= '</CORSRule>';
		}
		return $xml . '</CORSConfiguration>';
	}

	/**
	 * The rule Strongbox needs for an origin.
	 *
	 * @param string $origin Origin (scheme://host[:port]).
	 * @return array
	 */
	public static function strongbox_rule( $origin ) {
		return array(
			'id'      => self::rule_id( $origin ),
			'origins' => array( $origin ),
			'methods' => self::METHODS,
			'headers' => self::HEADERS,
			'expose'  => array( 'ETag' ),
			'max_age' => 3600,
		);
	}

	/**
	 * The id Strongbox gives its rule for an origin.
	 *
	 * @param string $origin Origin.
	 * @return string
	 */
	public static function rule_id( $origin ) {
		return 'strongbox ' . $origin;
	}

	/**
	 * Rules with Strongbox's rule for the origin first (S3 uses the first rule that
	 * matches), every other rule kept in its order, an earlier Strongbox rule for the
	 * same origin replaced.
	 *
	 * @param array  $rules  Existing rules.
	 * @param string $origin Origin.
	 * @return array
	 */
	public static function with_strongbox_rule( array $rules, $origin ) {
		$id  = self::rule_id( $origin );
		$out = array( self::strongbox_rule( $origin ) );
		foreach ( $rules as $rule ) {
			if ( $rule['id'] !== $id ) {
				$out[] = $rule;
			}
		}
		return $out;
	}

	/**
	 * The rule S3 applies to an actual (not preflight) request: the first one whose
	 * origin pattern and method match.
	 *
	 * @param array  $rules  Rules.
	 * @param string $origin Origin.
	 * @param string $method Method.
	 * @return array|null
	 */
	public static function first_match( array $rules, $origin, $method ) {
		foreach ( $rules as $rule ) {
			if ( ! in_array( $method, $rule['methods'], true ) ) {
				continue;
			}
			foreach ( $rule['origins'] as $pattern ) {
				if ( self::wildcard( $pattern, $origin ) ) {
					return $rule;
				}
			}
		}
		return null;
	}

	/**
	 * Whether a rule exposes a response header to the browser's code.
	 *
	 * @param array|null $rule   Rule.
	 * @param string     $header Header name.
	 * @return bool
	 */
	public static function exposes( $rule, $header ) {
		return null !== $rule && in_array( strtolower( $header ), array_map( 'strtolower', $rule['expose'] ), true );
	}

	/**
	 * The rule in the JSON form of the providers' consoles (AWS, Wasabi, DigitalOcean, ...).
	 *
	 * @param array $rule Rule.
	 * @return string
	 */
	public static function console_json( array $rule ) {
		return (string) wp_json_encode(
			array(
				array(
					'AllowedOrigins' => $rule['origins'],
					'AllowedMethods' => $rule['methods'],
					'AllowedHeaders' => $rule['headers'],
					'ExposeHeaders'  => $rule['expose'],
					'MaxAgeSeconds'  => $rule['max_age'],
				),
			),
			JSON_UNESCAPED_SLASHES
		);
	}

	/**
	 * S3's pattern match: at most one `*`, standing for any characters.
	 *
	 * @param string $pattern Pattern.
	 * @param string $value   Value.
	 * @return bool
	 */
	private static function wildcard( $pattern, $value ) {
		$regex = '/^' . str_replace( '\*', '.*', preg_quote( $pattern, '/' ) ) . '$/';
		return 1 === preg_match( $regex, $value );
	}

	/**
	 * XML text escaping.
	 *
	 * @param string $value Value.
	 * @return string
	 */
	private static function text( $value ) {
		return htmlspecialchars( (string) $value, ENT_XML1 | ENT_QUOTES, 'UTF-8' );
	}
}
