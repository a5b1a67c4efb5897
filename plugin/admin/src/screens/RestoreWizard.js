/**
 * Restore wizard: snapshot -> what -> preflight -> typed confirmation ->
 * progress -> result (keep, or roll back in one click while the session is open).
 */
import { createElement, Fragment, useEffect, useState } from '@wordpress/element';
import { Button, CheckboxControl, RadioControl, Spinner } from '@wordpress/components';
import { __, _n, sprintf } from '@wordpress/i18n';

import { getState, setState, track, useStore } from '../store';
import { api, canWork, finishRestore, loadSnapshots, restore } from '../actions';
import { ago, count, dateTime, num, size, snapshotSize, toDate } from '../format';
import { Badge, DestinationPicker, Progress, Section, destinationLabel } from '../components/common';
import { snapshotLabel } from './Snapshots';

const STEPS = [
	[ 'snapshot', __( 'Snapshot', 'strongbox' ) ],
	[ 'what', __( 'What to restore', 'strongbox' ) ],
	[ 'preflight', __( 'Checks', 'strongbox' ) ],
	[ 'confirm', __( 'Confirm', 'strongbox' ) ],
	[ 'progress', __( 'Restore', 'strongbox' ) ],
	[ 'result', __( 'Result', 'strongbox' ) ],
];

const COMMON_FOLDERS = [ 'wp-content/uploads', 'wp-content/plugins', 'wp-content/themes' ];

function Steps( { step } ) {
	const at = STEPS.findIndex( ( x ) => x[ 0 ] === step );
	return (
		<ol className="strongbox-steps" aria-label={ __( 'Restore steps', 'strongbox' ) }>
			{ STEPS.map( ( [ id, label ], i ) => (
				<li key={ id } className={ i < at ? 'is-done' : i === at ? 'is-current' : '' } aria-current={ i === at ? 'step' : undefined }>
					<span className="strongbox-step-n">{ i + 1 }</span> { label }
				</li>
			) ) }
		</ol>
	);
}

/** The part of the restore in the engine's terms: {database, files, tables, paths}. */
export function restoreWhat( choice ) {
	switch ( choice.mode ) {
		case 'database':
			return { database: true, files: false };
		case 'files':
			return { database: false, files: true };
		case 'selected': {
			const tables = choice.tables || [];
			const paths = ( choice.folders || [] ).map( ( p ) => p.trim().replace( /^\/+|\/+$/g, '' ) ).filter( Boolean );
			return { database: tables.length > 0, files: paths.length > 0, tables: tables.length ? tables : null, paths: paths.length ? paths : null };
		}
		default:
			return { database: true, files: true };
	}
}

function touchesOrders( what, prefix ) {
	if ( ! what.database ) {
		return false;
	}
	if ( ! what.tables ) {
		return true;
	}
	const p = prefix || 'wp_';
	return what.tables.some( ( t ) => [ p + 'wc_orders', p + 'posts', p + 'postmeta', p + 'wc_orders_meta', p + 'woocommerce_order_items' ].includes( t ) );
}

function neededBytes( snap, what ) {
	const st = snap.stats || {};
	let n = 0;
	if ( what.files ) {
		n += num( st.file_bytes );
	}
	if ( what.database ) {
		if ( what.tables ) {
			const total = ( snap.tables || [] ).reduce( ( a, t ) => a + num( t.rows ), 0 ) || 1;
			const rows = ( snap.tables || [] ).filter( ( t ) => what.tables.includes( t.name ) ).reduce( ( a, t ) => a + num( t.rows ), 0 );
			n += ( num( st.db_bytes ) * rows ) / total;
		} else {
			n += num( st.db_bytes );
		}
	}
	return n;
}

