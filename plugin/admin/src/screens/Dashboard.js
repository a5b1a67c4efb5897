/**
 * Dashboard: is the shop safe right now?
 */
import { createElement, Fragment } from '@wordpress/element';
import { Button } from '@wordpress/components';
import { __, sprintf } from '@wordpress/i18n';

import { useStore, track } from '../store';
import { backup, canWork, cleanMessage } from '../actions';
import { ago, dateTime, duration, hoursLabel, num, size, toDate } from '../format';
import { backupJobs, offsite, safety } from '../safety';
import { Badge, DestinationPicker, Progress, Section, destinationLabel } from '../components/common';
import HistoryChart from '../components/HistoryChart';

const TONE_WORDS = {
	green: __( 'Protected', 'strongbox' ),
	amber: __( 'Backup overdue', 'strongbox' ),
	red: __( 'At risk', 'strongbox' ),
};

export function BackupNow() {
	const s = useStore();
	const ready = canWork( s );
	return (
		<div className="strongbox-backup-now">
			<DestinationPicker />
			<Button id="strongbox-backup" variant="primary" disabled={ !! s.busy || ! ready } onClick={ () => track( () => backup() ) }>
				{ __( 'Back up now', 'strongbox' ) }
			</Button>
			{ ! ready && ! s.busy && (
				<span className="description">
					{ ! s.config.engineReady
						? __( 'The backup engine is not installed with this copy of the plugin.', 'strongbox' )
						: ! s.hasPassphrase
						? __( 'Set the encryption passphrase in Settings first.', 'strongbox' )
						: __( 'Add a destination in Settings first.', 'strongbox' ) }
				</span>
			) }
			<Progress ops={ [ 'backup' ] } />
		</div>
	);
}

function nextRun( s ) {
	const st = s.status && s.status.data;
	if ( st && st.next_run ) {
		return st.next_run;
	}
	const sch = s.schedules && s.schedules.data;
	const list = Array.isArray( sch ) ? sch : ( sch && sch.schedules ) || [];
	let next = null;
	for ( const x of list ) {
		if ( x.enabled && x.next_run && ( ! next || toDate( x.next_run ) < toDate( next.next_run ) ) ) {
			next = x;
		}
	}
	return next;
}

const INCIDENT_WORDS = {
	backup_failed: __( 'A backup failed', 'strongbox' ),
	rpo_exceeded: __( 'Recovery-point target missed', 'strongbox' ),
	drill_failed: __( 'A restore drill failed', 'strongbox' ),
	destination_unreachable: __( 'A destination cannot be reached', 'strongbox' ),
	no_runner: __( 'Scheduled work is waiting for a runner', 'strongbox' ),
};

const RPO_WORDS = {
	green: __( 'Within target', 'strongbox' ),
	amber: __( 'Overdue', 'strongbox' ),
	red: __( 'Far overdue', 'strongbox' ),
	none: __( 'Not measured', 'strongbox' ),
};

/** The latest drill: the status API's last drill job, else the newest drill report. */
export function lastDrill( s ) {
	const st = s.status && s.status.data;
	if ( st && st.last_drill ) {
		const j = st.last_drill;
		const r = j.result || {};
		const ok = j.state === 'succeeded' && r.ok !== false;
		return { ok, at: j.finished_at || j.updated_at, rtoSeconds: r.rto_ms ? num( r.rto_ms ) / 1000 : null, snapshot: r.snapshot_id, detail: j.error_message || ( r.mismatches && r.mismatches.length ? JSON.stringify( r.mismatches ).slice( 0, 200 ) : '' ), source: 'job' };
	}
	const list = s.drills && s.drills.data && s.drills.data.drills;
	if ( Array.isArray( list ) && list.length ) {
		const d = list[ list.length - 1 ];
		return { ok: d.result === 'passed', at: d.closed || d.opened, rtoSeconds: d.rto_seconds !== null && d.rto_seconds !== undefined ? num( d.rto_seconds ) : null, snapshot: d.snapshot, detail: d.detail || ( d.result ? '' : d.ended ), source: 'report' };
	}
	return null;
}

/**
 * Scheduled runs that did not happen (state `missed`: no runner, or the previous run still
 * busy) or started late (`result.late_seconds`), newest first, from the jobs list.
 */
