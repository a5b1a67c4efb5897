/**
 * Snapshots: the list, one snapshot's details, Restore and Download.
 */
import { createElement, Fragment, useState } from '@wordpress/element';
import { Button, Spinner } from '@wordpress/components';
import { __, sprintf } from '@wordpress/i18n';

import { useStore, setState, track } from '../store';
import { canWork, loadSnapshots, verify, verifiedRecord } from '../actions';
import { count, dateTime, duration, num, size, snapshotSize, toDate, triggerLabel } from '../format';
import { Badge, DestinationPicker, Empty, Progress, Section } from '../components/common';
import SnapshotDetails from './SnapshotDetails';

function Verification( { snap, record } ) {
	if ( record && ( record.snapshots || [] ).includes( snap.id ) ) {
		return record.ok ? (
			<Badge tone="green">
				{ /* translators: %s: date of the verification */ sprintf( __( 'Verified %s', 'strongbox' ), dateTime( record.time ) ) }
			</Badge>
		) : (
			<Badge tone="red">{ __( 'Verification failed', 'strongbox' ) }</Badge>
		);
	}
	return <Badge tone="neutral">{ __( 'Not verified yet', 'strongbox' ) }</Badge>;
}

export function snapshotLabel( s ) {
	return dateTime( s.time ) + ' · ' + ( s.short_id || String( s.id ).slice( 0, 8 ) );
}

export default function Snapshots( { go } ) {
	const s = useStore();
	const [ detailsId, setDetailsId ] = useState( null );
	const list = s.snapshots[ s.destinationId ];
	const err = s.snapshotsError[ s.destinationId ];
	const record = verifiedRecord( s.destinationId );
	const ready = canWork( s );
	const details = detailsId && list ? list.find( ( x ) => x.id === detailsId ) : null;

	const restoreFrom = ( snap ) => {
		setState( { restoreDraft: { destinationId: s.destinationId, snapshotId: snap.id } } );
		go( 'restore' );
	};

	if ( details ) {
		return <SnapshotDetails snap={ details } onBack={ () => setDetailsId( null ) } onRestore={ () => restoreFrom( details ) } />;
	}

	return (
		<Fragment>
			<DestinationPicker />
			<Section
				title={ __( 'Snapshots', 'strongbox' ) }
				id="strongbox-snapshot-list"
				actions={
					<Fragment>
						<Button id="strongbox-refresh" variant="secondary" disabled={ !! s.busy || ! ready } onClick={ () => track( () => loadSnapshots() ) }>
							{ __( 'Refresh the list', 'strongbox' ) }
						</Button>
						<Button id="strongbox-verify" variant="secondary" disabled={ !! s.busy || ! ready || ! ( list && list.length ) } onClick={ () => track( () => verify() ) }>
							{ __( 'Verify all backups', 'strongbox' ) }
						</Button>
					</Fragment>
				}
			>
				<Progress ops={ [ 'check' ] } />
				<p className="description">
					{ __( 'Each snapshot is a complete copy of the shop at that time. Only what changed since the one before is stored again.', 'strongbox' ) }
				</p>
				<table className="widefat striped strongbox-table strongbox-snapshots" id="strongbox-snapshots">
					<thead>
						<tr>
							<th scope="col">{ __( 'Time', 'strongbox' ) }</th>
							<th scope="col">{ __( 'Started by', 'strongbox' ) }</th>
							<th scope="col">{ __( 'Total size', 'strongbox' ) }</th>
							<th scope="col">{ __( 'New data', 'strongbox' ) }</th>
							<th scope="col">{ __( 'Duration', 'strongbox' ) }</th>
							<th scope="col">{ __( 'Verification', 'strongbox' ) }</th>
							<th scope="col">
								<span className="screen-reader-text">{ __( 'Actions', 'strongbox' ) }</span>
							</th>
						</tr>
					</thead>
					<tbody>
						{ ! ready ? (
							<tr>
								<td colSpan="7">{ s.hasPassphrase ? __( 'Add a destination in Settings to see its snapshots.', 'strongbox' ) : __( 'Set the encryption passphrase in Settings to see the snapshots.', 'strongbox' ) }</td>
							</tr>
						) : list === null || list === undefined ? (
							<tr>
								<td colSpan="7">
									<Spinner /> { __( 'Loading the snapshots…', 'strongbox' ) }
								</td>
							</tr>
						) : err && err.code !== 'no_repository' ? (
							<tr>
								<td colSpan="7">{ __( 'The snapshots could not be listed (see the message above).', 'strongbox' ) }</td>
							</tr>
						) : ! list.length ? (
							<tr>
								<td colSpan="7">{ __( 'There are no backups at this destination yet.', 'strongbox' ) }</td>
							</tr>
						) : (
							list
								.slice()
								.reverse()
								.map( ( snap ) => {
									const st = snap.stats || {};
									const ms = num( st.duration_ms ) || ( toDate( snap.end_time ) && toDate( snap.time ) ? toDate( snap.end_time ) - toDate( snap.time ) : 0 );
									return (
										<tr key={ snap.id } data-snapshot={ snap.id }>
											<td data-label={ __( 'Time', 'strongbox' ) }>
												<strong>{ dateTime( snap.time ) }</strong>
												<br />
												<code>{ snap.short_id || String( snap.id ).slice( 0, 8 ) }</code>
											</td>
											<td data-label={ __( 'Started by', 'strongbox' ) }>{ triggerLabel( snap.trigger ) }</td>
											<td data-label={ __( 'Total size', 'strongbox' ) }>
												{ size( snapshotSize( snap ) ) }
												<br />
												<span className="description">
													{ sprintf(
														/* translators: 1: number of files, 2: number of tables */
														__( '%1$s files, %2$s tables', 'strongbox' ),
														count( st.files ),
														count( Array.isArray( snap.tables ) ? snap.tables.length : st.tables )
													) }
												</span>
											</td>
											<td data-label={ __( 'New data', 'strongbox' ) }>{ size( st.bytes_new ) }</td>
											<td data-label={ __( 'Duration', 'strongbox' ) }>{ ms ? duration( ms / 1000 ) : '—' }</td>
											<td data-label={ __( 'Verification', 'strongbox' ) }>
												<Verification snap={ snap } record={ record } />
											</td>
											<td className="strongbox-row-actions">
												<Button variant="secondary" className="is-small" onClick={ () => setDetailsId( snap.id ) } aria-label={ sprintf( /* translators: %s: snapshot */ __( 'Details of %s', 'strongbox' ), snapshotLabel( snap ) ) }>
													{ __( 'Details', 'strongbox' ) }
												</Button>{ ' ' }
												<Button
													variant="primary"
													className="is-small"
													data-snapshot={ snap.id }
													disabled={ !! s.busy }
													onClick={ () => restoreFrom( snap ) }
													aria-label={ sprintf( /* translators: %s: snapshot */ __( 'Restore %s', 'strongbox' ), snapshotLabel( snap ) ) }
												>
													{ __( 'Restore…', 'strongbox' ) }
												</Button>
											</td>
										</tr>
									);
								} )
						) }
					</tbody>
				</table>
			</Section>
		</Fragment>
	);
}
