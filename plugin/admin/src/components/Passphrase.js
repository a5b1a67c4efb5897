/**
 * The encryption passphrase: strength check, the recovery kit, and the
 * warning that a lost passphrase means lost backups.
 */
import { createElement, Fragment, useState } from '@wordpress/element';
import { Button, CheckboxControl } from '@wordpress/components';
import { __, sprintf } from '@wordpress/i18n';

import { getState, setState, track, useStore } from '../store';
import { api, loadSnapshots } from '../actions';
import { dateTime } from '../format';

const COMMON = /(password|passwort|qwerty|azerty|123456|letmein|welcome|admin|iloveyou|monkey|dragon|abc123|111111)/i;

/** Bits of entropy, roughly: character classes and length, minus obvious patterns. */
export function strength( pw ) {
	if ( ! pw ) {
		return { bits: 0, level: 0 };
	}
	let pool = 0;
	if ( /[a-z]/.test( pw ) ) {
		pool += 26;
	}
	if ( /[A-Z]/.test( pw ) ) {
		pool += 26;
	}
	if ( /[0-9]/.test( pw ) ) {
		pool += 10;
	}
	if ( /[^a-zA-Z0-9]/.test( pw ) ) {
		pool += 33;
	}
	const unique = new Set( pw ).size;
	let bits = Math.log2( Math.max( pool, 2 ) ) * Math.min( pw.length, unique * 3 );
	if ( COMMON.test( pw ) ) {
		bits -= 25;
	}
	if ( /(.)\1{3,}/.test( pw ) ) {
		bits -= 15;
	}
	const words = pw.trim().split( /[\s\-_.]+/ ).filter( ( w ) => w.length >= 3 );
	if ( words.length >= 4 ) {
		// Passphrases of several words: count each word as about 11 bits at least.
		bits = Math.max( bits, words.length * 11 );
	}
	bits = Math.max( 0, Math.round( bits ) );
	const level = pw.length < 12 ? 0 : bits < 50 ? 1 : bits < 70 ? 2 : bits < 90 ? 3 : 4;
	return { bits, level };
}

const LEVELS = [ __( 'Too short', 'strongbox' ), __( 'Weak', 'strongbox' ), __( 'Fair', 'strongbox' ), __( 'Good', 'strongbox' ), __( 'Strong', 'strongbox' ) ];

/** A random passphrase: 6 groups of 5 letters and digits (about 155 bits). */
export function generatePassphrase() {
	const alphabet = 'abcdefghijkmnopqrstuvwxyz23456789';
	const bytes = new Uint8Array( 30 );
	window.crypto.getRandomValues( bytes );
	const groups = [];
	for ( let g = 0; g < 6; g++ ) {
		let w = '';
		for ( let i = 0; i < 5; i++ ) {
			w += alphabet[ bytes[ g * 5 + i ] % alphabet.length ];
		}
		groups.push( w );
	}
	return groups.join( '-' );
}

function repoIds() {
	try {
		return JSON.parse( window.localStorage.getItem( 'strongbox.repositories' ) || '{}' );
	} catch ( e ) {
		return {};
	}
}

