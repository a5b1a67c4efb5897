<?php
/**
 * The minimal admin screen (Tools > Strongbox): back up now, snapshots, restore.
 *
 * The work runs in the browser: assets/js/admin-page.js (an ES module) drives
 * assets/js/strongbox-client.js, which runs the WebAssembly engine in a Web
 * Worker. This class only prints the markup, the configuration (REST URL, a
 * fresh wp_rest nonce, asset URLs, translated strings) and the module tag.
 * It never prints a storage secret or the passphrase.
 *
 * @package Strongbox
 */

namespace Strongbox\Admin;

use Strongbox\Capability;
use Strongbox\Plugin;
use Strongbox\Rest\Jobs_Controller;
use Strongbox\Storage\Destinations;

defined( 'ABSPATH' ) || exit;

/**
 * Tools > Strongbox.
 */
final class Page {

	/** Menu slug (tools.php?page=strongbox). */
	const SLUG = 'strongbox';

	/** Script and style handle. */
	const HANDLE = 'strongbox-admin';

	/**
	 * Hook suffix of the screen, set when the menu is registered.
	 *
	 * @var string
	 */
	private static $hook = '';

	/**
	 * Registers the hooks (admin requests only).
	 */
	public static function init() {
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
		add_action( 'admin_enqueue_scripts', array( __CLASS__, 'enqueue' ) );
		add_filter( 'script_loader_tag', array( __CLASS__, 'module_tag' ), 10, 2 );
	}

	/**
	 * Adds Tools > Strongbox for users with the plugin's capability.
	 */
	public static function menu() {
		$hook = add_management_page(
			__( 'Strongbox backups', 'strongbox' ),
			__( 'Strongbox', 'strongbox' ),
			Capability::name(),
			self::SLUG,
			array( __CLASS__, 'render' )
		);
		self::$hook = is_string( $hook ) ? $hook : '';
	}

	/**
	 * Version of a plugin file: the plugin's version and the file's time.
	 *
	 * @param string $rel Path below the plugin directory.
	 * @return string
	 */
	private static function version( $rel ) {
		$file = plugin_dir_path( STRONGBOX_FILE ) . $rel;
		return STRONGBOX_VERSION . ( is_file( $file ) ? '.' . filemtime( $file ) : '' );
	}

	/**
	 * URL of a plugin file with its version.
	 *
	 * @param string $rel Path below the plugin directory.
	 * @return string
	 */
	private static function asset_url( $rel ) {
		return add_query_arg( 'ver', rawurlencode( self::version( $rel ) ), plugins_url( $rel, STRONGBOX_FILE ) );
	}

	/**
	 * Whether the WebAssembly engine was built into assets/engine/.
	 *
	 * @return bool
	 */
	private static function engine_present() {
		$dir = plugin_dir_path( STRONGBOX_FILE ) . 'assets/engine/';
		return is_file( $dir . 'strongbox.js' ) && is_file( $dir . 'strongbox_bg.wasm' );
	}

	/**
	 * Enqueues the screen's module and style on this screen only.
	 *
	 * @param string $hook_suffix Current screen.
	 */
	public static function enqueue( $hook_suffix ) {
		if ( '' === self::$hook || self::$hook !== $hook_suffix ) {
			return;
		}
		wp_enqueue_style( self::HANDLE, plugins_url( 'assets/css/admin.css', STRONGBOX_FILE ), array(), self::version( 'assets/css/admin.css' ) );
		wp_enqueue_script( self::HANDLE, plugins_url( 'assets/js/admin-page.js', STRONGBOX_FILE ), array(), self::version( 'assets/js/admin-page.js' ), true );
	}

	/**
	 * WordPress 6.1 has no script-module API: print the screen's script as a module.
	 *
	 * @param string $tag    The script tag(s) of a handle.
	 * @param string $handle The handle.
	 * @return string
	 */
	public static function module_tag( $tag, $handle ) {
		if ( self::HANDLE !== $handle ) {
			return $tag;
		}
		$pattern = '#<script(\s+type=([\'"])text/javascript\2)?(\s+src=([\'"])[^\'"]+\4\s+id=([\'"])' . preg_quote( self::HANDLE . '-js', '#' ) . '\5)#';
		return (string) preg_replace( $pattern, '<script type="module"$3', $tag, 1 );
	}