function MissedRuns() {
	const s = useStore();
	const jobs = ( s.jobs || [] ).filter(
		( j ) => j.trigger === 'schedule' && ( j.state === 'missed' || ( j.result && num( j.result.late_seconds ) > 0 ) )
	);
	if ( ! jobs.length ) {
		return (
			<p id="strongbox-missed-runs" data-count="0">
				{ __( 'No scheduled run was missed or late lately.', 'strongbox' ) }
			</p>
		);
	}
	return (
		<Fragment>
			<h3>{ __( 'Missed and late runs', 'strongbox' ) }</h3>
			<ul id="strongbox-missed-runs" data-count={ jobs.length } className="strongbox-incident-list">
				{ jobs.slice( 0, 5 ).map( ( j ) => (
					<li key={ j.id } data-state={ j.state }>
						<Badge tone={ j.state === 'missed' ? 'red' : 'amber' }>
							{ j.state === 'missed' ? __( 'Missed', 'strongbox' ) : __( 'Late', 'strongbox' ) }
						</Badge>{ ' ' }
						{ sprintf( /* translators: 1: job type, 2: date and time it was due */ __( '%1$s due %2$s', 'strongbox' ), j.type, dateTime( j.due_at ) ) }
						{ j.state === 'missed'
							? ' · ' + cleanMessage( j.error_message || '' )
							: ' · ' + sprintf( /* translators: %s: duration */ __( 'started %s late', 'strongbox' ), duration( num( j.result.late_seconds ) ) ) }
					</li>
				) ) }
			</ul>
			{ jobs.length > 5 ? <p className="description">{ sprintf( /* translators: %d: number of runs */ __( 'and %d more', 'strongbox' ), jobs.length - 5 ) }</p> : null }
		</Fragment>
	);
}

function Health() {
	const s = useStore();
	const st = s.status && s.status.available !== false && s.status.data;
	if ( ! st ) {
		return null;
	}
	const incidents = st.incidents || [];
	const runners = st.runners || [];
	const drill = lastDrill( s );
	const rpoState = st.rpo_state || 'none';
	return (
		<div className="strongbox-grid" id="strongbox-health">
			<Section title={ __( 'Recovery point and incidents', 'strongbox' ) } id="strongbox-incidents">
				<p id="strongbox-rpo" data-rpo-state={ rpoState }>
					<Badge tone={ rpoState === 'none' ? 'neutral' : rpoState }>{ RPO_WORDS[ rpoState ] || rpoState }</Badge>{ ' ' }
					{ num( st.rpo_hours ) > 0
						? sprintf( /* translators: %s: the target ("24 hours") */ __( 'Target: a good backup at most %s old.', 'strongbox' ), hoursLabel( num( st.rpo_hours ) ) )
						: __( 'No recovery-point target is set.', 'strongbox' ) }
				</p>
				{ incidents.length ? (
					<ul className="strongbox-incident-list">
						{ incidents.map( ( x ) => (
							<li key={ x.key } data-kind={ x.kind }>
								<Badge tone="red">{ INCIDENT_WORDS[ x.kind ] || x.kind }</Badge> { cleanMessage( x.message || '' ) } <span className="description">{ sprintf( /* translators: %s: time ago */ __( 'since %s', 'strongbox' ), ago( x.opened_at ) ) }</span>
							</li>
						) ) }
					</ul>
				) : (
					<p className="strongbox-ok-text" id="strongbox-no-incidents">{ __( 'No open incidents.', 'strongbox' ) }</p>
				) }
			</Section>
			<Section title={ __( 'Runners and restore drills', 'strongbox' ) } id="strongbox-runners">
				{ runners.length ? (
					<ul className="strongbox-runner-list">
						{ runners.map( ( r ) => (
							<li key={ r.id } data-runner={ r.id }>
								<strong>{ r.kind === 'agent' ? __( 'Server agent', 'strongbox' ) : __( 'Admin browser tab', 'strongbox' ) }</strong> <code>{ r.id }</code>
								{ r.version ? ' ' + r.version : '' } · { sprintf( /* translators: %s: time ago */ __( 'last seen %s', 'strongbox' ), ago( r.last_seen ) ) }
							</li>
						) ) }
					</ul>
				) : (
					<p id="strongbox-no-runners">{ __( 'No runner has checked in yet: scheduled backups run when an administrator has wp-admin open, or when the strongbox agent runs on a server.', 'strongbox' ) }</p>
				) }
				<MissedRuns />
				<h3>{ __( 'Last restore drill', 'strongbox' ) }</h3>
				{ drill ? (
					<p id="strongbox-last-drill" data-ok={ drill.ok ? '1' : '0' }>
						<Badge tone={ drill.ok ? 'green' : 'red' }>{ drill.ok ? __( 'Passed', 'strongbox' ) : __( 'Failed', 'strongbox' ) }</Badge> { dateTime( drill.at ) } ({ ago( drill.at ) })
						{ drill.rtoSeconds !== null ? ' · ' + sprintf( /* translators: %s: duration */ __( 'a full restore would take about %s', 'strongbox' ), duration( drill.rtoSeconds ) ) : '' }
						{ drill.snapshot ? (
							<Fragment>
								{ ' · ' }
								<code>{ String( drill.snapshot ).slice( 0, 8 ) }</code>
							</Fragment>
						) : null }
						{ ! drill.ok && drill.detail ? <span className="strongbox-error-text"> { String( drill.detail ).slice( 0, 200 ) }</span> : null }
					</p>
				) : (
					<p id="strongbox-last-drill" data-ok="">{ __( 'No restore drill has run yet. A drill restores a snapshot to a scratch area and checks every table and file, without touching the shop.', 'strongbox' ) }</p>
				) }
			</Section>
		</div>
	);
}

