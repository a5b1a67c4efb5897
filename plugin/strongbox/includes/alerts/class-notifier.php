<?php
/**
 * How an incident reaches people: one email when it opens, an admin notice while it is open.
 *
 * @package Strongbox
 */

namespace Strongbox\Alerts;

use Strongbox\Capability;
use Strongbox\Settings;

defined( 'ABSPATH' ) || exit;

/**
 * wp_mail and admin_notices.
 */
final class Notifier {

	/**
	 * Emails an incident that just opened (when alerts are enabled and an address is set).
	 *
	 * @param array $incident key, kind, opened_at, message.
	 * @return bool Whether a mail was handed to wp_mail.
	 */
	public static function send( array $incident ) {
		$settings = Settings::get();
		if ( ! $settings['alerts_enabled'] || ! is_email( $settings['notify_email'] ) ) {
			return false;
		}
		$site = wp_specialchars_decode( (string) get_option( 'blogname' ), ENT_QUOTES );
		/* translators: 1: site name, 2: what happened, e.g. "A backup failed" */
		$subject = sprintf( __( '[%1$s] Strongbox: %2$s', 'strongbox' ), $site, self::title( $incident['kind'] ) );
		$body    = $incident['message'] . "\n\n"
			/* translators: %s: URL of the Strongbox admin page */
			. sprintf( __( 'Details: %s', 'strongbox' ), admin_url( 'admin.php?page=strongbox' ) ) . "\n\n"
			. __( 'You get one email per problem. Strongbox writes again only after it has cleared and happens again.', 'strongbox' ) . "\n";
		return (bool) wp_mail( $settings['notify_email'], $subject, $body );
	}

	/**
	 * A short title per kind.
	 *
	 * @param string $kind Kind.
	 * @return string
	 */
	public static function title( $kind ) {
		switch ( $kind ) {
			case 'backup_failed':
				return __( 'a backup failed', 'strongbox' );
			case 'rpo_exceeded':
				return __( 'the latest backup is too old', 'strongbox' );
			case 'drill_failed':
				return __( 'a restore drill failed', 'strongbox' );
			case 'destination_unreachable':
				return __( 'a backup destination cannot be reached', 'strongbox' );
			case 'no_runner':
				return __( 'no runner picked up a due backup', 'strongbox' );
			default:
				return __( 'a problem needs attention', 'strongbox' );
		}
	}

	/**
	 * `admin_notices`: the open incidents, to users who may use Strongbox.
	 */
	public static function admin_notices() {
		if ( ! current_user_can( Capability::name() ) || ! Settings::get()['alerts_enabled'] ) {
			return;
		}
		$open = Incidents::open_incidents();
		if ( ! $open ) {
			return;
		}
		echo '<div class="notice notice-error strongbox-incidents" style="overflow-wrap:anywhere"><p><strong>' . esc_html__( 'Strongbox needs attention:', 'strongbox' ) . '</strong></p><ul>';
		foreach ( $open as $incident ) {
			// One line, at most 300 characters: the job's own record has the whole text.
			$message = strtok( (string) $incident['message'], "\n" );
			$message = false === $message ? '' : $message;
			if ( mb_strlen( $message ) > 300 ) {
				$message = mb_substr( $message, 0, 299 ) . '…';
			}
			echo '<li>' . esc_html( $message ) . '</li>';
		}
		echo '</ul><p><a href="' . esc_url( admin_url( 'admin.php?page=strongbox' ) ) . '">' . esc_html__( 'Open Strongbox', 'strongbox' ) . '</a></p></div>';
	}
}
