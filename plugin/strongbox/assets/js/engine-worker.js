/**
 * Strongbox engine worker (a module Web Worker).
 *
 * Loads the WebAssembly engine (assets/engine/strongbox.js + strongbox_bg.wasm)
 * and runs one engine call at a time, so the page never blocks.
 *
 * Start it with
 *   new Worker(workerUrl + '?engine=' + encodeURIComponent(engineUrl)
 *              + '&wasm=' + encodeURIComponent(wasmUrl), { type: 'module' })
 * (both parameters are optional: the default is ../engine/ beside this file;
 * `&compress=N` sets the number of compression workers, default: cores - 1, at most 4;
 * 0 compresses inline on the engine's own thread).
 *
 * Backups deflate in a pool of compression workers (compress-pool.js, each with
 * its own engine instance) when the engine offers setCompressor; the pool lives
 * for one backup.
 *
 * Messages in:
 *   {type: 'run', id, method, config: {restUrl, nonce, destinationId, jobId, compressWorkers}, args: [...]}
 *       method: init | open | backup | snapshots | restore | check | runJob (a job claimed
 *       from /runner/claim: args [claim]) | forget.
 *       compressWorkers (optional, 0-8) overrides `&compress=N` for a backup.
 *       The engine is kept between runs with the same restUrl, destinationId and
 *       jobId (open, then backup, on one engine); another config replaces it.
 *   {type: 'cancel'}          asks the running call to stop (it then fails with code 'cancelled').
 *   {type: 'nonce', nonce}    a refreshed wp_rest nonce for the running and later calls.
 *   {type: 'dispose'}         drops the engine (and the passphrase it holds).
 *   {type: 'ack', id}         the page has written the last chunk of a streaming call.
 *   {type: 'run', id, method: 'features'}  answers the names of the Engine's methods.
 * Messages out:
 *   {type: 'progress', id, event}     at most about 10 per second (the last one is never lost).
 *   {type: 'chunk', id, data}         a piece of a streaming call (readFile, exportTable): an
 *                                     ArrayBuffer; the engine waits for {type: 'ack', id}.
 *   {type: 'result', id, value}
 *       backup, restore and check results also carry memory_bytes (the engine's
 *       WebAssembly memory: its high-water mark, it never shrinks) and backups
 *       compress_workers (the pool size used, 0 = inline).
 *   {type: 'error', id, code, message}
 *       code 'wasm': the engine could not be loaded; 'busy': a call is already running;
 *       'internal': the engine failed unexpectedly (the page should start a new worker);
 *       otherwise the engine's own code (wrong_password, no_repository, cors, ...).
 */

const METHODS = ['init', 'open', 'backup', 'snapshots', 'restore', 'check', 'runJob', 'forget'];
// Snapshot contents, run only when the engine has them (ENGINE-NEEDS.md):
// folderSizes(opts), listTree(opts), readFile(opts, onChunk), exportTable(opts, onChunk).
const OPTIONAL_METHODS = ['folderSizes', 'listTree', 'readFile', 'exportTable'];
const STREAMING_METHODS = ['readFile', 'exportTable'];
const PROGRESS_INTERVAL_MS = 100;

const params = new URL(self.location.href).searchParams;
const ENGINE_URL = params.get('engine') || new URL('../engine/strongbox.js', self.location.href).href;
const WASM_URL = params.get('wasm') || null;
const COMPRESS_WORKERS = params.has('compress') ? Number(params.get('compress')) : null;

let modulePromise = null; // resolves to the wasm-bindgen module, initialised
let engine = null; // the current Engine
let engineKey = null; // restUrl|destinationId|jobId of `engine`
let nonce = null; // the newest nonce seen
let running = null; // {id} of the call in progress
let pool = null; // compression workers of the running backup
const acks = new Map(); // call id -> resolve of the chunk the page is writing

/**
 * Starts the compression workers for a backup; null when there are none to
 * start (one core, or a browser without nested workers): the engine then
 * compresses inline.
 */
