// Bundle entry.js the way plotly.js builds its own dist files (its esbuild-config.js), minified, and the
// regenerator runtime that replaces Dash's @babel/polyfill (dashboard/app.py), into the folder given.
import { build } from 'esbuild';
import InlineCSSPlugin from 'esbuild-plugin-inline-css';
import { readFileSync } from 'node:fs';

const outdir = process.argv[2];
const packageVersion = (name) => JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')).version;
const version = packageVersion('plotly.js');
await build({
    entryPoints: ['entry.js'],
    outfile: `${outdir}/plotly-buurtdekking.min.js`,
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
await build({
    entryPoints: ['regenerator.js'],
    outfile: `${outdir}/regenerator-runtime.min.js`,
    format: 'iife',
    bundle: true,
    minify: true,
    legalComments: 'eof',
    banner: { js: `/** regenerator-runtime v${packageVersion('regenerator-runtime')} (MIT), built by dashboard/plotlyjs */` },
    target: 'es2016',
    logLevel: 'warning',
});
