/**
 * First run: passphrase, destination, first backup. A shop should not keep
 * the plugin installed without a backup.
 */
import { createElement, Fragment, useState } from '@wordpress/element';
import { Button } from '@wordpress/components';
import { __ } from '@wordpress/i18n';

import { setState, useStore } from '../store';
import { PassphraseForm } from '../components/Passphrase';
import DestinationForm, { isTestOk } from '../components/DestinationForm';
import { BackupNow } from './Dashboard';
import { testState } from '../store';

const STEPS = [ __( 'Passphrase', 'strongbox' ), __( 'Storage', 'strongbox' ), __( 'First backup', 'strongbox' ) ];

export default function FirstRun( { onDone } ) {
	const s = useStore();
	const initialStep = ! s.hasPassphrase ? 0 : ! s.destinations.length ? 1 : 2;
	const [ step, setStep ] = useState( initialStep );
	const [ tested, setTested ] = useState( null );
	const done = !! s.lastBackup;
	return (
		<section className="strongbox-card strongbox-first-run" id="strongbox-first-run" aria-labelledby="strongbox-first-run-title">
			<div className="strongbox-card-body">
				<h2 id="strongbox-first-run-title">{ __( 'Set up backups for this shop', 'strongbox' ) }</h2>
				<p>{ __( 'Three short steps: a passphrase that encrypts the backups, a place to keep them away from this server, and a first backup. About five minutes.', 'strongbox' ) }</p>
				<ol className="strongbox-steps">
					{ STEPS.map( ( label, i ) => (
						<li key={ label } className={ i < step ? 'is-done' : i === step ? 'is-current' : '' } aria-current={ i === step ? 'step' : undefined }>
							<span className="strongbox-step-n">{ i + 1 }</span> { label }
						</li>
					) ) }
				</ol>
				{ step === 0 && (
					<Fragment>
						<h3>{ __( '1. Choose the encryption passphrase', 'strongbox' ) }</h3>
						<PassphraseForm onSaved={ () => setStep( s.destinations.length ? 2 : 1 ) } />
					</Fragment>
				) }
				{ step === 1 && (
					<Fragment>
						<h3>{ __( '2. Where should the backups go?', 'strongbox' ) }</h3>
						<p>{ __( 'Use storage from another company than your host: if the server is lost, the backups must not be lost with it. Create a bucket (and keys for it) in your provider’s console, then enter them here.', 'strongbox' ) }</p>
						<DestinationForm
							onSaved={ ( d ) => setState( { destinationId: d.id } ) }
							onTested={ setTested }
						/>
						<p className="strongbox-actions">
							<Button variant="primary" id="strongbox-first-run-next" disabled={ ! s.destinations.length || ! isTestOk( tested ) } onClick={ () => setStep( 2 ) }>
								{ __( 'Next: the first backup', 'strongbox' ) }
							</Button>
							{ s.destinations.length > 0 && ! isTestOk( tested ) && <span className="description">{ __( 'The connection test must pass first.', 'strongbox' ) }</span> }
						</p>
					</Fragment>
				) }
				{ step === 2 && (
					<Fragment>
						<h3>{ __( '3. Make the first backup', 'strongbox' ) }</h3>
						<p>{ __( 'The first backup copies the whole shop, so it takes longest; later ones only send what changed. Keep this tab open until it finishes.', 'strongbox' ) }</p>
						<BackupNow />
						{ done && ! s.busy && testState.results.backup && (
							<div className="strongbox-callout is-green" id="strongbox-first-run-done">
								<p>
									<strong>{ __( 'The shop is backed up.', 'strongbox' ) }</strong> { __( 'Add a schedule in Settings so it stays that way.', 'strongbox' ) }
								</p>
								<Button variant="primary" onClick={ onDone }>
									{ __( 'Go to the dashboard', 'strongbox' ) }
								</Button>
							</div>
						) }
					</Fragment>
				) }
			</div>
		</section>
	);
}
