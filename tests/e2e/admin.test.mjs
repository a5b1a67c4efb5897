// The admin screens with the real engine, as a shop owner uses them, each
// screen saved as a screenshot (<work>/screenshots, listed by scripts/test-e2e):
// first-run setup (passphrase + recovery kit, a destination with Test connection
// and the CORS fix, the first backup with visible progress), the dashboard, the
// snapshot list and details, Cancel during a backup, an unreachable destination,
// a selective restore (one table, one folder), a full restore with the
// orders-since warning then Roll back, the settings, a phone-sized screen.
// Runs first, on the fresh site (no passphrase, no destination yet).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { backupNow, idle, launch, login, openScreen, screenState, screenshot, startRestore, watch } from './lib/browser.mjs';
import { startCorsProxy } from './lib/cors-proxy.mjs';
import { env } from './lib/env.mjs';
import { createBucket, listObjects } from './lib/s3.mjs';
import { checksums, fileTree, rest, restOk, rowCount, shown, sql } from './lib/site.mjs';
import { readTar } from './lib/tar.mjs';

const PASS = 'ui passphrase ' + randomBytes(8).toString('hex') + ' Blue-Harbour';
const BUCKET = 'sb-ui';
const VOLATILE = ['wp_strongbox_jobs'];
const ctx = {};
let browser;
let proxy;
let page;
let problems = [];

function problemsText() {
	return problems.length ? '\nbrowser console:\n  ' + problems.slice(-20).join('\n  ') : '';
}

// Options the running site rewrites by itself (runners' last_seen, incidents, cron, transients).
const VOLATILE_OPTIONS = /^(strongbox_runners|strongbox_incidents|cron|_site_transient_.*|_transient_.*)$/;

/** wp_options: name -> MD5 of the value. */
function options() {
	return new Map(sql('SELECT option_name, MD5(option_value) FROM wp_options'));
}

async function destinationList() {
	const r = await restOk('GET', 'destinations');
	return Array.isArray(r) ? r : r.destinations;
}

function err(s, op) {
	const e = s.errors[op];
	return e ? `${e.code}: ${e.message}` : 'no result and no error';
}

before(async () => {
	proxy = await startCorsProxy(env.moto, env.proxyPort);
	await createBucket(BUCKET); // no CORS rule: the setup must find and fix that
	browser = await launch();
	page = await browser.context.newPage();
	problems = watch(page);
	await login(page, 'admin', env.adminPassword);
});

after(async () => {
	if (proxy) {
		await proxy.close();
	}
	if (browser) {
		await browser.close();
	}
});

