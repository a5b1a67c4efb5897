/**
 * Settings: destinations, passphrase and recovery kit, retention, schedules,
 * recovery-point target and notification email.
 */
import { createElement, Fragment, useState } from '@wordpress/element';
import { Button, CheckboxControl, SelectControl, TextControl, ToggleControl } from '@wordpress/components';
import { __, sprintf } from '@wordpress/i18n';

import { testState, track, useStore } from '../store';
import { api, loadDestinations, loadOptional, operation } from '../actions';
import { count, dateTime } from '../format';
import { Badge, NotAvailable, Section, destinationLabel } from '../components/common';
import DestinationForm from '../components/DestinationForm';
import { PassphraseSettings } from '../components/Passphrase';

function Destinations() {
	const s = useStore();
	const [ editing, setEditing ] = useState( null ); // id, 'new' or null
	const [ error, setError ] = useState( null );
	const remove = ( d ) =>
		track( async () => {
			// eslint-disable-next-line no-alert
			if ( ! window.confirm( sprintf( /* translators: %s: destination */ __( 'Remove %s from Strongbox? The backups stored there are not deleted.', 'strongbox' ), destinationLabel( d ) ) ) ) {
				return;
			}
			try {
				await api( 'destinations/' + d.id, { method: 'DELETE' } );
				await loadDestinations();
			} catch ( err ) {
				setError( err );
			}
		} );
	return (
		<Fragment>
			{ s.destinations.length > 0 && (
				<table className="widefat striped strongbox-table" id="strongbox-destination-list">
					<thead>
						<tr>
							<th scope="col">{ __( 'Name', 'strongbox' ) }</th>
							<th scope="col">{ __( 'Where', 'strongbox' ) }</th>
							<th scope="col">
								<span className="screen-reader-text">{ __( 'Actions', 'strongbox' ) }</span>
							</th>
						</tr>
					</thead>
					<tbody>
						{ s.destinations.map( ( d ) => (
							<tr key={ d.id }>
								<td>{ d.name || d.id }</td>
								<td>
									<code>{ d.endpoint }</code> · { d.bucket + ( d.prefix ? '/' + d.prefix : '' ) }
								</td>
								<td className="strongbox-row-actions">
									<Button variant="secondary" className="is-small" onClick={ () => setEditing( editing === d.id ? null : d.id ) } aria-expanded={ editing === d.id }>
										{ __( 'Edit and test', 'strongbox' ) }
									</Button>{ ' ' }
									<Button variant="tertiary" className="is-small" isDestructive onClick={ () => remove( d ) }>
										{ __( 'Remove', 'strongbox' ) }
									</Button>
								</td>
							</tr>
						) ) }
					</tbody>
				</table>
			) }
			{ error && <p className="strongbox-error-text">{ error.message }</p> }
			{ editing && editing !== 'new' && <DestinationForm key={ editing } destination={ s.destinations.find( ( d ) => d.id === editing ) } onCancel={ () => setEditing( null ) } /> }
			{ editing === 'new' ? (
				<DestinationForm key="new" onCancel={ () => setEditing( null ) } />
			) : (
				<p>
					<Button variant="secondary" id="strongbox-add-destination" onClick={ () => setEditing( 'new' ) }>
						{ __( 'Add a destination', 'strongbox' ) }
					</Button>
				</p>
			) }
		</Fragment>
	);
}

const RETENTION = [
	[ 'keep_last', __( 'Keep the last', 'strongbox' ) ],
	[ 'keep_hourly', __( 'Hourly snapshots to keep', 'strongbox' ) ],
	[ 'keep_daily', __( 'Daily snapshots to keep', 'strongbox' ) ],
	[ 'keep_weekly', __( 'Weekly snapshots to keep', 'strongbox' ) ],
	[ 'keep_monthly', __( 'Monthly snapshots to keep', 'strongbox' ) ],
	[ 'keep_yearly', __( 'Yearly snapshots to keep', 'strongbox' ) ],
];

