/**
 * Add or edit an S3-compatible destination, with provider presets, Test
 * connection, and the CORS fix.
 */
import { createElement, Fragment, useState } from '@wordpress/element';
import { Button, SelectControl, Spinner, TextControl, ToggleControl } from '@wordpress/components';
import { __, sprintf } from '@wordpress/i18n';

import { track } from '../store';
import { api, loadDestinations } from '../actions';
import { PROVIDERS, detectProvider } from '../providers';
import { Badge } from './common';

export function TestResult( { result, onFix, fixing } ) {
	if ( ! result ) {
		return null;
	}
	if ( result.error ) {
		return (
			<div className="strongbox-callout is-red" role="alert">
				<p>{ result.error.message }</p>
			</div>
		);
	}
	const r = result.data;
	const cors = ( r.checks || [] ).find( ( c ) => c.id === 'cors' );
	return (
		<div className={ 'strongbox-callout ' + ( r.ok ? 'is-green' : 'is-red' ) } id="strongbox-test-result" role="status">
			<p>
				<strong>{ r.ok ? __( 'The connection works: this site and your browser can write backups there.', 'strongbox' ) : __( 'The connection does not work yet:', 'strongbox' ) }</strong>
			</p>
			<ul className="strongbox-checklist-result">
				{ ( r.checks || [] ).map( ( c ) => (
					<li key={ c.id } data-check={ c.id }>
						{ c.skipped ? <Badge tone="neutral">{ __( 'Skipped', 'strongbox' ) }</Badge> : c.ok ? <Badge tone="green">{ __( 'OK', 'strongbox' ) }</Badge> : <Badge tone="red">{ __( 'Failed', 'strongbox' ) }</Badge> }{ ' ' }
						<strong>{ { endpoint: __( 'Endpoint', 'strongbox' ), credentials: __( 'Keys and bucket', 'strongbox' ), write: __( 'Writing', 'strongbox' ), cors: __( 'Browser access (CORS)', 'strongbox' ) }[ c.id ] || c.id }</strong>: { c.message }
					</li>
				) ) }
			</ul>
			{ cors && ! cors.ok && ! cors.skipped && (
				<div className="strongbox-cors-help">
					<p>
						{ __( 'Backups run in your browser, which uploads straight to the bucket. Browsers only allow that when the bucket’s CORS rules name this site. ', 'strongbox' ) }
						{ r.cors_fixable ? __( 'Strongbox can add the rule for you (every other rule of the bucket is kept).', 'strongbox' ) : __( 'Add this rule in your provider’s console (bucket settings > CORS):', 'strongbox' ) }
					</p>
					{ r.cors_fixable && (
						<Button variant="primary" id="strongbox-fix-cors" isBusy={ fixing } disabled={ fixing } onClick={ onFix }>
							{ __( 'Fix CORS for this site', 'strongbox' ) }
						</Button>
					) }
					{ r.cors_rule && (
						<details>
							<summary>{ __( 'The rule, to add by hand', 'strongbox' ) }</summary>
							<pre className="strongbox-code">{ typeof r.cors_rule === 'string' ? r.cors_rule : JSON.stringify( r.cors_rule, null, 2 ) }</pre>
						</details>
					) }
				</div>
			) }
			{ r.applied !== undefined && <p>{ r.applied ? __( 'The CORS rule was added to the bucket.', 'strongbox' ) : __( 'The CORS rule could not be added.', 'strongbox' ) }</p> }
			{ r.csp_note && <p className="description">{ r.csp_note }</p> }
		</div>
	);
}

function initial( d ) {
	if ( ! d ) {
		return { provider: 'aws', name: '', region: PROVIDERS.aws.region, account: '', endpoint: '', bucket: '', prefix: '', access_key_id: '', secret_access_key: '', path_style: false };
	}
	const det = detectProvider( d );
	return {
		provider: det.provider,
		name: d.name || '',
		region: det.region || d.region || '',
		account: det.account || '',
		endpoint: d.endpoint || '',
		bucket: d.bucket || '',
		prefix: d.prefix || '',
		access_key_id: d.access_key_id || '',
		secret_access_key: '',
		path_style: !! d.path_style,
	};
}