function WhatStep( { snap, choice, setChoice } ) {
	const [ filter, setFilter ] = useState( '' );
	const tables = ( snap.tables || [] ).slice().sort( ( a, b ) => String( a.name ).localeCompare( String( b.name ) ) );
	const shown = filter ? tables.filter( ( t ) => t.name.includes( filter ) ) : tables;
	const options = [
		{ value: 'all', label: __( 'Everything: the database and all files', 'strongbox' ) },
		{ value: 'database', label: __( 'The database only (orders, products, customers, posts, settings)', 'strongbox' ) },
		{ value: 'files', label: __( 'The files only (uploads, plugins, themes)', 'strongbox' ) },
		{ value: 'selected', label: __( 'Selected tables or folders', 'strongbox' ) },
	].filter( ( o ) => ( o.value !== 'database' || ( snap.tables || [] ).length ) && ( o.value !== 'files' || snap.files ) );
	const toggleTable = ( name, on ) => setChoice( Object.assign( {}, choice, { tables: on ? [ ...( choice.tables || [] ), name ] : ( choice.tables || [] ).filter( ( x ) => x !== name ) } ) );
	const folders = choice.folders || [];
	const toggleFolder = ( p, on ) => setChoice( Object.assign( {}, choice, { folders: on ? [ ...folders, p ] : folders.filter( ( x ) => x !== p ) } ) );
	const custom = folders.filter( ( f ) => ! COMMON_FOLDERS.includes( f ) );
	return (
		<Fragment>
			<RadioControl label={ __( 'What should be restored?', 'strongbox' ) } selected={ choice.mode } options={ options } onChange={ ( mode ) => setChoice( Object.assign( {}, choice, { mode } ) ) } />
			{ choice.mode === 'selected' && (
				<div className="strongbox-grid">
					<fieldset className="strongbox-fieldset">
						<legend>{ __( 'Tables', 'strongbox' ) }</legend>
						<p>
							<label htmlFor="strongbox-table-filter">{ __( 'Filter tables', 'strongbox' ) }</label>{ ' ' }
							<input id="strongbox-table-filter" type="search" value={ filter } onChange={ ( e ) => setFilter( e.target.value ) } />
						</p>
						<div className="strongbox-scroll strongbox-checklist">
							{ shown.map( ( t ) => (
								<CheckboxControl
									key={ t.name }
									label={ sprintf( /* translators: 1: table name, 2: rows */ __( '%1$s (%2$s rows)', 'strongbox' ), t.name, count( t.rows ) ) }
									checked={ ( choice.tables || [] ).includes( t.name ) }
									onChange={ ( on ) => toggleTable( t.name, on ) }
								/>
							) ) }
						</div>
					</fieldset>
					{ snap.files && (
						<fieldset className="strongbox-fieldset">
							<legend>{ __( 'Folders', 'strongbox' ) }</legend>
							{ COMMON_FOLDERS.map( ( p ) => (
								<CheckboxControl key={ p } label={ p } checked={ folders.includes( p ) } onChange={ ( on ) => toggleFolder( p, on ) } />
							) ) }
							<p>
								<label htmlFor="strongbox-folders-custom">{ __( 'Other folders or files (one per line, from the WordPress folder)', 'strongbox' ) }</label>
								<br />
								<textarea
									id="strongbox-folders-custom"
									rows="3"
									className="large-text code"
									value={ custom.join( '\n' ) }
									placeholder="wp-content/uploads/2024/05"
									onChange={ ( e ) =>
										setChoice(
											Object.assign( {}, choice, {
												folders: [ ...folders.filter( ( f ) => COMMON_FOLDERS.includes( f ) ), ...e.target.value.split( '\n' ).map( ( x ) => x.trim() ).filter( Boolean ) ],
											} )
										)
									}
								/>
							</p>
							<p className="description">{ __( 'Files in a restored folder that the snapshot does not have are removed (and come back if you roll back).', 'strongbox' ) }</p>
						</fieldset>
					) }
				</div>
			) }
		</Fragment>
	);
}

function versionRows( snap, pre ) {
	const site = snap.site || {};
	const now = pre.versions || {};
	const rows = [
		[ 'WordPress', site.wordpress_version, now.wordpress ],
		[ 'WooCommerce', site.woocommerce_version, now.woocommerce ],
		[ __( 'Database server', 'strongbox' ), site.db_version, now.database ],
		[ 'PHP', site.php_version, now.php ],
	];
	return rows.filter( ( r ) => r[ 1 ] || r[ 2 ] );
}

