/**
 * Tools > Strongbox: back up now, the snapshot list, restore with commit or roll back.
 *
 * An ES module printed by Strongbox\Admin\Page with its configuration in
 * #strongbox-admin-config (REST URL, wp_rest nonce, asset URLs, translated
 * strings). The work happens in strongbox-client.js and its engine worker.
 *
 * The screen reports what it does on #strongbox-app: the attribute data-state
 * (loading, idle, running, succeeded, failed, cancelled) with data-op, and the
 * DOM events strongbox:progress, strongbox:done and strongbox:error (detail:
 * {op, value} or {op, code, message}). window.strongboxAdmin.state keeps the
 * snapshot list and, per operation, the last result (results[op]) or error (errors[op]).
 */

const app = document.getElementById('strongbox-app');
const config = JSON.parse(document.getElementById('strongbox-admin-config').textContent);
const t = config.i18n;
const $ = (id) => document.getElementById('strongbox-' + id);

const el = {
	notice: $('notice'),
	destination: $('destination'),
	backup: $('backup'),
	cancel: $('cancel'),
	progress: $('progress'),
	bar: $('progress-bar'),
	phase: $('phase'),
	counts: $('counts'),
	item: $('item'),
	bytes: $('bytes'),
	status: $('status'),
	refresh: $('refresh'),
	snapshots: document.querySelector('#strongbox-snapshots tbody'),
	restoreLatest: $('restore-latest'),
	confirm: $('restore-confirm'),
	target: $('restore-target'),
	word: $('restore-word'),
	go: $('restore-go'),
	abort: $('restore-abort'),
	finish: $('restore-finish'),
	commit: $('commit'),
	rollback: $('rollback'),
	passForm: $('passphrase-form'),
	pass: $('passphrase'),
};

const state = { snapshots: null, results: {}, errors: {}, session: null, restoreTarget: 'latest', busy: false, hasPassphrase: !!config.hasPassphrase };
window.strongboxAdmin = { state, config: { restUrl: config.restUrl } };

const SESSION_STORE = 'strongbox-restore-session';
const numberFormat = (() => {
	try {
		return new Intl.NumberFormat(config.locale || undefined, { maximumFractionDigits: 1 });
	} catch (e) {
		return new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
	}
})();

/** sprintf for %s, %1$s, %2$s ... */
function fmt(str, ...args) {
	let i = 0;
	return String(str).replace(/%(?:(\d+)\$)?s/g, (m, n) => String(n ? args[Number(n) - 1] : args[i++]));
}

function num(v) {
	const n = Number(v);
	return Number.isFinite(n) ? n : 0;
}

function size(bytes) {
	let n = num(bytes);
	let u = 0;
	while (n >= 1000 && u < t.units.length - 1) {
		n /= 1000;
		u++;
	}
	return fmt(t.units[u], numberFormat.format(u === 0 ? Math.round(n) : n));
}

function eta(seconds) {
	const s = num(seconds);
	if (s <= 0) {
		return '';
	}
	if (s < 90) {
		return fmt(t.etaSeconds, Math.max(1, Math.round(s)));
	}
	if (s < 5400) {
		return fmt(t.etaMinutes, Math.round(s / 60));
	}
	return fmt(t.etaHours, numberFormat.format(s / 3600));
}

function emit(name, detail) {
	app.dispatchEvent(new CustomEvent('strongbox:' + name, { detail }));
}

function setState(s, op) {
	app.dataset.state = s;
	if (op) {
		app.dataset.op = op;
	}
}

function notice(type, text) {
	if (!text) {
		el.notice.hidden = true;
		return;
	}
	el.notice.className = 'notice inline notice-' + type;
	el.notice.querySelector('p').textContent = text;
	el.notice.hidden = false;
}

function announce(text) {
	el.status.textContent = text || '';
}

function destination() {
	return el.destination ? el.destination.value : '';
}

function canWork() {
	return config.engineReady && state.hasPassphrase && !!destination();
}

