<?php
/**
 * Removes everything Strongbox stored: options, the jobs table (with its schedule and
 * lease columns), the planner's WP-Cron events and Action Scheduler actions, the private
 * data directory.
 *
 * @package Strongbox
 */

defined( 'ABSPATH' ) || exit;
defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/includes/class-data-dir.php';
require_once __DIR__ . '/includes/jobs/class-repository.php';
require_once __DIR__ . '/includes/storage/class-destinations.php';
require_once __DIR__ . '/includes/schedules/class-tick.php';

foreach ( array(
	Strongbox\Storage\Destinations::OPTION,
	'strongbox_passphrase',
	'strongbox_file_excludes',
	'strongbox_db_version',
	'strongbox_schedules',
	'strongbox_settings',
	'strongbox_incidents',
	'strongbox_runners',
	'strongbox_test_clock',
) as $strongbox_option ) {
	delete_option( $strongbox_option );
}
Strongbox\Jobs\Repository::drop_table();
wp_clear_scheduled_hook( 'strongbox_prune_jobs' );
Strongbox\Schedules\Tick::clear();
Strongbox\Data_Dir::remove_all();