	/**
	 * The configuration handed to the page's script.
	 *
	 * @return array
	 */
	private static function config() {
		$destinations = array();
		foreach ( Destinations::all() as $id => $d ) {
			// Only what the screen shows: never the secret.
			$destinations[] = array(
				'id'     => (string) $id,
				'name'   => (string) $d['name'],
				'bucket' => (string) $d['bucket'],
				'prefix' => (string) $d['prefix'],
			);
		}
		return array(
			'restUrl'       => esc_url_raw( rest_url( Plugin::REST_NAMESPACE . '/' ) ),
			'nonce'         => wp_create_nonce( 'wp_rest' ),
			'ajaxUrl'       => admin_url( 'admin-ajax.php' ),
			'clientUrl'     => self::asset_url( 'assets/js/strongbox-client.js' ),
			'workerUrl'     => self::asset_url( 'assets/js/engine-worker.js' ),
			'engineUrl'     => self::asset_url( 'assets/engine/strongbox.js' ),
			'wasmUrl'       => self::asset_url( 'assets/engine/strongbox_bg.wasm' ),
			'engineReady'   => self::engine_present(),
			'hasPassphrase' => '' !== (string) get_option( Jobs_Controller::PASSPHRASE_OPTION, '' ),
			'destinations'  => $destinations,
			'locale'        => str_replace( '_', '-', get_user_locale() ),
			'i18n'          => self::strings(),
		);
	}

	/**
	 * Translated strings of the script.
	 *
	 * @return array<string, mixed>
	 */
	private static function strings() {
		return array(
			'phases'           => array(
				'files'    => __( 'Reading files', 'strongbox' ),
				'database' => __( 'Reading the database', 'strongbox' ),
				'upload'   => __( 'Uploading', 'strongbox' ),
				'index'    => __( 'Writing the index', 'strongbox' ),
				'restore'  => __( 'Restoring', 'strongbox' ),
				'check'    => __( 'Checking', 'strongbox' ),
			),
			/* translators: 1: bytes done, 2: bytes in total */
			'bytesOf'          => __( '%1$s of %2$s', 'strongbox' ),
			/* translators: %s: a transfer rate such as "3.2 MB" */
			'rate'             => __( '%s/s', 'strongbox' ),
			/* translators: %s: seconds */
			'etaSeconds'       => __( 'about %s s left', 'strongbox' ),
			/* translators: %s: minutes */
			'etaMinutes'       => __( 'about %s min left', 'strongbox' ),
			/* translators: %s: hours */
			'etaHours'         => __( 'about %s h left', 'strongbox' ),
			/* translators: 1: items done, 2: items in total */
			'itemsOf'          => __( '%1$s of %2$s items', 'strongbox' ),
			'units'            => array(
				/* translators: %s: a number of bytes */
				__( '%s B', 'strongbox' ),
				/* translators: %s: a number of kilobytes */
				__( '%s KB', 'strongbox' ),
				/* translators: %s: a number of megabytes */
				__( '%s MB', 'strongbox' ),
				/* translators: %s: a number of gigabytes */
				__( '%s GB', 'strongbox' ),
				/* translators: %s: a number of terabytes */
				__( '%s TB', 'strongbox' ),
			),
			'starting'         => __( 'Starting the backup engine…', 'strongbox' ),
			/* translators: 1: snapshot short id, 2: size of new data stored, 3: duration in seconds */
			'backupDone'       => __( 'Backup finished: snapshot %1$s, %2$s of new data stored in %3$s s.', 'strongbox' ),
			'cancelling'       => __( 'Cancelling…', 'strongbox' ),
			'cancelled'        => __( 'The operation was cancelled. The backups already at the destination are intact.', 'strongbox' ),
			/* translators: 1: error message, 2: error code */
			'failed'           => __( 'Failed: %1$s (%2$s)', 'strongbox' ),
			'loadingSnapshots' => __( 'Loading the snapshots…', 'strongbox' ),
			'noSnapshots'      => __( 'There are no backups at this destination yet.', 'strongbox' ),
			/* translators: 1: number of files, 2: number of tables */
			'contents'         => __( '%1$s files, %2$s tables', 'strongbox' ),
			'restoreThis'      => __( 'Restore…', 'strongbox' ),
			'latest'           => __( 'the latest snapshot', 'strongbox' ),
			'restoring'        => __( 'Restoring… the site shows a maintenance page to visitors until you commit or roll back.', 'strongbox' ),
			/* translators: 1: number of tables, 2: number of rows, 3: number of files */
			'restoreDone'      => __( 'Restored %1$s tables (%2$s rows) and %3$s files. Check the site, then commit or roll back.', 'strongbox' ),
			'committed'        => __( 'The restore is committed: the site runs on the restored data.', 'strongbox' ),
			'rolledBack'       => __( 'The restore was rolled back: the site is as it was before.', 'strongbox' ),
			'restoreInterrupted' => __( 'A restore was interrupted (its tab was closed) and the site still shows the maintenance page to visitors. Resume it, or roll it back to leave the site as it was.', 'strongbox' ),
			'resumeRestore'    => __( 'Resume the restore', 'strongbox' ),
			'discardRestore'   => __( 'Roll it back', 'strongbox' ),
			'passphraseSaved'  => __( 'The passphrase is saved.', 'strongbox' ),
			'leaveWarning'     => __( 'A Strongbox operation is running in this tab; leaving the page stops it.', 'strongbox' ),
			'noEngine'         => __( 'The backup engine is not installed with this copy of the plugin.', 'strongbox' ),
			'noDestination'    => __( 'Choose a destination first.', 'strongbox' ),
		);
	}

