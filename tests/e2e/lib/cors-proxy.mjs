// A pass-through proxy in front of moto that completes its CORS answers.
//
// moto 5.2.5 applies a bucket's CORS rule to preflights and to successful object
// responses only: ListObjectsV2 answers and error answers (404 of a missing key,
// 412 of If-None-Match) carry no Access-Control-Allow-Origin, so a browser sees
// them as network errors. Real S3 (and R2, B2, MinIO) add the headers to every
// answer of a bucket whose rule matches. This proxy does the same, from the
// bucket's own CORS configuration read from moto: a bucket without a rule still
// gets no headers, so the missing-CORS scenario stays real.
import http from 'node:http';

function parseRules(xml) {
	const rules = [];
	for (const m of xml.matchAll(/<CORSRule>([\s\S]*?)<\/CORSRule>/g)) {
		const all = (tag) => [...m[1].matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((x) => x[1].trim());
		rules.push({ origins: all('AllowedOrigin'), methods: all('AllowedMethod'), expose: all('ExposeHeader') });
	}
	return rules;
}

function originMatches(pattern, origin) {
	if (pattern === '*') {
		return true;
	}
	const re = new RegExp('^' + pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
	return re.test(origin);
}

/**
 * Starts the proxy on 127.0.0.1:port for the moto at `target`.
 * @returns {Promise<{url: string, close: () => Promise<void>}>}
 */
export async function startCorsProxy(target, port) {
	const upstream = new URL(target);
	const cache = new Map(); // bucket -> {at, rules}

	async function rulesOf(bucket) {
		const hit = cache.get(bucket);
		if (hit && Date.now() - hit.at < 500) {
			return hit.rules;
		}
		let rules = [];
		try {
			const res = await fetch(`${target}/${bucket}?cors`);
			rules = res.ok ? parseRules(await res.text()) : [];
		} catch {
			rules = [];
		}
		cache.set(bucket, { at: Date.now(), rules });
		return rules;
	}

	const server = http.createServer((req, res) => {
		const bucket = decodeURIComponent((req.url || '/').split('?')[0].split('/')[1] || '');
		const origin = req.headers.origin;
		const headers = { ...req.headers, host: upstream.host };
		const up = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, async (answer) => {
			const out = { ...answer.headers };
			if (req.method !== 'OPTIONS' && origin && bucket && !out['access-control-allow-origin']) {
				const rule = (await rulesOf(bucket)).find((r) => r.origins.some((o) => originMatches(o, origin)) && r.methods.includes(req.method));
				if (rule) {
					out['access-control-allow-origin'] = origin;
					if (rule.expose.length) {
						out['access-control-expose-headers'] = rule.expose.join(', ');
					}
					out.vary = 'Origin';
				}
			}
			res.writeHead(answer.statusCode || 502, out);
			answer.pipe(res);
		});
		up.on('error', (e) => {
			if (!res.headersSent) {
				res.writeHead(502, { 'content-type': 'text/plain' });
			}
			res.end('proxy: ' + e.message);
		});
		req.pipe(up);
	});
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', resolve);
	});
	return {
		url: `http://127.0.0.1:${port}`,
		close: () =>
			new Promise((resolve) => {
				server.closeAllConnections?.();
				server.close(() => resolve());
			}),
	};
}
