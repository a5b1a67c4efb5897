// moto (S3) administration without signatures: moto does not check them.
import { createHash } from 'node:crypto';
import { env } from './env.mjs';

async function call(method, path, body, headers = {}) {
	const res = await fetch(env.moto + path, { method, body, headers });
	const text = await res.text();
	if (!res.ok) {
		throw new Error(`moto ${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
	}
	return text;
}

export async function createBucket(name) {
	await call('PUT', '/' + name);
}

/** A CORS rule for the site's origin: what browser uploads through presigned URLs need. */
export async function putCors(bucket, origin) {
	const xml =
		'<?xml version="1.0" encoding="UTF-8"?>' +
		'<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule>' +
		`<AllowedOrigin>${origin}</AllowedOrigin>` +
		['GET', 'PUT', 'HEAD', 'DELETE', 'POST'].map((m) => `<AllowedMethod>${m}</AllowedMethod>`).join('') +
		'<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds>' +
		'</CORSRule></CORSConfiguration>';
	const md5 = createHash('md5').update(xml).digest('base64');
	await call('PUT', '/' + bucket + '?cors', xml, { 'Content-Type': 'application/xml', 'Content-MD5': md5 });
}

function tags(xml, tag) {
	const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g');
	const out = [];
	let m;
	while ((m = re.exec(xml))) {
		out.push(m[1]);
	}
	return out;
}

/** Every object under a prefix: key -> {size, etag}. */
export async function listObjects(bucket, prefix = '') {
	const out = new Map();
	let token = null;
	do {
		let q = '?list-type=2&max-keys=1000&prefix=' + encodeURIComponent(prefix);
		if (token) {
			q += '&continuation-token=' + encodeURIComponent(token);
		}
		const xml = await call('GET', '/' + bucket + q);
		for (const c of tags(xml, 'Contents')) {
			const key = tags(c, 'Key')[0].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'");
			out.set(key, { size: Number(tags(c, 'Size')[0]), etag: tags(c, 'ETag')[0] });
		}
		token = /<IsTruncated>true<\/IsTruncated>/.test(xml) ? tags(xml, 'NextContinuationToken')[0] : null;
	} while (token);
	return out;
}

export function totalSize(objects) {
	let n = 0;
	for (const o of objects.values()) {
		n += o.size;
	}
	return n;
}