async function startPool(requested) {
	try {
		// Same version parameter as this script, so an update reaches the pool too.
		const url = new URL('./compress-pool.js', self.location.href);
		const ver = params.get('ver');
		if (ver) {
			url.searchParams.set('ver', ver);
		}
		const { createCompressPool, defaultCompressWorkers } = await import(url.href);
		const wanted = requested !== undefined && requested !== null && requested !== '' ? Number(requested) : COMPRESS_WORKERS;
		const size = wanted === null || !Number.isFinite(wanted) ? defaultCompressWorkers() : Math.max(0, Math.min(8, Math.floor(wanted)));
		if (size < 1 || typeof Worker !== 'function') {
			return null;
		}
		const workerUrl = new URL('./compress-worker.js', self.location.href);
		if (ver) {
			workerUrl.searchParams.set('ver', ver);
		}
		return createCompressPool(size, { workerUrl: workerUrl.href, engineUrl: ENGINE_URL, wasmUrl: WASM_URL });
	} catch (e) {
		return null;
	}
}

function stopPool() {
	if (pool) {
		pool.terminate();
		pool = null;
	}
}

/**
 * Loads and initialises the engine module once.
 */
function loadModule() {
	if (!modulePromise) {
		modulePromise = (async () => {
			const mod = await import(ENGINE_URL);
			if (WASM_URL) {
				await mod.default({ module_or_path: WASM_URL });
			} else {
				await mod.default();
			}
			if (typeof mod.Engine !== 'function') {
				throw new Error('the engine module has no Engine class');
			}
			return mod;
		})();
		// A failed load may be retried by a later call (a network hiccup).
		modulePromise.catch(() => {
			modulePromise = null;
		});
	}
	return modulePromise;
}

/**
 * A plain-words explanation of a load failure, with the CSP hint.
 */
function wasmLoadMessage(err) {
	const detail = err && err.message ? err.message : String(err);
	let msg = 'The backup engine could not be loaded in this browser (' + detail + ').';
	if (/Content Security Policy|unsafe-eval|wasm-eval|CompileError|Refused to compile/i.test(detail)) {
		msg += ' The site sends a Content-Security-Policy that forbids WebAssembly:';
	} else {
		msg += ' Check that the plugin files under assets/engine/ are complete and served (strongbox_bg.wasm as application/wasm).';
		msg += ' If the site sends a Content-Security-Policy,';
	}
	msg += " add 'wasm-unsafe-eval' to its script-src directive for the WordPress admin.";
	return msg;
}

function dispose() {
	if (engine) {
		try {
			if (typeof engine.free === 'function') {
				engine.free();
			}
		} catch (e) {
			// Already freed or poisoned: nothing to keep.
		}
	}
	engine = null;
	engineKey = null;
}

/**
 * A progress forwarder that sends at most one message per interval and always
 * delivers the last event (flush() before the result).
 */
function throttle(id) {
	let last = 0;
	let pending = null;
	let timer = null;
	const send = () => {
		timer = null;
		if (pending) {
			last = Date.now();
			self.postMessage({ type: 'progress', id, event: pending });
			pending = null;
		}
	};
	const push = (ev) => {
		pending = plain(ev);
		const wait = PROGRESS_INTERVAL_MS - (Date.now() - last);
		if (wait <= 0) {
			if (timer) {
				clearTimeout(timer);
			}
			send();
		} else if (!timer) {
			timer = setTimeout(send, wait);
		}
	};
	push.flush = () => {
		if (timer) {
			clearTimeout(timer);
		}
		send();
	};
	push.stop = () => {
		if (timer) {
			clearTimeout(timer);
		}
		timer = null;
		pending = null;
	};
	return push;
}

/**
 * Engine values may be Maps (serde-wasm-bindgen) or BigInts; turn them into
 * plain objects and numbers so the page can JSON-encode them.
 */
function plain(v) {
	if (typeof v === 'bigint') {
		return Number(v);
	}
	if (v instanceof Map) {
		const o = {};
		for (const [k, val] of v) {
			o[String(k)] = plain(val);
		}
		return o;
	}
	if (Array.isArray(v)) {
		return v.map(plain);
	}
	if (v && typeof v === 'object' && !(v instanceof ArrayBuffer) && !ArrayBuffer.isView(v)) {
		const o = {};
		for (const k of Object.keys(v)) {
			o[k] = plain(v[k]);
		}
		return o;
	}
	return v;
}

/**
 * Code and message of whatever the engine threw.
 */
function describe(err) {
	if (err && typeof err === 'object') {
		const code = typeof err.code === 'string' && err.code ? err.code : null;
		const message = typeof err.message === 'string' && err.message ? err.message : String(err);
		if (code) {
			return { code, message };
		}
		// A Rust panic or a trap leaves the instance unusable.
		if (err instanceof WebAssembly.RuntimeError || /unreachable|panicked/i.test(message)) {
			return { code: 'internal', message: 'The backup engine stopped on an internal error: ' + message };
		}
		return { code: 'engine', message };
	}
	return { code: 'engine', message: String(err) };
}

