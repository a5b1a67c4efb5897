/**
 * What the screens do: REST calls (api-fetch, cookie + nonce) and the engine's
 * operations through strongbox-client.js (the engine stays in its Web Worker).
 */
import apiFetch from '@wordpress/api-fetch';
import { __, sprintf } from '@wordpress/i18n';

import { emit, getState, markState, setState, testState, track } from './store';
import { num, size, duration } from './format';

// ------------------------------------------------------------------- REST

/** A call to strongbox/v1; failures reject with {code, message, status}. */
export async function api( path, { method = 'GET', data, headers } = {} ) {
	try {
		return await apiFetch( { path: '/strongbox/v1/' + path.replace( /^\//, '' ), method, data, headers } );
	} catch ( err ) {
		const e = new Error( ( err && err.message ) || __( 'The site did not answer.', 'strongbox' ) );
		e.code = ( err && err.code ) || 'site';
		e.status = err && err.data && err.data.status;
		throw e;
	}
}

/** Whether an error means "this route does not exist in this version of the plugin". */
export function isMissingRoute( err ) {
	return !! err && ( err.code === 'rest_no_route' || err.status === 404 ) && ! /^strongbox_/.test( err.code || '' );
}

/**
 * An optional route (built in parallel: /status, /schedules, /settings):
 * {available: true, data} or {available: false} on 404, {available: true, error} otherwise.
 */
async function optional( path ) {
	try {
		return { available: true, data: await api( path ) };
	} catch ( err ) {
		if ( isMissingRoute( err ) ) {
			return { available: false };
		}
		return { available: true, error: err };
	}
}

export async function loadDestinations() {
	const list = await api( 'destinations' );
	const destinations = Array.isArray( list ) ? list : ( list && list.destinations ) || [];
	setState( ( s ) => ( {
		destinations,
		destinationId: destinations.some( ( d ) => d.id === s.destinationId ) ? s.destinationId : ( destinations[ 0 ] && destinations[ 0 ].id ) || '',
	} ) );
	return destinations;
}

export async function loadJobs() {
	try {
		const r = await api( 'jobs?per_page=100' );
		setState( { jobs: ( r && r.jobs ) || [] } );
	} catch ( e ) {
		setState( { jobs: [] } );
	}
}

let routes = null;

export async function loadOptional() {
	// The namespace index says which routes this version of the plugin has (no 404s to ask).
	if ( ! routes ) {
		try {
			const index = await apiFetch( { path: '/strongbox/v1' } );
			routes = Object.keys( ( index && index.routes ) || {} );
		} catch ( e ) {
			routes = null;
		}
	}
	const has = ( r ) => ! routes || routes.includes( '/strongbox/v1/' + r );
	const maybe = ( r ) => ( has( r ) ? optional( r ) : Promise.resolve( { available: false } ) );
	const [ status, schedules, settings, drills ] = await Promise.all( [ maybe( 'status' ), maybe( 'schedules' ), maybe( 'settings' ), maybe( 'restore/drills' ) ] );
	setState( { status, schedules, settings, drills } );
}

export async function loadPassphraseState() {
	try {
		const r = await api( 'settings/passphrase' );
		setState( { hasPassphrase: !! ( r && r.has_passphrase ) } );
	} catch ( e ) {
		// Keep what the page was given.
	}
}

// ----------------------------------------------------------------- engine

let client = null;
let clientPromise = null;

export function getClient() {
	if ( client ) {
		return Promise.resolve( client );
	}
	if ( ! clientPromise ) {
		const config = getState().config;
		clientPromise = import( /* webpackIgnore: true */ config.clientUrl ).then( ( { StrongboxClient } ) => {
			client = new StrongboxClient( {
				restUrl: config.restUrl,
				nonce: config.nonce,
				ajaxUrl: config.ajaxUrl,
				workerUrl: config.workerUrl,
				engineUrl: config.engineUrl,
				wasmUrl: config.wasmUrl,
				onProgress: ( ev, op ) => {
					if ( op === 'backup' || op === 'restore' || op === 'check' ) {
						progress( ev );
					}
				},
			} );
			window.strongboxAdmin.client = client;
			return client;
		} );
		clientPromise.catch( () => {
			clientPromise = null;
		} );
	}
	return clientPromise;
}

const PHASES = {
	files: __( 'Reading files', 'strongbox' ),
	database: __( 'Reading the database', 'strongbox' ),
	upload: __( 'Uploading', 'strongbox' ),
	index: __( 'Writing the index', 'strongbox' ),
	restore: __( 'Restoring', 'strongbox' ),
	check: __( 'Checking', 'strongbox' ),
};

export function phaseLabel( phase ) {
	return PHASES[ phase ] || phase || '';
}

let lastPhase = null;
function progress( ev ) {
	const phase = ev.phase || '';
	const patch = { progress: ev };
	if ( phase !== lastPhase ) {
		lastPhase = phase;
		// Phase changes are announced; bytes are not (a screen reader would never stop talking).
		patch.announce = phaseLabel( phase );
	}
	setState( patch );
	emit( 'progress', ev );
}

/** Shows a notice above the screen (null hides it). */
export function notice( status, text, extra = {} ) {
	setState( { notice: text ? Object.assign( { status, text }, extra ) : null } );
}

export function announce( text ) {
	setState( { announce: text || '' } );
}

/** Plain words for an engine or REST error, with what to do. */
/** An engine message without the browser's stack trace (kept in the job log). */
export function cleanMessage( message ) {
	return String( message || '' )
		.replace( /JsValue\([\s\S]*\)\)\s*/, '' )
		.replace( /\s+/g, ' ' )
		.trim();
}

export function explain( err ) {
	const code = ( err && err.code ) || 'error';
	const message = cleanMessage( ( err && err.message ) || String( err ) );
	switch ( code ) {
		case 'wrong_password':
			return __( 'The encryption passphrase saved in Settings does not open the backups at this destination. Enter the passphrase they were made with.', 'strongbox' ) + ' (' + message + ')';
		case 'locked':
			return __( 'Another backup or restore is using this destination right now. Wait until it ends, then try again.', 'strongbox' ) + ' (' + message + ')';
		case 'cancelled':
			return __( 'The operation was cancelled. The backups already at the destination are intact.', 'strongbox' );
		default:
			/* translators: 1: error message, 2: error code */
			return sprintf( __( 'Failed: %1$s (%2$s)', 'strongbox' ), message, code );
	}
}

/**
 * Runs one engine operation with the shared busy/notice/event handling;
 * resolves to its value, or undefined when it failed (the error is in
 * testState.errors[op] and on the screen).
 */
export async function operation( op, fn, { quietErrors = [] } = {} ) {
	if ( getState().busy ) {
		return undefined;
	}
	lastPhase = null;
	delete testState.results[ op ];
	delete testState.errors[ op ];
	markState( 'running', op );
	const long = op === 'backup' || op === 'restore' || op === 'check';
	setState( { busy: op, progress: long ? {} : getState().progress, cancelling: false } );
	if ( long ) {
		notice( null );
		announce( __( 'Starting the backup engine…', 'strongbox' ) );
	}
	try {
		const c = await getClient();
		const value = await fn( c );
		testState.results[ op ] = value;
		markState( 'succeeded', op );
		emit( 'done', { op, value } );
		return value;
	} catch ( err ) {
		const code = ( err && err.code ) || 'error';
		const message = ( err && err.message ) || String( err );
		testState.errors[ op ] = { code, message };
		markState( code === 'cancelled' ? 'cancelled' : 'failed', op );
		if ( ! quietErrors.includes( code ) ) {
			const text = explain( err );
			notice( code === 'cancelled' ? 'warning' : 'error', text, { code } );
			announce( text );
		}
		emit( 'error', { op, code, message } );
		return undefined;
	} finally {
		setState( { busy: null, cancelling: false } );
	}
}

export function cancel() {
	if ( client && getState().busy ) {
		setState( { cancelling: true } );
		announce( __( 'Cancelling…', 'strongbox' ) );
		client.cancel();
	}
}

// -------------------------------------------------------------- snapshots

export function canWork( s = getState() ) {
	return !! ( s.config.engineReady && s.hasPassphrase && s.destinationId );
}

export async function loadSnapshots( destinationId = getState().destinationId ) {
	if ( ! canWork() || ! destinationId ) {
		return null;
	}
	setState( ( s ) => ( { snapshots: Object.assign( {}, s.snapshots, { [ destinationId ]: null } ), snapshotsError: Object.assign( {}, s.snapshotsError, { [ destinationId ]: null } ) } ) );
	testState.snapshots = null;
	const list = await track( () => operation( 'snapshots', ( c ) => c.snapshots( destinationId ), { quietErrors: [ 'no_repository' ] } ) );
	const err = testState.errors.snapshots;
	const result = list || [];
	testState.snapshots = list === undefined && err && err.code !== 'no_repository' ? null : result;
	setState( ( s ) => ( {
		snapshots: Object.assign( {}, s.snapshots, { [ destinationId ]: result } ),
		snapshotsError: Object.assign( {}, s.snapshotsError, { [ destinationId ]: list === undefined ? err || null : null } ),
	} ) );
	if ( list === undefined && err && err.code !== 'no_repository' ) {
		testState.snapshots = [];
	}
	return list;
}

export async function backup( destinationId = getState().destinationId, trigger = 'manual' ) {
	if ( ! destinationId ) {
		notice( 'error', __( 'Choose a destination first.', 'strongbox' ) );
		return undefined;
	}
	const result = await operation( 'backup', ( c ) => c.backup( destinationId, { trigger } ) );
	if ( result ) {
		const s = result.stats || {};
		const text = sprintf(
			/* translators: 1: snapshot short id, 2: size of new data stored, 3: duration */
			__( 'Backup finished: snapshot %1$s, %2$s of new data stored in %3$s.', 'strongbox' ),
			result.short_id || result.snapshot_id,
			size( s.bytes_stored !== undefined ? s.bytes_stored : s.bytes_new ),
			duration( num( s.duration_ms ) / 1000 )
		);
		notice( 'success', text );
		announce( text );
		setState( { lastBackup: result } );
		await Promise.all( [ loadSnapshots( destinationId ), loadJobs(), loadOptional() ] );
		markState( 'succeeded', 'backup' );
		announce( text );
	} else {
		const e = testState.errors.backup;
		if ( e && ( e.code === 'cors' || e.code === 'storage' ) ) {
			await diagnose( destinationId, e );
		}
		loadJobs();
	}
	return result;
}

/**
 * A browser cannot tell an offline storage from a CORS refusal (both are a
 * failed fetch): the site's own test of the destination (run from the server)
 * tells which, and the notice says it plainly.
 */
async function diagnose( destinationId, e ) {
	let r;
	try {
		r = await api( 'destinations/' + destinationId + '/test', { method: 'POST', data: { origin: window.location.origin } } );
	} catch ( err ) {
		return;
	}
	const failed = ( r.checks || [] ).find( ( c ) => ! c.ok && ! c.skipped );
	if ( ! failed ) {
		return;
	}
	const d = ( getState().destinations || [] ).find( ( x ) => x.id === destinationId ) || {};
	let text;
	if ( failed.id === 'endpoint' ) {
		/* translators: 1: storage address, 2: what the test found */
		text = sprintf( __( 'The backup failed: the storage at %1$s cannot be reached (%2$s). Nothing was written. Check that the storage is online and its address in Settings is right.', 'strongbox' ), d.endpoint || '', failed.message );
	} else if ( failed.id === 'cors' ) {
		/* translators: %s: what the test found */
		text = sprintf( __( 'The backup failed: the bucket does not let this site upload from the browser (CORS). %s Open Settings, Destinations, Edit and test: “Fix CORS for this site” adds the rule.', 'strongbox' ), failed.message );
	} else {
		/* translators: %s: what the test found */
		text = sprintf( __( 'The backup failed: %s Nothing was written.', 'strongbox' ), failed.message );
	}
	e.diagnosis = failed.id;
	notice( 'error', text, { code: e.code } );
	announce( text );
}

export async function verify( destinationId = getState().destinationId ) {
	const r = await operation( 'check', ( c ) => c.check( destinationId, { readData: true } ) );
	if ( r ) {
		const ids = ( getState().snapshots[ destinationId ] || [] ).map( ( s ) => s.id );
		const record = { time: new Date().toISOString(), ok: !! r.ok, snapshots: ids, errors: ( r.errors || [] ).length };
		try {
			window.localStorage.setItem( 'strongbox.verified.' + destinationId, JSON.stringify( record ) );
		} catch ( e ) {
			// Private mode: shown until the page is left.
		}
		setState( ( s ) => ( { verified: Object.assign( {}, s.verified, { [ destinationId ]: record } ) } ) );
		const text = r.ok
			? __( 'Verification passed: every piece of data of every snapshot was read back and matches its checksum.', 'strongbox' )
			/* translators: %s: number of problems */
			: sprintf( __( 'Verification found %s problems. Make a new backup now, and see the job log.', 'strongbox' ), ( r.errors || [] ).length );
		notice( r.ok ? 'success' : 'error', text );
		announce( text );
	}
	return r;
}

export function verifiedRecord( destinationId ) {
	const s = getState();
	if ( s.verified && s.verified[ destinationId ] ) {
		return s.verified[ destinationId ];
	}
	try {
		return JSON.parse( window.localStorage.getItem( 'strongbox.verified.' + destinationId ) || 'null' );
	} catch ( e ) {
		return null;
	}
}

// ---------------------------------------------------------------- restore

const SESSION_STORE = 'strongbox-restore-session';

export async function restore( destinationId, snapshot, what ) {
	notice( 'warning', __( 'Restoring… visitors see a maintenance page until you keep the restored site or roll back.', 'strongbox' ) );
	const session = await operation( 'restore', ( c ) => c.restore( destinationId, snapshot, what ) );
	if ( session ) {
		restored( session, { destinationId, snapshot, what } );
	}
	return session;
}

export function restored( session, info = {} ) {
	const saved = { id: session.id, key: session.key, snapshot: info.snapshot || null, what: info.what || null, result: session.result || null };
	try {
		window.sessionStorage.setItem( SESSION_STORE, JSON.stringify( saved ) );
	} catch ( e ) {
		// Private mode: the session can still be finished from this page.
	}
	const r = session.result || {};
	const text = sprintf(
		/* translators: 1: number of tables, 2: number of rows, 3: number of files */
		__( 'Restored %1$s tables (%2$s rows) and %3$s files. Check the site, then keep it or roll back.', 'strongbox' ),
		num( r.tables ),
		num( r.rows ),
		num( r.files )
	);
	setState( { session: saved } );
	// The panel with Keep / Roll back says it on the screen; the live region says it aloud.
	notice( null );
	announce( text );
}

export async function finishRestore( action ) {
	const session = getState().session;
	if ( ! session ) {
		return undefined;
	}
	const value = await operation( action, ( c ) => ( action === 'commit' ? c.commit( session ) : c.rollback( session ) ) );
	if ( value !== undefined ) {
		try {
			window.sessionStorage.removeItem( SESSION_STORE );
		} catch ( e ) {
			// Nothing stored.
		}
		setState( { session: null, finished: { action, at: Date.now(), snapshot: session.snapshot } } );
		const text = action === 'commit' ? __( 'The restore is kept: the site runs on the restored data.', 'strongbox' ) : __( 'The restore was rolled back: the site is as it was before.', 'strongbox' );
		notice( 'success', text );
		announce( text );
		loadJobs();
	}
	return value;
}

/** A restore swapped in before a reload can still be kept or rolled back. */
export async function recallSession() {
	let saved = null;
	try {
		saved = JSON.parse( window.sessionStorage.getItem( SESSION_STORE ) || 'null' );
	} catch ( e ) {
		saved = null;
	}
	if ( ! saved || ! saved.id || ! saved.key ) {
		return;
	}
	try {
		const s = await api( 'restore/sessions/' + saved.id, { headers: { 'X-Strongbox-Session-Key': saved.key } } );
		if ( s && s.state === 'swapped' ) {
			setState( { session: Object.assign( saved, { expires: s.expires } ) } );
			return;
		}
	} catch ( e ) {
		// Gone or expired (then it was rolled back automatically).
	}
	try {
		window.sessionStorage.removeItem( SESSION_STORE );
	} catch ( e ) {
		// Nothing stored.
	}
}

/** A restore whose tab was closed mid-way: offered to resume or roll back. */
export async function checkInterrupted() {
	const c = await getClient();
	const pending = await c.interruptedRestore();
	setState( { interrupted: pending || null } );
	if ( pending ) {
		announce( __( 'A restore was interrupted and the site still shows the maintenance page to visitors. Resume it, or roll it back.', 'strongbox' ) );
	}
}

export async function resumeInterrupted() {
	const pending = getState().interrupted;
	setState( { interrupted: null } );
	notice( 'warning', __( 'Restoring… visitors see a maintenance page until you keep the restored site or roll back.', 'strongbox' ) );
	const session = await operation( 'restore', ( c ) => c.resumeRestore( pending ) );
	if ( session ) {
		restored( session, { snapshot: pending.snapshot, what: pending.what } );
	}
}

export async function discardInterrupted() {
	const pending = getState().interrupted;
	setState( { interrupted: null } );
	try {
		const c = await getClient();
		await c.discardRestore( pending );
		const text = __( 'The restore was rolled back: the site is as it was before.', 'strongbox' );
		notice( 'success', text );
		announce( text );
	} catch ( err ) {
		notice( 'error', explain( err ) );
	}
}

// --------------------------------------------------- snapshot contents

let featuresPromise = null;

/**
 * What the installed engine can do beyond backup/restore: {tree, archive}.
 * (listTree, folderSizes, readFile, exportTable: see ENGINE-NEEDS.)
 */
export function engineFeatures() {
	if ( ! featuresPromise ) {
		featuresPromise = getClient()
			.then( ( c ) => ( typeof c.features === 'function' ? c.features() : [] ) )
			.catch( () => [] )
			.then( ( names ) => ( {
				names,
				tree: names.includes( 'folderSizes' ),
				archive: names.includes( 'listTree' ) && names.includes( 'readFile' ) && names.includes( 'exportTable' ),
			} ) );
	}
	return featuresPromise;
}

export async function snapshotFolders( destinationId, snapshotId ) {
	const c = await getClient();
	return c.folderSizes( destinationId, snapshotId, { depth: 3 } );
}

export async function downloadArchive( destinationId, snap ) {
	const { writeArchive } = await import( './archive' );
	return writeArchive( destinationId, snap );
}