test('ui: first-run setup ends with a first backup (passphrase, recovery kit, destination, CORS fix, progress)', async () => {
	const has = await restOk('GET', 'settings/passphrase');
	assert.equal(has.has_passphrase, false, 'a fresh site has no passphrase');
	await openScreen(page);
	await page.waitForSelector('#strongbox-first-run');
	await screenshot(page, 'first-run-1-passphrase');

	await page.fill('#strongbox-passphrase', 'short');
	assert.match(await page.textContent('#strongbox-passphrase-strength'), /Too short/);
	assert.ok(await page.isDisabled('#strongbox-passphrase-save'), 'a short passphrase cannot be saved');
	await page.fill('#strongbox-passphrase', PASS);
	await page.fill('#strongbox-passphrase-again', PASS);
	assert.match(await page.textContent('#strongbox-passphrase-strength'), /Strong|Good/);
	assert.ok(await page.isDisabled('#strongbox-passphrase-save'), 'saving waits for "I have stored the passphrase"');
	const [download] = await Promise.all([page.waitForEvent('download'), page.click('#strongbox-kit-download')]);
	const kitPath = join(env.work, 'recovery-kit.txt');
	await download.saveAs(kitPath);
	const kit = readFileSync(kitPath, 'utf8');
	assert.match(kit, /STRONGBOX RECOVERY KIT/);
	assert.match(kit, /Strongbox Test Shop/);
	assert.match(kit, /PASSPHRASE IS LOST, THE BACKUPS ARE LOST/);
	assert.match(kit, /strongbox -r <repository> restore latest/);
	assert.ok(!kit.includes(PASS), 'the passphrase is only in the kit when asked for');
	await page.getByLabel(/I have stored the passphrase/).check();
	await screenshot(page, 'first-run-1-passphrase-filled');
	await page.click('#strongbox-passphrase-save');
	await page.waitForSelector('.strongbox-destination-form');
	assert.equal((await restOk('GET', 'settings/passphrase')).has_passphrase, true);

	// Step 2: a MinIO-style destination (moto behind the CORS-completing proxy).
	await page.getByLabel('Storage provider').selectOption('minio');
	await page.getByLabel('Endpoint URL').fill(proxy.url);
	await page.getByLabel('Region').fill('us-east-1');
	await page.getByLabel('Bucket name').fill(BUCKET);
	await page.getByLabel('Folder in the bucket (optional)').fill('site');
	await page.getByLabel('Access key', { exact: true }).fill('ui-access-key');
	await page.getByLabel('Secret key', { exact: true }).fill('ui-secret-key');
	await page.getByLabel('Name shown in Strongbox').fill('Offsite bucket');
	await screenshot(page, 'first-run-2-destination');
	await page.getByRole('button', { name: 'Add and test the connection' }).click();
	await page.waitForSelector('#strongbox-test-result', { timeout: 60000 });
	await idle(page);
	assert.match(await page.textContent('#strongbox-test-result li[data-check="cors"]'), /Failed/, 'the test finds the missing CORS rule');
	assert.ok(await page.isVisible('#strongbox-fix-cors'), 'and offers the fix');
	assert.ok(await page.isDisabled('#strongbox-first-run-next'), 'the setup does not go on while the test fails');
	await screenshot(page, 'first-run-2-cors-problem');
	await page.click('#strongbox-fix-cors');
	await page.waitForFunction(() => /this site and your browser can write backups/.test(document.getElementById('strongbox-test-result')?.textContent || ''), null, { timeout: 60000 });
	await idle(page);
	await screenshot(page, 'first-run-2-connection-ok');
	const dests = await restOk('GET', 'destinations');
	ctx.main = (Array.isArray(dests) ? dests : dests.destinations).find((d) => d.bucket === BUCKET).id;
	await page.click('#strongbox-first-run-next');

	// Step 3: the first backup, with its progress shown and announced.
	await page.evaluate(() => {
		window.__progress = [];
		document.getElementById('strongbox-app').addEventListener('strongbox:progress', (e) => window.__progress.push(e.detail));
	});
	await page.click('#strongbox-backup');
	await page.waitForSelector('#strongbox-progress-bar');
	// Bytes on the screen (with the rate and ETA once known) before the end.
	await page.waitForFunction(() => {
		const t = document.getElementById('strongbox-bytes')?.textContent || '';
		return t !== '' || document.getElementById('strongbox-app').dataset.busy === '0';
	}, null, { timeout: 120000, polling: 50 });
	assert.ok(await page.$('#strongbox-progress-bar'), 'the backup was still running when its progress was looked at');
	const shownProgress = await page.textContent('#strongbox-progress');
	await screenshot(page, 'first-run-3-backup-progress');
	const live = await page.textContent('#strongbox-status');
	console.log('progress shown: ' + shownProgress);
	await idle(page);
	const s = await screenState(page);
	assert.ok(s.results.backup, 'the first backup failed: ' + err(s, 'backup') + problemsText());
	ctx.snapA = s.results.backup;
	const progress = await page.evaluate(() => window.__progress);
	assert.ok(progress.length >= 3, `progress reached the screen (${progress.length} events)`);
	assert.ok(progress.some((p) => p.phase && p.bytes_done > 0), 'progress carried the phase and bytes');
	console.log(`first backup: ${JSON.stringify(ctx.snapA.stats)}; live region during it: "${live}"`);
	assert.ok(await page.isVisible('#strongbox-first-run-done'), 'the setup ends by saying the shop is backed up');
	assert.match(await page.textContent('#strongbox-status'), /Backup finished/, 'the result is announced');
	await screenshot(page, 'first-run-3-done');
	await page.getByRole('button', { name: 'Go to the dashboard' }).click();
	await page.waitForSelector('#strongbox-safety[data-rpo-state="green"]');
	await screenshot(page, 'dashboard-after-first-backup');
	assert.deepEqual(problems.filter((p) => p.startsWith('page error')), [], 'no script errors');
});

