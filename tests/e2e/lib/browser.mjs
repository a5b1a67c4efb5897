// Chromium through playwright-core (Debian's /usr/bin/chromium, never a downloaded browser).
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { env } from './env.mjs';

const ARGS = [
	'--headless=new',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-dev-shm-usage',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--no-first-run',
	// Belt and braces with the route below: names other than 127.0.0.1 do not resolve.
	'--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

function local(url) {
	try {
		const u = new URL(url);
		return u.hostname === '127.0.0.1' || u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:';
	} catch {
		return false;
	}
}

/**
 * A fresh browser profile; every request that does not go to 127.0.0.1 is
 * aborted (and counted in `blocked`).
 */
export async function launch() {
	const dir = mkdtempSync(join(env.work, 'chromium-'));
	const context = await chromium.launchPersistentContext(dir, {
		executablePath: env.chromium,
		headless: true,
		ignoreDefaultArgs: ['--headless'],
		args: ARGS,
		serviceWorkers: 'block',
		viewport: { width: 1280, height: 900 },
	});
	const blocked = [];
	await context.route(
		(url) => !local(url.href),
		(route) => {
			blocked.push(route.request().url());
			return route.abort('blockedbyclient');
		}
	);
	const close = async () => {
		await context.close().catch(() => {});
		rmSync(dir, { recursive: true, force: true });
	};
	return { context, blocked, close };
}

/** Console errors and uncaught exceptions of a page (for failure messages). */
export function watch(page) {
	const problems = [];
	page.on('console', (m) => {
		// Requests to other hosts are blocked on purpose (WordPress's emoji images).
		if (m.type() === 'error' && !m.text().includes('ERR_BLOCKED_BY_CLIENT')) {
			problems.push('console: ' + m.text());
		}
	});
	page.on('pageerror', (e) => problems.push('page error: ' + e.message));
	return problems;
}

export async function login(page, user, password) {
	await page.goto(env.url + '/wp-login.php');
	await page.fill('#user_login', user);
	await page.fill('#user_pass', password);
	await Promise.all([page.waitForURL(/\/wp-admin\//, { timeout: 60000 }), page.click('#wp-submit')]);
}

// The screens: a top-level menu (admin.php?page=strongbox[-snapshots|-restore|-settings]).
export const PAGE = '/wp-admin/admin.php?page=strongbox';
export const SCREEN = {
	dashboard: PAGE,
	snapshots: PAGE + '-snapshots',
	restore: PAGE + '-restore',
	settings: PAGE + '-settings',
};

/**
 * Saves a screenshot of the whole page as <work>/screenshots/NN-name.png (a test
 * artifact: scripts/test-e2e lists them at the end; look at them).
 */
export async function screenshot(page, name) {
	const dir = join(env.work, 'screenshots');
	mkdirSync(dir, { recursive: true });
	// Numbered across the test files (each runs in its own process): the next free number.
	const next = readdirSync(dir).filter((f) => /^\d+-/.test(f)).length + 1;
	const file = join(dir, String(next).padStart(2, '0') + '-' + name.replace(/[^a-z0-9-]+/gi, '-') + '.png');
	// From the top: WordPress's fixed admin bar would otherwise be drawn where the page was scrolled to.
	await page.evaluate(() => window.scrollTo(0, 0));
	await page.screenshot({ path: file, fullPage: true });
	return file;
}

/** Waits until the screen has finished what it is doing (data-busy="0"). */
export async function idle(page, timeout = env.timeoutMs) {
	await page.waitForSelector('#strongbox-app[data-busy="0"]', { state: 'attached', timeout });
}

/** Opens a Strongbox screen (the dashboard by default), selects a destination, waits for the snapshot list. */
export async function openScreen(page, destinationId, screen = 'dashboard') {
	const errors = [];
	const onError = (e) => errors.push('page error: ' + e.message + (e.stack ? ' ' + e.stack.split('\n').slice(0, 3).join(' | ') : ''));
	const onConsole = (m) => m.type() === 'error' && !/ERR_BLOCKED_BY_CLIENT|404 \(Not Found\)/.test(m.text()) && errors.push('console: ' + m.text());
	page.on('pageerror', onError);
	page.on('console', onConsole);
	await page.goto(env.url + SCREEN[screen]);
	await idle(page).catch((e) => {
		throw new Error(e.message + '\n' + errors.join('\n'));
	});
	page.off('pageerror', onError);
	page.off('console', onConsole);
	if (destinationId) {
		if (!(await page.$('#strongbox-destination'))) {
			const file = await screenshot(page, 'no-destination-picker');
			const text = (await page.textContent('#strongbox-app').catch(() => '')) || '';
			throw new Error(`the screen shows no destination picker (screenshot ${file}): ${text.slice(0, 300)}\n${errors.join('\n')}`);
		}
		const current = await page.$eval('#strongbox-destination', (s) => s.value);
		if (current !== destinationId) {
			await page.selectOption('#strongbox-destination', destinationId);
			await idle(page);
		}
	}
}

/** The screen's per-operation results and errors. */
export async function screenState(page) {
	return page.evaluate(() => {
		const s = window.strongboxAdmin.state;
		return { results: s.results, errors: s.errors, snapshots: s.snapshots, state: document.getElementById('strongbox-app').dataset.state };
	});
}

/**
 * Clicks "Back up now" and waits for the end; returns {result} or {error}.
 */
export async function backupNow(page) {
	if (!(await page.$('#strongbox-backup'))) {
		await page.click('.strongbox-tabs a[href*="page=strongbox"]:not([href*="page=strongbox-"])');
	}
	await page.click('#strongbox-backup');
	await idle(page);
	const s = await screenState(page);
	return { result: s.results.backup, error: s.errors.backup, snapshots: s.snapshots };
}

/** The site's name, which the restore wizard asks to type. */
export async function siteName(page) {
	return page.evaluate(() => window.strongboxAdmin.store().config.siteName.trim() || window.strongboxAdmin.store().config.homeHost);
}

/**
 * Goes through the restore wizard from the snapshot list up to the typed
 * confirmation, and starts the restore (does not wait for its end unless `wait`).
 * what: {mode: 'all' | 'database' | 'files' | 'selected', tables: [], folders: []}
 * `shot` names the screenshots of the steps (none when absent).
 */
export async function startRestore(page, snapshotId, { mode = 'all', tables = [], folders = [], shot = null, wait = true } = {}) {
	if (!(await page.$('#strongbox-snapshots'))) {
		await page.click('.strongbox-tabs a[href*="page=strongbox-snapshots"]');
		await idle(page);
	}
	const button = snapshotId ? `#strongbox-snapshots button[data-snapshot="${snapshotId}"]` : '#strongbox-snapshots tbody button[data-snapshot]';
	await page.click(button);
	await page.waitForSelector('#strongbox-restore-next');
	if (mode !== 'all') {
		const labels = { database: /^The database only/, files: /^The files only/, selected: /^Selected tables or folders/ };
		await page.getByLabel(labels[mode]).check();
	}
	for (const t of tables) {
		await page.getByLabel(new RegExp('^' + t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + ' \\(')).check();
	}
	const common = ['wp-content/uploads', 'wp-content/plugins', 'wp-content/themes'];
	const custom = folders.filter((f) => !common.includes(f));
	for (const f of folders.filter((x) => common.includes(x))) {
		await page.getByLabel(f, { exact: true }).check();
	}
	if (custom.length) {
		await page.fill('#strongbox-folders-custom', custom.join('\n'));
	}
	if (shot) {
		await screenshot(page, shot + '-what');
	}
	await page.click('#strongbox-restore-next');
	await page.waitForSelector('#strongbox-preflight', { timeout: 60000 });
	if (shot) {
		await screenshot(page, shot + '-preflight');
	}
	await page.click('#strongbox-preflight-next');
	await page.waitForSelector('#strongbox-restore-word');
	const name = await siteName(page);
	if (await page.isEnabled('#strongbox-restore-go')) {
		throw new Error('Restore now is enabled before the site name is typed');
	}
	await page.fill('#strongbox-restore-word', 'RESTORE');
	if (name !== 'RESTORE' && (await page.isEnabled('#strongbox-restore-go'))) {
		throw new Error('Restore now is enabled with the wrong word typed');
	}
	await page.fill('#strongbox-restore-word', name);
	if (shot) {
		await screenshot(page, shot + '-confirm');
	}
	await page.click('#strongbox-restore-go');
	if (wait) {
		await idle(page);
	}
}
