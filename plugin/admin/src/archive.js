/**
 * A portable archive of a snapshot, assembled in the browser: a tar stream
 * (ustar, with PAX headers for long or non-ASCII names) of
 *   <site>/files/...          every file, link and folder of the snapshot
 *   <site>/database/<table>.sql  one SQL dump per table
 *   <site>/README.txt
 * gzipped with CompressionStream and written to disk as it is made
 * (File System Access API where the browser has it, else a Blob download).
 * Nothing of the archive is held whole in memory on the first path.
 */
import { __ } from '@wordpress/i18n';

import { getState, setState } from './store';
import { getClient, notice, announce, explain } from './actions';

const enc = new TextEncoder();
const PART = 16 * 1024 * 1024;

function octal( n, width ) {
	return n.toString( 8 ).padStart( width - 1, '0' ) + '\0';
}

function put( buf, off, str, len ) {
	const b = enc.encode( str );
	buf.set( b.subarray( 0, len ), off );
}

/** One PAX record "<len> key=value\n" as bytes (the value a string or raw bytes). */
function paxRecord( key, value ) {
	const v = typeof value === 'string' ? enc.encode( value ) : value;
	const head = enc.encode( ' ' + key + '=' );
	const len = head.length + v.length + 1;
	let total = len + String( len ).length;
	if ( String( total ).length !== String( len ).length ) {
		total = len + String( total ).length;
	}
	const prefix = enc.encode( String( total ) );
	const out = new Uint8Array( total );
	out.set( prefix, 0 );
	out.set( head, prefix.length );
	out.set( v, prefix.length + head.length );
	out[ total - 1 ] = 0x0a;
	return out;
}

/** The bytes of base64 `b64`. */
function fromBase64( b64 ) {
	const s = atob( b64 );
	const out = new Uint8Array( s.length );
	for ( let i = 0; i < s.length; i++ ) {
		out[ i ] = s.charCodeAt( i );
	}
	return out;
}

/** One 512-byte ustar header (plus a PAX header first when the name needs it). */
export function tarHeader( { name, nameBytes = null, size = 0, mode = 0o644, mtime = 0, type = '0', linkname = '' } ) {
	const blocks = [];
	// nameBytes: the exact bytes of a name that is not UTF-8 (PAX hdrcharset=BINARY,
	// which GNU tar and bsdtar extract byte for byte).
	const needsPax = !! nameBytes || enc.encode( name ).length > 99 || /[^\x20-\x7e]/.test( name ) || enc.encode( linkname ).length > 99 || /[^\x20-\x7e]/.test( linkname ) || size > 0o77777777777;
	if ( needsPax ) {
		const recs = [];
		if ( nameBytes ) {
			recs.push( paxRecord( 'hdrcharset', 'BINARY' ) );
		}
		recs.push( paxRecord( 'path', nameBytes || name ) );
		if ( linkname ) {
			recs.push( paxRecord( 'linkpath', linkname ) );
		}
		if ( size > 0o77777777777 ) {
			recs.push( paxRecord( 'size', String( size ) ) );
		}
		const data = concat( recs );
		blocks.push( tarHeader( { name: 'PaxHeader/' + name.replace( /[^\x20-\x7e]/g, '_' ).slice( -80 ), size: data.length, type: 'x' } ) );
		const padded = new Uint8Array( Math.ceil( data.length / 512 ) * 512 );
		padded.set( data );
		blocks.push( padded );
	}
	const h = new Uint8Array( 512 );
	put( h, 0, needsPax ? name.replace( /[^\x20-\x7e]/g, '_' ).slice( -99 ) : name, 100 );
	put( h, 100, octal( mode & 0o7777, 8 ), 8 );
	put( h, 108, octal( 0, 8 ), 8 );
	put( h, 116, octal( 0, 8 ), 8 );
	put( h, 124, octal( size > 0o77777777777 ? 0 : size, 12 ), 12 );
	put( h, 136, octal( Math.max( 0, Math.floor( mtime ) ), 12 ), 12 );
	put( h, 148, '        ', 8 );
	put( h, 156, type, 1 );
	put( h, 157, needsPax ? linkname.replace( /[^\x20-\x7e]/g, '_' ).slice( -99 ) : linkname, 100 );
	put( h, 257, 'ustar\0', 6 );
	put( h, 263, '00', 2 );
	let sum = 0;
	for ( const b of h ) {
		sum += b;
	}
	put( h, 148, octal( sum, 7 ) + ' ', 8 );
	blocks.push( h );
	return blocks.length === 1 ? h : concat( blocks );
}

function concat( parts ) {
	const n = parts.reduce( ( a, p ) => a + p.length, 0 );
	const out = new Uint8Array( n );
	let o = 0;
	for ( const p of parts ) {
		out.set( p, o );
		o += p.length;
	}
	return out;
}

/** Where the archive goes: a file picked by the user (streamed), else memory then a download. */
async function openSink( name ) {
	if ( typeof window.showSaveFilePicker === 'function' && ! window.strongboxAdmin.forceBlobDownload ) {
		try {
			const handle = await window.showSaveFilePicker( { suggestedName: name, types: [ { description: 'tar.gz', accept: { 'application/gzip': [ '.tar.gz', '.tgz' ] } } ] } );
			const w = await handle.createWritable();
			return { stream: w, finish: async () => {}, abort: () => w.abort() };
		} catch ( e ) {
			if ( e && e.name === 'AbortError' ) {
				throw Object.assign( new Error( __( 'No file was chosen.', 'strongbox' ) ), { code: 'cancelled' } );
			}
		}
	}
	const chunks = [];
	const stream = new WritableStream( {
		write( c ) {
			chunks.push( c );
		},
	} );
	return {
		stream,
		finish: async () => {
			const url = URL.createObjectURL( new Blob( chunks, { type: 'application/gzip' } ) );
			const a = document.createElement( 'a' );
			a.href = url;
			a.download = name;
			document.body.appendChild( a );
			a.click();
			a.remove();
			window.setTimeout( () => URL.revokeObjectURL( url ), 60000 );
		},
		abort: () => {},
	};
}