test('ui: the snapshot list and a snapshot’s details', async (t) => {
	if (!ctx.snapA) {
		t.skip('needs the first backup');
		return;
	}
	// A second backup from the dashboard, after a change.
	sql("UPDATE wp_posts SET post_title = CONCAT(post_title, ' (ui)') WHERE ID = (SELECT ID FROM (SELECT MIN(ID) AS ID FROM wp_posts WHERE post_type = 'post') AS x)");
	await openScreen(page, ctx.main);
	const r = await backupNow(page);
	assert.ok(r.result, 'the second backup failed: ' + JSON.stringify(r.error) + problemsText());
	ctx.snapB = r.result;
	ctx.sumsB = checksums(VOLATILE);
	ctx.countsB = new Map([...ctx.sumsB.keys()].map((t) => [t, rowCount(t)]));
	ctx.filesB = fileTree();
	await screenshot(page, 'dashboard-two-backups');

	await page.click('.strongbox-tabs a[href*="page=strongbox-snapshots"]');
	await page.waitForSelector(`#strongbox-snapshots tr[data-snapshot="${ctx.snapB.snapshot_id}"]`);
	const rows = await page.$$eval('#strongbox-snapshots tbody tr[data-snapshot]', (trs) => trs.map((tr) => [tr.dataset.snapshot, ...[...tr.cells].map((c) => c.textContent.trim())]));
	assert.equal(rows.length, 2, 'two snapshots are listed');
	assert.equal(rows[0][0], ctx.snapB.snapshot_id, 'newest first');
	assert.match(rows[0][2], /Manual/, 'the trigger is shown');
	assert.match(rows[0][3], /[0-9.,]+ (KB|MB)/, 'the total size is shown');
	assert.match(rows[0][6], /Not verified yet/, 'the verification state is shown');
	await screenshot(page, 'snapshots-list');

	// Verify reads every blob back; the list then says so.
	await page.click('#strongbox-verify');
	await idle(page);
	let s = await screenState(page);
	assert.ok(s.results.check && s.results.check.ok, 'verification failed: ' + err(s, 'check'));
	assert.match(await page.textContent(`#strongbox-snapshots tr[data-snapshot="${ctx.snapB.snapshot_id}"]`), /Verified/);
	await screenshot(page, 'snapshots-verified');

	await page.getByRole('button', { name: /^Details of / }).first().click();
	await page.waitForSelector('#strongbox-snapshot-details');
	await idle(page);
	const tables = await page.$$eval('#strongbox-snapshot-tables tbody tr', (trs) => trs.map((tr) => tr.cells[0].textContent));
	assert.ok(tables.includes('wp_wc_orders') && tables.includes('wp_posts'), 'the tables are listed with their rows: ' + tables.slice(0, 5).join(', '));
	await screenshot(page, 'snapshot-details');
	// Folder sizes and the portable archive need engine calls the installed engine may lack.
	const features = await page.evaluate(() => window.strongboxAdmin.client.features().catch(() => []));
	ctx.archive = features.includes('listTree') && features.includes('readFile') && features.includes('exportTable');
	if (!ctx.archive) {
		assert.ok(await page.isVisible('#strongbox-archive-unavailable'), 'without engine support the archive button says why');
		assert.ok(await page.isDisabled('#strongbox-archive-download'));
		console.log('engine methods: ' + features.join(', ') + ' (no listTree/readFile/exportTable: the portable archive waits for them, see ENGINE-NEEDS)');
		return;
	}
	assert.match(await page.textContent('#strongbox-snapshot-details'), new RegExp(ctx.snapB.snapshot_id), 'the details are those of the second snapshot');
	// Folder sizes, read from the snapshot by the engine (folderSizes).
	await page.waitForSelector('#strongbox-snapshot-folders tbody tr', { timeout: 60000 });
	const folders = await page.$$eval('#strongbox-snapshot-folders tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
	const uploads = folders.find((f) => f[0] === 'wp-content/uploads');
	assert.ok(uploads, 'wp-content/uploads is listed: ' + folders.slice(0, 8).map((f) => f.join(' ')).join('; '));
	const uploadFiles = [...ctx.filesB].filter(([k, v]) => k.startsWith('wp-content/uploads/') && v.startsWith('file ')).length;
	ctx.uploadsShown = Number(uploads[1].replace(/[^0-9]/g, ''));
	console.log(`folder sizes: wp-content/uploads ${uploads.join(' / ')}; the site had ${uploadFiles} regular files there`);
	await screenshot(page, 'snapshot-details-folders');
});

test('ui: the portable archive of a snapshot holds every file and a database that imports', async (t) => {
	if (!ctx.archive || !ctx.snapB) {
		t.skip(ctx.snapB ? 'the engine has no listTree/readFile/exportTable' : 'needs the second backup');
		return;
	}
	// The archive reads the snapshot file by file (one engine call each, about 0.3 s per
	// file here): a snapshot of the uploads and the database, to a destination of its own,
	// keeps this test to a minute instead of the whole WordPress tree's quarter of an hour.
	const SKIP = ['wp-admin', 'wp-includes', 'wp-content/plugins', 'wp-content/themes'];
	const d = await restOk('POST', 'destinations', { name: 'Archive test', endpoint: proxy.url, region: 'us-east-1', bucket: BUCKET, prefix: 'archive', access_key_id: 'k', secret_access_key: 's', path_style: true });
	await openScreen(page, d.id);
	const made = await page.evaluate(([id, excludes]) => window.strongboxAdmin.client.backup(id, { excludes }).catch((e) => ({ error: e.code + ': ' + e.message })), [d.id, SKIP]);
	assert.ok(made.snapshot_id, 'the backup for the archive: ' + JSON.stringify(made).slice(0, 300));
	const snapSums = checksums(VOLATILE);
	const snapCounts = new Map([...snapSums.keys()].map((x) => [x, rowCount(x)]));
	const snapFiles = new Map([...fileTree()].filter(([k]) => !SKIP.some((p) => k === p || k.startsWith(p + '/'))));
	await openScreen(page, d.id, 'snapshots');
	await page.waitForSelector(`#strongbox-snapshots tr[data-snapshot="${made.snapshot_id}"]`);
	await page.getByRole('button', { name: /^Details of / }).first().click();
	// Headless Chromium has showSaveFilePicker but no one to answer it: the Blob download path.
	await page.evaluate(() => {
		window.strongboxAdmin.forceBlobDownload = true;
	});
	const started = Date.now();
	const [download] = await Promise.all([page.waitForEvent('download', { timeout: env.timeoutMs }), page.click('#strongbox-archive-download')]);
	const file = join(env.work, 'archive-' + made.snapshot_id.slice(0, 8) + '.tar.gz');
	await download.saveAs(file);
	await idle(page);
	await page.waitForSelector('#strongbox-archive p[role="status"]');
	const said = await page.textContent('#strongbox-archive p[role="status"]');
	assert.match(said, /Saved .*\.tar\.gz/, 'the screen says the archive is saved: ' + said);
	await screenshot(page, 'snapshot-archive-saved');
	const gz = readFileSync(file);
	const entries = readTar(gz);
	console.log(`archive: ${gz.length} bytes gzipped, ${entries.length} entries, ${Date.now() - started} ms`);
	const root = entries[0].name.split('/')[0];
	assert.ok(entries.some((e) => e.name === root + '/README.txt'), 'a README');

	// Files: every entry of the site at backup time, same bytes, mode and link target.
	const prefix = root + '/files/';
	const got = new Map();
	for (const e of entries.filter((x) => x.name.startsWith(prefix))) {
		const rel = e.name.slice(prefix.length);
		got.set(rel, e.type === 'file' ? 'file ' + createHash('sha256').update(e.data).digest('hex') + ' ' + (e.mode & 0o777).toString(8) : e.type === 'link' ? 'link ' + e.linkname : e.type);
	}
	// Names that are not UTF-8 (the Latin-1 name of gen_files.py) are backed up through
	// path_b64, listed by listTree with `raw` (their bytes), read by readFile({raw}) and
	// written with PAX hdrcharset=BINARY: the archive has them byte for byte.
	const notUtf8 = (k) => !Buffer.from(k, 'latin1').equals(Buffer.from(Buffer.from(k, 'latin1').toString('utf8'), 'utf8'));
	assert.ok([...snapFiles.keys()].some(notUtf8), 'the site has a name that is not UTF-8 (gen_files.py makes one)');
	const unpacked = join(env.work, 'archive-unpacked');
	rmSync(unpacked, { recursive: true, force: true });
	mkdirSync(unpacked, { recursive: true });
	execFileSync('tar', ['-xzf', file, '-C', unpacked]);
	for (const k of [...snapFiles.keys()].filter(notUtf8)) {
		const p = Buffer.concat([Buffer.from(unpacked + '/' + root + '/files/'), Buffer.from(k, 'latin1')]);
		assert.ok(existsSync(p), `GNU tar extracts ${shown(k)} under its own bytes`);
	}
	rmSync(unpacked, { recursive: true, force: true });
	const missing = [...snapFiles.keys()].filter((k) => !got.has(k)).map(shown);
	const differ = [...snapFiles].filter(([k, v]) => got.has(k) && got.get(k) !== v).map(([k, v]) => `${shown(k)}: site ${v} / archive ${got.get(k)}`);
	const extra = [...got.keys()].filter((k) => !snapFiles.has(k)).map(shown);
	assert.deepEqual(missing.slice(0, 20), [], `every file of the site is in the archive (${missing.length} missing)`);
	assert.deepEqual(differ.slice(0, 20), [], `same bytes, modes and link targets (${differ.length} differ)`);
	assert.deepEqual(extra.slice(0, 20), [], 'nothing the site did not have');
	const nFiles = [...got.values()].filter((v) => v.startsWith('file ')).length;
	const uploadsInArchive = [...got].filter(([k, v]) => k.startsWith('wp-content/uploads/') && v.startsWith('file ')).length;
	assert.equal(ctx.uploadsShown, uploadsInArchive, 'the folder sizes count the files the archive has under wp-content/uploads');

	// Database: each table's SQL imports into a fresh database with the mariadb client,
	// and the tables there equal the live ones at backup time (CHECKSUM TABLE, rows).
	const db = env.db + '_archive';
	sql(`DROP DATABASE IF EXISTS \`${db}\``);
	sql(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4`);
	const sqlFiles = entries.filter((e) => e.type === 'file' && e.name.startsWith(root + '/database/') && e.name.endsWith('.sql'));
	assert.ok(sqlFiles.length >= snapSums.size, `one SQL file per table (${sqlFiles.length} for ${snapSums.size} tables)`);
	for (const e of sqlFiles) {
		execFileSync('mariadb', ['--no-defaults', '-h127.0.0.1', '-P' + env.dbPort, '-uwp', '-pwp', db], { input: e.data, maxBuffer: 256 << 20 });
	}
	const tables = [...snapSums.keys()];
	const imported = checksums([], db);
	const sumDiffs = tables.filter((x) => imported.get(x) !== snapSums.get(x)).map((x) => `${x}: live ${snapSums.get(x)} / imported ${imported.get(x)}`);
	const countDiffs = tables.filter((x) => Number(sql(`SELECT COUNT(*) FROM \`${db}\`.\`${x}\``)[0][0]) !== snapCounts.get(x));
	assert.deepEqual(countDiffs, [], 'every table has the rows it had at backup time');
	assert.deepEqual(sumDiffs, [], 'every table has the content it had at backup time (CHECKSUM TABLE EXTENDED)');
	console.log(`archive: ${nFiles} files equal to the site's at backup time; ${sqlFiles.length} SQL files imported, ${tables.length} tables equal (rows and checksums)`);
	sql(`DROP DATABASE \`${db}\``);
	await rest('DELETE', 'destinations/' + d.id);
});