export default function Dashboard( { go } ) {
	const s = useStore();
	const safe = safety( s );
	const { byDest } = backupJobs( s.jobs );
	const siteHost = window.location.hostname;
	const snaps = ( s.snapshots && s.snapshots[ s.destinationId ] ) || [];
	const stored = snaps.reduce( ( a, x ) => a + num( x.stats && x.stats.bytes_stored ), 0 );
	const statusDest = ( s.status && s.status.data && s.status.data.destinations ) || [];
	const next = nextRun( s );
	const nextAt = next && ( next.next_run || next.due_at || next.at || next );
	const latestDest = s.destinations.find( ( d ) => d.id === safe.destinationId );

	let headline;
	if ( ! safe.at ) {
		headline = __( 'This shop has no backup yet. Make one now.', 'strongbox' );
	} else if ( safe.state === 'green' ) {
		/* translators: 1: age of the latest backup ("3 hours ago"), 2: the target ("24 hours") */
		headline = sprintf( __( 'The latest good backup is from %1$s, within the recovery-point target of %2$s.', 'strongbox' ), ago( safe.at ), hoursLabel( safe.rpo ) );
	} else {
		/* translators: 1: age of the latest backup ("3 days ago"), 2: the target ("24 hours") */
		headline = sprintf( __( 'The latest good backup is from %1$s, older than the recovery-point target of %2$s. Back up now.', 'strongbox' ), ago( safe.at ), hoursLabel( safe.rpo ) );
	}

	return (
		<Fragment>
			<section className={ 'strongbox-hero is-' + safe.state } aria-labelledby="strongbox-safety-title" id="strongbox-safety" data-rpo-state={ safe.state }>
				<div className="strongbox-hero-text">
					<h2 id="strongbox-safety-title">
						<Badge tone={ safe.state }>{ TONE_WORDS[ safe.state ] }</Badge>
					</h2>
					<p className="strongbox-hero-headline">{ headline }</p>
					{ safe.at && (
						<p className="description">
							{ dateTime( safe.at ) }
							{ latestDest ? ' · ' + destinationLabel( latestDest ) : '' }
						</p>
					) }
				</div>
				<BackupNow />
			</section>

			<div className="strongbox-grid">
				<Section title={ __( 'Next scheduled backup', 'strongbox' ) } id="strongbox-next-run">
					{ s.schedules && s.schedules.available === false && ! ( s.status && s.status.available ) ? (
						<p className="strongbox-unavailable">{ __( 'Schedules are not available in this version of the plugin yet: back up by hand until they are.', 'strongbox' ) }</p>
					) : nextAt ? (
						<p>
							<strong>{ dateTime( nextAt ) }</strong>
							{ next && next.name ? ' · ' + next.name : '' }
						</p>
					) : (
						<p>
							{ __( 'No schedule is set: backups only run when someone starts them.', 'strongbox' ) }{ ' ' }
							<Button variant="link" onClick={ () => go( 'settings', 'schedules' ) }>
								{ __( 'Add a schedule', 'strongbox' ) }
							</Button>
						</p>
					) }
				</Section>

				<Section title={ __( 'Storage used', 'strongbox' ) } id="strongbox-storage">
					{ snaps.length ? (
						<p>
							<strong>{ size( stored ) }</strong>{ ' ' }
							{ sprintf(
								/* translators: 1: number of snapshots, 2: destination */
								__( 'in %1$s snapshots at %2$s (after deduplication and compression)', 'strongbox' ),
								snaps.length,
								destinationLabel( s.destinations.find( ( d ) => d.id === s.destinationId ) )
							) }
						</p>
					) : (
						<p>{ __( 'Nothing stored yet.', 'strongbox' ) }</p>
					) }
				</Section>
			</div>

			<Health />

			<Section title={ __( 'Destinations', 'strongbox' ) } id="strongbox-destinations-health" actions={ <Button variant="secondary" onClick={ () => go( 'settings' ) }>{ __( 'Manage', 'strongbox' ) }</Button> }>
				{ s.destinations.length ? (
					<table className="widefat striped strongbox-table">
						<thead>
							<tr>
								<th scope="col">{ __( 'Destination', 'strongbox' ) }</th>
								<th scope="col">{ __( 'Offsite', 'strongbox' ) }</th>
								<th scope="col">{ __( 'Last successful write', 'strongbox' ) }</th>
								<th scope="col">{ __( 'Health', 'strongbox' ) }</th>
							</tr>
						</thead>
						<tbody>
							{ s.destinations.map( ( d ) => {
								const fromStatus = statusDest.find( ( x ) => x.id === d.id );
								const jobs = byDest[ d.id ] || {};
								const last = fromStatus ? fromStatus.last_success : jobs.success && jobs.success.finished_at;
								const failure = fromStatus ? fromStatus.last_error : jobs.failure && ( ! jobs.success || toDate( jobs.failure.finished_at || jobs.failure.updated_at ) > toDate( jobs.success.finished_at ) ) ? jobs.failure : null;
								const off = fromStatus && typeof fromStatus.offsite === 'boolean' ? fromStatus.offsite : offsite( d, siteHost );
								const failMsg = failure && cleanMessage( typeof failure === 'string' ? failure : failure.error_message || failure.message || failure.error_code );
								return (
									<tr key={ d.id }>
										<td>{ destinationLabel( d ) }</td>
										<td>{ off ? <Badge tone="green">{ __( 'Offsite', 'strongbox' ) }</Badge> : <Badge tone="amber">{ __( 'Same server or network', 'strongbox' ) }</Badge> }</td>
										<td>{ last ? dateTime( last ) + ' (' + ago( last ) + ')' : __( 'Never', 'strongbox' ) }</td>
										<td>
											{ failMsg ? (
												<Fragment>
													<Badge tone="red">{ __( 'Last backup failed', 'strongbox' ) }</Badge> <span className="strongbox-error-text">{ String( failMsg ).slice( 0, 200 ) }</span>
												</Fragment>
											) : last ? (
												<Badge tone="green">{ __( 'OK', 'strongbox' ) }</Badge>
											) : (
												<Badge tone="amber">{ __( 'No backup yet', 'strongbox' ) }</Badge>
											) }
										</td>
									</tr>
								);
							} ) }
						</tbody>
					</table>
				) : (
					<p>
						{ __( 'No destination yet: backups need somewhere to go.', 'strongbox' ) }{ ' ' }
						<Button variant="link" onClick={ () => go( 'settings' ) }>{ __( 'Add one', 'strongbox' ) }</Button>
					</p>
				) }
			</Section>

			<Section title={ __( 'Backup history', 'strongbox' ) } id="strongbox-history">
				<HistoryChart snapshots={ snaps } />
			</Section>
		</Fragment>
	);
}
