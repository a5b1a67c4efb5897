/**
 * Strongbox client for admin pages (ES module, no dependencies).
 *
 * Owns the engine worker (engine-worker.js) and the job bookkeeping through the
 * plugin's REST API (`strongbox/v1`, cookie + X-WP-Nonce). The passphrase is
 * fetched for a running job only and handed straight to the worker; it is
 * never stored by the page.
 *
 *   const client = new StrongboxClient({restUrl, nonce, ajaxUrl, workerUrl, engineUrl, wasmUrl,
 *                                       onProgress(ev, op), onLog(line)});
 *   const { snapshot_id, stats } = await client.backup(destinationId, {trigger: 'manual'});
 *   const list = await client.snapshots(destinationId);
 *   const session = await client.restore(destinationId, 'latest', {database: true, files: true});
 *   await client.commit(session);   // or client.rollback(session)
 *   client.cancel();
 *
 * Every failure is a StrongboxError with `.code` (the engine's code, e.g.
 * 'wrong_password', 'cors', 'cancelled', or the REST code such as
 * 'strongbox_passphrase_missing') and a `.message` in plain words.
 */

/** How long a cancelled call may take to stop before the worker is ended. */
const CANCEL_GRACE_MS = 20000;

/** How often a running job's progress is written to the jobs table. */
const JOB_PROGRESS_INTERVAL_MS = 5000;

export class StrongboxError extends Error {
	constructor(code, message, extra = {}) {
		super(message);
		this.name = 'StrongboxError';
		this.code = code;
		Object.assign(this, extra);
	}
}

function num(v) {
	if (typeof v === 'bigint') {
		return Number(v);
	}
	const n = Number(v);
	return Number.isFinite(n) ? n : 0;
}

export class StrongboxClient {
	/**
	 * @param {object} opts
	 * @param {string} opts.restUrl    e.g. https://shop.example/wp-json/strongbox/v1/
	 * @param {string} opts.nonce      wp_rest nonce
	 * @param {string} [opts.ajaxUrl]  admin-ajax.php, to refresh an expired nonce
	 * @param {string} opts.workerUrl  engine-worker.js
	 * @param {string} [opts.engineUrl] strongbox.js of the engine
	 * @param {string} [opts.wasmUrl]  strongbox_bg.wasm of the engine
	 * @param {function} [opts.onProgress] (event, operation) => void
	 * @param {function} [opts.onLog]  (line) => void
	 * @param {function} [opts.fetch]  fetch implementation (tests)
	 */
	constructor(opts) {
		this.restUrl = String(opts.restUrl).replace(/\/?$/, '/');
		this.nonce = opts.nonce;
		this.ajaxUrl = opts.ajaxUrl || null;
		this.workerUrl = opts.workerUrl;
		this.engineUrl = opts.engineUrl || null;
		this.wasmUrl = opts.wasmUrl || null;
		this.onProgress = opts.onProgress || (() => {});
		this.onLog = opts.onLog || (() => {});
		this.fetch = opts.fetch || ((...a) => globalThis.fetch(...a));
		this.worker = null;
		this.calls = new Map(); // id -> {resolve, reject, op}
		this.nextId = 1;
		this.busy = null; // name of the operation in progress
		this.cancelRequested = false;
		this.cancelTimer = null;
	}

	// ------------------------------------------------------------------ REST

