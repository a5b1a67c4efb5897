/**
 * Entry point: reads the configuration Strongbox\Admin\Page printed, mounts
 * the screens (render(): WordPress 6.1 ships React 17, without createRoot).
 */
import { createElement, render } from '@wordpress/element';

import './style.scss';
import App, { SCREENS } from './App';
import { bindApp, getState, initStore, markState, setState, testState, track } from './store';
import { checkInterrupted, loadDestinations, loadJobs, loadOptional, loadSnapshots, notice, recallSession } from './actions';
import { setLocale } from './format';
import { __ } from '@wordpress/i18n';

function start() {
	const app = document.getElementById( 'strongbox-app' );
	const root = document.getElementById( 'strongbox-root' );
	const configEl = document.getElementById( 'strongbox-admin-config' );
	if ( ! app || ! root || ! configEl ) {
		return;
	}
	const config = JSON.parse( configEl.textContent );
	setLocale( config.locale );
	const slug = new URL( window.location.href ).searchParams.get( 'page' );
	const screen = ( SCREENS.find( ( x ) => x[ 2 ] === slug ) || SCREENS[ 0 ] )[ 0 ];
	initStore( {
		config,
		screen,
		loaded: false,
		destinations: config.destinations || [],
		destinationId: ( config.destinations && config.destinations[ 0 ] && config.destinations[ 0 ].id ) || '',
		hasPassphrase: !! config.hasPassphrase,
		snapshots: {},
		snapshotsError: {},
		jobs: [],
		status: null,
		schedules: null,
		settings: null,
		busy: null,
		progress: null,
		notice: null,
		announce: '',
		session: null,
		interrupted: null,
		verified: {},
	} );
	Object.assign( window.strongboxAdmin, { state: testState, config: { restUrl: config.restUrl } } );
	bindApp( app );
	markState( 'loading' );
	render( <App />, root );

	window.addEventListener( 'beforeunload', ( e ) => {
		const { busy } = window.strongboxAdmin.store();
		if ( busy && busy !== 'snapshots' ) {
			e.preventDefault();
			e.returnValue = __( 'A Strongbox operation is running in this tab; leaving the page stops it.', 'strongbox' );
			return e.returnValue;
		}
		return undefined;
	} );

	track( async () => {
		try {
			await loadDestinations();
		} catch ( err ) {
			notice( 'error', err.message );
		}
		await Promise.all( [ loadJobs(), loadOptional(), recallSession() ] );
		setState( { loaded: true } );
		markState( 'idle' );
		if ( ! config.engineReady ) {
			notice( 'error', __( 'The backup engine is not installed with this copy of the plugin.', 'strongbox' ) );
			return;
		}
		await checkInterrupted().catch( () => {} );
		await loadSnapshots();
	} );
}

window.strongboxAdmin = window.strongboxAdmin || {};
window.strongboxAdmin.store = getState;

if ( document.readyState === 'loading' ) {
	document.addEventListener( 'DOMContentLoaded', start );
} else {
	start();
}