function Preflight( { snap, what, pre, siteInfo } ) {
	const needed = neededBytes( snap, what );
	const free = pre.private_free_bytes !== null && pre.private_free_bytes !== undefined ? pre.private_free_bytes : pre.disk_free_bytes;
	const diskOk = free === null || free === undefined || free > needed * 1.1;
	const notWritable = ( pre.writable || [] ).filter( ( w ) => w.exists && ! w.writable );
	const shop = pre.shop;
	const orders = touchesOrders( what, siteInfo && siteInfo.table_prefix ) && shop && num( shop.orders_since ) > 0;
	const prefix = ( siteInfo && siteInfo.table_prefix ) || 'wp_';
	return (
		<div id="strongbox-preflight">
			{ orders && (
				<div className="strongbox-callout is-red" id="strongbox-orders-warning" role="alert">
					<h3>
						{ sprintf(
							/* translators: %s: number of orders */
							_n( '%s order was placed since this snapshot', '%s orders were placed since this snapshot', num( shop.orders_since ), 'strongbox' ),
							count( shop.orders_since )
						) }
					</h3>
					<p>
						{ num( shop.orders_since ) === 1
							? what.tables
								? __( 'Restoring these tables would lose it: it would disappear from WooCommerce although the customer has paid and received the confirmation email.', 'strongbox' )
								: __( 'A full database restore would lose it: it would disappear from WooCommerce although the customer has paid and received the confirmation email.', 'strongbox' )
							: what.tables
							? __( 'Restoring these tables would lose them: they would disappear from WooCommerce although the customers have paid and received their confirmation emails.', 'strongbox' )
							: __( 'A full database restore would lose them: they would disappear from WooCommerce although the customers have paid and received their confirmation emails.', 'strongbox' ) }{ ' ' }
						{ shop.latest_order && sprintf( /* translators: %s: date */ __( 'The latest was placed %s.', 'strongbox' ), dateTime( shop.latest_order ) ) }
						{ num( shop.customers_since ) > 0 &&
							' ' +
								sprintf(
									/* translators: %s: number of accounts */
									_n( '%s customer account made since would be lost too.', '%s customer accounts made since would be lost too.', num( shop.customers_since ), 'strongbox' ),
									count( shop.customers_since )
								) }
					</p>
					<p>{ __( 'To keep them, export these orders first (WooCommerce > Orders), or restore only the files, or only the tables you need.', 'strongbox' ) }</p>
				</div>
			) }
			<table className="widefat strongbox-table strongbox-checks">
				<tbody>
					<tr>
						<th scope="row">{ __( 'Free disk space', 'strongbox' ) }</th>
						<td>{ diskOk ? <Badge tone="green">{ __( 'Enough', 'strongbox' ) }</Badge> : <Badge tone="red">{ __( 'Not enough', 'strongbox' ) }</Badge> }</td>
						<td>
							{ sprintf(
								/* translators: 1: space needed, 2: space free */
								__( 'The restore needs about %1$s; %2$s are free.', 'strongbox' ),
								size( needed ),
								free === null || free === undefined ? __( 'an unknown amount', 'strongbox' ) : size( free )
							) }
						</td>
					</tr>
					<tr>
						<th scope="row">{ __( 'Permissions', 'strongbox' ) }</th>
						<td>{ notWritable.length ? <Badge tone="red">{ __( 'Problem', 'strongbox' ) }</Badge> : <Badge tone="green">{ __( 'OK', 'strongbox' ) }</Badge> }</td>
						<td>
							{ notWritable.length
								? sprintf( /* translators: %s: list of folders */ __( 'WordPress cannot write to: %s. Files there cannot be restored.', 'strongbox' ), notWritable.map( ( w ) => w.path ).join( ', ' ) )
								: __( 'WordPress can write to the site folders and to its private restore folder.', 'strongbox' ) }
						</td>
					</tr>
					{ versionRows( snap, pre ).map( ( [ name, then, now ] ) => (
						<tr key={ name }>
							<th scope="row">{ name }</th>
							<td>{ ! then ? <Badge tone="neutral">{ __( 'Not recorded', 'strongbox' ) }</Badge> : then === now ? <Badge tone="green">{ __( 'Same', 'strongbox' ) }</Badge> : <Badge tone="amber">{ __( 'Different', 'strongbox' ) }</Badge> }</td>
							<td>
								{ sprintf(
									/* translators: 1: version in the snapshot, 2: version now */
									__( 'In the snapshot: %1$s · now: %2$s', 'strongbox' ),
									then || __( 'not recorded', 'strongbox' ),
									now || __( 'not installed', 'strongbox' )
								) }
								{ then && now && then !== now && what.database && name !== 'PHP' ? ' ' + __( 'The restored database was made by another version: WordPress or the plugin may run its database update after the restore.', 'strongbox' ) : '' }
							</td>
						</tr>
					) ) }
					<tr>
						<th scope="row">{ __( 'Plugins', 'strongbox' ) }</th>
						<td>
							<Badge tone="neutral">{ count( ( pre.plugins || [] ).length ) }</Badge>
						</td>
						<td>
							{ ( pre.plugins || [] ).map( ( p ) => p.name + ' ' + p.version ).join( ', ' ) }
							{ what.files ? '' : ' ' + __( 'Plugin files are not restored: the restored database will run with the plugins installed now.', 'strongbox' ) }
						</td>
					</tr>
					{ shop && ! orders && (
						<tr>
							<th scope="row">{ __( 'Orders since the snapshot', 'strongbox' ) }</th>
							<td>
								<Badge tone="green">{ count( shop.orders_since ) }</Badge>
							</td>
							<td>{ touchesOrders( what, prefix ) ? __( 'No order was placed since this snapshot: none would be lost.', 'strongbox' ) : __( 'The order tables are not part of this restore: no order is lost.', 'strongbox' ) }</td>
						</tr>
					) }
				</tbody>
			</table>
			{ pre.restore_session_open && <p className="strongbox-error-text">{ __( 'Another restore is still open on this site: keep it or roll it back first.', 'strongbox' ) }</p> }
		</div>
	);
}

