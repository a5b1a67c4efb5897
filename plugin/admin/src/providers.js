/**
 * S3-compatible providers: the names their consoles use, and how their endpoint is built.
 */
import { __ } from '@wordpress/i18n';

export const PROVIDERS = {
	aws: {
		label: 'Amazon S3',
		endpoint: ( f ) => `https://s3.${ f.region || 'us-east-1' }.amazonaws.com`,
		region: 'us-east-1',
		regions: [ 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'eu-north-1', 'eu-south-1', 'ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-southeast-1', 'ap-southeast-2', 'sa-east-1' ],
		pathStyle: false,
		keyLabel: __( 'Access key ID', 'strongbox' ),
		secretLabel: __( 'Secret access key', 'strongbox' ),
		bucketLabel: __( 'Bucket name', 'strongbox' ),
		help: __( 'Create an IAM user with access to this bucket only (IAM > Users > Security credentials > Create access key).', 'strongbox' ),
		match: /^https:\/\/s3[.-]([a-z0-9-]+)\.amazonaws\.com\/?$/,
	},
	b2: {
		label: 'Backblaze B2',
		endpoint: ( f ) => `https://s3.${ f.region || 'us-west-004' }.backblazeb2.com`,
		region: 'us-west-004',
		regions: [ 'us-west-000', 'us-west-001', 'us-west-002', 'us-west-004', 'us-east-005', 'eu-central-003' ],
		pathStyle: false,
		keyLabel: __( 'keyID', 'strongbox' ),
		secretLabel: __( 'applicationKey', 'strongbox' ),
		bucketLabel: __( 'Bucket name', 'strongbox' ),
		help: __( 'Application Keys > Add a New Application Key, restricted to this bucket. The region is the middle part of the bucket’s Endpoint (s3.us-west-004.backblazeb2.com).', 'strongbox' ),
		match: /^https:\/\/s3\.([a-z0-9-]+)\.backblazeb2\.com\/?$/,
	},
	r2: {
		label: 'Cloudflare R2',
		endpoint: ( f ) => `https://${ f.account || 'ACCOUNT_ID' }.r2.cloudflarestorage.com`,
		region: 'auto',
		pathStyle: true,
		account: true,
		keyLabel: __( 'Access Key ID', 'strongbox' ),
		secretLabel: __( 'Secret Access Key', 'strongbox' ),
		bucketLabel: __( 'Bucket name', 'strongbox' ),
		help: __( 'R2 > Manage R2 API Tokens > Create API token with Object Read & Write on this bucket. The Account ID is on the R2 overview page.', 'strongbox' ),
		match: /^https:\/\/([0-9a-f]{32})\.r2\.cloudflarestorage\.com\/?$/,
	},
	wasabi: {
		label: 'Wasabi',
		endpoint: ( f ) => `https://s3.${ f.region || 'us-east-1' }.wasabisys.com`,
		region: 'us-east-1',
		regions: [ 'us-east-1', 'us-east-2', 'us-central-1', 'us-west-1', 'ca-central-1', 'eu-central-1', 'eu-central-2', 'eu-west-1', 'eu-west-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-southeast-1', 'ap-southeast-2' ],
		pathStyle: false,
		keyLabel: __( 'Access key', 'strongbox' ),
		secretLabel: __( 'Secret key', 'strongbox' ),
		bucketLabel: __( 'Bucket name', 'strongbox' ),
		help: __( 'Access Keys > Create new access key (ideally for a sub-user limited to this bucket).', 'strongbox' ),
		match: /^https:\/\/s3\.([a-z0-9-]+)\.wasabisys\.com\/?$/,
	},
	spaces: {
		label: 'DigitalOcean Spaces',
		endpoint: ( f ) => `https://${ f.region || 'nyc3' }.digitaloceanspaces.com`,
		region: 'nyc3',
		regions: [ 'nyc3', 'sfo2', 'sfo3', 'ams3', 'fra1', 'sgp1', 'syd1', 'blr1', 'lon1', 'tor1', 'atl1' ],
		pathStyle: false,
		keyLabel: __( 'Spaces access key', 'strongbox' ),
		secretLabel: __( 'Spaces secret key', 'strongbox' ),
		bucketLabel: __( 'Space name', 'strongbox' ),
		help: __( 'API > Spaces Keys > Generate New Key. The region is the datacenter of the Space (nyc3, ams3, …).', 'strongbox' ),
		match: /^https:\/\/([a-z0-9]+)\.digitaloceanspaces\.com\/?$/,
	},
	minio: {
		label: 'MinIO',
		custom: true,
		region: 'us-east-1',
		pathStyle: true,
		keyLabel: __( 'Access key', 'strongbox' ),
		secretLabel: __( 'Secret key', 'strongbox' ),
		bucketLabel: __( 'Bucket name', 'strongbox' ),
		help: __( 'The address of the MinIO server’s S3 API (usually port 9000), reachable from this site and from your browser.', 'strongbox' ),
	},
	other: {
		label: __( 'Other S3-compatible storage', 'strongbox' ),
		custom: true,
		region: 'us-east-1',
		pathStyle: true,
		keyLabel: __( 'Access key ID', 'strongbox' ),
		secretLabel: __( 'Secret access key', 'strongbox' ),
		bucketLabel: __( 'Bucket name', 'strongbox' ),
		help: __( 'Any storage that speaks the S3 API: its endpoint URL, region and keys are in its documentation.', 'strongbox' ),
	},
};

/** The provider of a saved destination, from its endpoint. */
export function detectProvider( d ) {
	for ( const [ id, p ] of Object.entries( PROVIDERS ) ) {
		const m = p.match && p.match.exec( d.endpoint || '' );
		if ( m ) {
			return { provider: id, region: p.account ? d.region : m[ 1 ], account: p.account ? m[ 1 ] : '' };
		}
	}
	return { provider: 'other', region: d.region, account: '' };
}
