// The measuring half of bench/browser.sh (a benchmark, not a test): run it through
// bench/browser.sh, which starts MariaDB, WordPress and moto, loads the corpus into
// the site and exports the variables read here (tests/e2e/lib/env.mjs and BENCH_*).
//
// Every first backup goes to a fresh repository (a new prefix of one bucket, made
// by `strongbox init`, untimed). Measured:
//   native    `strongbox backup --site URL` (Application Password), repository s3: on moto
//   browser   the plugin's own client (strongbox-client.js) in a the Strongbox screen tab
//             of headless Chromium; engine-worker.js with `?compress=N` compression
//             workers (0: compression inline on the engine worker's thread)
// then one hour of shop activity and a second backup by the fastest browser
// configuration and by the CLI. Writes $BENCH_OUT/browser.md and browser.json.
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { idle, launch, login, PAGE, watch } from '../tests/e2e/lib/browser.mjs';
import { startCorsProxy } from '../tests/e2e/lib/cors-proxy.mjs';
import { env } from '../tests/e2e/lib/env.mjs';
import { createBucket, listObjects, putCors, totalSize } from '../tests/e2e/lib/s3.mjs';
import { restOk, sql } from '../tests/e2e/lib/site.mjs';
import { chromium } from '../tests/e2e/node_modules/playwright-core/index.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = process.env.BENCH_OUT || join(ROOT, 'bench/out');
const SCALE = process.env.BENCH_SCALE || '1';
const ORDERS = process.env.BENCH_ORDERS || '100000';
const SEED = process.env.BENCH_SEED || '1';
const MODE = process.env.BENCH_MODE || 'custom';
const WORKERS = (process.env.BENCH_WORKERS || '0,1').split(',').map(Number);
// plain: Chromium started without any DevTools client (bench/browser-page.js runs the backup);
// playwright: the tab driven by Playwright (CDP attached to the page and its workers).
const DRIVER = process.env.BENCH_DRIVER || 'plain';
const GENFILES = process.env.BENCH_GENFILES;
const COMMAND = process.env.BENCH_COMMAND || 'bench/browser.sh';
const BUCKET = 'sb-bench';
const PASS = 'bench passphrase';
const MIB = 1024 * 1024;
const WASM_LIMIT = 256 * MIB;
const S3_KEY = { AWS_ACCESS_KEY_ID: 'bench-access-key', AWS_SECRET_ACCESS_KEY: 'bench-secret-key', AWS_DEFAULT_REGION: 'us-east-1' };

const say = (...a) => console.error('bench-browser:', ...a);

// ------------------------------------------------------------------ CPU per process group

const TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

