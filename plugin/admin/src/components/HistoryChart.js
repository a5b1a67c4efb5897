/**
 * Backup history: new data added (bars) and duration (dots) per snapshot, as
 * an SVG with a text alternative (a table for screen readers).
 */
import { createElement } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

import { dateTime, duration, num, size } from '../format';

export default function HistoryChart( { snapshots } ) {
	const list = ( snapshots || [] ).slice( -30 );
	if ( list.length < 1 ) {
		return <p className="strongbox-empty">{ __( 'The chart appears after the first backup.', 'strongbox' ) }</p>;
	}
	const W = 600;
	const H = 160;
	const pad = { l: 8, r: 8, t: 12, b: 18 };
	const maxBytes = Math.max( 1, ...list.map( ( s ) => num( s.stats && s.stats.bytes_new ) ) );
	const maxMs = Math.max( 1, ...list.map( ( s ) => num( s.stats && s.stats.duration_ms ) ) );
	const slot = ( W - pad.l - pad.r ) / list.length;
	const bw = Math.max( 2, Math.min( 28, slot * 0.6 ) );
	const ih = H - pad.t - pad.b;
	return (
		<figure className="strongbox-chart">
			<svg viewBox={ `0 0 ${ W } ${ H }` } role="img" aria-labelledby="strongbox-chart-caption" preserveAspectRatio="none">
				<line x1={ pad.l } x2={ W - pad.r } y1={ H - pad.b } y2={ H - pad.b } className="axis" />
				{ list.map( ( s, i ) => {
					const b = num( s.stats && s.stats.bytes_new );
					const h = Math.max( 1, ( b / maxBytes ) * ih );
					const x = pad.l + i * slot + ( slot - bw ) / 2;
					return (
						<rect key={ s.id } x={ x } y={ H - pad.b - h } width={ bw } height={ h } className="bar">
							<title>{ dateTime( s.time ) + ': ' + size( b ) + ', ' + duration( num( s.stats && s.stats.duration_ms ) / 1000 ) }</title>
						</rect>
					);
				} ) }
				<polyline
					className="line"
					fill="none"
					points={ list.map( ( s, i ) => `${ pad.l + i * slot + slot / 2 },${ H - pad.b - ( num( s.stats && s.stats.duration_ms ) / maxMs ) * ih }` ).join( ' ' ) }
				/>
				{ list.map( ( s, i ) => (
					<circle key={ s.id } className="dot" r="3" cx={ pad.l + i * slot + slot / 2 } cy={ H - pad.b - ( num( s.stats && s.stats.duration_ms ) / maxMs ) * ih } />
				) ) }
			</svg>
			<figcaption id="strongbox-chart-caption">
				<span className="strongbox-legend is-bar">{ __( 'New data added', 'strongbox' ) }</span>{ ' ' }
				<span className="strongbox-legend is-line">{ __( 'Duration', 'strongbox' ) }</span>{ ' ' }
				<span className="strongbox-chart-scale">
					{ __( 'Highest:', 'strongbox' ) } { size( maxBytes ) } · { duration( maxMs / 1000 ) }
				</span>
			</figcaption>
			<table className="screen-reader-text">
				<caption>{ __( 'Backup history', 'strongbox' ) }</caption>
				<thead>
					<tr>
						<th scope="col">{ __( 'Time', 'strongbox' ) }</th>
						<th scope="col">{ __( 'New data', 'strongbox' ) }</th>
						<th scope="col">{ __( 'Duration', 'strongbox' ) }</th>
					</tr>
				</thead>
				<tbody>
					{ list.map( ( s ) => (
						<tr key={ s.id }>
							<td>{ dateTime( s.time ) }</td>
							<td>{ size( s.stats && s.stats.bytes_new ) }</td>
							<td>{ duration( num( s.stats && s.stats.duration_ms ) / 1000 ) }</td>
						</tr>
					) ) }
				</tbody>
			</table>
		</figure>
	);
}
