/**
 * The screens' shared state (a tiny external store: React 17 has no
 * useSyncExternalStore) and the test hooks on #strongbox-app.
 *
 * #strongbox-app reports what the screen does, for people and tests alike:
 * data-busy ("1" while a user action or a load runs), data-state (loading, idle,
 * running, succeeded, failed, cancelled) with data-op, data-screen, and the DOM
 * events strongbox:progress, strongbox:done and strongbox:error.
 * window.strongboxAdmin.state keeps the snapshot list and, per operation, the
 * last result (results[op]) or error (errors[op]).
 */
import { useEffect, useState } from '@wordpress/element';

const listeners = new Set();
let state = {};

export function initStore( initial ) {
	state = initial;
}

export function getState() {
	return state;
}

export function setState( patch ) {
	state = Object.assign( {}, state, typeof patch === 'function' ? patch( state ) : patch );
	for ( const l of [ ...listeners ] ) {
		l();
	}
}

export function useStore() {
	const [ , force ] = useState( 0 );
	useEffect( () => {
		const l = () => force( ( n ) => n + 1 );
		listeners.add( l );
		return () => listeners.delete( l );
	}, [] );
	return state;
}

// ------------------------------------------------------------- test hooks

let app = null;
let busyCount = 0;
export const testState = { snapshots: null, results: {}, errors: {} };

export function bindApp( el ) {
	app = el;
	app.dataset.busy = busyCount > 0 ? '1' : '0';
}

export function emit( name, detail ) {
	if ( app ) {
		app.dispatchEvent( new window.CustomEvent( 'strongbox:' + name, { detail } ) );
	}
}

export function markState( s, op ) {
	if ( app ) {
		app.dataset.state = s;
		if ( op ) {
			app.dataset.op = op;
		}
	}
}

/** Marks #strongbox-app data-busy="1" while fn runs (tests wait for "0"). */
export async function track( fn ) {
	busyCount++;
	if ( app ) {
		app.dataset.busy = '1';
	}
	try {
		return await fn();
	} finally {
		busyCount--;
		if ( app && busyCount === 0 ) {
			app.dataset.busy = '0';
		}
	}
}
