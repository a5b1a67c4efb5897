<?php
/**
 * Direct requests to plugin files, private data outside the web root, site route, error shape.
 *
 * @package Strongbox
 */

/**
 * Hardening (anchors: Backup Migration CVE-2023-6553, CWE-530 backups in web-served folders).
 */
class HardeningTest extends SB_Http_Test_Case {

	public function test_every_php_file_of_the_plugin_outputs_nothing_when_requested_directly() {
		$base  = SB_TEST_WP_DIR . '/wp-content/plugins/strongbox';
		$it    = new RecursiveIteratorIterator( new RecursiveDirectoryIterator( $base, FilesystemIterator::SKIP_DOTS ) );
		$batch = array();
		foreach ( $it as $path => $info ) {
			if ( '.php' === substr( $path, -4 ) ) {
				$this->assertStringStartsWith( "<?php\n", file_get_contents( $path ) );
				$this->assertMatchesRegularExpression( "/^defined\\( 'ABSPATH' \\) \\|\\| exit;$/m", file_get_contents( $path ), $path );
				$rel              = substr( $path, strlen( SB_TEST_WP_DIR ) );
				$batch[ $rel ]    = array( 'GET', $rel, array( 'X-Strongbox-Probe: ../../../../etc/passwd' ) );
				$batch[ "$rel?" ] = array( 'POST', $rel . '?path=../../wp-config.php&restore=1', array( 'Content-Type: application/x-www-form-urlencoded' ), 'confirm=RESTORE' );
			}
		}
		$this->assertGreaterThan( 20, count( $batch ) );
		foreach ( SB_Http::multi( $batch, 4 ) as $rel => $r ) {
			$this->assertSame( '', $r->body, "$rel printed something" );
			$this->assertLessThan( 500, $r->status, $rel );
		}
	}

	public function test_private_data_lives_outside_the_web_root_with_0700() {
		$dir = \Strongbox\Data_Dir::path();
		$this->assertIsString( $dir );
		$root = realpath( SB_TEST_WP_DIR );
		$this->assertStringStartsNotWith( $root . '/', $dir . '/' );
		$this->assertSame( 0700, fileperms( $dir ) & 0777 );
		$this->assertTrue( \Strongbox\Data_Dir::is_web_served( $root . '/wp-content/uploads/strongbox' ) );
		add_filter(
			'strongbox_data_dir_candidates',
			$f = static function () use ( $root ) {
				return array( $root . '/wp-content/uploads/strongbox-tmp', sys_get_temp_dir() . '/sb-fallback-' . getmypid() );
			}
		);
		$fallback = \Strongbox\Data_Dir::path();
		remove_filter( 'strongbox_data_dir_candidates', $f );
		$this->assertSame( realpath( sys_get_temp_dir() ) . '/sb-fallback-' . getmypid(), $fallback, 'a web-served candidate is skipped' );
		$this->assertDirectoryDoesNotExist( $root . '/wp-content/uploads/strongbox-tmp' );
		rmdir( $fallback );
		// Nothing of Strongbox anywhere under the site root.
		$it = new RecursiveIteratorIterator( new RecursiveDirectoryIterator( $root . '/wp-content/uploads', FilesystemIterator::SKIP_DOTS ) );
		foreach ( $it as $path => $info ) {
			$this->assertStringNotContainsString( 'session.json', $path );
			$this->assertStringNotContainsString( 'maintenance.json', $path );
		}
	}

	public function test_site_route() {
		$j = self::api( 'GET', '/site' )->json();
		$this->assertSame( SB_TEST_URL, $j['home_url'] );
		$this->assertSame( 'wp_', $j['table_prefix'] );
		$this->assertFalse( $j['multisite'] );
		$this->assertTrue( $j['woocommerce']['present'], 'the generated shop has WooCommerce tables' );
		$this->assertTrue( $j['woocommerce']['hpos']['tables_present'] );
		$this->assertContains( $j['woocommerce']['hpos']['authoritative_store'], array( 'hpos', 'posts' ) );
		$this->assertIsBool( $j['woocommerce']['hpos']['sync_enabled'] );
		$this->assertMatchesRegularExpression( '/^\d+\.\d+/', $j['versions']['php'] );
		$this->assertStringContainsString( 'MariaDB', $j['versions']['database'] );
		$this->assertGreaterThan( 0, $j['disk_free_bytes'] );
		$this->assertTrue( $j['private_dir']['outside_web_root'] );
		$this->assertArrayHasKey( 'memory_limit', $j['php_limits'] );
	}

	public function test_unknown_routes_and_methods() {
		$this->assertSame( 404, self::api( 'GET', '/nope' )->status );
		$this->assertSame( 404, self::api( 'DELETE', '/site' )->status );
		$r = self::api( 'GET', '/files?limit=999999' );
		$this->assertError( 400, 'rest_invalid_param', $r );
	}
}
