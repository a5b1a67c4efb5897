// Tools > Strongbox with a stand-in engine (lib/mock-engine.mjs) in place of the
// WebAssembly build: the worker protocol, the client's job bookkeeping, the
// screen (progress, cancel, errors, typed confirmation, commit and roll back)
// and the plugin's routes behind them, independent of the Rust side.
// Run through scripts/test-e2e, before strongbox.test.mjs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { backupNow, idle, launch, login, openScreen, screenState, startRestore, watch } from './lib/browser.mjs';
import { startCorsProxy } from './lib/cors-proxy.mjs';
import { env } from './lib/env.mjs';
import { mockEngineSource } from './lib/mock-engine.mjs';
import { createBucket, putCors } from './lib/s3.mjs';
import { restOk } from './lib/site.mjs';

const PASS = 'screen passphrase ' + randomBytes(6).toString('hex');
const BUCKET = 'sb-screen';
const ENGINE = /\/assets\/engine\/strongbox\.js(\?|$)/;
const RESTORED = join(env.wpDir, 'wp-content/uploads/strongbox-mock-restore.txt');

const mock = { steps: 20, delayMs: 30 };
let browser;
let proxy;
let page;
let problems;
let dest;

async function job(id) {
	return restOk('GET', 'jobs/' + id);
}

async function latestJob(type) {
	const list = await restOk('GET', 'jobs?per_page=20');
	return list.jobs.find((j) => j.type === type);
}

before(async () => {
	proxy = await startCorsProxy(env.moto, env.proxyPort);
	await restOk('PUT', 'settings/passphrase', { passphrase: PASS });
	await createBucket(BUCKET);
	await putCors(BUCKET, env.url);
	dest = (
		await restOk('POST', 'destinations', {
			name: 'screen (mock engine)',
			endpoint: proxy.url,
			bucket: BUCKET,
			prefix: 'mock',
			access_key_id: 'screen-key',
			secret_access_key: 'screen-secret',
		})
	).id;
	browser = await launch();
	await browser.context.route(ENGINE, (route) =>
		route.fulfill({ status: 200, contentType: 'text/javascript', headers: { 'Cache-Control': 'no-store' }, body: mockEngineSource({ passphrase: PASS, ...mock }) })
	);
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
	if (existsSync(RESTORED)) {
		unlinkSync(RESTORED);
	}
});

test('screen: the first backup creates the repository, keeps the job and lists the snapshot', async () => {
	mock.steps = 20;
	mock.delayMs = 30;
	await openScreen(page, dest);
	let s = await screenState(page);
	assert.equal(s.errors.snapshots && s.errors.snapshots.code, 'no_repository', 'an empty destination has no repository yet');
	assert.ok(await page.isHidden('#strongbox-notice'), 'an empty destination is not an error on the screen');
	await page.evaluate(() => {
		window.__progress = [];
		document.getElementById('strongbox-app').addEventListener('strongbox:progress', (e) => window.__progress.push([performance.now(), e.detail]));
	});
	const r = await backupNow(page);
	assert.ok(r.result, 'backup failed: ' + JSON.stringify(r.error) + '\n' + problems.join('\n'));
	assert.deepEqual(r.snapshots.map((x) => x.id), [r.result.snapshot_id], 'the list shows the new snapshot');
	assert.match(await page.textContent('#strongbox-status'), /Backup finished/, 'the live region announces the result');
	const cores = await page.evaluate(() => navigator.hardwareConcurrency || 1);
	const poolSize = Math.max(0, Math.min(4, cores - 1));
	console.log(`compression workers: ${poolSize} (${cores} cores), ${r.result.stats.pool_blobs} blobs deflated by them`);
	assert.equal(r.result.stats.pool_blobs, poolSize > 0 ? 4 : 0, `blobs deflated by the compression workers (${cores} cores)`);
	assert.equal(r.result.stats.pool_parallelism, poolSize * 2, 'the engine keeps two blobs per compression worker in flight');

	const progress = await page.evaluate(() => window.__progress);
	assert.ok(progress.length >= 3, `progress reached the page (${progress.length} events)`);
	assert.equal(progress[progress.length - 1][1].items_done, mock.steps, 'the last progress event is delivered');
	for (let i = 0; i < progress.length; i++) {
		const inOneSecond = progress.filter(([t]) => t >= progress[i][0] && t < progress[i][0] + 1000).length;
		assert.ok(inOneSecond <= 12, `progress is throttled (${inOneSecond} events in one second)`);
	}

	const j = await job(r.result.job_id);
	assert.equal(j.type, 'backup');
	assert.equal(j.state, 'succeeded');
	assert.equal(j.destination_id, dest, 'the job names its destination');
	assert.ok(j.log.some((l) => l.includes('Created the repository')), 'the log says the repository was created: ' + j.log.join(' | '));
	assert.ok(j.log.some((l) => l.includes('Snapshot ' + r.result.short_id)), 'the log has the snapshot line');
	s = await screenState(page);
	assert.equal(s.state, 'succeeded');
});