function policyOf( r ) {
	const body = {};
	for ( const [ k ] of RETENTION ) {
		body[ k ] = Math.max( 0, parseInt( r[ k ] || 0, 10 ) || 0 );
	}
	body.keep_within = String( r.keep_within || '' ).trim();
	return body;
}

/** What a policy would remove from the destination's repository (engine forget, dry run). */
function RetentionPreview( { d, preview } ) {
	if ( ! preview ) {
		return null;
	}
	if ( preview.error ) {
		return <p className="strongbox-error-text">{ preview.error }</p>;
	}
	const decisions = ( preview.decisions || [] ).slice().sort( ( a, b ) => String( b.time ).localeCompare( String( a.time ) ) );
	const removed = decisions.filter( ( x ) => ! x.keep );
	return (
		<div className="strongbox-retention-preview" id={ 'strongbox-retention-preview-' + d.id } data-removed={ removed.length } data-kept={ decisions.length - removed.length }>
			<p role="status">
				<strong>
					{ removed.length
						? sprintf( /* translators: 1: snapshots removed, 2: all snapshots */ __( 'This policy would remove %1$s of the %2$s snapshots.', 'strongbox' ), count( removed.length ), count( decisions.length ) )
						: sprintf( /* translators: %s: number of snapshots */ __( 'This policy would keep all %s snapshots.', 'strongbox' ), count( decisions.length ) ) }
				</strong>{ ' ' }
				{ __( 'Nothing has been removed: this is a preview. The policy applies after each backup once saved.', 'strongbox' ) }
			</p>
			{ decisions.length > 0 && (
				<table className="widefat striped strongbox-table">
					<thead>
						<tr>
							<th scope="col">{ __( 'Snapshot', 'strongbox' ) }</th>
							<th scope="col">{ __( 'Outcome', 'strongbox' ) }</th>
							<th scope="col">{ __( 'Why', 'strongbox' ) }</th>
						</tr>
					</thead>
					<tbody>
						{ decisions.map( ( x ) => (
							<tr key={ x.id } data-snapshot={ x.id } data-keep={ x.keep ? '1' : '0' }>
								<td>
									{ dateTime( x.time ) } <code>{ String( x.id ).slice( 0, 8 ) }</code>
								</td>
								<td>{ x.keep ? <Badge tone="green">{ __( 'Kept', 'strongbox' ) }</Badge> : <Badge tone="red">{ __( 'Would be removed', 'strongbox' ) }</Badge> }</td>
								<td>{ ( x.reasons || [] ).join( ', ' ) || '—' }</td>
							</tr>
						) ) }
					</tbody>
				</table>
			) }
		</div>
	);
}

