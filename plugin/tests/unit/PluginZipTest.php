<?php
/**
 * scripts/build-plugin-zip, run on a temporary copy of the repository with a stand-in
 * scripts/build-wasm (the real one compiles the Rust core: minutes, not a unit test).
 *
 * @package Strongbox
 */

use PHPUnit\Framework\TestCase;

/**
 * The plugin zip.
 */
class PluginZipTest extends TestCase {

	/** @var string */
	private $tmp;

	protected function setUp(): void {
		$repo      = dirname( __DIR__, 3 );
		$this->tmp = sys_get_temp_dir() . '/sb-zip-' . bin2hex( random_bytes( 6 ) );
		mkdir( $this->tmp . '/scripts', 0755, true );
		mkdir( $this->tmp . '/plugin', 0755, true );
		copy( $repo . '/scripts/build-plugin-zip', $this->tmp . '/scripts/build-plugin-zip' );
		chmod( $this->tmp . '/scripts/build-plugin-zip', 0755 );
		exec( 'cp -r ' . escapeshellarg( $repo . '/plugin/strongbox' ) . ' ' . escapeshellarg( $this->tmp . '/plugin/' ), $out, $rc );
		$this->assertSame( 0, $rc );
		exec( 'rm -rf ' . escapeshellarg( $this->tmp . '/plugin/strongbox/assets/engine' ) );
		// Things that must stay out of the zip.
		file_put_contents( $this->tmp . '/plugin/strongbox/.DS_Store', 'x' );
		mkdir( $this->tmp . '/plugin/strongbox/.git' );
		file_put_contents( $this->tmp . '/plugin/strongbox/.git/config', 'x' );
		mkdir( $this->tmp . '/plugin/strongbox/tests' );
		file_put_contents( $this->tmp . '/plugin/strongbox/tests/SomeTest.php', "<?php\n" );
		mkdir( $this->tmp . '/plugin/strongbox/node_modules/x', 0755, true );
		file_put_contents( $this->tmp . '/plugin/strongbox/node_modules/x/index.js', '' );
		file_put_contents( $this->tmp . '/plugin/strongbox/NOTES.md', 'x' );
		file_put_contents( $this->tmp . '/plugin/strongbox/package.json', '{}' );
	}

	protected function tearDown(): void {
		exec( 'rm -rf ' . escapeshellarg( $this->tmp ) );
	}

	/**
	 * A stand-in scripts/build-wasm: writes the engine files (or not), leaves a mark.
	 *
	 * @param bool $writes Whether it produces the files.
	 */
	private function fake_build_wasm( $writes ) {
		$engine = $this->tmp . '/plugin/strongbox/assets/engine';
		$script = "#!/usr/bin/env bash\nset -e\ntouch " . escapeshellarg( $this->tmp . '/build-wasm-ran' ) . "\n";
		if ( $writes ) {
			$script .= 'mkdir -p ' . escapeshellarg( $engine ) . "\n"
				. "printf 'export default function init() {}\\n' > " . escapeshellarg( $engine . '/strongbox.js' ) . "\n"
				. 'head -c 300000 /dev/zero > ' . escapeshellarg( $engine . '/strongbox_bg.wasm' ) . "\n";
		}
		file_put_contents( $this->tmp . '/scripts/build-wasm', $script );
		chmod( $this->tmp . '/scripts/build-wasm', 0755 );
	}

	/**
	 * Runs the script.
	 *
	 * @param string $env Environment assignments.
	 * @return array{0: int, 1: string} Exit code and output (stdout and stderr).
	 */
	private function run_script( $env = '' ) {
		exec( 'cd ' . escapeshellarg( $this->tmp ) . ' && ' . $env . ' scripts/build-plugin-zip 2>&1', $out, $rc );
		return array( $rc, implode( "\n", $out ) );
	}

	private static function version() {
		preg_match( '/^ \* Version:\s*(\S+)/m', file_get_contents( dirname( __DIR__, 2 ) . '/strongbox/strongbox.php' ), $m );
		return $m[1];
	}