async function run(msg) {
	const { id, method, config } = msg;
	const args = Array.isArray(msg.args) ? msg.args : msg.args === undefined ? [] : [msg.args];
	if (running) {
		self.postMessage({ type: 'error', id, code: 'busy', message: 'Another backup engine task is still running in this tab.' });
		return;
	}
	if (method === 'features') {
		// The Engine methods this build has (the page offers what the engine can do).
		try {
			const mod = await loadModule();
			const names = Object.getOwnPropertyNames(mod.Engine.prototype).filter((n) => n !== 'constructor');
			self.postMessage({ type: 'result', id, value: names });
		} catch (err) {
			self.postMessage({ type: 'error', id, code: 'wasm', message: wasmLoadMessage(err) });
		}
		return;
	}
	if (!METHODS.includes(method) && !OPTIONAL_METHODS.includes(method)) {
		self.postMessage({ type: 'error', id, code: 'invalid', message: 'Unknown engine method: ' + method });
		return;
	}
	running = { id };
	const progress = throttle(id);
	try {
		let mod;
		try {
			mod = await loadModule();
		} catch (err) {
			self.postMessage({ type: 'error', id, code: 'wasm', message: wasmLoadMessage(err) });
			return;
		}
		if (config && config.nonce) {
			nonce = config.nonce;
		}
		const key = [config.restUrl, config.destinationId, config.jobId].join('|');
		if (!engine || engineKey !== key) {
			dispose();
			engine = new mod.Engine({
				restUrl: config.restUrl,
				nonce: nonce,
				destinationId: config.destinationId,
				jobId: config.jobId,
			});
			engineKey = key;
		} else if (nonce && typeof engine.setNonce === 'function') {
			engine.setNonce(nonce);
		}
		if (typeof engine.onProgress === 'function') {
			engine.onProgress(progress);
		}
		if (method === 'backup' && typeof engine.setCompressor === 'function') {
			pool = await startPool(config.compressWorkers);
			engine.setCompressor(pool ? pool.compress : null, pool ? pool.size * 2 : 1);
		}
		if (typeof engine[method] !== 'function') {
			throw Object.assign(new Error('This build of the backup engine has no ' + method + '().'), { code: 'unsupported' });
		}
		if (STREAMING_METHODS.includes(method)) {
			// The engine hands over the content piece by piece; each piece goes to the page,
			// and the engine waits until the page has written it (backpressure).
			args.push((bytes) => {
				const copy = bytes instanceof Uint8Array ? bytes.slice() : new Uint8Array(bytes);
				return new Promise((resolve) => {
					acks.set(id, resolve);
					self.postMessage({ type: 'chunk', id, data: copy.buffer }, [copy.buffer]);
				});
			});
		}
		const value = plain(await engine[method](...args));
		if (['backup', 'restore', 'check'].includes(method) && value && typeof value === 'object' && !Array.isArray(value)) {
			if (typeof engine.memoryBytes === 'function') {
				value.memory_bytes = engine.memoryBytes();
			}
			if (method === 'backup') {
				value.compress_workers = pool ? pool.size : 0;
			}
		}
		progress.flush();
		self.postMessage({ type: 'result', id, value });
	} catch (err) {
		progress.stop();
		const { code, message } = describe(err);
		if (code === 'internal') {
			dispose();
			modulePromise = null;
		}
		self.postMessage({ type: 'error', id, code, message });
	} finally {
		if (pool) {
			if (engine && typeof engine.setCompressor === 'function') {
				try {
					engine.setCompressor(null, 1);
				} catch (e) {
					// The engine is gone (internal error): nothing to detach.
				}
			}
			stopPool();
		}
		running = null;
	}
}

self.addEventListener('message', (e) => {
	const msg = e.data || {};
	switch (msg.type) {
		case 'run':
			run(msg);
			break;
		case 'ack': {
			const resolve = acks.get(msg.id);
			acks.delete(msg.id);
			if (resolve) {
				resolve();
			}
			break;
		}
		case 'cancel':
			if (running && engine && typeof engine.cancel === 'function') {
				engine.cancel();
			}
			break;
		case 'nonce':
			nonce = msg.nonce;
			if (engine && typeof engine.setNonce === 'function') {
				engine.setNonce(msg.nonce);
			}
			break;
		case 'dispose':
			if (!running) {
				dispose();
			}
			break;
		default:
			break;
	}
});