function setBusy(busy, op) {
	state.busy = busy;
	const off = busy || !canWork();
	el.backup.disabled = off;
	el.refresh.disabled = off;
	el.restoreLatest.disabled = off || !(state.snapshots && state.snapshots.length);
	if (el.destination) {
		el.destination.disabled = busy;
	}
	for (const b of el.snapshots.querySelectorAll('button')) {
		b.disabled = off;
	}
	const long = busy && (op === 'backup' || op === 'restore' || op === 'check');
	el.cancel.hidden = !long;
	el.cancel.disabled = false;
	el.progress.hidden = !long;
}

let lastPhase = null;
function showProgress(ev) {
	const phase = ev.phase || '';
	el.phase.textContent = (t.phases && t.phases[phase]) || phase;
	if (phase !== lastPhase) {
		lastPhase = phase;
		announce(el.phase.textContent);
	}
	const total = num(ev.bytes_total);
	const done = num(ev.bytes_done);
	if (total > 0) {
		el.bar.max = 100;
		el.bar.value = Math.min(100, (done / total) * 100);
	} else {
		el.bar.removeAttribute('value');
	}
	el.counts.textContent = num(ev.items_total) > 0 ? fmt(t.itemsOf, numberFormat.format(num(ev.items_done)), numberFormat.format(num(ev.items_total))) : '';
	el.item.textContent = ev.item ? String(ev.item) : '';
	const parts = [total > 0 ? fmt(t.bytesOf, size(done), size(total)) : size(done)];
	if (num(ev.rate) > 0) {
		parts.push(fmt(t.rate, size(ev.rate)));
	}
	const left = eta(ev.eta_seconds);
	if (left) {
		parts.push(left);
	}
	el.bytes.textContent = parts.join(' · ');
	emit('progress', ev);
}

let client = null;
async function getClient() {
	if (!client) {
		const { StrongboxClient } = await import(config.clientUrl);
		client = new StrongboxClient({
			restUrl: config.restUrl,
			nonce: config.nonce,
			ajaxUrl: config.ajaxUrl,
			workerUrl: config.workerUrl,
			engineUrl: config.engineUrl,
			wasmUrl: config.wasmUrl,
			// Only the long operations show progress (opening and listing report some too).
			onProgress: (ev, op) => {
				if (op === 'backup' || op === 'restore' || op === 'check') {
					showProgress(ev);
				}
			},
		});
		window.strongboxAdmin.client = client;
	}
	return client;
}

/**
 * Runs one operation with the shared busy/notice/event handling.
 */
async function operation(op, fn) {
	if (state.busy) {
		return undefined;
	}
	lastPhase = null;
	delete state.results[op];
	delete state.errors[op];
	setState('running', op);
	setBusy(true, op);
	if (op !== 'snapshots') {
		notice();
		announce(t.starting);
		el.bar.removeAttribute('value');
		el.phase.textContent = '';
		el.counts.textContent = '';
		el.item.textContent = '';
		el.bytes.textContent = '';
	}
	try {
		const c = await getClient();
		const value = await fn(c);
		state.results[op] = value;
		setState('succeeded', op);
		emit('done', { op, value });
		return value;
	} catch (err) {
		const code = (err && err.code) || 'error';
		const message = (err && err.message) || String(err);
		state.errors[op] = { code, message };
		setState(code === 'cancelled' ? 'cancelled' : 'failed', op);
		if (code === 'cancelled') {
			notice('warning', t.cancelled);
			announce(t.cancelled);
		} else if (!(op === 'snapshots' && code === 'no_repository')) {
			notice('error', fmt(t.failed, message, code));
			announce(fmt(t.failed, message, code));
		}
		emit('error', { op, code, message });
		return undefined;
	} finally {
		setBusy(false, op);
	}
}

