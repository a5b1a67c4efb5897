<?php
/**
 * Recovery-point state.
 *
 * @package Strongbox
 */

use PHPUnit\Framework\TestCase;
use Strongbox\Alerts\Rpo;

/**
 * Alerts\Rpo (pure).
 */
class RpoTest extends TestCase {

	public function test_states() {
		$now = 2000000000;
		$this->assertSame( 'none', Rpo::state( null, 24, $now, false ), 'nothing to measure without a destination' );
		$this->assertSame( 'none', Rpo::state( $now - 999999, 0, $now, true ), 'no target' );
		$this->assertSame( 'red', Rpo::state( null, 24, $now, true ), 'no good backup at all' );
		$this->assertSame( 'green', Rpo::state( $now - 23 * 3600, 24, $now, true ) );
		$this->assertSame( 'amber', Rpo::state( $now - 24 * 3600, 24, $now, true ) );
		$this->assertSame( 'amber', Rpo::state( $now - 47 * 3600, 24, $now, true ) );
		$this->assertSame( 'red', Rpo::state( $now - 48 * 3600, 24, $now, true ) );
	}
}
