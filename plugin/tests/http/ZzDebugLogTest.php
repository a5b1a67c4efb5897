<?php
/**
 * Runs last: the plugin logged no PHP warning or notice during the whole run.
 *
 * @package Strongbox
 */

/**
 * debug.log filtered by the plugin's own path (core 6.1 on PHP 8.2 logs its own deprecations).
 */
class ZzDebugLogTest extends SB_Http_Test_Case {

	public function test_no_php_messages_from_the_plugin() {
		$log = SB_TEST_WP_DIR . '/wp-content/debug.log';
		if ( ! is_file( $log ) ) {
			$this->assertTrue( true );
			return;
		}
		$own = array();
		foreach ( file( $log ) as $line ) {
			if ( false !== strpos( $line, 'plugins/strongbox/' ) || false !== strpos( $line, 'Cannot modify header' ) ) {
				$own[] = trim( $line );
			}
		}
		$this->assertSame( array(), array_slice( $own, 0, 10 ) );
	}
}
