// Scheduled jobs end to end: the native `strongbox agent` pulls the site's due
// jobs (real WordPress, MariaDB, moto) under leases, with the site's clock
// simulated (PUT /test/clock), never slept. Run through scripts/test-e2e, after
// the other files: it moves the site's clock.
//
// 1. 30 hours of an hourly database schedule: 30 backups, each snapshot at
//    its scheduled time, and the destination's retention leaves exactly what
//    restic's semantics keep.
// 2. A runner that dies mid-job: its lease expires and the next runner
//    finishes the job.
// 3. A restore drill passes, then a deliberately corrupted pack makes the next
//    drill fail and open the drill_failed alert (one email).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { launch, login, watch } from './lib/browser.mjs';
import { startCorsProxy } from './lib/cors-proxy.mjs';
import { env } from './lib/env.mjs';
import { createBucket, listObjects, putCors } from './lib/s3.mjs';
import { restOk } from './lib/site.mjs';

const PASS = 'agent passphrase ' + randomBytes(6).toString('hex');
const BUCKET = 'sb-agent';
const PREFIX = 'shop-' + randomBytes(3).toString('hex');
const REPO = `s3:${env.moto}/${BUCKET}/${PREFIX}`;
const TOOLS = join(dirname(fileURLToPath(import.meta.url)), 'tools', 'wp.php');
// Monday 2026-11-02 00:10 UTC.
const T0 = Date.UTC(2026, 10, 2, 0, 10, 0) / 1000;
const ctx = {};

const appPassword = () =>
	execFileSync('php', [TOOLS, 'app-password', 'admin'], {
		env: { ...process.env, WP_DIR: env.wpDir, URL: env.url },
		encoding: 'utf8',
	}).trim();

function cliEnv(extra = {}) {
	return {
		...process.env,
		AWS_ACCESS_KEY_ID: 'e2e-access-key',
		AWS_SECRET_ACCESS_KEY: 'e2e-secret-key',
		AWS_DEFAULT_REGION: 'us-east-1',
		STRONGBOX_PASSWORD: PASS,
		STRONGBOX_SITE_USER: 'admin',
		STRONGBOX_SITE_PASSWORD: ctx.appPassword,
		...extra,
	};
}

