/**
 * A pool of compression workers (compress-worker.js) for the engine worker.
 *
 *   const pool = createCompressPool(2, {workerUrl, engineUrl, wasmUrl});
 *   engine.setCompressor(pool.compress, pool.size * 2);
 *   ...
 *   pool.terminate();
 *
 * pool.compress(level, incompressible, bytes) resolves to the deflated bytes or
 * null (store as is). Jobs go to the worker with the fewest jobs waiting. A
 * worker that fails rejects its jobs; the engine then stops with a clear error
 * and the repository stays valid.
 */

/**
 * How many compression workers suit this machine: one core stays with the
 * engine worker, one with the page; at most 4.
 */
export function defaultCompressWorkers() {
	const cores = (self.navigator && self.navigator.hardwareConcurrency) || 1;
	return Math.max(0, Math.min(4, cores - 1));
}

export function createCompressPool(size, { workerUrl, engineUrl, wasmUrl } = {}) {
	const base = workerUrl || new URL('./compress-worker.js', import.meta.url).href;
	const url = new URL(base);
	if (engineUrl) {
		url.searchParams.set('engine', engineUrl);
	}
	if (wasmUrl) {
		url.searchParams.set('wasm', wasmUrl);
	}
	let nextId = 1;
	const workers = [];
	for (let i = 0; i < size; i++) {
		const w = { worker: new Worker(url.href, { type: 'module' }), jobs: new Map() };
		w.worker.onmessage = (e) => {
			const { id, out, error } = e.data || {};
			const job = w.jobs.get(id);
			if (!job) {
				return;
			}
			w.jobs.delete(id);
			if (error) {
				job.reject(new Error('compression worker: ' + error));
			} else {
				job.resolve(out || null);
			}
		};
		w.worker.onerror = (e) => {
			const err = new Error('a compression worker stopped: ' + (e.message || 'unknown error'));
			for (const job of w.jobs.values()) {
				job.reject(err);
			}
			w.jobs.clear();
		};
		workers.push(w);
	}
	const compress = (level, incompressible, data) =>
		new Promise((resolve, reject) => {
			let w = workers[0];
			for (const c of workers) {
				if (c.jobs.size < w.jobs.size) {
					w = c;
				}
			}
			const id = nextId++;
			w.jobs.set(id, { resolve, reject });
			w.worker.postMessage({ id, level, incompressible, data }, [data.buffer]);
		});
	const terminate = () => {
		for (const w of workers) {
			w.worker.terminate();
			for (const job of w.jobs.values()) {
				job.reject(new Error('the compression pool was stopped'));
			}
		}
		workers.length = 0;
	};
	return { size, compress, terminate };
}
