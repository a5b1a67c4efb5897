<?php
/**
 * Runs very last: deactivation and uninstall remove everything, then the plugin is activated again.
 *
 * @package Strongbox
 */

/**
 * Uninstall.
 */
class ZzzUninstallTest extends SB_Http_Test_Case {

	public function test_uninstall_removes_options_table_schedule_and_private_data() {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
		$table = $wpdb->prefix . 'strongbox_jobs';
		$dir   = \Strongbox\Data_Dir::path();
		$this->assertDirectoryExists( $dir );
		$this->assertSame( $table, $wpdb->get_var( "SHOW TABLES LIKE '$table'" ) );

		$this->assertNotFalse( wp_next_scheduled( 'strongbox_tick' ), 'the planner ticks through WP-Cron (no Action Scheduler here)' );
		$this->assertSame( 'strongbox_5min', wp_get_schedule( 'strongbox_tick' ) );
		$this->assertContains( 'lease_token', $wpdb->get_col( "SHOW COLUMNS FROM $table" ), 'the jobs table was upgraded' );
		deactivate_plugins( 'strongbox/strongbox.php' );
		$this->assertFalse( wp_next_scheduled( 'strongbox_prune_jobs' ) );
		$this->assertFalse( wp_next_scheduled( 'strongbox_tick' ) );
		define( 'WP_UNINSTALL_PLUGIN', 'strongbox/strongbox.php' );
		include SB_TEST_WP_DIR . '/wp-content/plugins/strongbox/uninstall.php';
		wp_cache_flush();
		$this->assertNull( $wpdb->get_var( "SHOW TABLES LIKE '$table'" ) );
		$this->assertSame( '0', $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE 'strongbox\\_%'" ) );
		$this->assertDirectoryDoesNotExist( $dir );

		$this->assertNull( activate_plugin( 'strongbox/strongbox.php' ) );
		$this->assertSame( $table, $wpdb->get_var( "SHOW TABLES LIKE '$table'" ), 'activation recreates the jobs table' );
		$this->assertNotFalse( wp_next_scheduled( 'strongbox_tick' ), 'activation schedules the tick' );
		$this->assertSame( 200, self::api( 'GET', '/site' )->status );
	}
}