test('ui: Cancel during a backup stops it and leaves no snapshot behind', async (t) => {
	if (!ctx.snapA) {
		t.skip('needs the passphrase and destination of the setup');
		return;
	}
	const d = await restOk('POST', 'destinations', { name: 'Cancelled', endpoint: proxy.url, region: 'us-east-1', bucket: BUCKET, prefix: 'cancel', access_key_id: 'k', secret_access_key: 's', path_style: true });
	await openScreen(page, d.id);
	await page.click('#strongbox-backup');
	await page.waitForSelector('#strongbox-cancel', { state: 'visible' });
	await page.waitForFunction(() => (document.getElementById('strongbox-bytes')?.textContent || '') !== '', null, { timeout: 120000 });
	await screenshot(page, 'backup-progress-before-cancel');
	await page.click('#strongbox-cancel');
	await idle(page, 60000);
	const s = await screenState(page);
	assert.equal(s.errors.backup && s.errors.backup.code, 'cancelled', 'the backup ends as cancelled: ' + JSON.stringify(s.errors.backup || s.results.backup));
	assert.match(await page.textContent('#strongbox-notice'), /cancelled/);
	await screenshot(page, 'backup-cancelled');
	const objects = await listObjects(BUCKET, 'cancel/snapshots/');
	assert.equal(objects.size, 0, 'no snapshot was written');
	const jobs = await restOk('GET', 'jobs?per_page=5');
	assert.equal(jobs.jobs.find((j) => j.type === 'backup').state, 'cancelled');
	await rest('DELETE', 'destinations/' + d.id);
});

