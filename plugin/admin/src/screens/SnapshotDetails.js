/**
 * One snapshot: what it holds (tables with row counts, folders with sizes),
 * Restore, and a portable archive download.
 */
import { createElement, Fragment, useEffect, useState } from '@wordpress/element';
import { Button, Spinner } from '@wordpress/components';
import { __, _n, sprintf } from '@wordpress/i18n';

import { setState, useStore, track } from '../store';
import { engineFeatures, snapshotFolders } from '../actions';
import { count, dateTime, duration, num, size, snapshotSize, triggerLabel } from '../format';
import { Section } from '../components/common';
import ArchiveDownload from '../components/ArchiveDownload';

function Folders( { snap } ) {
	const s = useStore();
	const [ state, setFolders ] = useState( { loading: true } );
	useEffect( () => {
		let live = true;
		// The engine reads one thing at a time: the archive waits for the folder sizes.
		setState( { readingTree: true } );
		track( async () => {
			const features = await engineFeatures();
			if ( ! features.tree ) {
				setState( { readingTree: false } );
				if ( live ) {
					setFolders( { unsupported: true } );
				}
				return;
			}
			try {
				const folders = await snapshotFolders( s.destinationId, snap.id, '' );
				if ( live ) {
					setFolders( { folders } );
				}
			} catch ( err ) {
				if ( live ) {
					setFolders( { error: err } );
				}
			} finally {
				setState( { readingTree: false } );
			}
		} );
		return () => {
			live = false;
		};
	}, [ snap.id ] );
	if ( state.loading ) {
		return (
			<p>
				<Spinner /> { __( 'Reading the folders…', 'strongbox' ) }
			</p>
		);
	}
	if ( state.unsupported ) {
		return (
			<p className="strongbox-unavailable" id="strongbox-folders-unavailable">
				{ sprintf(
					/* translators: %s: size of the files */
					__( 'The files of this snapshot take %s. Folder sizes need a newer backup engine than the one installed; the files can still be restored whole or by folder.', 'strongbox' ),
					size( snap.stats && snap.stats.file_bytes )
				) }
			</p>
		);
	}
	if ( state.error ) {
		return <p className="strongbox-error-text">{ state.error.message }</p>;
	}
	return (
		<table className="widefat striped strongbox-table" id="strongbox-snapshot-folders">
			<thead>
				<tr>
					<th scope="col">{ __( 'Folder', 'strongbox' ) }</th>
					<th scope="col">{ __( 'Files', 'strongbox' ) }</th>
					<th scope="col">{ __( 'Size', 'strongbox' ) }</th>
				</tr>
			</thead>
			<tbody>
				{ state.folders.map( ( f ) => (
					<tr key={ f.path }>
						<td>
							<code>{ f.path || '/' }</code>
						</td>
						<td>{ count( f.files ) }</td>
						<td>{ size( f.bytes ) }</td>
					</tr>
				) ) }
			</tbody>
		</table>
	);
}

export default function SnapshotDetails( { snap, onBack, onRestore } ) {
	const s = useStore();
	const st = snap.stats || {};
	const tables = ( snap.tables || [] ).slice().sort( ( a, b ) => String( a.name ).localeCompare( String( b.name ) ) );
	const site = snap.site || {};
	return (
		<Fragment>
			<p>
				<Button variant="link" onClick={ onBack }>
					{ __( '← All snapshots', 'strongbox' ) }
				</Button>
			</p>
			<Section
				title={ sprintf( /* translators: %s: date and time */ __( 'Snapshot of %s', 'strongbox' ), dateTime( snap.time ) ) }
				id="strongbox-snapshot-details"
				actions={
					<Button variant="primary" disabled={ !! s.busy } onClick={ onRestore }>
						{ __( 'Restore…', 'strongbox' ) }
					</Button>
				}
			>
				<dl className="strongbox-facts">
					<dt>{ __( 'Snapshot', 'strongbox' ) }</dt>
					<dd>
						<code>{ snap.id }</code>
					</dd>
					<dt>{ __( 'Started by', 'strongbox' ) }</dt>
					<dd>{ triggerLabel( snap.trigger ) }</dd>
					<dt>{ __( 'Total size', 'strongbox' ) }</dt>
					<dd>
						{ size( snapshotSize( snap ) ) } ({ sprintf( /* translators: 1: files size, 2: database size */ __( 'files %1$s, database %2$s', 'strongbox' ), size( st.file_bytes ), size( st.db_bytes ) ) })
					</dd>
					<dt>{ __( 'New data', 'strongbox' ) }</dt>
					<dd>{ size( st.bytes_new ) }</dd>
					<dt>{ __( 'Duration', 'strongbox' ) }</dt>
					<dd>{ duration( num( st.duration_ms ) / 1000 ) }</dd>
					<dt>{ __( 'Site', 'strongbox' ) }</dt>
					<dd>
						{ [ site.url, site.wordpress_version && 'WordPress ' + site.wordpress_version, site.woocommerce_version && 'WooCommerce ' + site.woocommerce_version ].filter( Boolean ).join( ' · ' ) || '—' }
					</dd>
					{ num( snap.warnings ) > 0 && (
						<Fragment>
							<dt>{ __( 'Warnings', 'strongbox' ) }</dt>
							<dd>{ sprintf( /* translators: %s: number */ _n( '%s file changed or could not be read while backed up (see the job log).', '%s files changed or could not be read while backed up (see the job log).', num( snap.warnings ), 'strongbox' ), count( snap.warnings ) ) }</dd>
						</Fragment>
					) }
				</dl>
				<ArchiveDownload snap={ snap } />
			</Section>
			<div className="strongbox-grid">
				<Section title={ sprintf( /* translators: %s: number of tables */ __( 'Tables (%s)', 'strongbox' ), count( tables.length ) ) } id="strongbox-snapshot-tables">
					{ tables.length ? (
						<div className="strongbox-scroll">
							<table className="widefat striped strongbox-table">
								<thead>
									<tr>
										<th scope="col">{ __( 'Table', 'strongbox' ) }</th>
										<th scope="col">{ __( 'Rows', 'strongbox' ) }</th>
									</tr>
								</thead>
								<tbody>
									{ tables.map( ( t ) => (
										<tr key={ t.name }>
											<td>
												<code>{ t.name }</code>
											</td>
											<td>{ count( t.rows ) }</td>
										</tr>
									) ) }
								</tbody>
							</table>
						</div>
					) : (
						<p>{ __( 'This snapshot holds no database.', 'strongbox' ) }</p>
					) }
				</Section>
				<Section title={ __( 'Folders', 'strongbox' ) } id="strongbox-snapshot-folders-section">
					{ snap.files ? <Folders snap={ snap } /> : <p>{ __( 'This snapshot holds no files.', 'strongbox' ) }</p> }
				</Section>
			</div>
		</Fragment>
	);
}