function RetentionForm( { d } ) {
	const s = useStore();
	const [ r, setR ] = useState( Object.assign( { keep_within: '' }, d.retention ) );
	const [ msg, setMsg ] = useState( null );
	const [ preview, setPreview ] = useState( null );
	const runPreview = () =>
		track( async () => {
			setPreview( null );
			const v = await operation( 'forget-preview', ( c ) => c.forget( d.id, policyOf( r ), { dryRun: true } ), { quietErrors: [ 'no_repository' ] } );
			if ( v ) {
				setPreview( v );
			} else {
				const e = testState.errors[ 'forget-preview' ];
				setPreview( { error: e && e.code === 'no_repository' ? __( 'There is no backup at this destination yet.', 'strongbox' ) : ( e && e.message ) || __( 'The preview failed.', 'strongbox' ) } );
			}
		} );
	const save = ( e ) => {
		e.preventDefault();
		track( async () => {
			try {
				const body = policyOf( r );
				await api( 'destinations/' + d.id, { method: 'PATCH', data: { retention: body } } );
				await loadDestinations();
				setMsg( { ok: true, text: __( 'Saved.', 'strongbox' ) } );
			} catch ( err ) {
				setMsg( { ok: false, text: err.message } );
			}
		} );
	};
	return (
		<form onSubmit={ save } className="strongbox-retention" data-destination={ d.id } aria-label={ sprintf( /* translators: %s: destination */ __( 'Retention of %s', 'strongbox' ), destinationLabel( d ) ) }>
			<h3>{ destinationLabel( d ) }</h3>
			<div className="strongbox-fields">
				{ RETENTION.map( ( [ k, label ] ) => (
					<TextControl key={ k } type="number" min="0" label={ label } value={ String( r[ k ] ?? 0 ) } onChange={ ( v ) => setR( Object.assign( {}, r, { [ k ]: v } ) ) } />
				) ) }
				<TextControl label={ __( 'Keep everything newer than', 'strongbox' ) } help={ __( 'For example 7d, 1m, 1y2m (empty: not used)', 'strongbox' ) } value={ r.keep_within || '' } onChange={ ( v ) => setR( Object.assign( {}, r, { keep_within: v } ) ) } />
			</div>
			<p className="description">{ __( '0 means not used. With everything at 0, every snapshot is kept forever.', 'strongbox' ) }</p>
			<p className="strongbox-actions">
				<Button type="submit" variant="secondary">
					{ __( 'Save retention', 'strongbox' ) }
				</Button>{ ' ' }
				<Button variant="tertiary" className="strongbox-retention-preview-button" disabled={ !! s.busy || ! s.hasPassphrase } onClick={ runPreview }>
					{ __( 'What would this policy remove?', 'strongbox' ) }
				</Button>
				{ msg && <span className={ msg.ok ? 'strongbox-ok-text' : 'strongbox-error-text' }>{ msg.text }</span> }
			</p>
			<RetentionPreview d={ d } preview={ preview } />
		</form>
	);
}

function Retention() {
	const s = useStore();
	if ( ! s.destinations.length ) {
		return <p>{ __( 'Add a destination first.', 'strongbox' ) }</p>;
	}
	if ( ! s.destinations.some( ( d ) => d.retention && typeof d.retention === 'object' ) ) {
		return <NotAvailable what={ __( 'Retention', 'strongbox' ) } />;
	}
	return s.destinations.map( ( d ) => <RetentionForm key={ d.id } d={ d } /> );
}

const WEEKDAYS = [ __( 'Sunday', 'strongbox' ), __( 'Monday', 'strongbox' ), __( 'Tuesday', 'strongbox' ), __( 'Wednesday', 'strongbox' ), __( 'Thursday', 'strongbox' ), __( 'Friday', 'strongbox' ), __( 'Saturday', 'strongbox' ) ];

function scheduleText( x ) {
	switch ( x.every ) {
		case 'hour':
			return __( 'Every hour', 'strongbox' );
		case 'hours':
			return sprintf( /* translators: %s: hours */ __( 'Every %s hours', 'strongbox' ), x.interval );
		case 'day':
			return sprintf( /* translators: %s: time */ __( 'Every day at %s', 'strongbox' ), x.at );
		case 'week':
			return sprintf( /* translators: 1: weekday, 2: time */ __( 'Every %1$s at %2$s', 'strongbox' ), WEEKDAYS[ x.weekday || 0 ], x.at );
		default:
			return x.every;
	}
}