export default function DestinationForm( { destination, onSaved, onCancel, submitLabel, onTested } ) {
	const [ f, setF ] = useState( () => initial( destination ) );
	const [ saving, setSaving ] = useState( false );
	const [ error, setError ] = useState( null );
	const [ saved, setSaved ] = useState( destination || null );
	const [ test, setTestState ] = useState( null );
	const [ testing, setTesting ] = useState( false );
	const [ fixing, setFixing ] = useState( false );
	const setTest = ( t ) => {
		setTestState( t );
		if ( onTested ) {
			onTested( t );
		}
	};
	const p = PROVIDERS[ f.provider ];
	const set = ( k ) => ( v ) => setF( Object.assign( {}, f, { [ k ]: v } ) );
	const endpoint = p.custom ? f.endpoint : p.endpoint( f );

	const runTest = ( id ) =>
		track( async () => {
			setTesting( true );
			try {
				setTest( { data: await api( 'destinations/' + id + '/test', { method: 'POST', data: { origin: window.location.origin } } ) } );
			} catch ( err ) {
				setTest( { error: err } );
			} finally {
				setTesting( false );
			}
		} );

	const save = ( e ) => {
		e.preventDefault();
		return track( async () => {
			setSaving( true );
			setError( null );
			const body = {
				name: f.name || p.label + ' · ' + f.bucket,
				endpoint,
				region: f.region || p.region,
				bucket: f.bucket.trim(),
				prefix: f.prefix.trim().replace( /^\/+|\/+$/g, '' ),
				access_key_id: f.access_key_id.trim(),
				path_style: p.custom ? !! f.path_style : p.pathStyle,
			};
			if ( f.secret_access_key || ! saved ) {
				body.secret_access_key = f.secret_access_key;
			}
			try {
				const d = saved ? await api( 'destinations/' + saved.id, { method: 'PATCH', data: body } ) : await api( 'destinations', { method: 'POST', data: body } );
				setSaved( d );
				setF( Object.assign( {}, f, { secret_access_key: '' } ) );
				await loadDestinations();
				if ( onSaved ) {
					onSaved( d );
				}
				await runTest( d.id );
			} catch ( err ) {
				setError( err );
			} finally {
				setSaving( false );
			}
		} );
	};

	const fix = () =>
		track( async () => {
			setFixing( true );
			try {
				setTest( { data: await api( 'destinations/' + saved.id + '/cors', { method: 'POST', data: { origin: window.location.origin } } ) } );
				// Then the whole test again: the owner sees every check pass.
				setTest( { data: await api( 'destinations/' + saved.id + '/test', { method: 'POST', data: { origin: window.location.origin } } ) } );
			} catch ( err ) {
				setTest( { error: err } );
			} finally {
				setFixing( false );
			}
		} );

	return (
		<form className="strongbox-destination-form" onSubmit={ save } aria-label={ __( 'Destination', 'strongbox' ) }>
			<SelectControl
				label={ __( 'Storage provider', 'strongbox' ) }
				value={ f.provider }
				options={ Object.entries( PROVIDERS ).map( ( [ value, x ] ) => ( { value, label: x.label } ) ) }
				onChange={ ( provider ) => setF( Object.assign( {}, f, { provider, region: PROVIDERS[ provider ].region, path_style: PROVIDERS[ provider ].pathStyle } ) ) }
			/>
			<p className="description">{ p.help }</p>
			{ p.account && <TextControl label={ __( 'Account ID', 'strongbox' ) } value={ f.account } onChange={ set( 'account' ) } /> }
			{ p.custom && <TextControl label={ __( 'Endpoint URL', 'strongbox' ) } type="url" placeholder="https://minio.example.com:9000" value={ f.endpoint } onChange={ set( 'endpoint' ) } /> }
			{ p.regions ? (
				<SelectControl label={ __( 'Region', 'strongbox' ) } value={ f.region } options={ p.regions.map( ( r ) => ( { value: r, label: r } ) ) } onChange={ set( 'region' ) } />
			) : (
				! p.account && <TextControl label={ __( 'Region', 'strongbox' ) } value={ f.region } onChange={ set( 'region' ) } help={ __( 'us-east-1 when the provider does not use regions.', 'strongbox' ) } />
			) }
			{ ! p.custom && (
				<p className="description">
					{ __( 'Endpoint:', 'strongbox' ) } <code>{ endpoint }</code>
				</p>
			) }
			<TextControl label={ p.bucketLabel } value={ f.bucket } onChange={ set( 'bucket' ) } required />
			<TextControl label={ __( 'Folder in the bucket (optional)', 'strongbox' ) } value={ f.prefix } onChange={ set( 'prefix' ) } help={ __( 'Lets several sites share one bucket.', 'strongbox' ) } />
			<TextControl label={ p.keyLabel } value={ f.access_key_id } onChange={ set( 'access_key_id' ) } autoComplete="off" required />
			<TextControl
				label={ p.secretLabel }
				type="password"
				autoComplete="new-password"
				value={ f.secret_access_key }
				onChange={ set( 'secret_access_key' ) }
				help={ saved && saved.has_secret ? __( 'Saved; it is never shown again. Leave empty to keep it.', 'strongbox' ) : __( 'Stored on this site only; never shown again.', 'strongbox' ) }
			/>
			{ p.custom && <ToggleControl label={ __( 'Path-style addresses (bucket in the path; needed by MinIO and most self-hosted servers)', 'strongbox' ) } checked={ !! f.path_style } onChange={ set( 'path_style' ) } /> }
			<TextControl label={ __( 'Name shown in Strongbox', 'strongbox' ) } value={ f.name } onChange={ set( 'name' ) } placeholder={ p.label + ( f.bucket ? ' · ' + f.bucket : '' ) } />
			{ error && (
				<div className="strongbox-callout is-red" role="alert">
					<p>{ error.message }</p>
				</div>
			) }
			<p className="strongbox-actions">
				<Button type="submit" variant="primary" isBusy={ saving } disabled={ saving || testing }>
					{ submitLabel || ( saved ? __( 'Save and test', 'strongbox' ) : __( 'Add and test the connection', 'strongbox' ) ) }
				</Button>
				{ saved && (
					<Button variant="secondary" id="strongbox-test-connection" isBusy={ testing } disabled={ testing || saving } onClick={ () => runTest( saved.id ) }>
						{ __( 'Test connection', 'strongbox' ) }
					</Button>
				) }
				{ onCancel && (
					<Button variant="tertiary" onClick={ onCancel }>
						{ __( 'Close', 'strongbox' ) }
					</Button>
				) }
				{ testing && <Spinner /> }
			</p>
			<TestResult result={ test } onFix={ fix } fixing={ fixing } />
		</form>
	);
}

export function isTestOk( test ) {
	return !! ( test && test.data && test.data.ok );
}

export { sprintf };
