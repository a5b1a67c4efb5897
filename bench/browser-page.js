/**
 * In-page half of bench/browser.sh's plain-Chromium driver (a benchmark, not a test).
 *
 * bench/browser.sh installs it in the benchmark's own WordPress copy (never in the
 * plugin) with a must-use plugin that prints it on the Strongbox screen when the URL
 * carries `sb_bench=1`. Chromium is then started without any DevTools client, so the
 * engine's requests pay nothing for instrumentation. Parameters come in the hash:
 *   #dest=<destination id>&workers=<compression workers>&report=<http://127.0.0.1:PORT/RUN>
 * It waits until the screen is idle, runs one backup with the plugin's own client
 * (strongbox-client.js, engine-worker.js `&compress=N`), and POSTs
 *   <report>/start     {}                 right before the backup (the driver samples CPU)
 *   <report>/progress  {ev, t}            every 15 s while it runs
 *   <report>/result    {ok, wall_ms, value | code, message}
 * as text/plain with mode no-cors (no preflight, nothing to read back).
 */

const params = new URLSearchParams(location.hash.slice(1));
const report = params.get('report');

function post(path, data) {
	return fetch(report + path, { method: 'POST', mode: 'no-cors', body: JSON.stringify(data) }).catch(() => {});
}

async function idle() {
	for (;;) {
		const app = document.getElementById('strongbox-app');
		if (app && app.dataset.busy === '0') {
			return;
		}
		await new Promise((r) => setTimeout(r, 200));
	}
}

async function main() {
	await idle();
	const config = JSON.parse(document.getElementById('strongbox-admin-config').textContent);
	const { StrongboxClient } = await import(config.clientUrl);
	const sep = config.workerUrl.includes('?') ? '&' : '?';
	let last = null;
	const client = new StrongboxClient({
		restUrl: config.restUrl,
		nonce: config.nonce,
		ajaxUrl: config.ajaxUrl,
		workerUrl: config.workerUrl + sep + 'compress=' + Number(params.get('workers')),
		engineUrl: config.engineUrl,
		wasmUrl: config.wasmUrl,
		onProgress: (ev, op) => {
			if (op === 'backup') {
				last = ev;
			}
		},
	});
	await post('/start', {});
	const start = performance.now();
	const ticker = setInterval(() => post('/progress', { ev: last, t: (performance.now() - start) / 1000 }), 15000);
	let out;
	try {
		const value = await client.backup(params.get('dest'), { trigger: 'manual' });
		out = { ok: true, wall_ms: performance.now() - start, value };
	} catch (e) {
		out = { ok: false, wall_ms: performance.now() - start, code: e && e.code, message: e && e.message ? e.message : String(e) };
	} finally {
		clearInterval(ticker);
		client.terminate();
	}
	await post('/result', out);
}

main().catch((e) => post('/result', { ok: false, code: 'bench', message: String(e && e.stack ? e.stack : e) }));
