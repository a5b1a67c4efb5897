<?php
/**
 * Installs the throwaway test site without a browser (called by scripts/wordpress).
 * Idempotent: installs once, then only (re)activates the plugin and refreshes users.
 */

if ( PHP_SAPI !== 'cli' ) {
	exit( 1 );
}

$wp_dir        = rtrim( getenv( 'WP_DIR' ), '/' );
$password_file = getenv( 'ADMIN_PASSWORD_FILE' );
$url           = getenv( 'URL' );

$_SERVER['HTTP_HOST']   = parse_url( $url, PHP_URL_HOST ) . ':' . parse_url( $url, PHP_URL_PORT );
$_SERVER['SERVER_NAME'] = parse_url( $url, PHP_URL_HOST );
$_SERVER['REQUEST_URI'] = '/';
define( 'WP_INSTALLING', true );

require $wp_dir . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
require_once ABSPATH . 'wp-admin/includes/user.php';

if ( is_file( $password_file ) ) {
	$admin_password = trim( file_get_contents( $password_file ) );
} else {
	$admin_password = wp_generate_password( 24, false );
	file_put_contents( $password_file, $admin_password . "\n" );
	chmod( $password_file, 0600 );
}

if ( ! is_blog_installed() ) {
	$result = wp_install( 'Strongbox Test Shop', 'admin', 'admin@example.test', false, '', wp_slash( $admin_password ) );
	echo "installed WordPress: admin / $admin_password\n";
} else {
	echo "WordPress already installed: admin / $admin_password\n";
}
update_option( 'permalink_structure', '/%postname%/' );
update_option( 'show_avatars', 0 );
flush_rewrite_rules( false );

// WooCommerce's roles, when WooCommerce itself is absent (it cannot be installed here).
if ( ! get_role( 'customer' ) ) {
	add_role( 'customer', 'Customer', array( 'read' => true ) );
}
if ( ! get_role( 'shop_manager' ) ) {
	$caps = array(
		'level_9' => true, 'level_8' => true, 'level_7' => true, 'level_6' => true, 'level_5' => true,
		'level_4' => true, 'level_3' => true, 'level_2' => true, 'level_1' => true, 'level_0' => true,
		'read' => true, 'read_private_pages' => true, 'read_private_posts' => true, 'edit_posts' => true,
		'edit_pages' => true, 'edit_published_posts' => true, 'edit_published_pages' => true,
		'edit_private_pages' => true, 'edit_private_posts' => true, 'edit_others_posts' => true,
		'edit_others_pages' => true, 'publish_posts' => true, 'publish_pages' => true,
		'delete_posts' => true, 'delete_pages' => true, 'delete_private_pages' => true,
		'delete_private_posts' => true, 'delete_published_pages' => true, 'delete_published_posts' => true,
		'delete_others_posts' => true, 'delete_others_pages' => true, 'manage_categories' => true,
		'manage_links' => true, 'moderate_comments' => true, 'upload_files' => true, 'export' => true,
		'import' => true, 'list_users' => true, 'edit_theme_options' => true,
		'manage_woocommerce' => true, 'view_woocommerce_reports' => true,
	);
	foreach ( array( 'product', 'shop_order', 'shop_coupon' ) as $type ) {
		foreach ( array( 'edit_', 'read_', 'delete_', 'edit_%ss', 'edit_others_%ss', 'publish_%ss', 'read_private_%ss', 'delete_%ss', 'delete_private_%ss', 'delete_published_%ss', 'delete_others_%ss', 'edit_private_%ss', 'edit_published_%ss' ) as $pattern ) {
			$cap          = false !== strpos( $pattern, '%s' ) ? sprintf( $pattern, $type ) : $pattern . $type;
			$caps[ $cap ] = true;
		}
		foreach ( array( 'manage_%s_terms', 'edit_%s_terms', 'delete_%s_terms', 'assign_%s_terms' ) as $pattern ) {
			$caps[ sprintf( $pattern, $type ) ] = true;
		}
	}
	add_role( 'shop_manager', 'Shop manager', $caps );
}

// One user per role; password = "pw-" . login. Administrators also get "admin".
$users = array();
foreach ( array( 'subscriber', 'customer', 'shop_manager', 'editor', 'administrator' ) as $role ) {
	$login = 'sb_' . $role;
	$user  = get_user_by( 'login', $login );
	if ( ! $user ) {
		$id = wp_insert_user(
			array(
				'user_login' => $login,
				'user_pass'  => 'pw-' . $login,
				'user_email' => $login . '@example.test',
				'role'       => $role,
			)
		);
		if ( is_wp_error( $id ) ) {
			fwrite( STDERR, $id->get_error_message() . "\n" );
			exit( 1 );
		}
	} else {
		$user->set_role( $role );
		wp_set_password( 'pw-' . $login, $user->ID );
	}
	$users[] = $login;
}
echo 'test users (password pw-<login>): ' . implode( ', ', $users ) . "\n";

$result = activate_plugin( 'strongbox/strongbox.php' );
if ( is_wp_error( $result ) ) {
	fwrite( STDERR, 'activating strongbox failed: ' . $result->get_error_message() . "\n" );
	exit( 1 );
}
echo "plugin strongbox active\n";