test('screen: Cancel stops a running backup and the job says cancelled', async () => {
	mock.steps = 400;
	mock.delayMs = 30;
	await openScreen(page, dest);
	await page.click('#strongbox-backup');
	await page.waitForSelector('#strongbox-cancel', { state: 'visible' });
	await page.waitForFunction(() => document.getElementById('strongbox-bytes').textContent !== '');
	assert.ok(await page.isVisible('#strongbox-progress-bar'), 'the progress bar is shown');
	await page.click('#strongbox-cancel');
	await idle(page, 30000);
	const s = await screenState(page);
	assert.equal(s.errors.backup && s.errors.backup.code, 'cancelled', JSON.stringify(s.errors));
	assert.equal(s.state, 'cancelled');
	assert.ok(await page.isHidden('#strongbox-cancel'), 'Cancel is gone afterwards');
	const j = await latestJob('backup');
	assert.equal(j.state, 'cancelled');
	assert.equal(j.error_code, 'cancelled');
	mock.steps = 20;
});

test('screen: an expired nonce is refreshed and the backup goes on', async () => {
	await openScreen(page, dest);
	await page.evaluate(() => {
		window.strongboxAdmin.client.nonce = '0123456789';
	});
	const r = await backupNow(page);
	assert.ok(r.result, 'backup with a stale nonce failed: ' + JSON.stringify(r.error));
	const fresh = await page.evaluate(() => window.strongboxAdmin.client.nonce);
	assert.match(fresh, /^[0-9a-f]{10}$/);
	assert.notEqual(fresh, '0123456789');
});

test('screen: a wrong passphrase fails with wrong_password and the job keeps the code', async () => {
	await restOk('PUT', 'settings/passphrase', { passphrase: 'not the screen passphrase' });
	try {
		await openScreen(page, dest);
		let s = await screenState(page);
		assert.equal(s.errors.snapshots && s.errors.snapshots.code, 'wrong_password');
		assert.match(await page.textContent('#strongbox-notice'), /passphrase/, 'the screen explains');
		const r = await backupNow(page);
		assert.equal(r.error && r.error.code, 'wrong_password', JSON.stringify(r));
		const j = await latestJob('backup');
		assert.equal(j.state, 'failed');
		assert.equal(j.error_code, 'wrong_password');
		assert.match(j.error_message, /passphrase/);
		s = await screenState(page);
		assert.equal(s.state, 'failed');
	} finally {
		await restOk('PUT', 'settings/passphrase', { passphrase: PASS });
	}
});

test('screen: a restore needs the typed site name, then Roll back and Commit work', async () => {
	await openScreen(page, dest, 'snapshots');
	await startRestore(page, null);
	let s = await screenState(page);
	assert.ok(s.results.restore, 'restore failed: ' + JSON.stringify(s.errors.restore));
	assert.ok(existsSync(RESTORED), 'the restored file is in place after the swap');
	assert.ok(await page.isVisible('#strongbox-restore-finish'));
	await page.click('#strongbox-rollback');
	await idle(page);
	s = await screenState(page);
	assert.ok(s.results.rollback, 'roll back failed: ' + JSON.stringify(s.errors.rollback));
	assert.ok(!existsSync(RESTORED), 'the roll back removed the restored file');
	assert.ok(await page.isHidden('#strongbox-restore-finish'));

	await openScreen(page, dest, 'snapshots');
	await startRestore(page, null);
	// A reload keeps the way to finish the session.
	await openScreen(page, dest);
	assert.ok(await page.isVisible('#strongbox-restore-finish'), 'after a reload Commit / Roll back are still offered');
	await page.click('#strongbox-commit');
	await idle(page);
	s = await screenState(page);
	assert.ok(s.results.commit, 'commit failed: ' + JSON.stringify(s.errors.commit));
	assert.ok(existsSync(RESTORED), 'the committed file stays');
	const front = await fetch(env.url + '/');
	assert.equal(front.status, 200, 'the maintenance gate is lifted after the commit');
	const j = await latestJob('restore');
	assert.equal(j.state, 'succeeded');
	assert.equal(j.destination_id, dest);
	unlinkSync(RESTORED);
});

test('screen: an engine that cannot load is reported with code wasm and the CSP hint', async () => {
	const p = await browser.context.newPage();
	try {
		await p.route(ENGINE, (route) => route.fulfill({ status: 404, body: 'not found' }));
		await openScreen(p, dest);
		const s = await screenState(p);
		assert.equal(s.errors.snapshots && s.errors.snapshots.code, 'wasm', JSON.stringify(s.errors));
		assert.match(s.errors.snapshots.message, /wasm-unsafe-eval/);
		assert.match(await p.textContent('#strongbox-notice'), /could not be loaded/);
	} finally {
		await p.close();
	}
});
