<?php
/**
 * Alert and schedule settings (GET/PUT /settings).
 *
 * @package Strongbox
 */

namespace Strongbox;

defined( 'ABSPATH' ) || exit;

/**
 * Settings in one non-autoloaded option, with defaults.
 */
final class Settings {

	/** Option name. */
	const OPTION = 'strongbox_settings';

	/**
	 * Defaults.
	 *
	 * @return array
	 */
	public static function defaults() {
		return array(
			'rpo_hours'             => 24,
			'notify_email'          => (string) get_option( 'admin_email' ),
			'alerts_enabled'        => true,
			'backup_before_updates' => true,
		);
	}

	/**
	 * Current settings.
	 *
	 * @return array
	 */
	public static function get() {
		$stored = get_option( self::OPTION, array() );
		$out    = array_merge( self::defaults(), is_array( $stored ) ? array_intersect_key( $stored, self::defaults() ) : array() );
		if ( '' === $out['notify_email'] ) {
			$out['notify_email'] = (string) get_option( 'admin_email' );
		}
		$out['rpo_hours']             = (int) $out['rpo_hours'];
		$out['alerts_enabled']        = (bool) $out['alerts_enabled'];
		$out['backup_before_updates'] = (bool) $out['backup_before_updates'];
		return $out;
	}

	/**
	 * Updates some settings.
	 *
	 * @param array $input rpo_hours (0-8760, 0: no target), notify_email, alerts_enabled, backup_before_updates.
	 * @return array|\WP_Error The settings.
	 */
	public static function update( array $input ) {
		$s = self::get();
		if ( isset( $input['rpo_hours'] ) ) {
			$s['rpo_hours'] = max( 0, min( 8760, (int) $input['rpo_hours'] ) );
		}
		if ( isset( $input['notify_email'] ) ) {
			$email = sanitize_email( (string) $input['notify_email'] );
			if ( '' !== (string) $input['notify_email'] && ! is_email( $email ) ) {
				return new \WP_Error( 'strongbox_settings_invalid', __( 'The notification address is not a valid email address.', 'strongbox' ), array( 'status' => 400 ) );
			}
			$s['notify_email'] = $email;
		}
		foreach ( array( 'alerts_enabled', 'backup_before_updates' ) as $f ) {
			if ( isset( $input[ $f ] ) ) {
				$s[ $f ] = (bool) $input[ $f ];
			}
		}
		update_option( self::OPTION, $s, false );
		return self::get();
	}

	/**
	 * Reads an option from the database, not from this request's cache (another PHP worker may have changed it).
	 *
	 * @param string $name    Option.
	 * @param mixed  $default Default.
	 * @return mixed
	 */
	public static function fresh( $name, $default = false ) {
		wp_cache_delete( $name, 'options' );
		wp_cache_delete( 'notoptions', 'options' );
		return get_option( $name, $default );
	}
}