function procTable() {
	const out = new Map();
	for (const name of readdirSync('/proc')) {
		if (!/^\d+$/.test(name)) {
			continue;
		}
		try {
			const s = readFileSync(`/proc/${name}/stat`, 'utf8');
			const close = s.lastIndexOf(')');
			const comm = s.slice(s.indexOf('(') + 1, close);
			const f = s.slice(close + 2).split(' ');
			out.set(Number(name), { comm, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
		} catch {
			// gone meanwhile
		}
	}
	return out;
}

function descendants(table, root) {
	const kids = new Map();
	for (const [pid, p] of table) {
		if (!kids.has(p.ppid)) {
			kids.set(p.ppid, []);
		}
		kids.get(p.ppid).push(pid);
	}
	const seen = new Set();
	const stack = [root];
	while (stack.length) {
		const pid = stack.pop();
		if (seen.has(pid) || !table.has(pid)) {
			continue;
		}
		seen.add(pid);
		stack.push(...(kids.get(pid) || []));
	}
	return seen;
}

function pidFile(name) {
	try {
		return Number(readFileSync(join(env.work, 'run', name), 'utf8').trim());
	} catch {
		return 0;
	}
}

function chromiumType(pid) {
	try {
		// Chromium rewrites its process title: arguments may be separated by spaces.
		const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
		const type = (args.find((a) => a.startsWith('--type=')) || '--type=main').slice(7);
		const sub = (args.find((a) => a.startsWith('--utility-sub-type=')) || '').slice(19);
		return type === 'utility' ? (/network/i.test(sub) ? 'network' : 'utility') : type;
	} catch {
		return 'gone';
	}
}

/** CPU seconds used so far by each service of the benchmark (processes alive now). */
function cpu() {
	const t = procTable();
	const sum = (pids, filter = () => true) => [...pids].filter((p) => filter(t.get(p))).reduce((n, p) => n + t.get(p).ticks, 0) / TCK;
	const mine = descendants(t, process.pid);
	const u = process.cpuUsage();
	const chrome = [...mine].filter((p) => /chrom/i.test(t.get(p).comm));
	const byType = {};
	for (const p of chrome) {
		const k = 'chromium_' + chromiumType(p);
		byType[k] = (byType[k] || 0) + t.get(p).ticks / TCK;
	}
	const stat = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
	// user nice system idle iowait irq softirq steal: busy = all but idle and iowait
	const busy = (stat[0] + stat[1] + stat[2] + stat[5] + stat[6] + (stat[7] || 0)) / TCK;
	return {
		...byType,
		machine: busy,
		browser: sum(chrome),
		php: sum(descendants(t, pidFile(`wordpress-${process.env.STRONGBOX_WP_PORT}.pid`))),
		mariadb: sum(descendants(t, pidFile(`mariadb-${env.dbPort}.pid`))),
		moto: sum(descendants(t, pidFile(`moto-${process.env.STRONGBOX_MOTO_PORT}.pid`))),
		node: (u.user + u.system) / 1e6,
	};
}

function cpuDiff(a, b) {
	const o = {};
	for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
		o[k] = Math.round(((b[k] || 0) - (a[k] || 0)) * 10) / 10;
	}
	return o;
}

/** Adds `other`: CPU seconds the rest of the machine used meanwhile (other people's work). */
function withOther(c) {
	const mine = ['browser', 'php', 'mariadb', 'moto', 'node', 'cli'].reduce((n, k) => n + (c[k] || 0), 0);
	return { ...c, other: Math.max(0, Math.round((c.machine - mine) * 10) / 10) };
}

/** Requests served so far: php -S connections (one request each) and moto's request log lines. */
function requestCounts() {
	const count = (file, re) => {
		try {
			return (readFileSync(join(env.work, 'run', file), 'utf8').match(re) || []).length;
		} catch {
			return 0;
		}
	};
	return {
		site: count(`wordpress-${process.env.STRONGBOX_WP_PORT}.log`, / Accepted$/gm),
		s3: count(`moto-${process.env.STRONGBOX_MOTO_PORT}.log`, /HTTP\/1\.[01]/g),
	};
}

function countsDiff(a, b) {
	return { site: b.site - a.site, s3: b.s3 - a.s3 };
}

// ------------------------------------------------------------------ helpers

function run(cmd, args, opts = {}) {
	return new Promise((resolve, reject) => {
		const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
		let stdout = '';
		let stderr = '';
		p.stdout.on('data', (d) => (stdout += d));
		p.stderr.on('data', (d) => (stderr += d));
		p.on('error', reject);
		p.on('close', (code) => resolve({ code, stdout, stderr }));
	});
}

async function must(cmd, args, opts = {}) {
	const r = await run(cmd, args, opts);
	if (r.code !== 0) {
		throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
	}
	return r;
}

const cliEnv = (extra = {}) => ({ ...process.env, ...S3_KEY, STRONGBOX_PASSWORD: PASS, ...extra });
const repoUrl = (prefix) => `s3:${env.moto}/${BUCKET}/${prefix}`;

async function initRepo(prefix) {
	await must(env.bin, ['-q', '-r', repoUrl(prefix), 'init'], { env: cliEnv() });
}

async function repoBytes(prefix) {
	return totalSize(await listObjects(BUCKET, prefix + '/'));
}

const mb = (b) => (b / 1e6).toFixed(1);
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const int = (x) => Number(x || 0).toLocaleString('en-US');

function shellQuote(s) {
	return /^[\w@%+=:,./-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'";
}

// ------------------------------------------------------------------ the two clients

const browserLabel = (w) => `browser, ${w === 0 ? 'compression inline (1 worker in all)' : `${w} compression worker${w > 1 ? 's' : ''} (${w + 1} workers in all)`}`;

let appPassword = null;
const commands = [];

async function nativeBackup(label, prefix) {
	const timeFile = join(env.work, 'run', `time-${label}.txt`);
	const args = ['-f', '%e %U %S %M', '-o', timeFile, env.bin, '-q', '-r', repoUrl(prefix), '--json', 'backup', '--site', env.url];
	commands.push(`# ${label}\nSTRONGBOX_SITE_USER=admin STRONGBOX_SITE_PASSWORD=<application password> STRONGBOX_PASSWORD=... AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \\\n  ${[env.bin, '-q', '-r', repoUrl(prefix), '--json', 'backup', '--site', env.url].map(shellQuote).join(' ')}`);
	say(`${label}: strongbox backup --site ${env.url} -> ${repoUrl(prefix)}`);
	const c0 = cpu();
	const q0 = requestCounts();
	const t0 = performance.now();
	const r = await run('/usr/bin/time', args, { env: cliEnv({ STRONGBOX_SITE_USER: 'admin', STRONGBOX_SITE_PASSWORD: appPassword }) });
	const wall = (performance.now() - t0) / 1000;
	const c1 = cpu();
	const q1 = requestCounts();
	let out;
	try {
		out = JSON.parse(r.stdout);
	} catch {
		throw new Error(`${label}: strongbox exited ${r.code} without JSON:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-3000)}`);
	}
	const [, user, sys, rss] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
	const s = out.snapshot.stats;
	return {
		label,
		kind: 'native',
		workers: null,
		prefix,
		exit: r.code,
		wall_s: wall,
		engine_s: s.duration_ms / 1000,
		stats: s,
		bytes_from_site: out.traffic.bytes_from_site,
		site_requests: out.traffic.site_requests,
		warnings: out.snapshot.warnings || [],
		cpu: withOther({ ...cpuDiff(c0, c1), cli: Math.round((user + sys) * 10) / 10 }),
		cli_peak_rss_mib: rss / 1024,
		requests: countsDiff(q0, q1),
		repo_bytes: await repoBytes(prefix),
		snapshot_id: out.id,
	};
}

async function destination(name, prefix) {
	const d = await restOk('POST', 'destinations', {
		name,
		endpoint: proxyUrl,
		region: 'us-east-1',
		bucket: BUCKET,
		prefix,
		access_key_id: S3_KEY.AWS_ACCESS_KEY_ID,
		secret_access_key: S3_KEY.AWS_SECRET_ACCESS_KEY,
		path_style: true,
	});
	return d.id;
}

async function browserBackup(page, label, destinationId, prefix, workers) {
	say(`${label}: browser engine (${DRIVER} Chromium), ${workers} compression workers -> ${repoUrl(prefix)} (through the CORS proxy)`);
	let c0;
	let q0;
	let c1;
	let q1;
	let r;
	if (DRIVER === 'plain') {
		r = await plainRun(
			label,
			destinationId,
			workers,
			() => {
				c0 = cpu();
				q0 = requestCounts();
			},
			() => {
				c1 = cpu();
				q1 = requestCounts();
			}
		);
	} else {
		await page.goto(env.url + PAGE);
		await idle(page, 120000);
		c0 = cpu();
		q0 = requestCounts();
		r = await playwrightRun(page, label, destinationId, workers);
		c1 = cpu();
		q1 = requestCounts();
	}
	if (!r.ok) {
		throw new Error(`${label}: the browser backup failed (${r.code}): ${r.message}`);
	}
	const v = r.value;
	const s = v.stats;
	commands.push(
		DRIVER === 'plain'
			? `# ${label}\n${env.chromium} ${PLAIN_ARGS.map(shellQuote).join(' ')} --user-data-dir=<logged-in profile> '${env.url}/wp-admin/admin.php?page=strongbox&sb_bench=1#dest=${destinationId}&workers=${workers}&report=...'  # bench/browser-page.js: StrongboxClient, workerUrl + '&compress=${workers}'; destination ${proxyUrl}/${BUCKET}/${prefix}`
			: `# ${label}\n(the Strongbox screen tab, Playwright) new StrongboxClient({..., workerUrl: config.workerUrl + '&compress=${workers}'}).backup('${destinationId}', {trigger: 'manual'})  # destination ${proxyUrl}/${BUCKET}/${prefix}`
	);
	return {
		label,
		kind: 'browser',
		driver: DRIVER,
		workers,
		prefix,
		destinationId,
		wall_s: r.wall_ms / 1000,
		engine_s: s.duration_ms / 1000,
		stats: s,
		bytes_from_site: s.bytes_from_site,
		site_requests: s.site_requests,
		warnings: v.warnings || [],
		memory_bytes: v.memory_bytes,
		compress_workers: v.compress_workers,
		cpu: withOther(cpuDiff(c0, c1)),
		requests: countsDiff(q0, q1),
		repo_bytes: await repoBytes(prefix),
		snapshot_id: v.snapshot_id,
	};
}

async function playwrightRun(page, label, destinationId, workers) {
	const t0 = performance.now();
	const pending = page.evaluate(
		async ({ destinationId, workers }) => {
			const config = JSON.parse(document.getElementById('strongbox-admin-config').textContent);
			const { StrongboxClient } = await import(config.clientUrl);
			const sep = config.workerUrl.includes('?') ? '&' : '?';
			window.__benchProgress = null;
			const client = new StrongboxClient({
				restUrl: config.restUrl,
				nonce: config.nonce,
				ajaxUrl: config.ajaxUrl,
				workerUrl: config.workerUrl + sep + 'compress=' + workers,
				engineUrl: config.engineUrl,
				wasmUrl: config.wasmUrl,
				onProgress: (ev, op) => {
					if (op === 'backup') {
						window.__benchProgress = ev;
					}
				},
			});
			const start = performance.now();
			try {
				const value = await client.backup(destinationId, { trigger: 'manual' });
				return { ok: true, wall_ms: performance.now() - start, value };
			} catch (e) {
				return { ok: false, wall_ms: performance.now() - start, code: e.code, message: e.message };
			} finally {
				client.terminate();
			}
		},
		{ destinationId, workers }
	);
	let done = false;
	pending.finally(() => (done = true)).catch(() => {});
	const ticker = setInterval(async () => {
		if (done) {
			return;
		}
		const ev = await page.evaluate(() => window.__benchProgress).catch(() => null);
		if (ev && !done) {
			const t = ((performance.now() - t0) / 1000).toFixed(0);
			say(`  ${label} ${t} s: ${ev.phase || ''} ${mb(Number(ev.bytes_done || 0))}/${mb(Number(ev.bytes_total || 0))} MB, items ${ev.items_done ?? ''}/${ev.items_total ?? ''}`);
		}
	}, 30000);
	try {
		return await pending;
	} finally {
		clearInterval(ticker);
	}
}

// ------------------------------------------------------------------ plain Chromium (no DevTools client)

// What lib/browser.mjs passes, plus what Playwright adds that matters here (a basic
// cookie store, no background throttling); no --remote-debugging-*: nothing is attached.
const PLAIN_ARGS = [
	'--headless=new',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-dev-shm-usage',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--no-first-run',
	'--no-default-browser-check',
	'--password-store=basic',
	'--disable-background-timer-throttling',
	'--disable-renderer-backgrounding',
	'--disable-backgrounding-occluded-windows',
	'--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

let profileDir = null;
let reportServer = null;
const waiting = new Map(); // run id -> {start, progress, result}

/** A profile logged in to the site ("Remember me": the cookies outlive the browser). */
async function plainProfile() {
	profileDir = mkdtempSync(join(env.work, 'chromium-bench-'));
	const ctx = await chromium.launchPersistentContext(profileDir, {
		executablePath: env.chromium,
		headless: true,
		ignoreDefaultArgs: ['--headless'],
		args: PLAIN_ARGS,
	});
	try {
		const page = await ctx.newPage();
		await page.goto(env.url + '/wp-login.php');
		await page.fill('#user_login', 'admin');
		await page.fill('#user_pass', env.adminPassword);
		await page.check('#rememberme');
		await Promise.all([page.waitForURL(/\/wp-admin\//, { timeout: 60000 }), page.click('#wp-submit')]);
	} finally {
		await ctx.close();
	}
}

async function startReportServer(port) {
	reportServer = http.createServer((req, res) => {
		let body = '';
		req.on('data', (d) => (body += d));
		req.on('end', () => {
			res.writeHead(204, { 'Access-Control-Allow-Origin': '*' });
			res.end();
			const [, id, what] = (req.url || '').split('/');
			const w = waiting.get(id);
			if (!w || req.method !== 'POST') {
				return;
			}
			let data = null;
			try {
				data = JSON.parse(body);
			} catch {
				data = { raw: body };
			}
			if (w[what]) {
				w[what](data);
			}
		});
	});
	await new Promise((resolve, reject) => {
		reportServer.once('error', reject);
		reportServer.listen(port, '127.0.0.1', resolve);
	});
	return `http://127.0.0.1:${port}`;
}

let runCounter = 0;

/** One backup in a freshly started Chromium that nothing is attached to. */
async function plainRun(label, destinationId, workers, onStart, onEnd) {
	const id = 'run' + ++runCounter;
	const base = `http://127.0.0.1:${reportServer.address().port}/${id}`;
	const url = `${env.url}/wp-admin/admin.php?page=strongbox&sb_bench=1#dest=${encodeURIComponent(destinationId)}&workers=${workers}&report=${encodeURIComponent(base)}`;
	const t0 = performance.now();
	const done = new Promise((resolve) => {
		waiting.set(id, {
			start: () => onStart(),
			progress: ({ ev, t }) => {
				if (ev) {
					say(`  ${label} ${Number(t).toFixed(0)} s: ${ev.phase || ''} ${mb(Number(ev.bytes_done || 0))}/${mb(Number(ev.bytes_total || 0))} MB, items ${ev.items_done ?? ''}/${ev.items_total ?? ''}`);
				}
			},
			result: (data) => {
				onEnd(); // before Chromium is stopped: its processes' CPU is read from /proc
				resolve(data);
			},
		});
	});
	const log = createWriteStream(join(env.work, 'run', `chromium-${id}.log`));
	const child = spawn(env.chromium, [...PLAIN_ARGS, `--user-data-dir=${profileDir}`, url], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
	child.stdout.pipe(log);
	child.stderr.pipe(log);
	const exited = new Promise((resolve) => child.on('exit', resolve));
	const early = exited.then((code) => ({ ok: false, code: 'chromium', message: `Chromium exited (${code}) before the result; log ${join(env.work, 'run', `chromium-${id}.log`)}` }));
	let timer;
	const timeout = new Promise((resolve) => {
		timer = setTimeout(() => resolve({ ok: false, code: 'timeout', message: 'no result after ' + env.timeoutMs / 1000 + ' s' }), env.timeoutMs);
	});
	let r;
	try {
		r = await Promise.race([done, early, timeout]);
	} finally {
		clearTimeout(timer);
		waiting.delete(id);
		try {
			process.kill(-child.pid, 'SIGTERM');
		} catch {
			// already gone
		}
		const t = setTimeout(() => {
			try {
				process.kill(-child.pid, 'SIGKILL');
			} catch {
				// gone
			}
		}, 10000);
		await exited;
		clearTimeout(t);
	}
	r.total_s = (performance.now() - t0) / 1000;
	return r;
}

// ------------------------------------------------------------------ the run

let proxyUrl;

function versions() {
	const safe = (f) => {
		try {
			return f();
		} catch {
			return '?';
		}
	};
	const sh = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
	const engine = join(ROOT, 'plugin/strongbox/assets/engine/strongbox_bg.wasm');
	return {
		date: new Date().toISOString(),
		commit: safe(() => sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'])),
		dirty_src: safe(() => sh('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'Cargo.toml', 'Cargo.lock'])).split('\n').filter(Boolean),
		cpu: safe(() => readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)[1]),
		cores: os.cpus().length,
		mem_gib: Math.round(os.totalmem() / 2 ** 30),
		chromium: safe(() => sh(env.chromium, ['--version'])),
		node: process.version,
		php: safe(() => sh('php', ['-r', 'echo PHP_VERSION;'])),
		mariadb: safe(() => sh('mariadbd', ['--version'])),
		cli: `${safe(() => sh(env.bin, ['--version']))} (${env.bin}, built ${statSync(env.bin).mtime.toISOString()})`,
		engine: `${statSync(engine).size} bytes, built ${statSync(engine).mtime.toISOString()}`,
	};
}

async function main() {
	const info = versions();
	const setup = { setup_s: Number(process.env.BENCH_SETUP_S || 0), gen_shop_s: Number(process.env.BENCH_GEN_SHOP_S || 0), gen_files_s: Number(process.env.BENCH_GEN_FILES_S || 0) };
	const proxy = await startCorsProxy(env.moto, env.proxyPort);
	proxyUrl = proxy.url;
	let browser;
	const results = { command: COMMAND, driver: DRIVER, info, setup, mode: MODE, scale: SCALE, orders: ORDERS, seed: SEED, workers: WORKERS, first: [], second: [] };
	try {
		await restOk('PUT', 'settings/passphrase', { passphrase: PASS });
		await createBucket(BUCKET);
		await putCors(BUCKET, env.url);
		appPassword = execFileSync('php', [join(ROOT, 'tests/e2e/tools/wp.php'), 'app-password', 'admin'], {
			env: { ...process.env, WP_DIR: env.wpDir, URL: env.url },
			encoding: 'utf8',
		}).trim();
		const dbSize = sql(`SELECT COUNT(*), SUM(table_rows), SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = '${env.db}'`)[0];
		results.corpus = { tables: Number(dbSize[0]), rows_estimate: Number(dbSize[1]), db_data_index_bytes: Number(dbSize[2]) };
		results.corpus.site_bytes_du = Number(execFileSync('du', ['-sb', env.wpDir], { encoding: 'utf8' }).split('\t')[0]);

		// Warm the caches the same way for everyone: files into the page cache, tables into the buffer pool.
		say('warming the page cache and the buffer pool (tar of the site, mariadb-dump)');
		await must('sh', ['-c', `tar -cf - -C ${shellQuote(env.wpDir)} . | cat >/dev/null`]);
		await must('sh', ['-c', `mariadb-dump --no-defaults -h127.0.0.1 -P${env.dbPort} -uwp -pwp --single-transaction --quick ${env.db} | cat >/dev/null`]);

		// 1. the native CLI through the REST API
		await initRepo('native');
		results.first.push(await nativeBackup('native CLI --site', 'native'));

		// 2. the browser engine, one fresh repository per configuration
		let page = null;
		let problems = [];
		if (DRIVER === 'plain') {
			await plainProfile();
			await startReportServer(0); // any free port: the page gets the address in its URL
		} else {
			browser = await launch();
			// lib/browser.mjs aborts requests to other hosts with a route; a route makes Playwright
			// pause every request of the context (the engine's too) for a round trip to Node, which
			// is not what a user's browser pays. Its --host-resolver-rules (nothing but 127.0.0.1
			// resolves) stay as the guard.
			await browser.context.unrouteAll();
			page = await browser.context.newPage();
			problems = watch(page);
			await login(page, 'admin', env.adminPassword);
		}
		const dests = {};
		for (const w of WORKERS) {
			const prefix = `browser-w${w}`;
			await initRepo(prefix);
			dests[w] = await destination(`bench ${w} compression workers`, prefix);
			results.first.push(await browserBackup(page, browserLabel(w), dests[w], prefix, w));
		}

		// The CLI once more on the same data (a fresh repository): how much the machine's other
		// work moved the figures. The ratios use the faster of the two.
		await initRepo('native-again');
		results.first.push(await nativeBackup('native CLI --site (again)', 'native-again'));

		// 3. one hour of shop activity, then incremental backups
		say('one hour of shop activity: gen_shop.py --mutate-hour --seed 2, gen_files.py --mutate-hour --seed 2 (synced into wp-content)');
		const m0 = performance.now();
		await must('python3', [join(ROOT, 'scripts/gen_shop.py'), '--database', env.db, '--port', env.dbPort, '--prefix', 'wp_', '--mutate-hour', '--seed', '2']);
		const gf = await must('python3', [join(ROOT, 'scripts/gen_files.py'), GENFILES, '--scale', SCALE, '--mutate-hour', '--seed', '2']);
		await must('rsync', ['-a', '--delete', join(GENFILES, 'wp-content/uploads') + '/', join(env.wpDir, 'wp-content/uploads') + '/']);
		await must('rsync', ['-a', join(GENFILES, 'wp-content/plugins') + '/', join(env.wpDir, 'wp-content/plugins') + '/']);
		results.mutation = { seconds: (performance.now() - m0) / 1000, files: gf.stderr.trim().split('\n').pop() };
		say(results.mutation.files);
		await must('sh', ['-c', `tar -cf - -C ${shellQuote(env.wpDir)} . | cat >/dev/null`]);

		const browsers = results.first.filter((r) => r.kind === 'browser');
		const best = browsers.reduce((a, b) => (b.wall_s < a.wall_s ? b : a));
		results.second.push(await browserBackup(page, browserLabel(best.workers) + ', after one hour', best.destinationId, best.prefix, best.workers));
		results.second.push(await nativeBackup('native CLI --site, after one hour', 'native'));
		const errors = problems.filter((p) => !/favicon|ERR_NAME_NOT_RESOLVED/.test(p));
		if (errors.length) {
			results.console = errors.slice(0, 20);
		}
		if (browser && browser.blocked.length) {
			results.blocked = [...new Set(browser.blocked)].slice(0, 20);
		}
	} finally {
		if (browser) {
			await browser.close();
		}
		if (reportServer) {
			reportServer.close();
		}
		if (profileDir) {
			rmSync(profileDir, { recursive: true, force: true });
		}
		await proxy.close();
	}
	results.commands = commands;
	writeFileSync(join(OUT, 'browser.json'), JSON.stringify(results, null, 2) + '\n');
	writeFileSync(join(OUT, 'browser.md'), report(results));
	say(`wrote ${join(OUT, 'browser.md')} and browser.json`);
}

// ------------------------------------------------------------------ report

function report(R) {
	const L = [];
	const first = R.first;
	const natives = first.filter((r) => r.kind === 'native');
	const native = natives.length ? natives.reduce((a, x) => (x.wall_s < a.wall_s ? x : a)) : null;
	const b = (w) => first.find((r) => r.kind === 'browser' && r.workers === w);
	const siteRate = (r) => r.bytes_from_site / r.wall_s;
	const dataRate = (r) => (r.stats.file_bytes + r.stats.db_bytes) / r.wall_s;
	L.push(`# Browser engine vs native CLI (bench/browser.sh)`);
	L.push('');
	L.push(`Run of ${R.info.date}, mode ${R.mode}: gen_files.py --scale ${R.scale} --seed ${R.seed}, gen_shop.py --orders ${R.orders} --seed ${R.seed}, in a WordPress site.`);
	L.push('');
	L.push('```sh');
	L.push(R.info.dirty_src.length ? '# built from the working tree (uncommitted src changes present)' : '# built from the commit below');
	L.push('cargo build --release && scripts/build-wasm');
	L.push(R.command || COMMAND);
	L.push('```');
	L.push('');
	L.push(`Machine: ${R.info.cpu}, ${R.info.cores} cores, ${R.info.mem_gib} GiB; ${R.info.chromium} (headless=new, ${R.driver === 'playwright' ? 'driven by Playwright: CDP attached to the page and its workers' : 'started plainly with no DevTools client attached; bench/browser-page.js runs the backup on the Strongbox screen'}), Node ${R.info.node}, PHP ${R.info.php} (php -S, PHP_CLI_SERVER_WORKERS=4), ${R.info.mariadb}, moto 5.2.5 (in memory; the browser reaches it through the e2e CORS proxy in the Node process, the CLI directly).`);
	L.push(`Code: commit ${R.info.commit}${R.info.dirty_src.length ? ' + uncommitted ' + R.info.dirty_src.map((l) => l.slice(3)).join(', ') : ''}; CLI ${R.info.cli}; engine ${R.info.engine}.`);
	L.push(`Corpus in the site: ${mb(R.corpus.site_bytes_du)} MB under the WordPress root (core + generated files), ${R.corpus.tables} tables, about ${int(R.corpus.rows_estimate)} rows, ${mb(R.corpus.db_data_index_bytes)} MB of InnoDB data + indexes. Setup ${R.setup.setup_s} s (gen_shop ${R.setup.gen_shop_s} s, gen_files + copy ${R.setup.gen_files_s} s).`);
	L.push('');
	L.push('## First backups (each into a fresh repository)');
	L.push('');
	L.push('| run | wall s (whole call) | engine s (stats.duration_ms) | MB from site | site MB/s | files+db MB/s | files (read) | file MB | tables / rows | db MB | pages read | stored MB (repo) | wasm memory MiB | HTTP requests: site (all) / S3 | CPU s: browser / php / mariadb / moto / node / cli / rest of the machine |');
	L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
	for (const r of first) {
		const s = r.stats;
		const c = r.cpu;
		L.push(
			`| ${r.label} | ${f1(r.wall_s)} | ${f1(r.engine_s)} | ${mb(r.bytes_from_site)} | ${f1(siteRate(r) / 1e6)} | ${f1(dataRate(r) / 1e6)} | ${int(s.files)} (${int(s.files_read)}) | ${mb(s.file_bytes)} | ${s.tables} / ${int(s.rows)} | ${mb(s.db_bytes)} | ${int(s.pages_read)} | ${mb(r.repo_bytes)} | ${r.memory_bytes !== undefined ? f1(r.memory_bytes / MIB) : '-'} | ${int(r.requests.site)} / ${int(r.requests.s3)} | ${f1(c.browser)} / ${f1(c.php)} / ${f1(c.mariadb)} / ${f1(c.moto)} / ${f1(c.node)} / ${c.cli !== undefined ? f1(c.cli) : '-'} / ${f1(c.other)} |`
		);
	}
	L.push('');
	if (native && native.cli_peak_rss_mib) {
		L.push(`Native CLI peak RSS: ${f1(native.cli_peak_rss_mib)} MiB. "wall s (whole call)": the CLI process (open with Argon2id, backup) / \`client.backup()\` in the page (job row, passphrase, open with Argon2id in wasm, backup, job update). "site MB/s" = stats.bytes_from_site / wall; "files+db MB/s" = (file_bytes + db_bytes) / wall. CPU: processes of each service, sampled from /proc before and after (browser = all Chromium processes of the run; node = the driver and the CORS proxy; rest of the machine = /proc/stat busy time minus these: other work sharing the cores, and kernel time charged to no process).`);
		L.push('');
	}
	const split = (r) =>
		Object.entries(r.cpu)
			.filter(([k, v]) => k.startsWith('chromium_') && v >= 0.1)
			.map(([k, v]) => `${k.slice(9)} ${f1(v)}`)
			.join(', ');
	L.push('Chromium CPU s by process type (the engine and compression workers run in the renderer):');
	L.push('');
	for (const r of [...first, ...R.second].filter((x) => x.kind === 'browser')) {
		L.push(`- ${r.label}: ${split(r)}`);
	}
	L.push('');
	L.push(
		'Other work on the machine during each step (CPU s outside this benchmark / core-seconds available): ' +
			[...first, ...R.second].map((r) => `${r.label}: ${f1(r.cpu.other)} s / ${f1(r.wall_s * R.info.cores)} (${Math.round((100 * r.cpu.other) / (r.wall_s * R.info.cores))}%)`).join('; ') +
			'.'
	);
	L.push('');
	L.push('"HTTP requests: site (all)" counts every request php -S accepted during the step: the API calls of stats.site_requests plus, for the browser, the `POST /destinations/{id}/presign` calls that give it its storage URLs (the CLI signs its own). "S3" counts moto\'s request log.');
	L.push('');
	L.push('## Ratios and targets (issue 4)');
	L.push('');
	L.push('| ratio | whole call | engine only | target | verdict |');
	L.push('|---|---|---|---|---|');
	const ratio = (name, a, bb, target) => {
		if (!a || !bb) {
			return;
		}
		const whole = bb.wall_s / a.wall_s;
		const eng = bb.engine_s / a.engine_s;
		L.push(`| ${name} | ${f2(whole)}x | ${f2(eng)}x | ≥ ${target}x | ${whole >= target ? 'met' : 'missed'} |`);
	};
	ratio('browser, 1 worker (inline) / native CLI (throughput)', b(0), native, 0.6);
	ratio('browser, 2 workers / 1 worker (throughput)', b(1), b(0), 1.6);
	for (const w of R.workers.filter((w) => w > 1)) {
		ratio(`browser, ${w + 1} workers / 1 worker (throughput)`, b(w), b(0), 1.6);
	}
	if (b(1)) {
		ratio('browser, 2 workers / native CLI (throughput)', b(1), native, 0.6);
	}
	const mems = first.filter((r) => r.memory_bytes !== undefined).map((r) => r.memory_bytes);
	if (mems.length) {
		const max = Math.max(...mems);
		L.push(`| engine wasm memory, high-water mark | ${f1(max / MIB)} MiB | | ≤ 256 MiB | ${max <= WASM_LIMIT ? 'met' : 'missed'} |`);
	}
	L.push('');
	if (natives.length > 1) {
		L.push(`The CLI ran twice on the same data, before and after the browser (${natives.map((r) => f1(r.wall_s) + ' s').join(', ')}); the ratios use the faster one.`);
	}
	L.push(`Throughput ratio = wall time of the slower configuration's call / the other's (same bytes). ${R.info.cores} cores are shared by the page, the engine worker, its compression workers, php -S (4 workers), MariaDB, moto and the Node driver with its CORS proxy.`);
	L.push('');
	L.push('## After one hour of shop activity');
	L.push('');
	L.push(`Mutation (${f1(R.mutation.seconds)} s): gen_shop.py --mutate-hour --seed 2; ${R.mutation.files}.`);
	L.push('');
	L.push('| run | wall s (whole call) | engine s | bytes from site | site requests | files read / files | pages read / reused | tables / rows | new bytes | stored bytes | repo MB now | wasm memory MiB | HTTP requests: site (all) / S3 | CPU s: browser / php / mariadb / moto / node / cli / rest of the machine |');
	L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
	for (const r of R.second) {
		const s = r.stats;
		const c = r.cpu;
		L.push(
			`| ${r.label} | ${f1(r.wall_s)} | ${f1(r.engine_s)} | ${int(r.bytes_from_site)} (${mb(r.bytes_from_site)} MB) | ${int(r.site_requests)} | ${int(s.files_read)} / ${int(s.files)} | ${int(s.pages_read)} / ${int(s.pages_reused)} | ${s.tables} / ${int(s.rows)} | ${int(s.bytes_new)} | ${int(s.bytes_stored)} | ${mb(r.repo_bytes)} | ${r.memory_bytes !== undefined ? f1(r.memory_bytes / MIB) : '-'} | ${int(r.requests.site)} / ${int(r.requests.s3)} | ${f1(c.browser)} / ${f1(c.php)} / ${f1(c.mariadb)} / ${f1(c.moto)} / ${f1(c.node)} / ${c.cli !== undefined ? f1(c.cli) : '-'} / ${f1(c.other)} |`
		);
	}
	L.push('');
	const warn = [...R.first, ...R.second].filter((r) => r.warnings.length);
	for (const r of warn) {
		L.push(`Warnings of "${r.label}" (${r.warnings.length}): ${r.warnings.slice(0, 5).map((w) => (typeof w === 'string' ? w : JSON.stringify(w)).slice(0, 200)).join('; ')}`);
	}
	if (R.console) {
		L.push(`Browser console errors: ${R.console.join(' | ').slice(0, 1500)}`);
	}
	if (R.blocked) {
		L.push(`Requests blocked (not to 127.0.0.1): ${R.blocked.join(', ')}`);
	}
	L.push('');
	L.push('## Commands of the measured steps');
	L.push('');
	L.push('```sh');
	L.push(...(R.commands || []));
	L.push('```');
	L.push('');
	return L.join('\n');
}

// BENCH_REPORT_ONLY=1: rewrite browser.md from browser.json (no measurement).
(process.env.BENCH_REPORT_ONLY === '1'
	? Promise.resolve().then(() => {
			const R = JSON.parse(readFileSync(join(OUT, 'browser.json'), 'utf8'));
			writeFileSync(join(OUT, 'browser.md'), report(R));
			console.log(readFileSync(join(OUT, 'browser.md'), 'utf8'));
		})
	: main().then(() => process.exit(0))
).catch((e) => {
	console.error(e && e.stack ? e.stack : e);
	process.exit(1);
});
