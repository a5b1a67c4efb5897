/**
 * Strongbox compression worker (a module Web Worker started by compress-pool.js).
 *
 * Runs its own instance of the WebAssembly engine and deflates blobs for the
 * engine worker, so compression (the most CPU-heavy step left in WebAssembly:
 * AES-GCM and SHA-256 run in WebCrypto) spreads over the machine's cores.
 *
 * In:  {id, level, incompressible, data: Uint8Array}   (data's buffer transferred)
 * Out: {id, out: Uint8Array | null} or {id, error}       (out's buffer transferred)
 */

const params = new URL(self.location.href).searchParams;
const ENGINE_URL = params.get('engine') || new URL('../engine/strongbox.js', self.location.href).href;
const WASM_URL = params.get('wasm') || null;

const ready = (async () => {
	const mod = await import(ENGINE_URL);
	await mod.default(WASM_URL ? { module_or_path: WASM_URL } : undefined);
	if (typeof mod.deflate !== 'function') {
		throw new Error('the engine module has no deflate function');
	}
	return mod;
})();

self.onmessage = async (e) => {
	const { id, level, incompressible, data } = e.data || {};
	try {
		const mod = await ready;
		const out = mod.deflate(level, data, incompressible);
		if (out) {
			self.postMessage({ id, out }, [out.buffer]);
		} else {
			self.postMessage({ id, out: null });
		}
	} catch (err) {
		self.postMessage({ id, error: err && err.message ? err.message : String(err) });
	}
};
