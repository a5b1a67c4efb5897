/**
 * Download a portable archive (tar.gz of the files plus an SQL dump) of a
 * snapshot, assembled in the browser and streamed to disk. Needs engine calls
 * (listTree, readFile, exportTable): see ENGINE-NEEDS; until the engine has
 * them the button explains why it is not offered.
 */
import { createElement, Fragment, useEffect, useState } from '@wordpress/element';
import { Button } from '@wordpress/components';
import { __, sprintf } from '@wordpress/i18n';

import { useStore, track } from '../store';
import { downloadArchive, engineFeatures } from '../actions';
import { size } from '../format';

export default function ArchiveDownload( { snap } ) {
	const s = useStore();
	const [ features, setFeatures ] = useState( null );
	useEffect( () => {
		engineFeatures().then( setFeatures );
	}, [] );
	const supported = features && features.archive;
	return (
		<div className="strongbox-archive" id="strongbox-archive">
			<h3>{ __( 'Portable archive', 'strongbox' ) }</h3>
			<p>{ __( 'A .tar.gz of the files plus the database as an SQL dump, which any host or developer can use without Strongbox. It is assembled in this browser and written straight to disk.', 'strongbox' ) }</p>
			<p className="strongbox-actions">
				<Button variant="secondary" id="strongbox-archive-download" disabled={ ! supported || !! s.busy || !! s.readingTree } onClick={ () => track( () => downloadArchive( s.destinationId, snap ) ) }>
					{ sprintf( /* translators: %s: size */ __( 'Download archive (about %s)', 'strongbox' ), size( ( snap.stats && snap.stats.file_bytes ) + ( snap.stats && snap.stats.db_bytes ) ) ) }
				</Button>
				{ features && ! supported && <span className="description" id="strongbox-archive-unavailable">{ __( 'Needs a newer backup engine than the one installed (it cannot yet read a snapshot’s files and tables into the browser).', 'strongbox' ) }</span> }
			</p>
			{ s.archive && s.archive.snapshot === snap.id && (
				<p role="status">
					{ s.archive.done
						? sprintf( /* translators: 1: file name, 2: size */ __( 'Saved %1$s (%2$s).', 'strongbox' ), s.archive.name, size( s.archive.bytes ) )
						: sprintf( /* translators: 1: current item, 2: bytes written */ __( 'Writing %1$s… %2$s so far', 'strongbox' ), s.archive.item || '', size( s.archive.bytes ) ) }
				</p>
			) }
		</div>
	);
}
export { Fragment };
