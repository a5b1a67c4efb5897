/**
 * Is the shop safe right now? From GET /status when the plugin has it
 * (issue 6), else worked out here from the jobs table and the snapshot list.
 */
import { toDate, num } from './format';

export const DEFAULT_RPO_HOURS = 24;

export function rpoHours( s ) {
	const fromStatus = s.status && s.status.data && num( s.status.data.rpo_hours );
	const fromSettings = s.settings && s.settings.data && num( s.settings.data.rpo_hours );
	return fromStatus || fromSettings || DEFAULT_RPO_HOURS;
}

function isLocal( host ) {
	return /^(localhost|127\.|\[?::1\]?$|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test( host || '' );
}

/** Whether a destination is away from the site's server (a copy that survives it). */
export function offsite( d, siteHost ) {
	try {
		const host = new URL( d.endpoint ).hostname;
		return ! isLocal( host ) && host !== siteHost;
	} catch ( e ) {
		return false;
	}
}

/** The latest successful backup job, per destination and overall. */
export function backupJobs( jobs ) {
	const byDest = {};
	let latest = null;
	for ( const j of jobs || [] ) {
		if ( j.type !== 'backup' ) {
			continue;
		}
		const d = j.destination_id || '';
		byDest[ d ] = byDest[ d ] || { success: null, failure: null };
		const at = toDate( j.finished_at || j.updated_at );
		if ( j.state === 'succeeded' ) {
			if ( ! byDest[ d ].success || at > toDate( byDest[ d ].success.finished_at ) ) {
				byDest[ d ].success = j;
			}
			if ( ! latest || at > toDate( latest.finished_at ) ) {
				latest = j;
			}
		} else if ( j.state === 'failed' ) {
			if ( ! byDest[ d ].failure || at > toDate( byDest[ d ].failure.finished_at || byDest[ d ].failure.updated_at ) ) {
				byDest[ d ].failure = j;
			}
		}
	}
	return { byDest, latest };
}

/**
 * {state: green|amber|red, at: Date|null, destinationId, rpo, source}
 */
export function safety( s, now = Date.now() ) {
	const rpo = rpoHours( s );
	let at = null;
	let destinationId = null;
	let source = 'jobs';
	const st = s.status && s.status.data;
	if ( st && st.latest_good_backup && st.latest_good_backup.finished_at ) {
		at = toDate( st.latest_good_backup.finished_at );
		destinationId = st.latest_good_backup.destination_id;
		source = 'status';
	} else {
		const { latest } = backupJobs( s.jobs );
		if ( latest ) {
			at = toDate( latest.finished_at );
			destinationId = latest.destination_id;
		}
		// Snapshots made elsewhere (the command line, another site) count too.
		for ( const [ id, list ] of Object.entries( s.snapshots || {} ) ) {
			const last = list && list.length ? list[ list.length - 1 ] : null;
			const t = last && toDate( last.end_time || last.time );
			if ( t && ( ! at || t > at ) ) {
				at = t;
				destinationId = id;
				source = 'snapshots';
			}
		}
	}
	let state = 'red';
	if ( st && st.rpo_state && st.rpo_state !== 'none' && source === 'status' ) {
		state = st.rpo_state;
	} else if ( at ) {
		const age = ( now - at.getTime() ) / 3600000;
		state = age < rpo ? 'green' : age < 2 * rpo ? 'amber' : 'red';
	}
	return { state, at, destinationId, rpo, source };
}
