// The environment scripts/test-e2e prepares (services, paths, credentials).
import { readFileSync } from 'node:fs';

function need(name) {
	const v = process.env[name];
	if (!v) {
		throw new Error(`${name} is not set: run the e2e tests through scripts/test-e2e, which starts the services`);
	}
	return v;
}

export const env = {
	url: need('STRONGBOX_E2E_URL').replace(/\/$/, ''),
	wpDir: need('STRONGBOX_E2E_WP_DIR'),
	adminPassword: readFileSync(need('STRONGBOX_E2E_ADMIN_PASSWORD_FILE'), 'utf8').trim(),
	db: need('STRONGBOX_E2E_DB'),
	dbPort: need('STRONGBOX_E2E_DB_PORT'),
	moto: need('STRONGBOX_E2E_MOTO').replace(/\/$/, ''),
	// The CORS-completing proxy in front of moto (lib/cors-proxy.mjs): destinations point here.
	proxyPort: Number(process.env.STRONGBOX_E2E_PROXY_PORT || 39011),
	work: need('STRONGBOX_E2E_WORK'),
	root: need('STRONGBOX_E2E_ROOT'),
	bin: need('STRONGBOX_BIN'),
	chromium: process.env.STRONGBOX_E2E_CHROMIUM || '/usr/bin/chromium',
	// Longest wait for one backup or restore through the page.
	timeoutMs: Number(process.env.STRONGBOX_E2E_TIMEOUT_MS || 15 * 60 * 1000),
};
