/**
 * The Strongbox screens: Dashboard, Snapshots, Restore, Settings (and the
 * first-run setup), switched in the page so a running backup never stops.
 */
import { createElement, Fragment, useEffect, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

import { useStore, setState, markState } from './store';
import { InterruptedRestore, LiveRegion, Notices } from './components/common';
import Dashboard from './screens/Dashboard';
import Snapshots from './screens/Snapshots';
import RestoreWizard, { RestoreFinish } from './screens/RestoreWizard';
import Settings from './screens/Settings';
import FirstRun from './screens/FirstRun';

export const SCREENS = [
	[ 'dashboard', __( 'Dashboard', 'strongbox' ), 'strongbox' ],
	[ 'snapshots', __( 'Snapshots', 'strongbox' ), 'strongbox-snapshots' ],
	[ 'restore', __( 'Restore', 'strongbox' ), 'strongbox-restore' ],
	[ 'settings', __( 'Settings', 'strongbox' ), 'strongbox-settings' ],
];

function pageUrl( slug ) {
	const u = new URL( window.location.href );
	u.searchParams.set( 'page', slug );
	u.hash = '';
	return u.pathname + u.search;
}

/** Keeps WordPress's own admin menu in step with the screen shown. */
function highlightMenu( slug ) {
	const menu = document.getElementById( 'toplevel_page_strongbox' );
	if ( ! menu ) {
		return;
	}
	for ( const li of menu.querySelectorAll( '.wp-submenu li' ) ) {
		const a = li.querySelector( 'a' );
		const on = !! a && new URL( a.href, window.location.href ).searchParams.get( 'page' ) === slug;
		li.classList.toggle( 'current', on );
		if ( a ) {
			a.classList.toggle( 'current', on );
			if ( on ) {
				a.setAttribute( 'aria-current', 'page' );
			} else {
				a.removeAttribute( 'aria-current' );
			}
		}
	}
}

export default function App() {
	const s = useStore();
	const [ setupDismissed, setSetupDismissed ] = useState( false );
	const needsSetup = s.loaded && ( ! s.hasPassphrase || ! s.destinations.length );
	const [ inSetup, setInSetup ] = useState( false );
	useEffect( () => {
		if ( needsSetup && ! setupDismissed ) {
			setInSetup( true );
		}
	}, [ needsSetup ] );

	const go = ( screen, section ) => {
		const entry = SCREENS.find( ( x ) => x[ 0 ] === screen ) || SCREENS[ 0 ];
		window.history.pushState( { screen }, '', pageUrl( entry[ 2 ] ) );
		highlightMenu( entry[ 2 ] );
		setState( { screen, section: section || null } );
		setInSetup( false );
		window.scrollTo( 0, 0 );
		const h = document.getElementById( 'strongbox-screen-title' );
		if ( h ) {
			h.focus();
		}
	};

	useEffect( () => {
		const onPop = () => {
			const slug = new URL( window.location.href ).searchParams.get( 'page' );
			const entry = SCREENS.find( ( x ) => x[ 2 ] === slug ) || SCREENS[ 0 ];
			highlightMenu( entry[ 2 ] );
			setState( { screen: entry[ 0 ] } );
		};
		window.addEventListener( 'popstate', onPop );
		return () => window.removeEventListener( 'popstate', onPop );
	}, [] );

	useEffect( () => {
		const app = document.getElementById( 'strongbox-app' );
		if ( app ) {
			app.dataset.screen = inSetup ? 'setup' : s.screen;
		}
	}, [ s.screen, inSetup ] );

	const current = SCREENS.find( ( x ) => x[ 0 ] === s.screen ) || SCREENS[ 0 ];
	const showSetup = inSetup && ! setupDismissed;

	return (
		<Fragment>
			<h1 className="wp-heading-inline">{ __( 'Strongbox backups', 'strongbox' ) }</h1>
			<hr className="wp-header-end" />
			<LiveRegion />
			{ ! showSetup && (
				<nav className="nav-tab-wrapper strongbox-tabs" aria-label={ __( 'Strongbox screens', 'strongbox' ) }>
					{ SCREENS.map( ( [ id, label, slug ] ) => (
						<a
							key={ id }
							href={ pageUrl( slug ) }
							className={ 'nav-tab' + ( id === s.screen ? ' nav-tab-active' : '' ) }
							aria-current={ id === s.screen ? 'page' : undefined }
							onClick={ ( e ) => {
								if ( e.metaKey || e.ctrlKey || e.shiftKey ) {
									return;
								}
								e.preventDefault();
								go( id );
							} }
						>
							{ label }
						</a>
					) ) }
				</nav>
			) }
			<InterruptedRestore />
			<Notices />
			<RestoreFinish />
			<h2 id="strongbox-screen-title" className="screen-reader-text" tabIndex="-1">
				{ showSetup ? __( 'Set up', 'strongbox' ) : current[ 1 ] }
			</h2>
			{ ! s.loaded ? (
				<p className="strongbox-loading">{ __( 'Loading…', 'strongbox' ) }</p>
			) : showSetup ? (
				<Fragment>
					<FirstRun
						onDone={ () => {
							setSetupDismissed( true );
							go( 'dashboard' );
						} }
					/>
					{ ! s.busy && (
						<p>
							<button
								type="button"
								className="button-link"
								onClick={ () => {
									setSetupDismissed( true );
									setInSetup( false );
									markState( 'idle' );
								} }
							>
								{ __( 'Set up later (the shop stays without a backup)', 'strongbox' ) }
							</button>
						</p>
					) }
				</Fragment>
			) : s.screen === 'snapshots' ? (
				<Snapshots go={ go } />
			) : s.screen === 'restore' ? (
				<RestoreWizard go={ go } />
			) : s.screen === 'settings' ? (
				<Settings section={ s.section } />
			) : (
				<Dashboard go={ go } />
			) }
		</Fragment>
	);
}