	/**
	 * One REST call; JSON in and out. Refreshes the nonce once when WordPress
	 * says it is invalid (long pages outlive nonces).
	 */
	async api(method, path, body, { headers = {}, retry = true } = {}) {
		const init = {
			method,
			credentials: 'same-origin',
			headers: Object.assign({ 'X-WP-Nonce': this.nonce, Accept: 'application/json' }, headers),
		};
		if (body !== undefined) {
			init.headers['Content-Type'] = 'application/json';
			init.body = JSON.stringify(body);
		}
		let res;
		try {
			res = await this.fetch(this.restUrl + path.replace(/^\//, ''), init);
		} catch (err) {
			throw new StrongboxError('site', 'The site did not answer (' + (err && err.message ? err.message : err) + '). Check the connection and try again.');
		}
		const text = await res.text();
		let data = null;
		try {
			data = text ? JSON.parse(text) : null;
		} catch (e) {
			data = null;
		}
		if (!res.ok) {
			const code = data && typeof data.code === 'string' ? data.code : 'http_' + res.status;
			if (code === 'rest_cookie_invalid_nonce' && retry && (await this.refreshNonce())) {
				return this.api(method, path, body, { headers, retry: false });
			}
			const message = data && typeof data.message === 'string' ? data.message : 'The site answered HTTP ' + res.status + '.';
			throw new StrongboxError(code, message, { status: res.status });
		}
		if (data === null && text) {
			throw new StrongboxError('site', 'The site answered something that is not JSON (a security plugin or a PHP error?).');
		}
		return data;
	}

	/** A fresh wp_rest nonce from admin-ajax.php (WordPress core's `rest-nonce` action). */
	async refreshNonce() {
		if (!this.ajaxUrl) {
			return false;
		}
		try {
			const res = await this.fetch(this.ajaxUrl + (this.ajaxUrl.includes('?') ? '&' : '?') + 'action=rest-nonce', { credentials: 'same-origin' });
			const text = (await res.text()).trim();
			if (!res.ok || !/^[0-9a-f]{10}$/.test(text)) {
				return false;
			}
			this.setNonce(text);
			return true;
		} catch (e) {
			return false;
		}
	}

	setNonce(nonce) {
		this.nonce = nonce;
		if (this.worker) {
			this.worker.postMessage({ type: 'nonce', nonce });
		}
	}

	async createJob(type, destinationId, trigger = 'manual') {
		const body = { type, trigger };
		if (destinationId) {
			body.destination_id = destinationId;
		}
		return this.api('POST', 'jobs', body);
	}

	/** PATCH a job; bookkeeping failures never hide the real result. */
	async updateJob(id, fields) {
		try {
			return await this.api('PATCH', 'jobs/' + id, fields);
		} catch (err) {
			this.onLog('Could not update job ' + id + ': ' + err.message);
			return null;
		}
	}

	async passphrase(jobId) {
		const r = await this.api('GET', 'jobs/' + jobId + '/passphrase');
		return r.passphrase;
	}

	// ---------------------------------------------------------------- worker

	ensureWorker() {
		if (this.worker) {
			return this.worker;
		}
		let url = this.workerUrl;
		const q = [];
		if (this.engineUrl) {
			q.push('engine=' + encodeURIComponent(this.engineUrl));
		}
		if (this.wasmUrl) {
			q.push('wasm=' + encodeURIComponent(this.wasmUrl));
		}
		if (q.length) {
			url += (url.includes('?') ? '&' : '?') + q.join('&');
		}
		let worker;
		try {
			worker = new Worker(url, { type: 'module' });
		} catch (err) {
			throw new StrongboxError('wasm', 'This browser cannot start the backup engine (module workers are needed: a current Chrome, Edge, Firefox or Safari): ' + err.message);
		}
		worker.addEventListener('message', (e) => this.onWorkerMessage(e.data || {}));
		worker.addEventListener('error', (e) => {
			// A worker that fails to load its own script reports here.
			const msg = e && e.message ? e.message : 'the worker script could not be loaded';
			this.failAll('wasm', 'The backup engine could not be started (' + msg + "). If the site sends a Content-Security-Policy, allow worker-src 'self' and add 'wasm-unsafe-eval' to script-src.");
			this.terminate();
		});
		this.worker = worker;
		return worker;
	}

	onWorkerMessage(msg) {
		const call = this.calls.get(msg.id);
		if (!call) {
			return;
		}
		if (msg.type === 'chunk') {
			// A piece of a streaming call: acknowledged once the caller has written it.
			Promise.resolve()
				.then(() => (call.onChunk ? call.onChunk(new Uint8Array(msg.data)) : undefined))
				.catch((err) => {
					call.chunkError = err;
					this.cancel();
				})
				.finally(() => {
					if (this.worker) {
						this.worker.postMessage({ type: 'ack', id: msg.id });
					}
				});
			return;
		}
		if (msg.type === 'progress') {
			try {
				this.onProgress(msg.event, call.op);
			} catch (e) {
				// A broken progress display must not stop the backup.
			}
			if (call.onProgress) {
				call.onProgress(msg.event);
			}
			return;
		}
		this.calls.delete(msg.id);
		if (msg.type === 'result') {
			call.resolve(msg.value);
		} else if (msg.type === 'error') {
			if (msg.code === 'internal' || msg.code === 'wasm') {
				this.terminate();
			}
			call.reject(new StrongboxError(msg.code || 'engine', msg.message || 'The backup engine failed.'));
		}
	}

	failAll(code, message) {
		for (const [id, call] of this.calls) {
			this.calls.delete(id);
			call.reject(new StrongboxError(code, message));
		}
	}

	terminate() {
		if (this.worker) {
			this.worker.terminate();
			this.worker = null;
		}
	}

	/** Runs one engine method in the worker. */
	engine(method, args, config, op, onProgress, onChunk) {
		const worker = this.ensureWorker();
		const id = this.nextId++;
		return new Promise((resolve, reject) => {
			this.calls.set(id, { resolve, reject, op, onProgress, onChunk });
			worker.postMessage({ type: 'run', id, method, args, config: Object.assign({ restUrl: this.restUrl, nonce: this.nonce }, config) });
		});
	}

	/** Drops the engine (and the passphrase it holds) after an operation. */
	release() {
		if (this.worker) {
			this.worker.postMessage({ type: 'dispose' });
		}
	}

	/** Asks the running operation to stop; it then fails with code 'cancelled'. */
	cancel() {
		if (!this.busy) {
			return;
		}
		this.cancelRequested = true;
		if (this.worker) {
			this.worker.postMessage({ type: 'cancel' });
		}
		clearTimeout(this.cancelTimer);
		this.cancelTimer = setTimeout(() => {
			// The engine did not stop in time: end the worker (the repository stays valid:
			// nothing becomes visible before the snapshot is written).
			if (this.calls.size) {
				this.terminate();
				this.failAll('cancelled', 'The operation was cancelled.');
			}
		}, CANCEL_GRACE_MS);
	}

	async exclusive(op, fn) {
		if (this.busy) {
			throw new StrongboxError('busy', 'Another Strongbox operation (' + this.busy + ') is still running on this page.');
		}
		this.busy = op;
		this.cancelRequested = false;
		try {
			return await fn();
		} finally {
			this.busy = null;
			clearTimeout(this.cancelTimer);
			this.release();
		}
	}

	/**
	 * Opens the repository for a running job: fetches the passphrase, opens,
	 * and with `create` initialises it when there is none yet.
	 */
	async openRepository(job, destinationId, op, { create = false } = {}) {
		const config = { destinationId, jobId: job.id };
		const pass = await this.passphrase(job.id);
		try {
			const info = await this.engine('open', [pass], config, op);
			this.rememberRepository(destinationId, info);
			await this.updateJob(job.id, { log: ['Opened the repository ' + (info && info.repository_id ? info.repository_id : '') + '.'] });
			return info;
		} catch (err) {
			if (!(create && err.code === 'no_repository')) {
				throw err;
			}
		}
		await this.updateJob(job.id, { log: ['No repository at the destination yet: creating one.'] });
		// init leaves the new repository open on the same engine.
		const info = await this.engine('init', [pass], config, op);
		this.rememberRepository(destinationId, info);
		await this.updateJob(job.id, { log: ['Created the repository ' + (info && info.repository_id ? info.repository_id : '') + '.'] });
		return info;
	}

	/**
	 * Runs `work(job)` as a job of `type` for a destination: created, running,
	 * then succeeded, failed or cancelled with the error's code and message.
	 */
	async asJob(type, destinationId, trigger, work) {
		const job = await this.createJob(type, destinationId, trigger);
		let lastPatch = 0;
		const progressToJob = (ev) => {
			const now = Date.now();
			if (now - lastPatch >= JOB_PROGRESS_INTERVAL_MS) {
				lastPatch = now;
				this.updateJob(job.id, { bytes_done: num(ev.bytes_done), bytes_total: num(ev.bytes_total) });
			}
		};
		await this.api('PATCH', 'jobs/' + job.id, { state: 'running', log: ['Started in the browser (' + navigator.userAgent.slice(0, 200) + ').'] });
		try {
			const value = await work(job, progressToJob);
			return { job, value };
		} catch (err) {
			const code = err && err.code ? String(err.code) : 'engine';
			const message = err && err.message ? String(err.message) : String(err);
			// The job's message is shown to people (admin notices, alert emails): without the
			// browser's stack trace, which stays in the log.
			const shown = message.replace(/JsValue\([\s\S]*\)\)\s*/, '').replace(/\s+/g, ' ').trim() || message;
			await this.updateJob(job.id, {
				state: code === 'cancelled' ? 'cancelled' : 'failed',
				error_code: code.slice(0, 100),
				error_message: shown.slice(0, 2000),
				log: [(code === 'cancelled' ? 'Cancelled: ' : 'Failed (' + code + '): ') + message.slice(0, 900)],
			});
			if (err instanceof StrongboxError) {
				err.jobId = job.id;
				throw err;
			}
			throw new StrongboxError(code, message, { jobId: job.id });
		}
	}

	/** The repository id of each destination opened (for the recovery kit); kept in localStorage. */
	rememberRepository(destinationId, info) {
		if (!info || !info.repository_id) {
			return;
		}
		// "repository id (key key_id)" once the engine reports the key it opened (key_id).
		const id = info.repository_id + (info.key_id ? ' (key ' + info.key_id + ')' : '');
		this.repositories = Object.assign({}, this.repositories, { [destinationId]: id });
		try {
			const all = JSON.parse(localStorage.getItem('strongbox.repositories') || '{}');
			all[destinationId] = id;
			localStorage.setItem('strongbox.repositories', JSON.stringify(all));
		} catch (e) {
			// Private mode: kept for this page only.
		}
	}

	/** The names of the engine's methods (what this build can do). */
	features() {
		if (!this.featureList) {
			this.featureList = this.engine('features', [], {}, 'features');
			// A failure (a busy worker, a load error) is not remembered: asked again next time.
			this.featureList.catch(() => {
				this.featureList = null;
			});
		}
		return this.featureList;
	}

	// ------------------------------------------------------------ operations

	/**
	 * Backs up the site to a destination.
	 * @returns {Promise<object>} the engine's result {snapshot_id, short_id, stats, warnings} plus job_id
	 */
	backup(destinationId, { trigger = 'manual', files = true, database = true, excludes = [] } = {}) {
		return this.exclusive('backup', async () => {
			const { job, value } = await this.asJob('backup', destinationId, trigger, async (job, toJob) => {
				await this.openRepository(job, destinationId, 'backup', { create: true });
				const result = await this.engine('backup', [{ files, database, trigger, excludes }], { destinationId, jobId: job.id }, 'backup', toJob);
				const s = (result && result.stats) || {};
				const lines = [
					'Snapshot ' + (result.short_id || result.snapshot_id) + ': ' + num(s.files) + ' files (' + num(s.files_read) + ' read), ' + num(s.tables) + ' tables, ' + num(s.rows) + ' rows (' + num(s.pages_read) + ' pages read, ' + num(s.pages_reused) + ' reused); ' + num(s.bytes_new) + ' new bytes, ' + num(s.bytes_stored) + ' stored, in ' + Math.round(num(s.duration_ms) / 100) / 10 + ' s.',
				];
				for (const w of (result.warnings || []).slice(0, 50)) {
					lines.push('Warning: ' + String(typeof w === 'string' ? w : w && w.message ? w.message : JSON.stringify(w)).slice(0, 900));
				}
				await this.updateJob(job.id, { state: 'succeeded', bytes_done: num(s.bytes_stored), bytes_total: num(s.bytes_from_site || s.file_bytes), log: lines });
				return result;
			});
			return Object.assign({}, value, { job_id: job.id });
		});
	}

	/** The snapshots of a destination, oldest first (a short check job, read-only URLs). */
	snapshots(destinationId) {
		return this.exclusive('snapshots', async () => {
			const { value } = await this.asJob('check', destinationId, 'manual', async (job) => {
				await this.openRepository(job, destinationId, 'snapshots');
				const list = await this.engine('snapshots', [], { destinationId, jobId: job.id }, 'snapshots');
				await this.updateJob(job.id, { state: 'succeeded', log: ['Listed ' + list.length + ' snapshots.'] });
				return list;
			});
			return value;
		});
	}

	/**
	 * Reads a snapshot's contents in one short check job (the repository opened
	 * once with the job's passphrase): `work(reader)` gets
	 *   reader.folderSizes({snapshot, depth})        -> [{path, files, dirs, bytes}]
	 *   reader.listTree({snapshot, path, recursive, cursor, limit}) -> {entries, next_cursor}
	 *   reader.readFile({snapshot, path, raw?}, onChunk) -> {bytes} (raw: listTree's base64 bytes of a non-UTF-8 name); onChunk(Uint8Array) may return a promise
	 *   reader.exportTable({snapshot, table}, onChunk) -> {rows, bytes}
	 * (engine methods of ENGINE-NEEDS.md: they fail with code 'unsupported' on an engine without them).
	 */
	readSnapshot(destinationId, work, op = 'read') {
		return this.exclusive(op, async () => {
			const { value } = await this.asJob('check', destinationId, 'manual', async (job, toJob) => {
				await this.openRepository(job, destinationId, op);
				const config = { destinationId, jobId: job.id };
				const call = (method) => (opts, onChunk) => {
					if (this.cancelRequested) {
						return Promise.reject(new StrongboxError('cancelled', 'The operation was cancelled.'));
					}
					return this.engine(method, [opts], config, op, toJob, onChunk);
				};
				const reader = { folderSizes: call('folderSizes'), listTree: call('listTree'), readFile: call('readFile'), exportTable: call('exportTable') };
				const v = await work(reader);
				await this.updateJob(job.id, { state: 'succeeded', log: ['Read the contents of a snapshot (' + op + ').'] });
				return v;
			});
			return value;
		});
	}

	/**
	 * Applies a retention policy to a destination's repository, or with dryRun
	 * only tells what it would do: {policy, decisions: [{id, time, group, keep,
	 * reasons}], removed, kept, dry_run}. A dry run is a read-only check job; a
	 * real one a prune job (it may delete snapshot objects).
	 */
	forget(destinationId, policy, { dryRun = true } = {}) {
		const op = dryRun ? 'forget-preview' : 'forget';
		return this.exclusive(op, async () => {
			const { value } = await this.asJob(dryRun ? 'check' : 'prune', destinationId, 'manual', async (job) => {
				await this.openRepository(job, destinationId, op);
				const r = await this.engine('forget', [{ policy, dryRun }], { destinationId, jobId: job.id }, op);
				const decisions = (r && r.decisions) || [];
				const removed = decisions.filter((d) => !d.keep).length;
				await this.updateJob(job.id, { state: 'succeeded', log: [(dryRun ? 'Retention preview: would remove ' : 'Retention: removed ') + removed + ' of ' + decisions.length + ' snapshots.'] });
				return r;
			});
			return value;
		});
	}

	/** Folders of a snapshot with their file counts and sizes. */
	folderSizes(destinationId, snapshot, { depth = 2 } = {}) {
		return this.readSnapshot(destinationId, (r) => r.folderSizes({ snapshot, depth }), 'tree');
	}

	/**
	 * Verifies the repository ({readData: true} reads and checks every blob).
	 */
	check(destinationId, { readData = false } = {}) {
		return this.exclusive('check', async () => {
			const { value } = await this.asJob('check', destinationId, 'manual', async (job, toJob) => {
				await this.openRepository(job, destinationId, 'check');
				const r = await this.engine('check', [{ readData }], { destinationId, jobId: job.id }, 'check', toJob);
				const lines = [r.ok ? 'Check passed.' : 'Check found ' + (r.errors || []).length + ' problems.'];
				for (const e of (r.errors || []).slice(0, 50)) {
					lines.push(String(typeof e === 'string' ? e : JSON.stringify(e)).slice(0, 900));
				}
				await this.updateJob(job.id, { state: r.ok ? 'succeeded' : 'failed', error_code: r.ok ? undefined : 'check_failed', log: lines });
				return r;
			});
			return value;
		});
	}

	/**
	 * Restores a snapshot into the site: opens a restore session (typed
	 * confirmation "RESTORE"), stages tables and files, swaps them in. The site
	 * then runs on the restored data; call commit(session) to keep it or
	 * rollback(session) to go back.
	 *
	 * @param {string} destinationId
	 * @param {string} snapshot 'latest' or a snapshot id
	 * @param {object} what {database, files, tables, paths}
	 * @returns {Promise<object>} session {id, key, job_id, result}
	 */
	restore(destinationId, snapshot = 'latest', what = {}) {
		return this.exclusive('restore', async () => {
			let session = null;
			try {
				const { job, value } = await this.asJob('restore', destinationId, 'manual', async (job, toJob) => {
					await this.openRepository(job, destinationId, 'restore');
					const opened = await this.api('POST', 'restore/sessions', { confirm: 'RESTORE' });
					session = { id: opened.id, key: opened.key };
					rememberRestore({ destinationId, snapshot, what, sessionId: opened.id });
					await this.updateJob(job.id, { log: ['Restore session ' + opened.id + ' opened for snapshot ' + snapshot + '.'] });
					const result = await this.engineRestore(job, destinationId, snapshot, what, session, false, toJob);
					// The restored tables may include this jobs table as it was in the
					// snapshot: the job row can be gone now, so these updates may fail quietly.
					await this.updateJob(job.id, {
						state: 'succeeded',
						bytes_done: num(result.bytes),
						log: ['Restored ' + num(result.tables) + ' tables (' + num(result.rows) + ' rows) and ' + num(result.files) + ' files; waiting for commit or roll back.'],
					});
					return result;
				});
				forgetRestore();
				return Object.assign(session, { job_id: job.id, result: value });
			} catch (err) {
				// Nothing half-done is left behind: the session (if any) is rolled back.
				forgetRestore();
				if (session) {
					try {
						await this.finishSession(session, 'rollback');
					} catch (e) {
						this.onLog('Rolling back the restore session failed: ' + e.message);
					}
				}
				throw err;
			}
		});
	}

	/** The engine's restore of `snapshot` into the open `session` (resume: only what it lacks). */
	engineRestore(job, destinationId, snapshot, what, session, resume, toJob) {
		const args = {
			snapshot,
			database: what.database !== false,
			files: what.files !== false,
			tables: what.tables || null,
			paths: what.paths || null,
			sessionId: session.id,
			sessionKey: session.key,
			resume,
		};
		return this.engine('restore', [args], { destinationId, jobId: job.id }, 'restore', toJob);
	}

	/**
	 * A restore interrupted by a closed tab or a crash: its session is still
	 * open on the site (the site shows the maintenance page). Returns
	 * {destinationId, snapshot, what, sessionId} or null.
	 */
	async interruptedRestore() {
		const pending = recallRestore();
		if (!pending) {
			return null;
		}
		let current = null;
		try {
			current = await this.api('GET', 'restore/sessions/current');
		} catch (e) {
			current = null;
		}
		if (!current || current.id !== pending.sessionId || current.state !== 'open') {
			forgetRestore();
			return null;
		}
		return pending;
	}

	/**
	 * Resumes an interrupted restore: a new session key is issued (the old one
	 * died with its tab), then only what the session lacks is sent (tables
	 * without all their rows, files not complete) and everything is swapped in.
	 * @returns {Promise<object>} session {id, key, job_id, result}, as restore()
	 */
	resumeRestore(pending) {
		return this.exclusive('restore', async () => {
			const { destinationId, snapshot, what = {}, sessionId } = pending;
			const rekeyed = await this.api('POST', 'restore/sessions/' + sessionId + '/key');
			const session = { id: sessionId, key: rekeyed.key };
			const { job, value } = await this.asJob('restore', destinationId, 'manual', async (job, toJob) => {
				await this.openRepository(job, destinationId, 'restore');
				await this.updateJob(job.id, { log: ['Resuming restore session ' + sessionId + ' for snapshot ' + snapshot + '.'] });
				const result = await this.engineRestore(job, destinationId, snapshot, what, session, true, toJob);
				await this.updateJob(job.id, {
					state: 'succeeded',
					bytes_done: num(result.bytes),
					log: ['Resumed: ' + num(result.resumed) + ' tables and files were staged already; restored ' + num(result.tables) + ' tables and ' + num(result.files) + ' files; waiting for commit or roll back.'],
				});
				return result;
			});
			forgetRestore();
			return Object.assign(session, { job_id: job.id, result: value });
		});
	}

	/** Abandons an interrupted restore: its session is rolled back, the site stays as it was. */
	async discardRestore(pending) {
		const rekeyed = await this.api('POST', 'restore/sessions/' + pending.sessionId + '/key');
		await this.api('DELETE', 'restore/sessions/' + pending.sessionId, undefined, { headers: { 'X-Strongbox-Session-Key': rekeyed.key } });
		forgetRestore();
	}

	/** Keeps the restored site: drops the previous tables and files, lifts the maintenance gate. */
	async commit(session) {
		return this.finishSession(session, 'commit');
	}

	/** Puts the previous tables and files back. */
	async rollback(session) {
		return this.finishSession(session, 'rollback');
	}

	/**
	 * Commit or roll back. After the swap the restored user tables may no longer
	 * know this login (its session token or the nonce); the session key alone
	 * then authorises the call, so it is retried without the nonce.
	 */
	async finishSession(session, action) {
		const path = 'restore/sessions/' + session.id + '/' + action;
		const headers = { 'X-Strongbox-Session-Key': session.key };
		try {
			return await this.api('POST', path, {}, { headers, retry: false });
		} catch (err) {
			if (!['rest_cookie_invalid_nonce', 'strongbox_unauthorized', 'strongbox_forbidden'].includes(err.code)) {
				throw err;
			}
		}
		const res = await this.fetch(this.restUrl + path, {
			method: 'POST',
			credentials: 'omit',
			headers: Object.assign({ Accept: 'application/json' }, headers),
		});
		const data = await res.json().catch(() => null);
		if (!res.ok) {
			throw new StrongboxError(data && data.code ? data.code : 'http_' + res.status, data && data.message ? data.message : 'The site answered HTTP ' + res.status + '.', { status: res.status });
		}
		return data;
	}
}

// A restore in progress, remembered across tabs (localStorage), so a closed tab
// can be resumed or rolled back from a new one. Holds no key or passphrase.
const PENDING_RESTORE = 'strongbox.pendingRestore';

function rememberRestore(pending) {
	try {
		localStorage.setItem(PENDING_RESTORE, JSON.stringify(pending));
	} catch (e) {
		// Private mode: an interrupted restore is then rolled back by its expiry.
	}
}

function recallRestore() {
	try {
		const p = JSON.parse(localStorage.getItem(PENDING_RESTORE) || 'null');
		return p && p.sessionId ? p : null;
	} catch (e) {
		return null;
	}
}

function forgetRestore() {
	try {
		localStorage.removeItem(PENDING_RESTORE);
	} catch (e) {
		// Nothing stored.
	}
}