/** The recovery kit as plain text (what is needed to restore without this site). */
export function kitText( { passphrase } = {} ) {
	const s = getState();
	const ids = Object.assign( {}, repoIds(), ( window.strongboxAdmin.client && window.strongboxAdmin.client.repositories ) || {} );
	const lines = [];
	lines.push( __( 'STRONGBOX RECOVERY KIT', 'strongbox' ) );
	lines.push( '' );
	lines.push( sprintf( /* translators: 1: site name, 2: URL */ __( 'Site: %1$s (%2$s)', 'strongbox' ), s.config.siteName, s.config.homeUrl ) );
	lines.push( sprintf( /* translators: %s: date */ __( 'Made: %s', 'strongbox' ), dateTime( new Date() ) ) );
	lines.push( '' );
	lines.push( __( 'Keep this kit offline and safe (printed, or in a password manager). Anyone with the passphrase and the storage keys can read the backups.', 'strongbox' ) );
	lines.push( __( 'IF THE PASSPHRASE IS LOST, THE BACKUPS ARE LOST: nobody, not even Strongbox, can decrypt them without it.', 'strongbox' ) );
	lines.push( '' );
	lines.push( __( 'Encryption passphrase:', 'strongbox' ) + ' ' + ( passphrase || '________________________________________ ' + __( '(write it here by hand)', 'strongbox' ) ) );
	lines.push( '' );
	lines.push( __( 'Where the backups are (repositories):', 'strongbox' ) );
	for ( const d of s.destinations || [] ) {
		const url = 's3:' + String( d.endpoint ).replace( /\/$/, '' ) + '/' + d.bucket + ( d.prefix ? '/' + d.prefix : '' );
		lines.push( '' );
		lines.push( '  ' + ( d.name || d.id ) );
		lines.push( '    ' + __( 'Repository:', 'strongbox' ) + ' ' + url );
		lines.push( '    ' + __( 'Region:', 'strongbox' ) + ' ' + ( d.region || 'us-east-1' ) + ( d.path_style ? ' · ' + __( 'path-style addresses', 'strongbox' ) : '' ) );
		lines.push( '    ' + __( 'Access key ID:', 'strongbox' ) + ' ' + ( d.access_key_id || '' ) + ' ' + __( '(the secret key is not in this kit: it is in your storage provider’s console)', 'strongbox' ) );
		lines.push( '    ' + __( 'Repository ID (key id):', 'strongbox' ) + ' ' + ( ids[ d.id ] || __( 'not known yet: it is shown after the first backup', 'strongbox' ) ) );
	}
	lines.push( '' );
	lines.push( __( 'How to restore without this site (for example on a new server):', 'strongbox' ) );
	lines.push( '  1. ' + __( 'Get the strongbox command-line program (from the plugin’s release page).', 'strongbox' ) );
	lines.push( '  2. ' + __( 'Set the storage keys and the passphrase:', 'strongbox' ) );
	lines.push( '       export AWS_ACCESS_KEY_ID=...  AWS_SECRET_ACCESS_KEY=...  STRONGBOX_PASSWORD=...' );
	lines.push( '  3. ' + __( 'List the snapshots:', 'strongbox' ) );
	lines.push( '       strongbox -r <repository> snapshots' );
	lines.push( '  4. ' + __( 'Restore the files and the database (as SQL files) of the latest one:', 'strongbox' ) );
	lines.push( '       strongbox -r <repository> restore latest --target ./site --sql-dir ./sql' );
	lines.push( '  5. ' + __( 'Import ./sql/*.sql into a new database, copy ./site to the web server, and set the database access in wp-config.php.', 'strongbox' ) );
	lines.push( '     ' + __( 'Or restore straight into a database: add --db-name NAME --db-user USER --db-password PASS --db-host HOST.', 'strongbox' ) );
	return lines.join( '\n' ) + '\n';
}

export function downloadText( name, text ) {
	const url = URL.createObjectURL( new Blob( [ text ], { type: 'text/plain;charset=utf-8' } ) );
	const a = document.createElement( 'a' );
	a.href = url;
	a.download = name;
	document.body.appendChild( a );
	a.click();
	a.remove();
	window.setTimeout( () => URL.revokeObjectURL( url ), 10000 );
}

export function RecoveryKit( { passphrase } ) {
	const [ include, setInclude ] = useState( false );
	const [ shown, setShown ] = useState( false );
	const text = kitText( { passphrase: include ? passphrase : '' } );
	const slug = ( getState().config.homeHost || 'site' ).replace( /[^a-z0-9.-]+/gi, '-' );
	return (
		<div className="strongbox-kit">
			<p>{ __( 'The recovery kit holds what is needed to restore this shop when the site itself is gone: where the backups are, the repository IDs, and the steps. Keep it with the passphrase.', 'strongbox' ) }</p>
			{ passphrase && <CheckboxControl label={ __( 'Write the passphrase into the kit (keep the kit as safe as the passphrase then)', 'strongbox' ) } checked={ include } onChange={ setInclude } /> }
			<p className="strongbox-actions">
				<Button variant="secondary" id="strongbox-kit-download" onClick={ () => downloadText( 'strongbox-recovery-kit-' + slug + '.txt', text ) }>
					{ __( 'Download the recovery kit', 'strongbox' ) }
				</Button>
				<Button
					variant="secondary"
					onClick={ () => {
						setShown( true );
						window.setTimeout( () => window.print(), 50 );
					} }
				>
					{ __( 'Print the recovery kit', 'strongbox' ) }
				</Button>
				<Button variant="link" aria-expanded={ shown } onClick={ () => setShown( ! shown ) }>
					{ shown ? __( 'Hide the kit', 'strongbox' ) : __( 'Show the kit', 'strongbox' ) }
				</Button>
			</p>
			{ shown && <pre className="strongbox-kit-text strongbox-print">{ text }</pre> }
		</div>
	);
}

/**
 * Set (or change) the passphrase. `onSaved(passphrase)` after it is stored.
 */
