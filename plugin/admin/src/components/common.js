/**
 * Small shared pieces: the live region, notices, the destination picker,
 * the backup progress with Cancel, status badges.
 */
import { createElement, Fragment } from '@wordpress/element';
import { Button, Notice } from '@wordpress/components';
import { __, sprintf } from '@wordpress/i18n';

import { useStore, setState } from '../store';
import { cancel, discardInterrupted, loadSnapshots, phaseLabel, resumeInterrupted } from '../actions';
import { count, eta, num, size } from '../format';
import { track } from '../store';

/** The screen's one ARIA live region: phases and results are announced here. */
export function LiveRegion() {
	const { announce } = useStore();
	return (
		<p id="strongbox-status" className="strongbox-status screen-reader-text" role="status" aria-live="polite" aria-atomic="true">
			{ announce || '' }
		</p>
	);
}

/** The notice above the screens (errors, results). */
export function Notices() {
	const { notice } = useStore();
	if ( ! notice ) {
		return <div id="strongbox-notice" hidden role="alert" />;
	}
	return (
		<div id="strongbox-notice" className={ 'strongbox-notice is-' + notice.status } role="alert">
			{ /* spokenMessage null: the screen's own live region announces (once); WordPress 6.1's
			     Notice would otherwise renderToString() its children. */ }
			<Notice status={ notice.status } spokenMessage={ null } onRemove={ () => setState( { notice: null } ) }>
				<p>{ notice.text }</p>
			</Notice>
		</div>
	);
}

/**
 * A restore whose tab was closed mid-way (the site still shows the maintenance
 * page): resume it or roll it back. Its own panel, so later notices (a failed
 * snapshot listing while the restore holds the repository) never hide it.
 */
export function InterruptedRestore() {
	const { interrupted, busy } = useStore();
	if ( ! interrupted ) {
		return null;
	}
	return (
		<div className="strongbox-callout is-amber" id="strongbox-interrupted" role="alert">
			<p>
				<strong>{ __( 'A restore was interrupted', 'strongbox' ) }</strong>{ ' ' }
				{ __( '(its tab was closed) and the site still shows the maintenance page to visitors. Resume it, or roll it back to leave the site as it was.', 'strongbox' ) }
			</p>
			<p className="strongbox-actions">
				<Button variant="primary" disabled={ !! busy } onClick={ () => track( resumeInterrupted ) }>
					{ __( 'Resume the restore', 'strongbox' ) }
				</Button>
				<Button variant="secondary" disabled={ !! busy } onClick={ () => track( discardInterrupted ) }>
					{ __( 'Roll it back', 'strongbox' ) }
				</Button>
			</p>
		</div>
	);
}

export function destinationLabel( d ) {
	if ( ! d ) {
		return '';
	}
	/* translators: 1: destination name, 2: bucket/prefix */
	return sprintf( __( '%1$s (%2$s)', 'strongbox' ), d.name || d.id, d.bucket + ( d.prefix ? '/' + d.prefix : '' ) );
}

/** Which destination the screens work on (backups, snapshots, restores). */
export function DestinationPicker() {
	const { destinations, destinationId, busy } = useStore();
	if ( ! destinations || ! destinations.length ) {
		return null;
	}
	return (
		<p className="strongbox-destination-picker">
			<label htmlFor="strongbox-destination">{ __( 'Destination', 'strongbox' ) }</label>{ ' ' }
			<select
				id="strongbox-destination"
				value={ destinationId }
				disabled={ !! busy }
				onChange={ ( e ) => {
					const id = e.target.value;
					setState( { destinationId: id } );
					track( () => loadSnapshots( id ) );
				} }
			>
				{ destinations.map( ( d ) => (
					<option key={ d.id } value={ d.id }>
						{ destinationLabel( d ) }
					</option>
				) ) }
			</select>
		</p>
	);
}

/** Progress of the running backup, restore or check, with Cancel. */
export function Progress( { ops = [ 'backup', 'restore', 'check' ] } ) {
	const { busy, progress, cancelling } = useStore();
	if ( ! busy || ! ops.includes( busy ) ) {
		return null;
	}
	const ev = progress || {};
	const total = num( ev.bytes_total );
	const done = num( ev.bytes_done );
	const pct = total > 0 ? Math.min( 100, ( done / total ) * 100 ) : null;
	const parts = [];
	if ( done > 0 || total > 0 ) {
		/* translators: 1: bytes done, 2: bytes in total */
		parts.push( total > 0 ? sprintf( __( '%1$s of %2$s', 'strongbox' ), size( done ), size( total ) ) : size( done ) );
	}
	if ( num( ev.rate ) > 0 ) {
		/* translators: %s: a transfer rate such as "3.2 MB" */
		parts.push( sprintf( __( '%s/s', 'strongbox' ), size( ev.rate ) ) );
	}
	const left = eta( ev.eta_seconds );
	if ( left ) {
		parts.push( left );
	}
	const title = busy === 'restore' ? __( 'Restoring', 'strongbox' ) : busy === 'check' ? __( 'Verifying the backups', 'strongbox' ) : __( 'Backing up', 'strongbox' );
	return (
		<div id="strongbox-progress" className="strongbox-progress">
			<div className="strongbox-progress-head">
				<strong id="strongbox-phase">{ ev.phase ? phaseLabel( ev.phase ) : title }</strong>
				{ pct !== null && <span className="strongbox-pct">{ Math.floor( pct ) + '%' }</span> }
			</div>
			<progress id="strongbox-progress-bar" max="100" value={ pct === null ? undefined : pct } aria-labelledby="strongbox-phase" />
			<p className="strongbox-progress-detail">
				<span id="strongbox-counts">
					{ num( ev.items_total ) > 0
						? /* translators: 1: items done, 2: items in total */
						  sprintf( __( '%1$s of %2$s items', 'strongbox' ), count( ev.items_done ), count( ev.items_total ) )
						: '' }
				</span>{ ' ' }
				<code id="strongbox-item" className="strongbox-item">{ ev.item ? String( ev.item ) : '' }</code>
			</p>
			<p id="strongbox-bytes">{ parts.join( ' · ' ) }</p>
			<Button id="strongbox-cancel" variant="secondary" isDestructive disabled={ cancelling } onClick={ cancel }>
				{ cancelling ? __( 'Cancelling…', 'strongbox' ) : __( 'Cancel', 'strongbox' ) }
			</Button>
		</div>
	);
}

/** A coloured state with words (never colour alone). */
export function Badge( { tone, children } ) {
	return <span className={ 'strongbox-badge is-' + tone }>{ children }</span>;
}

export function Section( { title, children, actions, id } ) {
	return (
		<section className="strongbox-card" aria-labelledby={ id ? id + '-title' : undefined } id={ id }>
			<div className="strongbox-card-head">
				<h2 id={ id ? id + '-title' : undefined }>{ title }</h2>
				{ actions && <div className="strongbox-card-actions">{ actions }</div> }
			</div>
			<div className="strongbox-card-body">{ children }</div>
		</section>
	);
}

export function NotAvailable( { what } ) {
	return (
		<p className="strongbox-unavailable">
			{ sprintf(
				/* translators: %s: a feature, e.g. "Schedules" */
				__( '%s: not available in this version of the plugin yet.', 'strongbox' ),
				what
			) }
		</p>
	);
}

export function Empty( { children } ) {
	return <p className="strongbox-empty">{ children }</p>;
}

export { Fragment };
