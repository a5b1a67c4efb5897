/**
 * WordPress's Babel preset with the classic JSX runtime.
 *
 * The preset of @wordpress/scripts 35 compiles JSX with React's automatic
 * runtime, whose bundles depend on the `react-jsx-runtime` script handle that
 * WordPress registers only since 6.6: WordPress 6.1 to 6.5 would then refuse to
 * load the screens. With the classic runtime, JSX becomes createElement() from
 * @wordpress/element (every file with JSX imports createElement and Fragment).
 */
const preset = require( '@wordpress/babel-preset-default' );

module.exports = ( api ) => {
	const config = preset( api );
	config.plugins = config.plugins.map( ( plugin ) =>
		Array.isArray( plugin ) && String( plugin[ 0 ] ).includes( 'plugin-transform-react-jsx' )
			? [ plugin[ 0 ], { runtime: 'classic', pragma: 'createElement', pragmaFrag: 'Fragment' } ]
			: plugin
	);
	return config;
};
