/**
 * Numbers, sizes, durations and times in the user's locale.
 */
import { __, _n, sprintf } from '@wordpress/i18n';

let locale;
export function setLocale( l ) {
	locale = l || undefined;
}

function nf( opts ) {
	try {
		return new Intl.NumberFormat( locale, opts );
	} catch ( e ) {
		return new Intl.NumberFormat( undefined, opts );
	}
}

export function num( v ) {
	const n = Number( v );
	return Number.isFinite( n ) ? n : 0;
}

export function count( v ) {
	return nf( { maximumFractionDigits: 0 } ).format( num( v ) );
}

/** Bytes in decimal units (as storage providers bill them). */
export function size( bytes ) {
	let n = num( bytes );
	const units = [
		/* translators: %s: a number of bytes */
		__( '%s B', 'strongbox' ),
		/* translators: %s: a number of kilobytes */
		__( '%s KB', 'strongbox' ),
		/* translators: %s: a number of megabytes */
		__( '%s MB', 'strongbox' ),
		/* translators: %s: a number of gigabytes */
		__( '%s GB', 'strongbox' ),
		/* translators: %s: a number of terabytes */
		__( '%s TB', 'strongbox' ),
	];
	let u = 0;
	while ( n >= 1000 && u < units.length - 1 ) {
		n /= 1000;
		u++;
	}
	return sprintf( units[ u ], nf( { maximumFractionDigits: u === 0 ? 0 : 1 } ).format( n ) );
}

/** A duration in seconds, short. */
export function duration( seconds ) {
	const s = num( seconds );
	if ( s < 60 ) {
		/* translators: %s: seconds */
		return sprintf( __( '%s s', 'strongbox' ), nf( { maximumFractionDigits: s < 10 ? 1 : 0 } ).format( s ) );
	}
	if ( s < 3600 ) {
		/* translators: 1: minutes, 2: seconds */
		return sprintf( __( '%1$s min %2$s s', 'strongbox' ), Math.floor( s / 60 ), Math.round( s % 60 ) );
	}
	/* translators: 1: hours, 2: minutes */
	return sprintf( __( '%1$s h %2$s min', 'strongbox' ), Math.floor( s / 3600 ), Math.round( ( s % 3600 ) / 60 ) );
}

/** Time left, in words. */
export function eta( seconds ) {
	const s = num( seconds );
	if ( s <= 0 ) {
		return '';
	}
	if ( s < 90 ) {
		/* translators: %s: seconds */
		return sprintf( __( 'about %s s left', 'strongbox' ), Math.max( 1, Math.round( s ) ) );
	}
	if ( s < 5400 ) {
		/* translators: %s: minutes */
		return sprintf( __( 'about %s min left', 'strongbox' ), Math.round( s / 60 ) );
	}
	/* translators: %s: hours */
	return sprintf( __( 'about %s h left', 'strongbox' ), nf( { maximumFractionDigits: 1 } ).format( s / 3600 ) );
}

/**
 * A Date from an ISO string, UNIX seconds, or MySQL's "Y-m-d H:i:s" (UTC, as the jobs table keeps it).
 */
export function toDate( v ) {
	if ( v === null || v === undefined || v === '' ) {
		return null;
	}
	if ( v instanceof Date ) {
		return v;
	}
	if ( typeof v === 'number' ) {
		return new Date( v * 1000 );
	}
	const s = String( v );
	const d = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test( s ) ? new Date( s.replace( ' ', 'T' ) + 'Z' ) : new Date( s );
	return Number.isNaN( d.getTime() ) ? null : d;
}

export function dateTime( v ) {
	const d = toDate( v );
	if ( ! d ) {
		return '';
	}
	try {
		return d.toLocaleString( locale, { dateStyle: 'medium', timeStyle: 'short' } );
	} catch ( e ) {
		return d.toLocaleString();
	}
}

/** "3 hours ago" style age. */
export function ago( v, now = Date.now() ) {
	const d = toDate( v );
	if ( ! d ) {
		return '';
	}
	const s = Math.max( 0, ( now - d.getTime() ) / 1000 );
	if ( s < 90 ) {
		return __( 'just now', 'strongbox' );
	}
	if ( s < 5400 ) {
		const m = Math.round( s / 60 );
		/* translators: %s: number of minutes */
		return sprintf( _n( '%s minute ago', '%s minutes ago', m, 'strongbox' ), count( m ) );
	}
	if ( s < 48 * 3600 ) {
		const h = Math.round( s / 3600 );
		/* translators: %s: number of hours */
		return sprintf( _n( '%s hour ago', '%s hours ago', h, 'strongbox' ), count( h ) );
	}
	const days = Math.round( s / 86400 );
	/* translators: %s: number of days */
	return sprintf( _n( '%s day ago', '%s days ago', days, 'strongbox' ), count( days ) );
}

export function hoursLabel( h ) {
	/* translators: %s: number of hours */
	return sprintf( _n( '%s hour', '%s hours', num( h ), 'strongbox' ), count( h ) );
}

/** Total size of what a snapshot holds (files and tables, before deduplication). */
export function snapshotSize( s ) {
	const st = ( s && s.stats ) || {};
	return num( st.file_bytes ) + num( st.db_bytes );
}

/** The trigger of a snapshot or job, in words. */
export function triggerLabel( trigger ) {
	switch ( trigger ) {
		case 'manual':
			return __( 'Manual', 'strongbox' );
		case 'schedule':
			return __( 'Schedule', 'strongbox' );
		case 'before-update':
			return __( 'Before an update', 'strongbox' );
		case 'cli':
			return __( 'Command line', 'strongbox' );
		case 'api':
			return __( 'API', 'strongbox' );
		default:
			return trigger ? String( trigger ) : __( 'Unknown', 'strongbox' );
	}
}
