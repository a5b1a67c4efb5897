/**
 * Strongbox background runner for an administrator's wp-admin tab.
 *
 * Asks the site for a due job (POST /runner/claim) when the screen opens and then every
 * `pollSeconds`; a job it gets runs in the engine's Web Worker (engine-worker.js, method
 * runJob): the engine opens the job's repository through URLs the site presigns for the lease,
 * heartbeats, and reports the result itself. The page's main thread only waits. The site
 * gives each job to one lease holder at a time, so any number of open tabs is safe; a tab
 * closed mid-job stops heartbeating and the job goes to the next runner when its lease expires.
 * Configuration comes from window.strongboxRunner (includes/admin/class-runner.php).
 */
(function () {
	'use strict';
	var cfg = window.strongboxRunner;
	if (!cfg || window.top !== window.self || typeof Worker !== 'function' || typeof WebAssembly !== 'object') {
		return;
	}
	// One id per tab, kept across reloads of the same tab.
	var runnerId;
	try {
		runnerId = sessionStorage.getItem('strongbox.runnerId');
		if (!runnerId) {
			runnerId = 'browser:' + cfg.user + ':' + Math.random().toString(36).slice(2, 10);
			sessionStorage.setItem('strongbox.runnerId', runnerId);
		}
	} catch (e) {
		runnerId = 'browser:' + cfg.user + ':' + Math.random().toString(36).slice(2, 10);
	}
	var busy = false;
	var stopped = false;

	function claim() {
		return fetch(cfg.restUrl + 'runner/claim', {
			method: 'POST',
			credentials: 'same-origin',
			headers: { 'Content-Type': 'application/json', 'X-WP-Nonce': cfg.nonce },
			body: JSON.stringify({ runner: { id: runnerId, kind: 'browser', version: cfg.version } }),
		}).then(function (res) {
			if (res.status === 401 || res.status === 403) {
				// Logged out, or the nonce expired: a reload brings a new one.
				stopped = true;
				return null;
			}
			return res.ok ? res.json() : null;
		});
	}

	function say(text) {
		var region = document.getElementById('strongbox-runner-status');
		if (!region) {
			region = document.createElement('div');
			region.id = 'strongbox-runner-status';
			region.className = 'screen-reader-text';
			region.setAttribute('role', 'status');
			region.setAttribute('aria-live', 'polite');
			document.body.appendChild(region);
		}
		region.textContent = text;
		document.documentElement.setAttribute('data-strongbox-runner', text ? 'busy' : 'idle');
	}

	function runJob(answer) {
		return new Promise(function (resolve) {
			var url = cfg.workerUrl + '&engine=' + encodeURIComponent(cfg.engineUrl) + '&wasm=' + encodeURIComponent(cfg.wasmUrl) + '&compress=0';
			var worker = new Worker(url, { type: 'module' });
			var id = 'job-' + answer.job.id;
			var finish = function (value) {
				worker.terminate();
				resolve(value);
			};
			worker.onmessage = function (ev) {
				var m = ev.data || {};
				if (m.id !== id) {
					return;
				}
				if (m.type === 'result') {
					finish(m.value);
				} else if (m.type === 'error') {
					finish({ state: 'failed', error_code: m.code, error_message: m.message });
				}
			};
			worker.onerror = function () {
				finish({ state: 'failed', error_code: 'internal' });
			};
			worker.postMessage({
				type: 'run',
				id: id,
				method: 'runJob',
				config: { restUrl: cfg.restUrl, nonce: cfg.nonce, destinationId: String(answer.job.destination_id || ''), jobId: answer.job.id, compressWorkers: 0 },
				args: [answer],
			});
		});
	}

	function tick() {
		if (busy || stopped) {
			return;
		}
		busy = true;
		claim()
			.then(function (answer) {
				if (!answer || !answer.job) {
					return null;
				}
				say((cfg.strings.running || '%s').replace('%s', answer.job.type));
				return runJob(answer).then(function () {
					say('');
					// Another job may be due right after this one.
					setTimeout(tick, 1000);
				});
			})
			.catch(function () {
				say('');
			})
			.then(function () {
				busy = false;
			});
	}

	tick();
	setInterval(tick, Math.max(15, Number(cfg.pollSeconds) || 60) * 1000);
})();