export function PassphraseForm( { onSaved, change = false } ) {
	const [ pw, setPw ] = useState( '' );
	const [ again, setAgain ] = useState( '' );
	const [ visible, setVisible ] = useState( false );
	const [ kept, setKept ] = useState( false );
	const [ error, setError ] = useState( null );
	const [ saving, setSaving ] = useState( false );
	const st = strength( pw );
	const match = pw === again;
	const ok = st.level >= 2 && match && kept;
	const save = ( e ) => {
		e.preventDefault();
		if ( ! ok ) {
			return undefined;
		}
		return track( async () => {
			setSaving( true );
			setError( null );
			try {
				await api( 'settings/passphrase', { method: 'PUT', data: { passphrase: pw } } );
				setState( { hasPassphrase: true } );
				if ( onSaved ) {
					onSaved( pw );
				}
				setPw( '' );
				setAgain( '' );
				if ( getState().destinationId ) {
					loadSnapshots();
				}
			} catch ( err ) {
				setError( err );
			} finally {
				setSaving( false );
			}
		} );
	};
	return (
		<form id="strongbox-passphrase-form" onSubmit={ save }>
			{ change && (
				<div className="strongbox-callout is-amber">
					<p>{ __( 'Backups already made stay encrypted with the passphrase they were made with. A new passphrase only works for a new, empty destination: keep the old one to restore the old backups.', 'strongbox' ) }</p>
				</div>
			) }
			<p>
				<label htmlFor="strongbox-passphrase">{ __( 'Encryption passphrase (at least 12 characters)', 'strongbox' ) }</label>
				<br />
				<input
					type={ visible ? 'text' : 'password' }
					id="strongbox-passphrase"
					className="regular-text"
					minLength="12"
					maxLength="1024"
					autoComplete="new-password"
					value={ pw }
					aria-describedby="strongbox-passphrase-strength"
					onChange={ ( e ) => setPw( e.target.value ) }
				/>{ ' ' }
				<Button variant="secondary" onClick={ () => setVisible( ! visible ) } aria-pressed={ visible }>
					{ visible ? __( 'Hide', 'strongbox' ) : __( 'Show', 'strongbox' ) }
				</Button>{ ' ' }
				<Button
					variant="secondary"
					onClick={ () => {
						const g = generatePassphrase();
						setPw( g );
						setAgain( g );
						setVisible( true );
					} }
				>
					{ __( 'Generate one', 'strongbox' ) }
				</Button>
			</p>
			<p id="strongbox-passphrase-strength" className={ 'strongbox-strength is-' + st.level } aria-live="polite">
				<meter min="0" max="4" low="2" high="3" optimum="4" value={ st.level } aria-hidden="true" /> { sprintf( /* translators: 1: strength word, 2: bits */ __( 'Strength: %1$s (about %2$s bits)', 'strongbox' ), LEVELS[ st.level ], st.bits ) }
			</p>
			<p>
				<label htmlFor="strongbox-passphrase-again">{ __( 'The same passphrase again', 'strongbox' ) }</label>
				<br />
				<input type={ visible ? 'text' : 'password' } id="strongbox-passphrase-again" className="regular-text" autoComplete="new-password" value={ again } onChange={ ( e ) => setAgain( e.target.value ) } />
				{ again && ! match && <span className="strongbox-error-text"> { __( 'The two do not match.', 'strongbox' ) }</span> }
			</p>
			<div className="strongbox-callout is-red">
				<p>
					<strong>{ __( 'A lost passphrase means lost backups.', 'strongbox' ) }</strong> { __( 'Backups are encrypted in this browser before they leave it. Nobody can restore them without the passphrase: not you, not your host, not Strongbox.', 'strongbox' ) }
				</p>
			</div>
			{ pw && st.level >= 2 && <RecoveryKit passphrase={ pw } /> }
			<CheckboxControl label={ __( 'I have stored the passphrase (or the recovery kit) somewhere safe, outside this site', 'strongbox' ) } checked={ kept } onChange={ setKept } />
			{ error && <p className="strongbox-error-text">{ error.message }</p> }
			<p className="strongbox-actions">
				<Button type="submit" variant="primary" id="strongbox-passphrase-save" disabled={ ! ok || saving } isBusy={ saving }>
					{ change ? __( 'Change the passphrase', 'strongbox' ) : __( 'Save the passphrase', 'strongbox' ) }
				</Button>
			</p>
		</form>
	);
}

export function PassphraseSettings() {
	const s = useStore();
	const [ changing, setChanging ] = useState( false );
	if ( ! s.hasPassphrase ) {
		return <PassphraseForm />;
	}
	return (
		<Fragment>
			<p>
				<strong>{ __( 'A passphrase is set.', 'strongbox' ) }</strong> { __( 'It is stored on this site for the backups that run here, and never shown again.', 'strongbox' ) }
			</p>
			<RecoveryKit />
			{ changing ? (
				<PassphraseForm change onSaved={ () => setChanging( false ) } />
			) : (
				<p>
					<Button variant="link" onClick={ () => setChanging( true ) }>
						{ __( 'Change the passphrase…', 'strongbox' ) }
					</Button>
				</p>
			) }
		</Fragment>
	);
}
