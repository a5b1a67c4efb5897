<?php
/**
 * PHPUnit bootstrap: loads the REAL test site (scripts/wordpress install) in-process,
 * for credentials and database checks; HTTP tests talk to it served by php -S.
 *
 * Environment: STRONGBOX_WP_DIR, STRONGBOX_WP_URL (set by scripts/test-php).
 *
 * @package Strongbox
 */

$wp_dir = getenv( 'STRONGBOX_WP_DIR' ) ?: dirname( __DIR__, 2 ) . '/.work/wordpress';
$wp_url = getenv( 'STRONGBOX_WP_URL' ) ?: 'http://127.0.0.1:38080';
if ( ! is_file( $wp_dir . '/wp-load.php' ) ) {
	fwrite( STDERR, "No test site at $wp_dir: run scripts/test-php (or scripts/wordpress install).\n" );
	exit( 1 );
}
define( 'SB_TEST_URL', rtrim( $wp_url, '/' ) );
define( 'SB_TEST_WP_DIR', rtrim( $wp_dir, '/' ) );

$_SERVER['HTTP_HOST']   = (string) parse_url( SB_TEST_URL, PHP_URL_HOST ) . ':' . (string) parse_url( SB_TEST_URL, PHP_URL_PORT );
$_SERVER['SERVER_NAME'] = (string) parse_url( SB_TEST_URL, PHP_URL_HOST );
$_SERVER['REQUEST_URI'] = '/';
require SB_TEST_WP_DIR . '/wp-load.php';

if ( ! class_exists( 'Strongbox\\Plugin' ) ) {
	fwrite( STDERR, "The Strongbox plugin is not active on the test site.\n" );
	exit( 1 );
}

require __DIR__ . '/support/class-http.php';
require __DIR__ . '/support/class-auth.php';
require __DIR__ . '/support/class-site-state.php';
require __DIR__ . '/support/class-http-test-case.php';
require __DIR__ . '/support/class-runner-helpers.php';