function cli(args) {
	try {
		return execFileSync(env.bin, args, { encoding: 'utf8', env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
	} catch (e) {
		throw new Error(`strongbox ${args.join(' ')} exited ${e.status}:\n${e.stdout || ''}\n${e.stderr || ''}`);
	}
}

/** `strongbox agent --once --json`: the outcome of every job it ran. */
function agentOnce(extra = []) {
	const args = ['agent', '--site', env.url, '--once', '--json', '--quiet', '--runner-id', 'e2e-agent', ...extra];
	let out;
	try {
		out = execFileSync(env.bin, args, { encoding: 'utf8', env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
	} catch (e) {
		// Exit status 1: a job failed (its outcome is on standard output).
		if (e.status !== 1 || !e.stdout) {
			throw new Error(`strongbox ${args.join(' ')} exited ${e.status}:\n${e.stdout || ''}\n${e.stderr || ''}`);
		}
		out = e.stdout;
	}
	return out
		.split('\n')
		.filter((l) => l.trim())
		.map((l) => {
			try {
				return JSON.parse(l);
			} catch {
				throw new Error(`strongbox agent printed a line that is not JSON: ${l}\n${out}`);
			}
		});
}

const jobList = (r) => (Array.isArray(r) ? r : r.jobs || r.items || []);
const setClock = (now) => restOk('PUT', 'test/clock', { now });
const iso = (t) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

let proxy;
after(async () => {
	if (proxy) {
		await proxy.close();
	}
});

before(async () => {
	ctx.appPassword = appPassword();
	// The browser runner (test 3) reaches the bucket through the tests' CORS-completing
	// proxy in front of moto, as a real CORS-enabled bucket.
	proxy = await startCorsProxy(env.moto, env.proxyPort);
	// A site used before (a kept e2e site): no schedules or pending jobs of earlier runs.
	for (const s of await restOk('GET', 'schedules')) {
		await restOk('DELETE', `schedules/${s.id}`);
	}
	for (const state of ['queued', 'running']) {
		const page = await restOk('GET', `jobs?state=${state}&per_page=100`);
		for (const j of jobList(page)) {
			await restOk('PATCH', `jobs/${j.id}`, { state: 'cancelled' });
		}
	}
	await restOk('PUT', 'settings/passphrase', { passphrase: PASS });
	await restOk('PUT', 'settings', { rpo_hours: 24, notify_email: 'owner@shop.test', alerts_enabled: true });
	await createBucket(BUCKET).catch(() => {});
	await putCors(BUCKET, env.url);
	cli(['init', '-r', REPO]);
	const d = await restOk('POST', 'destinations', {
		name: 'agent offsite',
		endpoint: env.moto,
		region: 'us-east-1',
		bucket: BUCKET,
		prefix: PREFIX,
		access_key_id: 'e2e-access-key',
		secret_access_key: 'e2e-secret-key',
		path_style: true,
		retention: { keep_hourly: 6, keep_daily: 2 },
	});
	ctx.dest = d.id;
	await setClock(T0);
	ctx.schedule = (
		await restOk('POST', 'schedules', {
			name: 'Database hourly',
			type: 'backup',
			parts: ['database'],
			every: 'hour',
			destination_ids: [ctx.dest],
		})
	).id;
});

test('30 hours of an hourly schedule: 30 scheduled snapshots, retention as restic keeps', async () => {
	const HOURS = 30;
	for (let h = 1; h <= HOURS; h++) {
		await setClock(T0 + h * 3600);
		const ran = agentOnce(['--type', 'backup']);
		assert.equal(ran.length, 1, `hour ${h}: one job due, ran ${JSON.stringify(ran)}`);
		assert.equal(ran[0].outcome.state, 'succeeded', JSON.stringify(ran[0].outcome));
		assert.ok(ran[0].outcome.result.snapshot_id, 'the job reports its snapshot');
	}
	// Nothing more is due in the same hour.
	assert.equal(agentOnce(['--type', 'backup']).length, 0);

	const snaps = JSON.parse(cli(['snapshots', '-r', REPO, '--json']));
	const times = snaps.map((s) => s.snapshot.time.replace(/\.\d+Z$/, 'Z').replace('+00:00', 'Z')).sort();
	// Snapshot h was taken at T0 + h hours (the site's clock). Mon 01:10 .. Tue 06:10:
	// keep_hourly 6 keeps Tue 01:10-06:10, keep_daily 2 Tue 06:10 and Mon 23:10.
	const want = [23, 25, 26, 27, 28, 29, 30].map((h) => iso(T0 + h * 3600));
	assert.deepEqual(times, want, 'kept snapshots');
	for (const s of snaps) {
		assert.equal(s.snapshot.trigger, 'schedule');
	}
	const jobs = await restOk('GET', `jobs?schedule_id=${ctx.schedule}&per_page=100`);
	const done = jobList(jobs).filter((j) => j.state === 'succeeded');
	assert.equal(done.length, HOURS, 'every run recorded as succeeded');
	const status = await restOk('GET', 'status');
	assert.equal(status.rpo_state, 'green', JSON.stringify(status));
	ctx.lastHour = HOURS;
});

test('a runner killed mid-job loses its lease; the next runner finishes the job', async () => {
	assert.ok(ctx.lastHour, 'needs the schedule test');
	let now = T0 + (ctx.lastHour + 1) * 3600;
	await setClock(now);
	const child = spawn(env.bin, ['agent', '--site', env.url, '--once', '--runner-id', 'doomed-agent'], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
	const claimed = await new Promise((resolve, reject) => {
		let err = '';
		child.stderr.on('data', (d) => {
			err += d;
			const m = /job (\d+): backup/.exec(err);
			if (m) {
				child.kill('SIGKILL');
				resolve(Number(m[1]));
			}
		});
		child.on('exit', () => reject(new Error('the agent ended before claiming: ' + err)));
	});
	await new Promise((r) => child.on('exit', r));
	const held = await restOk('GET', `jobs/${claimed}`);
	assert.equal(held.state, 'running');
	// Before the lease runs out nobody else gets the job.
	assert.equal(agentOnce(['--type', 'backup']).length, 0);
	// The dead runner's lease expires (its time to live is minutes, simulated).
	now += 600;
	await setClock(now);
	// The killed process may have left a repository lock; a dead process's lock
	// turns stale after 30 real minutes, which the test does not wait for.
	cli(['unlock', '--remove-all', '-r', REPO]);
	const ran = agentOnce(['--type', 'backup']);
	assert.equal(ran.length, 1);
	assert.equal(ran[0].job, claimed, 'the same job was taken over');
	assert.equal(ran[0].outcome.state, 'succeeded', JSON.stringify(ran[0].outcome));
	const job = await restOk('GET', `jobs/${claimed}`);
	assert.equal(job.state, 'succeeded');
	assert.equal(Number(job.attempts), 2);
	ctx.now = now;
});

test('an open wp-admin tab runs the due job in its background worker', async () => {
	assert.ok(ctx.now, 'needs the earlier tests');
	const now = ctx.now + 3600;
	await setClock(now);
	const before = jobList(await restOk('GET', `jobs?schedule_id=${ctx.schedule}&per_page=100`)).map((j) => j.id);
	// The same bucket and prefix, reached the way a browser reaches a CORS-enabled bucket.
	await restOk('PATCH', `destinations/${ctx.dest}`, { endpoint: proxy.url });
	const { context, close } = await launch();
	try {
		const page = await context.newPage();
		const problems = watch(page);
		await login(page, 'admin', env.adminPassword);
		await page.goto(env.url + '/wp-admin/index.php');
		let job = null;
		for (let i = 0; i < 240 && !job; i++) {
			await new Promise((r) => setTimeout(r, 500));
			const list = jobList(await restOk('GET', `jobs?schedule_id=${ctx.schedule}&per_page=100`));
			job = list.find((j) => !before.includes(j.id) && ['succeeded', 'failed'].includes(j.state)) || null;
		}
		assert.ok(job, 'the tab ran a job within 2 minutes' + (problems.length ? ': ' + problems.join('; ') : ''));
		assert.equal(job.state, 'succeeded', JSON.stringify(job));
		const status = await restOk('GET', 'status');
		assert.ok(
			status.runners.some((r) => r.kind === 'browser'),
			'the tab is listed as a runner: ' + JSON.stringify(status.runners)
		);
		const snaps = JSON.parse(cli(['snapshots', '-r', REPO, '--json']));
		assert.ok(
			snaps.some((s) => s.snapshot.time.startsWith(iso(now).slice(0, 16))),
			'the snapshot carries the scheduled time'
		);
	} finally {
		await close();
		await restOk('PATCH', `destinations/${ctx.dest}`, { endpoint: env.moto });
	}
	ctx.now = now;
});

test('a restore drill passes; a corrupted pack makes the next one fail and alert once', async () => {
	assert.ok(ctx.now, 'needs the earlier tests');
	const drill = await restOk('POST', 'schedules', {
		name: 'Nightly drill',
		type: 'drill',
		every: 'day',
		at: '03:00',
		destination_ids: [ctx.dest],
	});
	const mailLog = join(dirname(env.wpDir), 'mail.log');
	const mails = () => (existsSync(mailLog) ? readFileSync(mailLog, 'utf8').split('\n').filter(Boolean) : []);
	// Next day 03:05 (the hourly schedule's runs are missed meanwhile, as the clock jumps).
	let now = Math.ceil((ctx.now - 3 * 3600) / 86400) * 86400 + 3 * 3600 + 300;
	await setClock(now);
	let ran = agentOnce(['--type', 'drill']);
	assert.equal(ran.length, 1);
	const ok = ran[0].outcome;
	assert.equal(ok.state, 'succeeded', JSON.stringify(ok));
	assert.equal(ok.result.ok, true);
	assert.ok(ok.result.tables_checked > 20, JSON.stringify(ok.result));
	assert.ok(ok.result.rows_checked > 1000);
	assert.equal(ok.result.mismatches.length, 0);
	assert.ok(ok.result.rto_ms > 0);
	const before = mails().length;

	// Corrupt the largest data pack (it holds most of the first backup's rows).
	const objects = await listObjects(BUCKET, `${PREFIX}/data/`);
	const [key] = [...objects.entries()].sort((a, b) => b[1].size - a[1].size)[0];
	// moto answers object requests only with an Authorization header (it does not check it).
	const auth = { Authorization: 'AWS4-HMAC-SHA256 Credential=e2e-access-key/20261125/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00' };
	const res = await fetch(`${env.moto}/${BUCKET}/${key}`, { headers: auth });
	assert.ok(res.ok, `GET ${key}: ${res.status}`);
	const bytes = Buffer.from(await res.arrayBuffer());
	for (let i = 1000; i < bytes.length; i += 4096) {
		bytes[i] ^= 0xff;
	}
	const put = await fetch(`${env.moto}/${BUCKET}/${key}`, { method: 'PUT', body: bytes, headers: auth });
	assert.ok(put.ok, `PUT ${key}: ${put.status}`);

	now += 86400;
	await setClock(now);
	ran = agentOnce(['--type', 'drill']);
	assert.equal(ran.length, 1);
	const bad = ran[0].outcome;
	assert.equal(bad.state, 'failed', JSON.stringify(bad));
	assert.match(bad.error_code, /corrupt|drill_failed/);
	const status = await restOk('GET', 'status');
	const incident = status.incidents.find((i) => i.kind === 'drill_failed');
	assert.ok(incident, 'a drill_failed incident is open: ' + JSON.stringify(status.incidents));
	const newMails = mails().slice(before);
	assert.equal(newMails.filter((m) => /drill/i.test(m)).length, 1, 'one email for the incident: ' + newMails.join('\n'));
	// The next failing drill does not send another email.
	now += 86400;
	await setClock(now);
	ran = agentOnce(['--type', 'drill']);
	assert.equal(ran[0].outcome.state, 'failed');
	assert.equal(mails().slice(before).filter((m) => /drill/i.test(m)).length, 1);
	assert.ok(drill.id);
});

test('the dashboard shows the missed runs, the failed drill and its incident', async () => {
	assert.ok(ctx.now, 'needs the earlier tests');
	const { context, close } = await launch();
	try {
		const page = await context.newPage();
		const problems = watch(page);
		await login(page, 'admin', env.adminPassword);
		await page.goto(env.url + '/wp-admin/admin.php?page=strongbox');
		await page.waitForSelector('#strongbox-missed-runs', { timeout: 60000 });
		// The clock jumped days between the drills: the hourly schedule's runs meanwhile are missed.
		const missed = Number(await page.getAttribute('#strongbox-missed-runs', 'data-count'));
		assert.ok(missed > 0, 'missed runs are listed');
		assert.equal(await page.getAttribute('#strongbox-last-drill', 'data-ok'), '0', 'the last drill is shown as failed');
		assert.ok(await page.$('#strongbox-incidents [data-kind="drill_failed"]'), 'the drill_failed incident is listed');
		const shots = join(env.work, 'screenshots');
		mkdirSync(shots, { recursive: true });
		await page.screenshot({ path: join(shots, 'agent-dashboard-missed-and-drill.png'), fullPage: true });
		assert.deepEqual(problems, []);
	} finally {
		await close();
	}
});
