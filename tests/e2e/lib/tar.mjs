// A small reader of (gzipped) tar archives for the tests: ustar headers, PAX
// extended headers (path, linkpath, size; names kept as bytes), GNU long names.
import { gunzipSync } from 'node:zlib';

function field(buf, off, len) {
	const end = buf.indexOf(0, off);
	return buf.subarray(off, end === -1 || end > off + len ? off + len : end);
}

function octal(buf, off, len) {
	const s = field(buf, off, len).toString('latin1').trim();
	return s ? parseInt(s, 8) : 0;
}

/** PAX records "<len> key=value\n" -> Map key -> Buffer value. */
function pax(data) {
	const out = new Map();
	let i = 0;
	while (i < data.length) {
		const sp = data.indexOf(0x20, i);
		const len = parseInt(data.subarray(i, sp).toString('latin1'), 10);
		if (!len) {
			break;
		}
		const rec = data.subarray(sp + 1, i + len - 1);
		const eq = rec.indexOf(0x3d);
		out.set(rec.subarray(0, eq).toString('latin1'), Buffer.from(rec.subarray(eq + 1)));
		i += len;
	}
	return out;
}

/**
 * Entries of a tar(.gz) buffer: [{name (latin1 string of the name's bytes), type
 * 'file'|'dir'|'link'|'other', mode, mtime, size, linkname (latin1), data (Buffer)}].
 * Also checks every header checksum.
 */
export function readTar(buffer) {
	const buf = buffer[0] === 0x1f && buffer[1] === 0x8b ? gunzipSync(buffer) : buffer;
	const out = [];
	let off = 0;
	let ext = null;
	let longName = null;
	let longLink = null;
	while (off + 512 <= buf.length) {
		const h = buf.subarray(off, off + 512);
		if (h.every((b) => b === 0)) {
			break;
		}
		let sum = 0;
		for (let i = 0; i < 512; i++) {
			sum += i >= 148 && i < 156 ? 0x20 : h[i];
		}
		const stored = octal(h, 148, 8);
		if (sum !== stored) {
			throw new Error(`bad tar header checksum at offset ${off}: ${stored} != ${sum}`);
		}
		const typeflag = String.fromCharCode(h[156] || 0x30);
		let size = octal(h, 124, 12);
		if (ext && ext.has('size')) {
			size = Number(ext.get('size').toString('latin1'));
		}
		const data = buf.subarray(off + 512, off + 512 + size);
		off += 512 + Math.ceil(size / 512) * 512;
		if (typeflag === 'x') {
			ext = pax(data);
			continue;
		}
		if (typeflag === 'g') {
			continue;
		}
		if (typeflag === 'L') {
			longName = field(data, 0, data.length);
			continue;
		}
		if (typeflag === 'K') {
			longLink = field(data, 0, data.length);
			continue;
		}
		let name = field(h, 0, 100);
		const prefix = field(h, 345, 155);
		if (h.subarray(257, 262).toString('latin1') === 'ustar' && prefix.length) {
			name = Buffer.concat([prefix, Buffer.from('/'), name]);
		}
		let link = field(h, 157, 100);
		if (longName) {
			name = longName;
		}
		if (longLink) {
			link = longLink;
		}
		if (ext && ext.has('path')) {
			name = ext.get('path');
		}
		if (ext && ext.has('linkpath')) {
			link = ext.get('linkpath');
		}
		ext = null;
		longName = null;
		longLink = null;
		const type = typeflag === '0' || typeflag === '\0' || typeflag === '7' ? 'file' : typeflag === '5' ? 'dir' : typeflag === '2' ? 'link' : 'other';
		out.push({ name: name.toString('latin1').replace(/\/$/, ''), type, mode: octal(h, 100, 8), mtime: octal(h, 136, 12), size, linkname: link.toString('latin1'), data });
	}
	return out;
}
