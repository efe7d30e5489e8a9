// Bundle entry.js the way plotly.js builds its own dist files (its esbuild-config.js), minified.
import { build } from 'esbuild';
import InlineCSSPlugin from 'esbuild-plugin-inline-css';

const outfile = process.argv[2];
const { version } = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync('node_modules/plotly.js/package.json', 'utf8')));
await build({
    entryPoints: ['entry.js'],
    outfile,
    format: 'iife',
    globalName: 'Plotly',
    bundle: true,
    minify: true,
    legalComments: 'eof',
    banner: { js: `/** plotly.js v${version} (MIT), traces: choroplethmap, scattermap, bar; built by dashboard/plotlyjs */` },
    plugins: [InlineCSSPlugin()],
    alias: { stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
    target: 'es2016',
    logLevel: 'warning',
});