	/**
	 * Prints the screen.
	 */
	public static function render() {
		if ( ! current_user_can( Capability::name() ) ) {
			wp_die( esc_html__( 'Your account is not allowed to use Strongbox.', 'strongbox' ), 403 );
		}
		$config = self::config();
		?>
		<div class="wrap strongbox-admin" id="strongbox-app" data-state="loading">
			<h1><?php esc_html_e( 'Strongbox backups', 'strongbox' ); ?></h1>
			<noscript><div class="notice notice-error inline"><p><?php esc_html_e( 'Strongbox runs its backups in the browser: please enable JavaScript.', 'strongbox' ); ?></p></div></noscript>

			<?php if ( ! $config['engineReady'] ) : ?>
				<div class="notice notice-error inline"><p><?php esc_html_e( 'The backup engine (assets/engine/strongbox_bg.wasm) is missing from this copy of the plugin. Reinstall the plugin from its release package.', 'strongbox' ); ?></p></div>
			<?php endif; ?>

			<div id="strongbox-notice" class="notice inline" role="alert" hidden><p></p></div>

			<?php if ( ! $config['hasPassphrase'] ) : ?>
				<form id="strongbox-passphrase-form" class="strongbox-box">
					<h2><?php esc_html_e( 'Encryption passphrase', 'strongbox' ); ?></h2>
					<p><?php esc_html_e( 'Backups are encrypted with a passphrase before they leave the browser. Keep a copy of it in a safe place: without it no backup can be restored, by you or by anyone else.', 'strongbox' ); ?></p>
					<p>
						<label for="strongbox-passphrase"><?php esc_html_e( 'Passphrase (at least 12 characters)', 'strongbox' ); ?></label><br />
						<input type="password" id="strongbox-passphrase" class="regular-text" minlength="12" maxlength="1024" autocomplete="new-password" required />
						<button type="submit" class="button button-primary"><?php esc_html_e( 'Save passphrase', 'strongbox' ); ?></button>
					</p>
				</form>
			<?php endif; ?>

			<h2><?php esc_html_e( 'Back up', 'strongbox' ); ?></h2>
			<?php if ( empty( $config['destinations'] ) ) : ?>
				<p><?php esc_html_e( 'No storage destination is configured yet.', 'strongbox' ); ?></p>
			<?php endif; ?>
			<p>
				<label for="strongbox-destination"><?php esc_html_e( 'Destination', 'strongbox' ); ?></label>
				<select id="strongbox-destination">
					<?php foreach ( $config['destinations'] as $d ) : ?>
						<option value="<?php echo esc_attr( $d['id'] ); ?>">
							<?php
							echo esc_html(
								sprintf(
									/* translators: 1: destination name, 2: bucket/prefix */
									__( '%1$s (%2$s)', 'strongbox' ),
									'' !== $d['name'] ? $d['name'] : $d['id'],
									$d['bucket'] . ( '' !== $d['prefix'] ? '/' . $d['prefix'] : '' )
								)
							);
							?>
						</option>
					<?php endforeach; ?>
				</select>
			</p>
			<p>
				<button type="button" class="button button-primary" id="strongbox-backup" disabled><?php esc_html_e( 'Back up now', 'strongbox' ); ?></button>
				<button type="button" class="button" id="strongbox-cancel" hidden><?php esc_html_e( 'Cancel', 'strongbox' ); ?></button>
			</p>
			<div id="strongbox-progress" class="strongbox-progress" hidden>
				<progress id="strongbox-progress-bar" max="100" aria-labelledby="strongbox-phase"></progress>
				<p>
					<strong id="strongbox-phase"></strong>
					<span id="strongbox-counts"></span>
					<code id="strongbox-item"></code>
				</p>
				<p id="strongbox-bytes"></p>
			</div>
			<p id="strongbox-status" class="strongbox-status" role="status" aria-live="polite" aria-atomic="true"></p>

			<h2><?php esc_html_e( 'Snapshots', 'strongbox' ); ?></h2>
			<p><button type="button" class="button" id="strongbox-refresh" disabled><?php esc_html_e( 'Refresh the list', 'strongbox' ); ?></button></p>
			<table class="widefat striped" id="strongbox-snapshots">
				<thead>
					<tr>
						<th scope="col"><?php esc_html_e( 'Time', 'strongbox' ); ?></th>
						<th scope="col"><?php esc_html_e( 'Snapshot', 'strongbox' ); ?></th>
						<th scope="col"><?php esc_html_e( 'Started by', 'strongbox' ); ?></th>
						<th scope="col"><?php esc_html_e( 'Contents', 'strongbox' ); ?></th>
						<th scope="col"><?php esc_html_e( 'New data', 'strongbox' ); ?></th>
						<th scope="col"><span class="screen-reader-text"><?php esc_html_e( 'Actions', 'strongbox' ); ?></span></th>
					</tr>
				</thead>
				<tbody></tbody>
			</table>

			<h2><?php esc_html_e( 'Restore', 'strongbox' ); ?></h2>
			<p><?php esc_html_e( 'A restore replaces the database tables and files of this site with those of a snapshot. Visitors see a maintenance page until you commit; until then you can roll back to the site as it is now.', 'strongbox' ); ?></p>
			<p><button type="button" class="button" id="strongbox-restore-latest" disabled><?php esc_html_e( 'Restore latest…', 'strongbox' ); ?></button></p>
			<form id="strongbox-restore-confirm" class="strongbox-box" hidden>
				<p>
					<?php
					printf(
						/* translators: %s: snapshot identifier */
						esc_html__( 'Restore %s over the current site?', 'strongbox' ),
						'<strong id="strongbox-restore-target"></strong>'
					);
					?>
				</p>
				<p>
					<label for="strongbox-restore-word">
						<?php
						printf(
							/* translators: %s: the word to type, RESTORE */
							esc_html__( 'Type %s to confirm:', 'strongbox' ),
							'<code>RESTORE</code>'
						);
						?>
					</label>
					<input type="text" id="strongbox-restore-word" autocomplete="off" spellcheck="false" />
					<button type="submit" class="button button-primary" id="strongbox-restore-go" disabled><?php esc_html_e( 'Restore', 'strongbox' ); ?></button>
					<button type="button" class="button" id="strongbox-restore-abort"><?php esc_html_e( 'Cancel', 'strongbox' ); ?></button>
				</p>
			</form>
			<div id="strongbox-restore-finish" class="strongbox-box" hidden>
				<p><?php esc_html_e( 'The site now runs on the restored data. Check it (for example in another tab), then keep it or go back.', 'strongbox' ); ?></p>
				<p>
					<button type="button" class="button button-primary" id="strongbox-commit"><?php esc_html_e( 'Commit', 'strongbox' ); ?></button>
					<button type="button" class="button" id="strongbox-rollback"><?php esc_html_e( 'Roll back', 'strongbox' ); ?></button>
				</p>
			</div>
			<script type="application/json" id="strongbox-admin-config"><?php echo wp_json_encode( $config, JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT | JSON_UNESCAPED_SLASHES ); ?></script>
		</div>
		<?php
	}
}