function Schedules() {
	const s = useStore();
	const blank = { name: '', parts: [ 'database', 'files' ], every: 'day', interval: 6, at: '03:30', weekday: 0, destination_ids: [] };
	const [ f, setF ] = useState( blank );
	const [ editingId, setEditingId ] = useState( null );
	const [ msg, setMsg ] = useState( null );
	if ( ! s.schedules ) {
		return null;
	}
	if ( ! s.schedules.available ) {
		return <NotAvailable what={ __( 'Schedules', 'strongbox' ) } />;
	}
	if ( s.schedules.error ) {
		return <p className="strongbox-error-text">{ s.schedules.error.message }</p>;
	}
	const list = Array.isArray( s.schedules.data ) ? s.schedules.data : ( s.schedules.data && s.schedules.data.schedules ) || [];
	const set = ( k ) => ( v ) => setF( Object.assign( {}, f, { [ k ]: v } ) );
	const add = ( e ) => {
		e.preventDefault();
		track( async () => {
			try {
				const body = Object.assign( { type: 'backup', enabled: true }, f, { interval: parseInt( f.interval, 10 ) || 1, weekday: parseInt( f.weekday, 10 ) || 0 } );
				if ( ! body.destination_ids.length ) {
					body.destination_ids = s.destinations.map( ( d ) => d.id );
				}
				if ( ! editingId ) {
					body.name = body.name || scheduleText( body );
				}
				await api( editingId ? 'schedules/' + editingId : 'schedules', { method: editingId ? 'PATCH' : 'POST', data: body } );
				await loadOptional();
				setMsg( { ok: true, text: editingId ? __( 'Schedule saved.', 'strongbox' ) : __( 'Schedule added.', 'strongbox' ) } );
				setEditingId( null );
				setF( blank );
			} catch ( err ) {
				setMsg( { ok: false, text: err.message } );
			}
		} );
	};
	const edit = ( x ) => {
		setMsg( null );
		setEditingId( x.id );
		setF( {
			name: x.name || '',
			parts: Array.isArray( x.parts ) && x.parts.length ? x.parts : [ 'database', 'files' ],
			every: x.every || 'day',
			interval: x.interval || 6,
			at: x.at || '03:30',
			weekday: x.weekday || 0,
			destination_ids: Array.isArray( x.destination_ids ) ? x.destination_ids : [],
		} );
	};
	const patch = ( x, data ) =>
		track( async () => {
			try {
				await api( 'schedules/' + x.id, { method: data ? 'PATCH' : 'DELETE', data } );
				await loadOptional();
			} catch ( err ) {
				setMsg( { ok: false, text: err.message } );
			}
		} );
	return (
		<Fragment>
			{ list.length ? (
				<table className="widefat striped strongbox-table" id="strongbox-schedule-list">
					<thead>
						<tr>
							<th scope="col">{ __( 'Schedule', 'strongbox' ) }</th>
							<th scope="col">{ __( 'When', 'strongbox' ) }</th>
							<th scope="col">{ __( 'Next run', 'strongbox' ) }</th>
							<th scope="col">{ __( 'Last run', 'strongbox' ) }</th>
							<th scope="col">
								<span className="screen-reader-text">{ __( 'Actions', 'strongbox' ) }</span>
							</th>
						</tr>
					</thead>
					<tbody>
						{ list.map( ( x ) => (
							<tr key={ x.id } data-schedule={ x.id }>
								<td>
									{ x.name } { ! x.enabled && <Badge tone="neutral">{ __( 'Paused', 'strongbox' ) }</Badge> }
								</td>
								<td>{ scheduleText( x ) + ( x.parts ? ' · ' + x.parts.join( ', ' ) : '' ) }</td>
								<td>{ x.next_run ? dateTime( x.next_run ) : '—' }</td>
								<td>{ x.last_run ? x.last_run.state + ' · ' + dateTime( x.last_run.finished_at ) : '—' }</td>
								<td className="strongbox-row-actions">
									<Button variant="secondary" className="is-small" onClick={ () => edit( x ) } aria-label={ sprintf( /* translators: %s: schedule name */ __( 'Edit %s', 'strongbox' ), x.name ) }>
										{ __( 'Edit', 'strongbox' ) }
									</Button>{ ' ' }
									<Button variant="secondary" className="is-small" onClick={ () => patch( x, { enabled: ! x.enabled } ) }>
										{ x.enabled ? __( 'Pause', 'strongbox' ) : __( 'Resume', 'strongbox' ) }
									</Button>{ ' ' }
									<Button variant="tertiary" className="is-small" isDestructive onClick={ () => patch( x, null ) } aria-label={ sprintf( /* translators: %s: schedule name */ __( 'Delete %s', 'strongbox' ), x.name ) }>
										{ __( 'Delete', 'strongbox' ) }
									</Button>
								</td>
							</tr>
						) ) }
					</tbody>
				</table>
			) : (
				<p>{ __( 'No schedule yet: backups only run when someone starts them.', 'strongbox' ) }</p>
			) }
			<form onSubmit={ add } className="strongbox-schedule-form" id="strongbox-schedule-form" data-editing={ editingId || '' } aria-label={ editingId ? __( 'Edit the schedule', 'strongbox' ) : __( 'Add a schedule', 'strongbox' ) }>
				<h3>{ editingId ? sprintf( /* translators: %s: schedule name */ __( 'Edit “%s”', 'strongbox' ), f.name ) : __( 'Add a schedule', 'strongbox' ) }</h3>
				<div className="strongbox-fields">
					<TextControl label={ __( 'Name (optional)', 'strongbox' ) } value={ f.name } onChange={ set( 'name' ) } />
					<SelectControl
						label={ __( 'How often', 'strongbox' ) }
						value={ f.every }
						options={ [
							{ value: 'hour', label: __( 'Every hour', 'strongbox' ) },
							{ value: 'hours', label: __( 'Every few hours', 'strongbox' ) },
							{ value: 'day', label: __( 'Every day', 'strongbox' ) },
							{ value: 'week', label: __( 'Every week', 'strongbox' ) },
						] }
						onChange={ set( 'every' ) }
					/>
					{ f.every === 'hours' && <TextControl type="number" min="1" max="168" label={ __( 'Hours between backups', 'strongbox' ) } value={ String( f.interval ) } onChange={ set( 'interval' ) } /> }
					{ f.every === 'week' && <SelectControl label={ __( 'Day', 'strongbox' ) } value={ String( f.weekday ) } options={ WEEKDAYS.map( ( w, i ) => ( { value: String( i ), label: w } ) ) } onChange={ set( 'weekday' ) } /> }
					{ ( f.every === 'day' || f.every === 'week' ) && <TextControl type="time" label={ __( 'Time (site time zone)', 'strongbox' ) } value={ f.at } onChange={ set( 'at' ) } /> }
				</div>
				<fieldset className="strongbox-fieldset">
					<legend>{ __( 'What', 'strongbox' ) }</legend>
					{ [
						[ 'database', __( 'Database', 'strongbox' ) ],
						[ 'files', __( 'Files', 'strongbox' ) ],
					].map( ( [ k, label ] ) => (
						<CheckboxControl key={ k } label={ label } checked={ f.parts.includes( k ) } onChange={ ( on ) => set( 'parts' )( on ? [ ...f.parts, k ] : f.parts.filter( ( x ) => x !== k ) ) } />
					) ) }
				</fieldset>
				<fieldset className="strongbox-fieldset">
					<legend>{ __( 'Destinations (none ticked: all)', 'strongbox' ) }</legend>
					{ s.destinations.map( ( d ) => (
						<CheckboxControl key={ d.id } label={ destinationLabel( d ) } checked={ f.destination_ids.includes( d.id ) } onChange={ ( on ) => set( 'destination_ids' )( on ? [ ...f.destination_ids, d.id ] : f.destination_ids.filter( ( x ) => x !== d.id ) ) } />
					) ) }
				</fieldset>
				<p className="strongbox-actions">
					<Button type="submit" variant="secondary" disabled={ ! f.parts.length }>
						{ editingId ? __( 'Save the schedule', 'strongbox' ) : __( 'Add the schedule', 'strongbox' ) }
					</Button>
					{ editingId && (
						<Button
							variant="tertiary"
							onClick={ () => {
								setEditingId( null );
								setF( blank );
							} }
						>
							{ __( 'Cancel', 'strongbox' ) }
						</Button>
					) }
					{ msg && <span className={ msg.ok ? 'strongbox-ok-text' : 'strongbox-error-text' }>{ msg.text }</span> }
				</p>
			</form>
		</Fragment>
	);
}

