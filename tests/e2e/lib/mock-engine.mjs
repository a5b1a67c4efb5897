// A stand-in for assets/engine/strongbox.js with the same JS API (the contract of
// the wasm-bindgen Engine), served by page routes in screen.test.mjs. It talks to
// the real plugin (presign with the job, files, restore session) and to moto
// through presigned URLs, so the worker, the client, the page and the plugin's
// bookkeeping are tested without the WebAssembly build.

/**
 * @param {object} o
 * @param {string} o.passphrase  the passphrase the "repository" accepts
 * @param {number} [o.steps]     progress steps of a backup
 * @param {number} [o.delayMs]   pause per step
 */
export function mockEngineSource({ passphrase, steps = 20, delayMs = 30 }) {
	return `
const EXPECTED = ${JSON.stringify(passphrase)};
const STEPS = ${Number(steps)};
const DELAY = ${Number(delayMs)};
let ready = false;
export default async function init() { ready = true; }
export function initSync() { ready = true; }
// What compress-worker.js calls (its own instance): "deflate" to half the size.
export function deflate(level, data, incompressible) {
	if (!ready) throw new Error('deflate before init');
	return incompressible ? null : data.slice(0, Math.ceil(data.length / 2));
}
function fail(code, message) { const e = new Error(message); e.code = code; return e; }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export class Engine {
	constructor(o) {
		if (!ready) throw fail('wasm', 'init() was not awaited');
		if (!o || typeof o.restUrl !== 'string' || !o.restUrl.endsWith('/')) throw fail('invalid', 'restUrl');
		if (typeof o.nonce !== 'string' || !o.nonce) throw fail('invalid', 'nonce');
		if (typeof o.destinationId !== 'string' || !/^d[0-9a-f]{12}$/.test(o.destinationId)) throw fail('invalid', 'destinationId ' + o.destinationId);
		if (!Number.isInteger(o.jobId)) throw fail('invalid', 'jobId ' + o.jobId);
		this.o = Object.assign({}, o);
		this.cb = () => {};
		this.cancelled = false;
		this.opened = false;
	}
	onProgress(cb) { this.cb = cb; }
	setCompressor(f, parallelism) { this.compressor = f; this.parallelism = parallelism; }
	setNonce(n) { this.o.nonce = n; }
	cancel() { this.cancelled = true; }
	free() {}
	async api(method, path, body, headers = {}, raw = false) {
		const init = { method, headers: Object.assign({ 'X-WP-Nonce': this.o.nonce }, headers) };
		if (body !== undefined) {
			if (raw) { init.body = body; } else { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
		}
		const res = await fetch(this.o.restUrl + path, init);
		const text = await res.text();
		if (!res.ok) throw fail('site', method + ' ' + path + ': ' + res.status + ' ' + text.slice(0, 300));
		return text ? JSON.parse(text) : null;
	}
	async prefix() {
		if (this.p === undefined) {
			const d = await this.api('GET', 'destinations/' + this.o.destinationId);
			this.p = d.prefix ? d.prefix + '/' : '';
		}
		return this.p;
	}
	async url(method, key) {
		const r = await this.api('POST', 'destinations/' + this.o.destinationId + '/presign', { job_id: this.o.jobId, requests: [{ method, key }] });
		return r.urls[0].url;
	}
	async s3(method, key, body) {
		let res;
		try {
			res = await fetch(await this.url(method, key), { method: method === 'LIST' ? 'GET' : method, body, headers: body ? { 'Content-Type': 'application/octet-stream' } : {} });
		} catch (e) {
			throw fail('cors', 'The storage refused the browser (CORS rule missing?): ' + e.message);
		}
		return res;
	}
	async digest(pass) {
		const h = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(pass));
		return Array.from(new Uint8Array(h), (b) => b.toString(16).padStart(2, '0')).join('');
	}
	async init(pass) {
		const p = await this.prefix();
		const res = await this.s3('PUT', p + 'mock-config', JSON.stringify({ pass: await this.digest(pass) }));
		if (!res.ok) throw fail('storage', 'PUT config: HTTP ' + res.status);
		this.opened = true;
		return { repository_id: 'mock-' + this.o.destinationId, encrypted: true };
	}
	async open(pass) {
		const p = await this.prefix();
		const res = await this.s3('GET', p + 'mock-config');
		if (res.status === 404) throw fail('no_repository', 'There is no repository at this destination yet.');
		if (!res.ok) throw fail('storage', 'GET config: HTTP ' + res.status);
		const cfg = await res.json();
		if (cfg.pass !== (await this.digest(pass)) || pass !== EXPECTED) throw fail('wrong_password', 'The passphrase does not open this repository.');
		this.opened = true;
		return { repository_id: 'mock-' + this.o.destinationId, encrypted: true };
	}
	async backup(opts) {
		if (!this.opened) throw fail('invalid', 'open first');
		if (!opts || opts.files !== true || opts.database !== true || typeof opts.trigger !== 'string') throw fail('invalid', 'backup options ' + JSON.stringify(opts));
		const files = await this.api('GET', 'files?limit=5');
		// Blobs through the compression pool, when the worker set one.
		let poolBlobs = 0;
		if (this.compressor) {
			const outs = await Promise.all([1, 2, 3, 4].map(() => this.compressor(2, false, new Uint8Array(1000).fill(7))));
			for (const out of outs) {
				if (!(out instanceof Uint8Array) || out.length !== 500) throw fail('invalid', 'the compression pool answered ' + out);
				poolBlobs++;
			}
			if ((await this.compressor(2, true, new Uint8Array(10))) !== null) throw fail('invalid', 'incompressible data came back compressed');
		}
		const total = STEPS * 1000000;
		const start = Date.now();
		for (let i = 1; i <= STEPS; i++) {
			if (this.cancelled) { this.cancelled = false; throw fail('cancelled', 'The backup was cancelled.'); }
			await sleep(DELAY);
			const secs = (Date.now() - start) / 1000;
			this.cb({ phase: i < STEPS / 2 ? 'files' : 'upload', item: files.entries[i % files.entries.length].path, items_done: i, items_total: STEPS, bytes_done: i * 1000000, bytes_total: total, rate: (i * 1000000) / secs, eta_seconds: ((STEPS - i) * DELAY) / 1000 });
		}
		const p = await this.prefix();
		const id = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
		const res = await this.s3('PUT', p + 'mock-snapshots/' + id, JSON.stringify({ time: new Date().toISOString(), trigger: opts.trigger }));
		if (!res.ok) throw fail('storage', 'PUT snapshot: HTTP ' + res.status);
		return { snapshot_id: id, short_id: id.slice(0, 8), stats: { files: 10, files_read: 10, file_bytes: total, tables: 3, rows: 30, pages_read: 3, pages_reused: 0, blobs_new: 5, bytes_new: total, bytes_stored: total / 2, duration_ms: Date.now() - start, bytes_from_site: total, pool_blobs: poolBlobs, pool_parallelism: this.compressor ? this.parallelism : 0 }, warnings: [] };
	}
	async snapshots() {
		if (!this.opened) throw fail('invalid', 'open first');
		const p = await this.prefix();
		const res = await this.s3('LIST', p + 'mock-snapshots/');
		const xml = await res.text();
		const keys = [...xml.matchAll(/<Key>([^<]+)<\\/Key>/g)].map((m) => m[1]);
		const out = [];
		for (const k of keys) {
			const r = await this.s3('GET', k);
			const s = await r.json();
			const id = k.split('/').pop();
			out.push({ id, short_id: id.slice(0, 8), time: s.time, trigger: s.trigger, hostname: '127.0.0.1', stats: { files: 10, bytes_stored: 1000 }, site: {}, tables: [{ name: 'wp_posts', rows: 3 }], files: true });
		}
		return out.sort((a, b) => (a.time < b.time ? -1 : 1));
	}
	async restore(opts) {
		if (!this.opened) throw fail('invalid', 'open first');
		if (!opts.sessionId || !opts.sessionKey || !opts.snapshot) throw fail('invalid', 'restore options ' + JSON.stringify(opts));
		const body = 'restored by the mock engine from ' + opts.snapshot + '\\n';
		const h = { 'X-Strongbox-Session-Key': opts.sessionKey, 'Content-Type': 'application/octet-stream' };
		await this.api('PUT', 'restore/sessions/' + opts.sessionId + '/files?path=' + encodeURIComponent('wp-content/uploads/strongbox-mock-restore.txt') + '&offset=0', body, h, true);
		this.cb({ phase: 'restore', item: 'wp-content/uploads/strongbox-mock-restore.txt', items_done: 1, items_total: 1, bytes_done: body.length, bytes_total: body.length, rate: 0, eta_seconds: null });
		await this.api('POST', 'restore/sessions/' + opts.sessionId + '/swap', {}, { 'X-Strongbox-Session-Key': opts.sessionKey });
		return { tables: 0, rows: 0, files: 1, bytes: body.length };
	}
	async check() { return { ok: true, errors: [], damaged_snapshots: [] }; }
}
`;
}
