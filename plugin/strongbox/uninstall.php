<?php
/**
 * Removes everything Strongbox stored: options, the jobs table, the private data directory.
 *
 * @package Strongbox
 */

defined( 'ABSPATH' ) || exit;
defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/includes/class-data-dir.php';
require_once __DIR__ . '/includes/jobs/class-repository.php';
require_once __DIR__ . '/includes/storage/class-destinations.php';

delete_option( Strongbox\Storage\Destinations::OPTION );
delete_option( 'strongbox_passphrase' );
delete_option( 'strongbox_file_excludes' );
delete_option( 'strongbox_db_version' );
Strongbox\Jobs\Repository::drop_table();
wp_clear_scheduled_hook( 'strongbox_prune_jobs' );
Strongbox\Data_Dir::remove_all();