export async function writeArchive( destinationId, snap ) {
	const c = await getClient();
	const host = ( getState().config.homeHost || 'site' ).replace( /[^a-z0-9.-]+/gi, '-' );
	const stamp = String( snap.time || '' ).replace( /[^0-9T]/g, '' ).slice( 0, 15 );
	const root = host + '-' + stamp;
	const name = root + '.tar.gz';
	const sink = await openSink( name );
	const gz = new CompressionStream( 'gzip' );
	const piped = gz.readable.pipeTo( sink.stream );
	const writer = gz.writable.getWriter();
	let bytes = 0;
	const write = async ( u8 ) => {
		bytes += u8.length;
		await writer.ready;
		await writer.write( u8 );
	};
	const pad = ( n ) => ( n % 512 ? write( new Uint8Array( 512 - ( n % 512 ) ) ) : Promise.resolve() );
	const status = ( item, done = false ) => setState( { archive: { snapshot: snap.id, name, bytes, item, done } } );
	try {
		const readme = enc.encode(
			[
				'Portable archive of ' + ( getState().config.homeUrl || '' ) + ', snapshot ' + snap.id + ' (' + snap.time + ').',
				'',
				'files/     the site files (the WordPress folder)',
				'database/  one SQL file per table: import with  mysql DBNAME < database/TABLE.sql',
				'',
			].join( '\n' )
		);
		await write( tarHeader( { name: root + '/README.txt', size: readme.length, mtime: Date.now() / 1000 } ) );
		await write( readme );
		await pad( readme.length );
		await c.readSnapshot(
			destinationId,
			async ( reader ) => {
				if ( snap.files ) {
					let cursor = null;
					do {
						const page = await reader.listTree( { snapshot: snap.id, path: '', recursive: true, cursor, limit: 2000 } );
						for ( const e of page.entries || [] ) {
							const path = root + '/files/' + e.path;
							// A name that is not UTF-8: listTree gives its bytes (raw, base64).
							const nameBytes = e.raw ? concat( [ enc.encode( root + '/files/' ), fromBase64( e.raw ) ] ) : null;
							status( e.path );
							if ( e.type === 'dir' ) {
								await write( tarHeader( { name: path + '/', nameBytes: nameBytes && concat( [ nameBytes, enc.encode( '/' ) ] ), type: '5', mode: e.mode ? parseInt( e.mode, 8 ) : 0o755, mtime: e.mtime } ) );
							} else if ( e.type === 'link' ) {
								await write( tarHeader( { name: path, nameBytes, type: '2', linkname: e.target || '', mode: 0o777, mtime: e.mtime } ) );
							} else if ( e.type === 'file' ) {
								await write( tarHeader( { name: path, nameBytes, size: e.size, mode: e.mode ? parseInt( e.mode, 8 ) : 0o644, mtime: e.mtime } ) );
								let n = 0;
								await reader.readFile( { snapshot: snap.id, path: e.path, raw: e.raw }, async ( chunk ) => {
									n += chunk.length;
									await write( chunk );
								} );
								if ( n !== e.size ) {
									throw Object.assign( new Error( 'The file ' + e.path + ' gave ' + n + ' bytes instead of ' + e.size + '.' ), { code: 'corrupt' } );
								}
								await pad( n );
							}
						}
						cursor = page.next_cursor;
					} while ( cursor );
				}
				for ( const t of snap.tables || [] ) {
					status( t.name );
					// A tar entry needs its size first: a table's SQL is spooled in parts of at
					// most PART bytes (database/<table>.sql, then <table>.part2.sql, ... for big
					// tables; the parts are cut at statement ends, so each imports on its own).
					let parts = [];
					let held = 0;
					let n = 0;
					const flush = async () => {
						if ( ! held && n > 0 ) {
							return;
						}
						n++;
						const sql = concat( parts );
						const file = root + '/database/' + t.name + ( n > 1 ? '.part' + n : '' ) + '.sql';
						await write( tarHeader( { name: file, size: sql.length, mtime: Date.parse( snap.time ) / 1000 } ) );
						await write( sql );
						await pad( sql.length );
						parts = [];
						held = 0;
					};
					await reader.exportTable( { snapshot: snap.id, table: t.name }, async ( chunk ) => {
						parts.push( chunk );
						held += chunk.length;
						// exportTable hands over whole statements per chunk.
						if ( held >= PART ) {
							await flush();
						}
					} );
					await flush();
				}
			},
			'archive'
		);
		await write( new Uint8Array( 1024 ) );
		await writer.close();
		await piped;
		await sink.finish();
		status( '', true );
		announce( __( 'The archive is saved.', 'strongbox' ) );
		return { name, bytes };
	} catch ( err ) {
		try {
			await writer.abort( err );
		} catch ( e ) {
			// Already closed.
		}
		sink.abort();
		setState( { archive: null } );
		notice( 'error', explain( err ) );
		return undefined;
	}
}
