<?php
/**
 * Test-site helper for the e2e tests (WP-CLI is not available here).
 *
 * Usage: WP_DIR=... URL=... php tools/wp.php app-password LOGIN
 *   prints a new Application Password of the user LOGIN.
 */

if ( PHP_SAPI !== 'cli' ) {
	exit( 1 );
}
$wp_dir = rtrim( (string) getenv( 'WP_DIR' ), '/' );
$url    = (string) getenv( 'URL' );
$_SERVER['HTTP_HOST']   = parse_url( $url, PHP_URL_HOST ) . ':' . parse_url( $url, PHP_URL_PORT );
$_SERVER['SERVER_NAME'] = parse_url( $url, PHP_URL_HOST );
$_SERVER['REQUEST_URI'] = '/';
require $wp_dir . '/wp-load.php';

$cmd = isset( $argv[1] ) ? $argv[1] : '';
if ( 'app-password' === $cmd ) {
	$user = get_user_by( 'login', isset( $argv[2] ) ? $argv[2] : 'admin' );
	if ( ! $user ) {
		fwrite( STDERR, "no such user\n" );
		exit( 1 );
	}
	$created = WP_Application_Passwords::create_new_application_password( $user->ID, array( 'name' => 'e2e-' . wp_generate_password( 6, false ) ) );
	if ( is_wp_error( $created ) ) {
		fwrite( STDERR, $created->get_error_message() . "\n" );
		exit( 1 );
	}
	echo $created[0], "\n";
	exit( 0 );
}
fwrite( STDERR, "usage: php tools/wp.php app-password LOGIN\n" );
exit( 2 );