function renderSnapshots(list) {
	el.snapshots.textContent = '';
	if (!list || !list.length) {
		const tr = document.createElement('tr');
		const td = document.createElement('td');
		td.colSpan = 6;
		td.textContent = list ? t.noSnapshots : t.loadingSnapshots;
		tr.appendChild(td);
		el.snapshots.appendChild(tr);
		return;
	}
	for (const s of list.slice().reverse()) {
		const tr = document.createElement('tr');
		const cells = [];
		const when = new Date(s.time);
		cells.push(Number.isNaN(when.getTime()) ? String(s.time || '') : when.toLocaleString(config.locale || undefined));
		cells.push(s.short_id || String(s.id || '').slice(0, 8));
		cells.push([s.trigger, s.hostname].filter(Boolean).join(' · '));
		const stats = s.stats || {};
		cells.push(fmt(t.contents, numberFormat.format(num(stats.files)), numberFormat.format(Array.isArray(s.tables) ? s.tables.length : num(stats.tables))));
		cells.push(size(stats.bytes_stored !== undefined ? stats.bytes_stored : stats.bytes_new));
		for (const text of cells) {
			const td = document.createElement('td');
			td.textContent = text;
			tr.appendChild(td);
		}
		const td = document.createElement('td');
		const b = document.createElement('button');
		b.type = 'button';
		b.className = 'button button-small';
		b.textContent = t.restoreThis;
		b.dataset.snapshot = s.id;
		b.addEventListener('click', () => askRestore(s.id, s.short_id || s.id));
		td.appendChild(b);
		tr.appendChild(td);
		tr.dataset.snapshot = s.id;
		el.snapshots.appendChild(tr);
	}
}

async function loadSnapshots() {
	if (!canWork()) {
		return;
	}
	state.snapshots = null;
	renderSnapshots(null);
	const list = await operation('snapshots', (c) => c.snapshots(destination()));
	if (list === undefined && state.errors.snapshots && state.errors.snapshots.code !== 'no_repository') {
		renderSnapshots([]);
		return;
	}
	state.snapshots = list || [];
	renderSnapshots(state.snapshots);
	setBusy(false);
}

async function backup() {
	if (!destination()) {
		notice('error', t.noDestination);
		return;
	}
	const result = await operation('backup', (c) => c.backup(destination(), { trigger: 'manual' }));
	if (result) {
		const s = result.stats || {};
		const msg = fmt(t.backupDone, result.short_id || result.snapshot_id, size(s.bytes_stored !== undefined ? s.bytes_stored : s.bytes_new), numberFormat.format(num(s.duration_ms) / 1000));
		notice('success', msg);
		announce(msg);
		await loadSnapshots();
		// The screen's state stays the backup's (the list refresh is secondary).
		setState('succeeded', 'backup');
	}
}

function askRestore(id, label) {
	state.restoreTarget = id;
	el.target.textContent = id === 'latest' ? t.latest : label;
	el.word.value = '';
	el.go.disabled = true;
	el.confirm.hidden = false;
	el.word.focus();
}

async function restore() {
	const target = state.restoreTarget || 'latest';
	el.confirm.hidden = true;
	notice('warning', t.restoring);
	const session = await operation('restore', (c) => c.restore(destination(), target, { database: true, files: true }));
	if (session) {
		restored(session);
	}
}

/** A restore is swapped in: keep its session for Commit / Roll back and say what it did. */
function restored(session) {
	state.session = session;
	try {
		sessionStorage.setItem(SESSION_STORE, JSON.stringify({ id: session.id, key: session.key }));
	} catch (e) {
		// Private mode: the session can still be finished from this page.
	}
	const r = session.result || {};
	const msg = fmt(t.restoreDone, numberFormat.format(num(r.tables)), numberFormat.format(num(r.rows)), numberFormat.format(num(r.files)));
	notice('warning', msg);
	announce(msg);
	el.finish.hidden = false;
	el.commit.focus();
}

async function finishRestore(action) {
	const session = state.session;
	if (!session) {
		return;
	}
	el.commit.disabled = true;
	el.rollback.disabled = true;
	const value = await operation(action, (c) => (action === 'commit' ? c.commit(session) : c.rollback(session)));
	el.commit.disabled = false;
	el.rollback.disabled = false;
	if (value !== undefined) {
		state.session = null;
		try {
			sessionStorage.removeItem(SESSION_STORE);
		} catch (e) {
			// Nothing stored.
		}
		el.finish.hidden = true;
		const msg = action === 'commit' ? t.committed : t.rolledBack;
		notice('success', msg);
		announce(msg);
	}
}