	public function test_builds_the_engine_when_missing_and_zips_only_what_runs() {
		$this->fake_build_wasm( true );
		list( $rc, $out ) = $this->run_script();
		$this->assertSame( 0, $rc, $out );
		$this->assertFileExists( $this->tmp . '/build-wasm-ran' );
		$zip_path = $this->tmp . '/dist/strongbox-' . self::version() . '.zip';
		$this->assertFileExists( $zip_path );
		$this->assertMatchesRegularExpression( '/dist\/strongbox-[0-9.]+\.zip: \d+ bytes/', $out );
		$this->assertMatchesRegularExpression( '/strongbox_bg\.wasm: 300000 bytes, \d+ gzipped/', $out );

		$zip   = new ZipArchive();
		$this->assertTrue( $zip->open( $zip_path ) );
		$names = array();
		for ( $i = 0; $i < $zip->numFiles; $i++ ) {
			$names[] = $zip->getNameIndex( $i );
		}
		foreach ( $names as $name ) {
			$this->assertStringStartsWith( 'strongbox/', $name );
			$this->assertDoesNotMatchRegularExpression( '#(^|/)\.#', $name, 'no dotfiles' );
			$this->assertDoesNotMatchRegularExpression( '#/(tests|node_modules)/#', $name );
		}
		foreach ( array( 'strongbox.php', 'uninstall.php', 'readme.txt', 'includes/class-plugin.php', 'includes/files/class-batch-reader.php', 'includes/storage/class-destination-check.php', 'languages/strongbox.pot', 'assets/engine/strongbox.js', 'assets/engine/strongbox_bg.wasm' ) as $need ) {
			$this->assertContains( 'strongbox/' . $need, $names );
		}
		$this->assertNotContains( 'strongbox/NOTES.md', $names );
		$this->assertNotContains( 'strongbox/package.json', $names );
		// Every PHP file of the plugin is in it, byte for byte.
		$it = new RecursiveIteratorIterator( new RecursiveDirectoryIterator( dirname( __DIR__, 2 ) . '/strongbox', FilesystemIterator::SKIP_DOTS ) );
		foreach ( $it as $path => $info ) {
			if ( '.php' === substr( $path, -4 ) ) {
				$rel = substr( $path, strlen( dirname( __DIR__, 2 ) ) + 1 );
				$this->assertSame( file_get_contents( $path ), $zip->getFromName( $rel ), $rel );
			}
		}
		$zip->close();
		$this->assertStringContainsString( 'left out NOTES.md', $out );
	}

	public function test_fails_clearly_when_the_engine_is_still_missing() {
		$this->fake_build_wasm( false );
		list( $rc, $out ) = $this->run_script();
		$this->assertNotSame( 0, $rc );
		$this->assertFileExists( $this->tmp . '/build-wasm-ran' );
		$this->assertStringContainsString( 'strongbox.js and strongbox_bg.wasm are still missing', $out );
		$this->assertDirectoryDoesNotExist( $this->tmp . '/dist' );
	}

	public function test_present_engine_is_used_as_is_and_the_zip_is_reproducible() {
		$this->fake_build_wasm( true );
		exec( escapeshellarg( $this->tmp . '/scripts/build-wasm' ) );
		unlink( $this->tmp . '/build-wasm-ran' );
		$zip_path = $this->tmp . '/dist/strongbox-' . self::version() . '.zip';
		list( $rc, $out ) = $this->run_script( 'SOURCE_DATE_EPOCH=1700000000' );
		$this->assertSame( 0, $rc, $out );
		$this->assertFileDoesNotExist( $this->tmp . '/build-wasm-ran' );
		$first = sha1_file( $zip_path );
		touch( $this->tmp . '/plugin/strongbox/strongbox.php' );
		list( $rc, $out ) = $this->run_script( 'SOURCE_DATE_EPOCH=1700000000' );
		$this->assertSame( 0, $rc, $out );
		$this->assertSame( $first, sha1_file( $zip_path ), 'same tree, same zip' );
	}

	public function test_refuses_a_version_mismatch() {
		$this->fake_build_wasm( true );
		$main = $this->tmp . '/plugin/strongbox/strongbox.php';
		file_put_contents( $main, preg_replace( "/define\( 'STRONGBOX_VERSION', '[^']*' \);/", "define( 'STRONGBOX_VERSION', '9.9.9' );", file_get_contents( $main ) ) );
		list( $rc, $out ) = $this->run_script();
		$this->assertNotSame( 0, $rc );
		$this->assertStringContainsString( "STRONGBOX_VERSION is '9.9.9'", $out );
	}
}
