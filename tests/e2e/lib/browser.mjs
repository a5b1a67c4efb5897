// Chromium through playwright-core (Debian's /usr/bin/chromium, never a downloaded browser).
import { mkdtempSync, rmSync } from 'node:fs';
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

export const PAGE = '/wp-admin/tools.php?page=strongbox';

/** Waits until the screen has finished what it is doing (data-busy="0"). */
export async function idle(page, timeout = env.timeoutMs) {
	await page.waitForSelector('#strongbox-app[data-busy="0"]', { state: 'attached', timeout });
}

/** Opens Tools > Strongbox, selects a destination, waits for the snapshot list. */
export async function openScreen(page, destinationId) {
	await page.goto(env.url + PAGE);
	await idle(page);
	if (destinationId) {
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
	await page.click('#strongbox-backup');
	await idle(page);
	const s = await screenState(page);
	return { result: s.results.backup, error: s.errors.backup, snapshots: s.snapshots };
}