/** Keep the restored site or roll it back: offered while the restore session is open. */
export function RestoreFinish() {
	const s = useStore();
	if ( ! s.session ) {
		return null;
	}
	const r = s.session.result || {};
	return (
		<div id="strongbox-restore-finish" className="strongbox-callout is-amber" role="region" aria-labelledby="strongbox-restore-finish-title">
			<h2 id="strongbox-restore-finish-title">{ __( 'The site now runs on the restored data', 'strongbox' ) }</h2>
			<p>
				{ sprintf(
					/* translators: 1: number of tables, 2: number of rows, 3: number of files */
					__( 'Restored %1$s tables (%2$s rows) and %3$s files.', 'strongbox' ),
					count( r.tables ),
					count( r.rows ),
					count( r.files )
				) }{ ' ' }
				{ __( 'Check the shop (for example in another tab). Visitors see a maintenance page until you keep it. Rolling back puts every table and file back exactly as it was before the restore.', 'strongbox' ) }
			</p>
			<p className="strongbox-actions">
				<Button id="strongbox-commit" variant="primary" disabled={ !! s.busy } onClick={ () => track( () => finishRestore( 'commit' ) ) }>
					{ __( 'Keep the restored site', 'strongbox' ) }
				</Button>
				<Button id="strongbox-rollback" variant="secondary" isDestructive disabled={ !! s.busy } onClick={ () => track( () => finishRestore( 'rollback' ) ) }>
					{ __( 'Roll back', 'strongbox' ) }
				</Button>
			</p>
		</div>
	);
}