function General() {
	const s = useStore();
	const [ f, setF ] = useState( null );
	const [ msg, setMsg ] = useState( null );
	if ( ! s.settings ) {
		return null;
	}
	if ( ! s.settings.available ) {
		return <NotAvailable what={ __( 'The recovery-point target and notification email', 'strongbox' ) } />;
	}
	if ( s.settings.error ) {
		return <p className="strongbox-error-text">{ s.settings.error.message }</p>;
	}
	const v = f || Object.assign( { rpo_hours: 24, notify_email: '', alerts_enabled: true, backup_before_updates: true }, s.settings.data );
	const set = ( k ) => ( x ) => setF( Object.assign( {}, v, { [ k ]: x } ) );
	const save = ( e ) => {
		e.preventDefault();
		track( async () => {
			try {
				await api( 'settings', { method: 'PUT', data: { rpo_hours: Math.max( 1, parseInt( v.rpo_hours, 10 ) || 24 ), notify_email: String( v.notify_email || '' ).trim(), alerts_enabled: !! v.alerts_enabled, backup_before_updates: !! v.backup_before_updates } } );
				await loadOptional();
				setF( null );
				setMsg( { ok: true, text: __( 'Saved.', 'strongbox' ) } );
			} catch ( err ) {
				setMsg( { ok: false, text: err.message } );
			}
		} );
	};
	return (
		<form onSubmit={ save } aria-label={ __( 'Alerts and targets', 'strongbox' ) }>
			<TextControl type="number" min="1" label={ __( 'Recovery-point target (hours)', 'strongbox' ) } help={ __( 'The most work the shop may lose: the dashboard turns amber when the latest good backup is older than this, red at twice.', 'strongbox' ) } value={ String( v.rpo_hours ) } onChange={ set( 'rpo_hours' ) } />
			<TextControl type="email" label={ __( 'Notification email', 'strongbox' ) } help={ __( 'Where failures and overdue backups are reported (empty: the site’s admin email).', 'strongbox' ) } value={ v.notify_email || '' } onChange={ set( 'notify_email' ) } />
			<ToggleControl label={ __( 'Send alerts by email', 'strongbox' ) } checked={ !! v.alerts_enabled } onChange={ set( 'alerts_enabled' ) } />
			<ToggleControl label={ __( 'Back up before WordPress, plugin and theme updates', 'strongbox' ) } checked={ !! v.backup_before_updates } onChange={ set( 'backup_before_updates' ) } />
			<p className="strongbox-actions">
				<Button type="submit" variant="primary">
					{ __( 'Save', 'strongbox' ) }
				</Button>
				{ msg && <span className={ msg.ok ? 'strongbox-ok-text' : 'strongbox-error-text' }>{ msg.text }</span> }
			</p>
		</form>
	);
}

export default function Settings( { section } ) {
	return (
		<Fragment>
			<Section title={ __( 'Destinations', 'strongbox' ) } id="strongbox-settings-destinations">
				<Destinations />
			</Section>
			<Section title={ __( 'Encryption passphrase and recovery kit', 'strongbox' ) } id="strongbox-settings-passphrase">
				<PassphraseSettings />
			</Section>
			<Section title={ __( 'Schedules', 'strongbox' ) } id="strongbox-settings-schedules">
				<Schedules />
			</Section>
			<Section title={ __( 'Retention', 'strongbox' ) } id="strongbox-settings-retention">
				<Retention />
			</Section>
			<Section title={ __( 'Alerts and recovery-point target', 'strongbox' ) } id="strongbox-settings-general">
				<General />
			</Section>
			{ section && <span hidden data-section={ section } /> }
		</Fragment>
	);
}
