<?php
/**
 * Fingerprints of the whole site (every table, every file) to prove "exactly as it was".
 *
 * @package Strongbox
 */

/**
 * Site fingerprints.
 */
final class SB_Site_State {

	/**
	 * CHECKSUM TABLE ... EXTENDED of every table in the site's database, plus the
	 * CREATE statement hash, by table name.
	 *
	 * @return array<string,string>
	 */
	public static function tables() {
		global $wpdb;
		$out = array();
		foreach ( $wpdb->get_col( 'SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME' ) as $t ) {
			$sum       = $wpdb->get_row( 'CHECKSUM TABLE `' . $t . '` EXTENDED', ARRAY_N );
			$create    = $wpdb->get_row( 'SHOW CREATE TABLE `' . $t . '`', ARRAY_N );
			$create    = preg_replace( '/ AUTO_INCREMENT=\d+/', '', $create[1] );
			$out[ $t ] = $sum[1] . ' ' . md5( $create );
		}
		return $out;
	}

	/**
	 * sha1 + mode of every file and link under the site root (debug.log excluded).
	 *
	 * @return array<string,string>
	 */
	public static function files() {
		$root = realpath( SB_TEST_WP_DIR );
		$out  = array();
		$it   = new RecursiveIteratorIterator( new RecursiveDirectoryIterator( $root, FilesystemIterator::SKIP_DOTS ), RecursiveIteratorIterator::SELF_FIRST );
		foreach ( $it as $path => $info ) {
			$rel = substr( $path, strlen( $root ) + 1 );
			if ( 'wp-content/debug.log' === $rel ) {
				continue;
			}
			if ( is_link( $path ) ) {
				$out[ $rel ] = 'link ' . readlink( $path );
			} elseif ( is_dir( $path ) ) {
				$out[ $rel ] = 'dir ' . decoct( fileperms( $path ) & 0777 );
			} else {
				$out[ $rel ] = sha1_file( $path ) . ' ' . decoct( fileperms( $path ) & 0777 );
			}
		}
		ksort( $out );
		return $out;
	}
}