test('ui: an unreachable destination gives a clear error and writes nothing', async (t) => {
	if (!ctx.snapA) {
		t.skip('needs the passphrase of the setup');
		return;
	}
	const before = await listObjects(BUCKET, '');
	await openScreen(page, null, 'settings');
	await page.click('#strongbox-add-destination');
	await page.getByLabel('Storage provider').selectOption('other');
	await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9');
	await page.getByLabel('Bucket name').fill('gone');
	await page.getByLabel('Access key ID').fill('k');
	await page.getByLabel('Secret access key').fill('s');
	await page.getByLabel('Name shown in Strongbox').fill('Unreachable');
	await page.getByRole('button', { name: 'Add and test the connection' }).click();
	await page.waitForSelector('#strongbox-test-result', { timeout: 60000 });
	await idle(page);
	const text = await page.textContent('#strongbox-test-result');
	assert.match(text, /does not work/);
	assert.match(await page.textContent('#strongbox-test-result li[data-check="endpoint"]'), /Failed/);
	await screenshot(page, 'settings-unreachable-destination-test');
	const dests = await restOk('GET', 'destinations');
	const gone = (Array.isArray(dests) ? dests : dests.destinations).find((x) => x.name === 'Unreachable');

	await openScreen(page, gone.id);
	const r = await backupNow(page);
	assert.equal(r.result, undefined, 'no backup to an unreachable destination');
	console.log('unreachable destination: engine code ' + r.error.code);
	const shownText = await page.textContent('#strongbox-notice');
	// The browser sees a failed fetch; the site's own test tells the owner it is unreachable.
	assert.match(shownText, /cannot be reached/, 'the screen says the storage cannot be reached: ' + shownText);
	assert.match(shownText, /Nothing was written/);
	assert.ok(!/JsValue|wasm-function/.test(shownText), 'no stack trace on the screen');
	await screenshot(page, 'backup-unreachable-error');
	const afterList = await listObjects(BUCKET, '');
	assert.deepEqual([...afterList.keys()].filter((k) => !before.has(k)), [], 'nothing was written anywhere');
	const jobs = await restOk('GET', 'jobs?per_page=5');
	assert.equal(jobs.jobs.find((j) => j.type === 'backup').state, 'failed');
	assert.equal((await rest('GET', 'restore/sessions/current')).status, 404, 'no session left open');
	await rest('DELETE', 'destinations/' + gone.id);
});

test('ui: a selective restore brings back one table and one folder, nothing else', async (t) => {
	if (!ctx.snapB) {
		t.skip('needs the second backup');
		return;
	}
	// The folder: the first folder directly under wp-content/uploads that holds files.
	const dirs = [...ctx.filesB.entries()].filter(([k, v]) => v === 'dir' && /^wp-content\/uploads\/[^/]+$/.test(k)).map(([k]) => k).sort();
	const folder = dirs.find((dir) => [...ctx.filesB.entries()].some(([k, v]) => k.startsWith(dir + '/') && v.startsWith('file ')));
	assert.ok(folder, 'a folder to restore');
	const inFolder = [...ctx.filesB.entries()].filter(([k, v]) => k.startsWith(folder + '/') && v.startsWith('file ')).map(([k]) => k).sort();
	// Changes after snapshot B: in the table and folder restored, and elsewhere (kept).
	sql("UPDATE wp_terms SET name = CONCAT(name, ' changed')");
	sql("UPDATE wp_posts SET post_title = CONCAT(post_title, ' kept') WHERE ID = (SELECT ID FROM (SELECT MIN(ID) AS ID FROM wp_posts WHERE post_type = 'page') AS x)");
	unlinkSync(join(env.wpDir, shown(inFolder[0])));
	writeFileSync(join(env.wpDir, folder, 'ui-added-since.txt'), 'added after the snapshot\n');
	const otherDir = join(env.wpDir, 'wp-content/uploads/ui-kept');
	mkdirSync(otherDir, { recursive: true });
	writeFileSync(join(otherDir, 'kept.txt'), 'outside the restored folder\n');
	const postsChanged = checksums(VOLATILE).get('wp_posts');

	await openScreen(page, ctx.main, 'snapshots');
	await startRestore(page, ctx.snapB.snapshot_id, { mode: 'selected', tables: ['wp_terms'], folders: [shown(folder)], shot: 'restore-selective' });
	let s = await screenState(page);
	assert.ok(s.results.restore, 'the selective restore failed: ' + err(s, 'restore') + problemsText());
	const r = s.results.restore.result;
	console.log(`selective restore: ${r.tables} tables, ${r.rows} rows, ${r.files} files`);
	assert.equal(r.tables, 1, 'one table restored');
	await screenshot(page, 'restore-selective-result');
	await page.click('#strongbox-commit');
	await idle(page);
	s = await screenState(page);
	assert.ok(s.results.commit, 'commit failed: ' + err(s, 'commit'));
	await screenshot(page, 'restore-selective-kept');

	const now = checksums(VOLATILE);
	assert.equal(now.get('wp_terms'), ctx.sumsB.get('wp_terms'), 'wp_terms is as in the snapshot');
	assert.equal(now.get('wp_posts'), postsChanged, 'wp_posts (not selected) keeps its later change');
	const files = fileTree();
	for (const k of inFolder) {
		assert.equal(files.get(k), ctx.filesB.get(k), `${shown(k)} is as in the snapshot`);
	}
	assert.ok(!existsSync(join(env.wpDir, folder, 'ui-added-since.txt')), 'a file added since in the restored folder is removed');
	assert.ok(existsSync(join(otherDir, 'kept.txt')), 'a file outside the restored folder is kept');
});

