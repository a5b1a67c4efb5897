<?php
/**
 * Which operations each job type may presign, lock files included.
 *
 * @package Strongbox
 */

use PHPUnit\Framework\TestCase;
use Strongbox\Storage\Key_Policy;

/**
 * Key_Policy.
 */
class KeyPolicyTest extends TestCase {

	public function test_every_job_type_may_put_and_delete_lock_files_only() {
		foreach ( array( 'backup', 'restore', 'check', 'prune' ) as $type ) {
			foreach ( array( 'PUT', 'DELETE' ) as $method ) {
				$this->assertTrue( Key_Policy::allows( $type, $method, 'pfx/locks/backup-1', 'pfx' ), "$type $method lock" );
				$this->assertTrue( Key_Policy::allows( $type, $method, 'pfx/locks/a/b', 'pfx' ), "$type $method nested lock" );
				$this->assertTrue( Key_Policy::allows( $type, $method, 'locks/x', '' ), "$type $method lock, no prefix" );
			}
			$this->assertTrue( Key_Policy::allows( $type, 'GET', 'pfx/locks/x', 'pfx' ), 'reading locks is a GET like any other' );
		}
		$not_locks = array( 'pfx/data/x', 'pfx/locks', 'pfx/lockssmith/x', 'pfx/data/locks/x', 'locks/x', 'pfx/locks/../config', 'pfx/locks//x', 'pfx/locks/./x', 'other/locks/x' );
		foreach ( $not_locks as $key ) {
			$this->assertFalse( Key_Policy::allows( 'backup', 'DELETE', $key, 'pfx' ), "backup DELETE $key" );
			foreach ( array( 'restore', 'check' ) as $type ) {
				$this->assertFalse( Key_Policy::allows( $type, 'PUT', $key, 'pfx' ), "$type PUT $key" );
				$this->assertFalse( Key_Policy::allows( $type, 'DELETE', $key, 'pfx' ), "$type DELETE $key" );
			}
		}
		$this->assertFalse( Key_Policy::is_lock( 'pfx/locks/x', 'pf' ) );
		$this->assertTrue( Key_Policy::allows( 'prune', 'DELETE', 'pfx/data/x', 'pfx' ), 'prune deletes anything under the prefix' );
		$this->assertTrue( Key_Policy::allows( 'backup', 'PUT', 'pfx/data/x', 'pfx' ) );
		$this->assertTrue( Key_Policy::allows( 'restore', 'LIST', 'pfx/locks/', 'pfx' ), 'LIST stays allowed' );
		$this->assertFalse( Key_Policy::allows( 'unknown', 'GET', 'pfx/x', 'pfx' ) );
	}
}
