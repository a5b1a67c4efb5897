// The WordPress test site: REST calls (Application Password), SQL, files.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { env } from './env.mjs';

const TOOLS = fileURLToPath(new URL('../tools/wp.php', import.meta.url));

let basic = null;

/** An Application Password of the admin, made once through WordPress's own API. */
function auth() {
	if (!basic) {
		const pw = execFileSync('php', [TOOLS, 'app-password', 'admin'], {
			env: { ...process.env, WP_DIR: env.wpDir, URL: env.url },
			encoding: 'utf8',
		}).trim();
		basic = 'Basic ' + Buffer.from('admin:' + pw).toString('base64');
	}
	return basic;
}

/** A call to the plugin's REST API as the admin: {status, json, text}. */
export async function rest(method, route, body, headers = {}) {
	const init = { method, headers: { Authorization: auth(), Accept: 'application/json', ...headers } };
	if (body !== undefined) {
		init.headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	const res = await fetch(env.url + '/wp-json/strongbox/v1/' + route.replace(/^\//, ''), init);
	const text = await res.text();
	let json = null;
	try {
		json = JSON.parse(text);
	} catch {
		json = null;
	}
	return { status: res.status, json, text };
}

/** Like rest(), but fails unless the status is 2xx. */
export async function restOk(method, route, body) {
	const r = await rest(method, route, body);
	if (r.status < 200 || r.status > 299) {
		throw new Error(`${method} ${route} answered ${r.status}: ${r.text.slice(0, 500)}`);
	}
	return r.json;
}

/** Whether the plugin registers a route (regex as WordPress lists it). */
export async function hasRoute(route) {
	const res = await fetch(env.url + '/wp-json/strongbox/v1', { headers: { Authorization: auth() } });
	const j = await res.json();
	return Object.prototype.hasOwnProperty.call(j.routes || {}, '/strongbox/v1' + route);
}

/** Runs SQL on the site's database; returns the tab-separated rows. */
export function sql(query) {
	const out = execFileSync('mariadb', ['--no-defaults', '-h127.0.0.1', '-P' + env.dbPort, '-uwp', '-pwp', '-N', '-B', env.db, '-e', query], {
		encoding: 'utf8',
		maxBuffer: 64 * 1024 * 1024,
	});
	return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

/**
 * Table name -> CHECKSUM TABLE ... EXTENDED, for every table but the excluded ones, of the
 * site's database or of `db`.
 */
export function checksums(exclude = [], db = env.db) {
	const q = (t) => '`' + db + '`.`' + t + '`';
	const tables = sql('SHOW TABLES FROM `' + db + '`').map((r) => r[0]).filter((t) => !exclude.includes(t));
	const out = new Map();
	for (let i = 0; i < tables.length; i += 50) {
		const part = tables.slice(i, i + 50);
		for (const [name, sum] of sql('CHECKSUM TABLE ' + part.map(q).join(', ') + ' EXTENDED')) {
			out.set(name.replace(/^.*\./, ''), sum);
		}
	}
	// The options table without the rows the site rewrites on its own while the
	// tests run: Strongbox's own state (kept across restores on purpose: runners
	// seen, incidents, schedules, settings) and WordPress's cron schedule.
	for (const t of tables.filter((n) => /_options$/.test(n))) {
		const [[rows, sum]] = sql(
			'SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS(0x1f, option_name, option_value, autoload))), 0) FROM ' +
				q(t) +
				" WHERE option_name NOT LIKE 'strongbox\\_%' AND option_name <> 'cron' AND option_name NOT LIKE '\\_transient\\_doing\\_cron'"
		);
		out.set(t, `${rows}:${sum}`);
	}
	return out;
}

export function rowCount(table) {
	return Number(sql('SELECT COUNT(*) FROM `' + table + '`')[0][0]);
}

// Lister::DEFAULT_EXCLUDES of the plugin (fnmatch against the relative path,
// a matching directory excludes its whole subtree).
const EXCLUDES = [
	'wp-content/cache', 'wp-content/et-cache', 'wp-content/litespeed', 'wp-content/upgrade', 'wp-content/upgrade-temp-backup',
	'wp-content/debug.log', 'wp-content/updraft', 'wp-content/ai1wm-backups', 'wp-content/backups-dup-lite', 'wp-content/backups-dup-pro',
	'wp-content/backup-db', 'wp-content/backupwordpress-*', 'wp-content/backup-migration*', 'wp-content/backups', 'wp-content/wpvividbackups',
	'wp-content/backup-guard', 'wp-content/uploads/backwpup-*', 'wp-content/uploads/backupbuddy_backups', 'wp-content/uploads/ithemes-security/backups',
	'wp-content/uploads/wp-migrate-db', 'wp-content/uploads/wc-logs', '*.strongbox-tmp-*',
].map((p) => new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's'));

function excluded(rel) {
	return EXCLUDES.some((re) => re.test(rel));
}

/**
 * Every entry below the site root: relative path (bytes as latin1, so names that
 * are not UTF-8 stay exact) -> "file <sha256> <mode>", "link <target>" or "dir".
 */
export function fileTree(root = env.wpDir) {
	const out = new Map();
	const walk = (absBuf, relBuf) => {
		for (const d of readdirSync(absBuf, { withFileTypes: true, encoding: 'buffer' })) {
			const nameBuf = d.name;
			const rel = relBuf.length ? Buffer.concat([relBuf, Buffer.from('/'), nameBuf]) : nameBuf;
			const abs = Buffer.concat([absBuf, Buffer.from('/'), nameBuf]);
			const key = rel.toString('latin1');
			if (excluded(rel.toString('utf8'))) {
				continue;
			}
			const st = lstatSync(abs);
			if (st.isSymbolicLink()) {
				out.set(key, 'link ' + readlinkSync(abs, { encoding: 'buffer' }).toString('latin1'));
			} else if (st.isDirectory()) {
				out.set(key, 'dir');
				walk(abs, rel);
			} else if (st.isFile()) {
				out.set(key, 'file ' + createHash('sha256').update(readFileSync(abs)).digest('hex') + ' ' + (st.mode & 0o777).toString(8));
			}
		}
	};
	walk(Buffer.from(root), Buffer.alloc(0));
	return out;
}

/** A readable name for a fileTree key. */
export function shown(key) {
	return Buffer.from(key, 'latin1').toString('utf8');
}