test('ui: a full restore warns about the orders placed since, then Roll back puts everything back', async (t) => {
	if (!ctx.snapA) {
		t.skip('needs the first backup');
		return;
	}
	// An order placed after snapshot A (HPOS table of the generated shop).
	const id = Number(sql('SELECT COALESCE(MAX(id), 0) + 1000 FROM wp_wc_orders')[0][0]);
	sql(`INSERT INTO wp_wc_orders (id, status, currency, type, tax_amount, total_amount, customer_id, billing_email, date_created_gmt, date_updated_gmt) VALUES (${id}, 'wc-processing', 'EUR', 'shop_order', 0, 42.50, 0, 'late@example.test', UTC_TIMESTAMP(), UTC_TIMESTAMP())`);
	const marker = join(env.wpDir, 'wp-content/uploads/ui-rollback-marker.txt');
	writeFileSync(marker, 'made after snapshot A\n');
	const sumsBefore = checksums(VOLATILE);
	const optionsBefore = options();
	const filesBefore = fileTree();

	await openScreen(page, ctx.main, 'snapshots');
	await page.click(`#strongbox-snapshots button[data-snapshot="${ctx.snapA.snapshot_id}"]`);
	await page.click('#strongbox-restore-next');
	await page.waitForSelector('#strongbox-preflight');
	const warning = await page.textContent('#strongbox-orders-warning');
	assert.match(warning, /\d+ orders? (was|were) placed since this snapshot/, 'the orders placed since are named: ' + warning);
	assert.match(warning, /full database restore would lose (it|them)/);
	await screenshot(page, 'restore-full-preflight-orders');
	// The same wizard from the start, through to the restore.
	await openScreen(page, ctx.main, 'snapshots');
	await startRestore(page, ctx.snapA.snapshot_id, { shot: 'restore-full' });
	let s = await screenState(page);
	assert.ok(s.results.restore, 'the full restore failed: ' + err(s, 'restore') + problemsText());
	assert.ok(!existsSync(marker), 'the restored site is snapshot A (the marker made since is gone)');
	assert.equal(Number(sql(`SELECT COUNT(*) FROM wp_wc_orders WHERE id = ${id}`)[0][0]), 0, 'the late order is gone while the restore is in place');
	assert.ok(await page.isVisible('#strongbox-restore-finish'), 'Roll back is offered');
	await screenshot(page, 'restore-full-result');
	await page.click('#strongbox-rollback');
	await idle(page);
	s = await screenState(page);
	assert.ok(s.results.rollback, 'roll back failed: ' + err(s, 'rollback'));
	await screenshot(page, 'restore-full-rolled-back');
	const sumsAfter = checksums(VOLATILE);
	let diffs = [...sumsBefore].filter(([k, v]) => sumsAfter.get(k) !== v).map(([k]) => k);
	if (diffs.includes('wp_options')) {
		// The site keeps working during and after the restore: the admin tab's runner
		// (last seen), alerts and cron write their bookkeeping options. Only those may differ.
		const now = options();
		const changed = [...new Set([...optionsBefore.keys(), ...now.keys()])].filter((k) => optionsBefore.get(k) !== now.get(k));
		console.log('options changed since the restore was started: ' + changed.join(', '));
		assert.deepEqual(changed.filter((k) => !VOLATILE_OPTIONS.test(k)), [], 'only bookkeeping options changed');
		diffs = diffs.filter((k) => k !== 'wp_options');
	}
	assert.deepEqual(diffs, [], 'every table is back as before the restore');
	const filesAfter = fileTree();
	const fileDiffs = [...filesBefore].filter(([k, v]) => filesAfter.get(k) !== v).map(([k]) => shown(k));
	assert.deepEqual(fileDiffs.slice(0, 20), [], 'every file is back');
	assert.ok(existsSync(marker));
	assert.equal((await rest('GET', 'restore/sessions/current')).status, 404);
});