export default function RestoreWizard( { go } ) {
	const s = useStore();
	const draft = s.restoreDraft || {};
	const list = s.snapshots[ s.destinationId ];
	const [ step, setStep ] = useState( draft.snapshotId ? 'what' : 'snapshot' );
	const [ snapId, setSnapId ] = useState( draft.snapshotId || '' );
	const [ choice, setChoice ] = useState( { mode: 'all', tables: [], folders: [] } );
	const [ pre, setPre ] = useState( null );
	const [ word, setWord ] = useState( '' );
	const siteName = ( s.config.siteName || '' ).trim() || s.config.homeHost;

	useEffect( () => {
		// A restore chosen from the snapshot list.
		if ( draft.snapshotId && draft.snapshotId !== snapId ) {
			setSnapId( draft.snapshotId );
			setStep( 'what' );
		}
	}, [ draft.snapshotId ] );

	useEffect( () => {
		if ( s.session && step !== 'result' ) {
			setStep( 'result' );
		}
	}, [ !! s.session ] );

	const snap = list && list.find( ( x ) => x.id === snapId );
	const what = restoreWhat( choice );
	const whatOk = what.database || what.files;

	const runPreflight = () =>
		track( async () => {
			setPre( { loading: true } );
			try {
				const [ p, site ] = await Promise.all( [ api( 'restore/preflight?since=' + encodeURIComponent( snap.time ) ), api( 'site' ) ] );
				setPre( { data: p, site } );
			} catch ( err ) {
				setPre( { error: err } );
			}
		} );

	const go2 = ( next ) => {
		setStep( next );
		if ( next === 'preflight' ) {
			runPreflight();
		}
		if ( next === 'confirm' ) {
			setWord( '' );
		}
		window.setTimeout( () => {
			const h = document.getElementById( 'strongbox-wizard-step' );
			if ( h ) {
				h.focus();
			}
		}, 0 );
	};

	const start = async () => {
		go2( 'progress' );
		const session = await track( () => restore( s.destinationId, snap.id, what ) );
		setState( { restoreDraft: null } );
		setStep( session ? 'result' : 'failed' );
	};

	if ( ! canWork( s ) ) {
		return (
			<Section title={ __( 'Restore', 'strongbox' ) } id="strongbox-restore">
				<p>{ __( 'Restoring needs the encryption passphrase and a destination (Settings).', 'strongbox' ) }</p>
			</Section>
		);
	}

	const blocked = pre && pre.data && ( pre.data.restore_session_open || ( pre.data.writable || [] ).some( ( w ) => w.exists && ! w.writable ) );
	const stepTitle = ( STEPS.find( ( x ) => x[ 0 ] === step ) || [ '', __( 'Restore', 'strongbox' ) ] )[ 1 ];

	return (
		<Fragment>
			{ step === 'snapshot' && <DestinationPicker /> }
			<Section title={ __( 'Restore', 'strongbox' ) } id="strongbox-restore">
				<Steps step={ step === 'failed' ? 'result' : step } />
				<h3 id="strongbox-wizard-step" tabIndex="-1" className="strongbox-step-title">
					{ stepTitle }
				</h3>
				{ step === 'snapshot' && (
					<Fragment>
						{ ! list ? (
							<p>
								<Spinner /> { __( 'Loading the snapshots…', 'strongbox' ) }
							</p>
						) : ! list.length ? (
							<p>{ __( 'There are no backups at this destination yet.', 'strongbox' ) }</p>
						) : (
							<RadioControl
								label={ __( 'Restore the shop as it was at', 'strongbox' ) }
								selected={ snapId }
								options={ list
									.slice()
									.reverse()
									.map( ( x ) => ( { value: x.id, label: snapshotLabel( x ) + ' · ' + ago( x.time ) + ' · ' + size( snapshotSize( x ) ) } ) ) }
								onChange={ setSnapId }
							/>
						) }
						<p className="strongbox-actions">
							<Button variant="primary" disabled={ ! snap } onClick={ () => go2( 'what' ) }>
								{ __( 'Next', 'strongbox' ) }
							</Button>
						</p>
					</Fragment>
				) }
				{ step === 'what' && snap && (
					<Fragment>
						<p>
							{ sprintf( /* translators: 1: snapshot, 2: destination */ __( 'Snapshot %1$s at %2$s.', 'strongbox' ), snapshotLabel( snap ), destinationLabel( s.destinations.find( ( d ) => d.id === s.destinationId ) ) ) }
						</p>
						<WhatStep snap={ snap } choice={ choice } setChoice={ setChoice } />
						<p className="strongbox-actions">
							<Button variant="secondary" onClick={ () => go2( 'snapshot' ) }>
								{ __( 'Back', 'strongbox' ) }
							</Button>
							<Button variant="primary" id="strongbox-restore-next" disabled={ ! whatOk } onClick={ () => go2( 'preflight' ) }>
								{ __( 'Next: checks', 'strongbox' ) }
							</Button>
						</p>
					</Fragment>
				) }
				{ step === 'preflight' && snap && (
					<Fragment>
						{ ! pre || pre.loading ? (
							<p>
								<Spinner /> { __( 'Checking the site…', 'strongbox' ) }
							</p>
						) : pre.error ? (
							<p className="strongbox-error-text">{ pre.error.message }</p>
						) : (
							<Preflight snap={ snap } what={ what } pre={ pre.data } siteInfo={ pre.site } />
						) }
						<p className="strongbox-actions">
							<Button variant="secondary" onClick={ () => go2( 'what' ) }>
								{ __( 'Back', 'strongbox' ) }
							</Button>
							<Button variant="primary" id="strongbox-preflight-next" disabled={ ! pre || ! pre.data || blocked } onClick={ () => go2( 'confirm' ) }>
								{ __( 'Next: confirm', 'strongbox' ) }
							</Button>
						</p>
					</Fragment>
				) }
				{ step === 'confirm' && snap && (
					<form
						id="strongbox-restore-confirm"
						onSubmit={ ( e ) => {
							e.preventDefault();
							if ( word.trim() === siteName && ! getState().busy ) {
								start();
							}
						} }
					>
						<p>
							{ sprintf(
								/* translators: 1: what ("everything", ...), 2: snapshot time */
								__( 'You are about to replace %1$s of this site with the snapshot of %2$s.', 'strongbox' ),
								what.files && what.database && ! what.tables && ! what.paths
									? __( 'the database and all files', 'strongbox' )
									: what.database && ! what.files && ! what.tables
									? __( 'the whole database', 'strongbox' )
									: what.files && ! what.database && ! what.paths
									? __( 'all files', 'strongbox' )
									: [ ...( what.tables || [] ), ...( what.paths || [] ) ].join( ', ' ),
								dateTime( snap.time )
							) }{ ' ' }
							{ __( 'Until you keep the result, you can roll back to the site as it is now.', 'strongbox' ) }
						</p>
						<p>
							<label htmlFor="strongbox-restore-word">
								{ sprintf( /* translators: %s: the site's name */ __( 'Type the name of this site, %s, to confirm:', 'strongbox' ), siteName ) }
							</label>
							<br />
							<input type="text" id="strongbox-restore-word" className="regular-text" autoComplete="off" spellCheck="false" value={ word } onChange={ ( e ) => setWord( e.target.value ) } />
						</p>
						<p className="strongbox-actions">
							<Button variant="secondary" onClick={ () => go2( 'preflight' ) }>
								{ __( 'Back', 'strongbox' ) }
							</Button>
							<Button type="submit" variant="primary" isDestructive id="strongbox-restore-go" disabled={ word.trim() !== siteName || !! s.busy }>
								{ __( 'Restore now', 'strongbox' ) }
							</Button>
						</p>
					</form>
				) }
				{ step === 'progress' && (
					<Fragment>
						<p>{ __( 'Restoring… keep this tab open. Visitors see a maintenance page meanwhile.', 'strongbox' ) }</p>
						<Progress ops={ [ 'restore' ] } />
					</Fragment>
				) }
				{ step === 'failed' && (
					<Fragment>
						<p className="strongbox-error-text">{ __( 'The restore did not complete. Nothing was changed on the site: what was staged has been discarded.', 'strongbox' ) }</p>
						<p className="strongbox-actions">
							<Button variant="secondary" onClick={ () => go2( 'confirm' ) }>
								{ __( 'Try again', 'strongbox' ) }
							</Button>
						</p>
					</Fragment>
				) }
				{ step === 'result' && (
					<Fragment>
						{ s.session ? (
							<p>{ __( 'The restore is in place. Keep it or roll it back with the buttons above.', 'strongbox' ) }</p>
						) : s.finished ? (
							<p id="strongbox-restore-outcome">
								{ s.finished.action === 'commit' ? __( 'The restore is kept: the site runs on the restored data.', 'strongbox' ) : __( 'The restore was rolled back: the site is as it was before.', 'strongbox' ) }
							</p>
						) : null }
						{ ! s.session && (
							<p className="strongbox-actions">
								<Button
									variant="secondary"
									onClick={ () => {
										setState( { restoreDraft: null, finished: null } );
										setChoice( { mode: 'all', tables: [], folders: [] } );
										go2( 'snapshot' );
										track( () => loadSnapshots() );
									} }
								>
									{ __( 'Start another restore', 'strongbox' ) }
								</Button>
								<Button variant="link" onClick={ () => go( 'dashboard' ) }>
									{ __( 'Back to the dashboard', 'strongbox' ) }
								</Button>
							</p>
						) }
					</Fragment>
				) }
			</Section>
		</Fragment>
	);
}