/** A restore swapped in before a reload of this page can still be committed or rolled back. */
async function resumeSession() {
	let saved = null;
	try {
		saved = JSON.parse(sessionStorage.getItem(SESSION_STORE) || 'null');
	} catch (e) {
		saved = null;
	}
	if (!saved || !saved.id || !saved.key) {
		return;
	}
	try {
		const c = await getClient();
		const s = await c.api('GET', 'restore/sessions/' + saved.id, undefined, { headers: { 'X-Strongbox-Session-Key': saved.key } });
		if (s && s.state === 'swapped') {
			state.session = saved;
			el.finish.hidden = false;
			return;
		}
	} catch (e) {
		// Gone or expired (then it was rolled back automatically).
	}
	try {
		sessionStorage.removeItem(SESSION_STORE);
	} catch (e) {
		// Nothing stored.
	}
}

async function savePassphrase(e) {
	e.preventDefault();
	const value = el.pass.value;
	if (value.length < 12) {
		el.pass.reportValidity();
		return;
	}
	try {
		const c = await getClient();
		await c.api('PUT', 'settings/passphrase', { passphrase: value });
		el.pass.value = '';
		el.passForm.hidden = true;
		state.hasPassphrase = true;
		notice('success', t.passphraseSaved);
		setBusy(false);
		loadSnapshots();
	} catch (err) {
		notice('error', fmt(t.failed, err.message, err.code));
	}
}

// ------------------------------------------------------------------ wiring

/** Marks #strongbox-app data-busy="1" for the whole of a user action (tests wait on it). */
function action(fn) {
	return async (...args) => {
		app.dataset.busy = '1';
		try {
			await fn(...args);
		} finally {
			app.dataset.busy = '0';
		}
	};
}

el.backup.addEventListener('click', action(backup));
el.cancel.addEventListener('click', () => {
	if (client) {
		el.cancel.disabled = true;
		announce(t.cancelling);
		client.cancel();
	}
});
el.refresh.addEventListener('click', action(loadSnapshots));
el.restoreLatest.addEventListener('click', () => askRestore('latest', t.latest));
el.word.addEventListener('input', () => {
	el.go.disabled = el.word.value.trim() !== 'RESTORE';
});
el.confirm.addEventListener('submit', (e) => {
	e.preventDefault();
	if (el.word.value.trim() === 'RESTORE' && !state.busy) {
		action(restore)();
	}
});
el.abort.addEventListener('click', () => {
	el.confirm.hidden = true;
});
el.commit.addEventListener('click', action(() => finishRestore('commit')));
el.rollback.addEventListener('click', action(() => finishRestore('rollback')));
if (el.destination) {
	el.destination.addEventListener('change', action(loadSnapshots));
}
if (el.passForm) {
	el.passForm.addEventListener('submit', action(savePassphrase));
}
window.addEventListener('beforeunload', (e) => {
	if (state.busy) {
		e.preventDefault();
		e.returnValue = t.leaveWarning;
		return t.leaveWarning;
	}
	return undefined;
});

setBusy(false);
renderSnapshots(canWork() ? null : []);
setState('idle');
/**
 * A restore interrupted by a closed tab: offer to resume it (only what the
 * session lacks is sent) or to roll it back.
 */
async function offerInterruptedRestore() {
	const c = await getClient();
	const pending = await c.interruptedRestore();
	if (!pending) {
		return;
	}
	notice('warning', t.restoreInterrupted);
	const bar = document.createElement('p');
	const resume = document.createElement('button');
	resume.type = 'button';
	resume.className = 'button button-primary';
	resume.textContent = t.resumeRestore;
	const discard = document.createElement('button');
	discard.type = 'button';
	discard.className = 'button';
	discard.textContent = t.discardRestore;
	bar.append(resume, ' ', discard);
	el.notice.append(bar);
	const done = () => bar.remove();
	resume.addEventListener('click', action(async () => {
		done();
		notice('warning', t.restoring);
		const session = await operation('restore', (cl) => cl.resumeRestore(pending));
		if (session) {
			restored(session);
		}
	}));
	discard.addEventListener('click', action(async () => {
		done();
		try {
			await c.discardRestore(pending);
			notice('success', t.rolledBack);
			announce(t.rolledBack);
		} catch (err) {
			notice('error', fmt(t.failed, err.message, err.code));
		}
	}));
	resume.focus();
}

action(async () => {
	await resumeSession();
	if (!config.engineReady) {
		notice('error', t.noEngine);
	} else {
		await offerInterruptedRestore();
		await loadSnapshots();
	}
})();