test('ui: schedules, retention with its preview, alerts; the dashboard shows them', async (t) => {
	if (!ctx.snapB) {
		t.skip('needs the two backups');
		return;
	}
	const schedules = async () => {
		const r = await restOk('GET', 'schedules');
		return Array.isArray(r) ? r : r.schedules;
	};
	for (const x of await schedules()) {
		await rest('DELETE', 'schedules/' + x.id);
	}
	await openScreen(page, null, 'settings');
	await page.waitForSelector('#strongbox-schedule-form');
	// The recovery kit now names the key each repository was opened with (open()'s key_id).
	const [kitDownload] = await Promise.all([page.waitForEvent('download'), page.click('#strongbox-kit-download')]);
	const kitFile = join(env.work, 'recovery-kit-settings.txt');
	await kitDownload.saveAs(kitFile);
	const kitLine = readFileSync(kitFile, 'utf8').split('\n').find((l) => /Repository ID/.test(l)) || '';
	console.log('recovery kit: ' + kitLine.trim());
	assert.match(kitLine, /Repository ID \(key id\): [0-9a-f]{8,} \(key [0-9a-f]{6,}\)/, 'the kit shows the repository and key id');
	const form = page.locator('#strongbox-schedule-form');
	// An hourly database backup.
	await form.getByLabel('Name (optional)').fill('Database hourly');
	await form.getByLabel('How often').selectOption('hour');
	await form.getByLabel('Files', { exact: true }).uncheck();
	await form.getByRole('button', { name: 'Add the schedule' }).click();
	await idle(page);
	await page.waitForSelector('#strongbox-schedule-list tr:has-text("Database hourly")');
	// A daily files backup.
	await form.getByLabel('Name (optional)').fill('Files daily');
	await form.getByLabel('How often').selectOption('day');
	await form.getByLabel('Time (site time zone)').fill('02:15');
	await form.getByLabel('Database', { exact: true }).uncheck();
	await form.getByRole('button', { name: 'Add the schedule' }).click();
	await idle(page);
	await page.waitForSelector('#strongbox-schedule-list tr:has-text("Files daily")');
	let list = await schedules();
	const hourly = list.find((x) => x.name === 'Database hourly');
	let daily = list.find((x) => x.name === 'Files daily');
	assert.ok(hourly && daily, 'both schedules are stored: ' + JSON.stringify(list));
	assert.equal(hourly.every, 'hour');
	assert.deepEqual(hourly.parts, ['database']);
	assert.equal(daily.every, 'day');
	assert.equal(daily.at, '02:15');
	assert.deepEqual(daily.parts, ['files']);
	assert.deepEqual(hourly.destination_ids.slice().sort(), (await destinationList()).map((d) => d.id).sort(), 'none ticked: every destination');
	assert.ok(hourly.next_run && daily.next_run, 'each has a next run');
	await screenshot(page, 'settings-schedules-added');
	// Edit the daily one: another time, then it is saved in place.
	await page.getByRole('button', { name: 'Edit Files daily' }).click();
	assert.equal(await page.getAttribute('#strongbox-schedule-form', 'data-editing'), daily.id);
	await form.getByLabel('Time (site time zone)').fill('04:45');
	await screenshot(page, 'settings-schedule-editing');
	await form.getByRole('button', { name: 'Save the schedule' }).click();
	await idle(page);
	await page.waitForSelector('#strongbox-schedule-list tr:has-text("Every day at 04:45")');
	list = await schedules();
	daily = list.find((x) => x.id === daily.id);
	assert.equal(daily.at, '04:45', 'the edit is saved');
	assert.equal(list.length, 2, 'editing does not add a schedule');

	// Retention of the main destination, with the preview of what it would remove.
	const before = await listObjects(BUCKET, 'site/snapshots/');
	const snaps = await page.evaluate((id) => (window.strongboxAdmin.store().snapshots[id] || []).map((x) => x.id), ctx.main);
	const ret = page.locator(`form.strongbox-retention[data-destination="${ctx.main}"]`);
	for (const label of ['Hourly snapshots to keep', 'Daily snapshots to keep', 'Weekly snapshots to keep', 'Monthly snapshots to keep', 'Yearly snapshots to keep']) {
		await ret.getByLabel(label).fill('0');
	}
	await ret.getByLabel('Keep the last').fill('1');
	await ret.getByRole('button', { name: 'What would this policy remove?' }).click();
	await idle(page);
	let st = await screenState(page);
	assert.ok(st.results['forget-preview'], 'the preview ran: ' + err(st, 'forget-preview'));
	const preview = page.locator(`#strongbox-retention-preview-${ctx.main}`);
	await preview.waitFor();
	const decisions = st.results['forget-preview'].decisions;
	console.log('retention preview (keep_last 1): ' + JSON.stringify(decisions.map((d) => [d.id.slice(0, 8), d.keep, d.reasons])));
	assert.equal(decisions.length, 2, 'the two snapshots of the destination: ' + snaps.length);
	assert.equal(await preview.getAttribute('data-removed'), '1', 'keep_last 1 of 2 would remove one');
	assert.equal(await preview.locator(`tr[data-snapshot="${ctx.snapB.snapshot_id}"]`).getAttribute('data-keep'), '1', 'the newest is kept');
	assert.match(await preview.textContent(), /would remove 1 of the 2 snapshots/);
	await screenshot(page, 'settings-retention-preview');
	const afterPreview = await listObjects(BUCKET, 'site/snapshots/');
	assert.deepEqual([...afterPreview.keys()].sort(), [...before.keys()].sort(), 'a preview removes nothing');
	// A policy that keeps both is saved.
	await ret.getByLabel('Keep the last').fill('0');
	await ret.getByLabel('Daily snapshots to keep').fill('7');
	await ret.getByLabel('Weekly snapshots to keep').fill('4');
	await ret.getByLabel('Keep everything newer than').fill('2d');
	await ret.getByRole('button', { name: 'What would this policy remove?' }).click();
	await idle(page);
	assert.equal(await preview.getAttribute('data-removed'), '0', 'daily 7 + within 2d keeps both');
	await ret.getByRole('button', { name: 'Save retention' }).click();
	await idle(page);
	const main = (await destinationList()).find((d) => d.id === ctx.main);
	assert.deepEqual(main.retention, { keep_last: 0, keep_hourly: 0, keep_daily: 7, keep_weekly: 4, keep_monthly: 0, keep_yearly: 0, keep_within: '2d' });

	// Recovery-point target and notification email.
	const general = page.locator('#strongbox-settings-general');
	await general.getByLabel('Recovery-point target (hours)').fill('12');
	await general.getByLabel('Notification email').fill('ops@example.test');
	await general.getByRole('button', { name: 'Save' }).click();
	await idle(page);
	await general.getByText('Saved.').waitFor();
	const settings = await restOk('GET', 'settings');
	assert.equal(settings.rpo_hours, 12);
	assert.equal(settings.notify_email, 'ops@example.test');
	await screenshot(page, 'settings-all');

	// A drill report recorded through the drill API (the client's side of a drill:
	// open, nothing staged, close with the result), so the dashboard has one to show.
	const drill = await restOk('POST', 'restore/sessions', { confirm: 'DRILL', mode: 'drill', ttl: 120 });
	const closed = await rest('DELETE', `restore/sessions/${drill.id}?result=passed&rto_seconds=42.5&snapshot=${ctx.snapB.snapshot_id}&detail=e2e`, undefined, { 'X-Strongbox-Session-Key': drill.key });
	assert.ok(closed.status < 300, 'the drill closes: ' + closed.text);

	// The dashboard: next run, the status API's recovery point, incidents, runners, last drill.
	await openScreen(page, ctx.main);
	const status = await restOk('GET', 'status');
	await page.waitForSelector('#strongbox-health');
	const next = await page.textContent('#strongbox-next-run');
	assert.ok(status.next_run, 'the status API has a next run');
	assert.match(next, new RegExp(status.next_run.name), 'the next run is named: ' + next);
	assert.equal(await page.getAttribute('#strongbox-rpo', 'data-rpo-state'), status.rpo_state);
	assert.match(await page.textContent('#strongbox-rpo'), /12 hours/);
	assert.equal(await page.locator('.strongbox-incident-list li').count(), status.incidents.length, 'every open incident is shown');
	assert.equal(await page.locator('.strongbox-runner-list li').count(), status.runners.length, 'every runner is shown');
	assert.equal(await page.getAttribute('#strongbox-last-drill', 'data-ok'), '1');
	assert.match(await page.textContent('#strongbox-last-drill'), /Passed/);
	console.log(`dashboard: next run ${JSON.stringify(status.next_run)}, rpo ${status.rpo_state}, ${status.incidents.length} incidents (${status.incidents.map((x) => x.kind).join(', ')}), ${status.runners.length} runners, last drill shown`);
	await screenshot(page, 'dashboard-status');

	// Delete: both schedules go (the later tests run without schedules).
	await openScreen(page, null, 'settings');
	page.once('dialog', (d) => d.accept());
	await page.getByRole('button', { name: 'Delete Database hourly' }).click();
	await idle(page);
	await page.getByRole('button', { name: 'Delete Files daily' }).click();
	await idle(page);
	await page.waitForSelector('#strongbox-schedule-list', { state: 'detached' });
	assert.deepEqual(await schedules(), [], 'both schedules deleted');
	await restOk('PUT', 'settings', { rpo_hours: 24 });
});

test('ui: settings, the dashboard on a phone, keyboard labels', async () => {
	await openScreen(page, null, 'settings');
	await page.waitForSelector('#strongbox-destination-list');
	await screenshot(page, 'settings');
	// Every form control of the screens has an accessible name.
	const unlabelled = await page.$$eval('#strongbox-app input:not([type=hidden]), #strongbox-app select, #strongbox-app textarea', (els) =>
		els.filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby')).map((e) => e.outerHTML.slice(0, 120))
	);
	assert.deepEqual(unlabelled, [], 'every control is labelled');
	const phone = await browser.context.newPage();
	await phone.setViewportSize({ width: 375, height: 740 });
	await openScreen(phone, null);
	await phone.waitForSelector('#strongbox-safety');
	await screenshot(phone, 'phone-dashboard');
	const overflow = await phone.evaluate(() => document.getElementById('strongbox-app').scrollWidth - document.getElementById('strongbox-app').clientWidth);
	assert.ok(overflow <= 2, `the dashboard fits a phone (overflow ${overflow}px)`);
	await phone.click('.strongbox-tabs a[href*="page=strongbox-snapshots"]');
	await idle(phone);
	await screenshot(phone, 'phone-snapshots');
	await phone.close();
});
