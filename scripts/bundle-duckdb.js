#!/usr/bin/env node
/**
 * Part of `npm run build`: writes dist/store/duckdb-api.cjs, the JavaScript of @duckdb/node-api
 * (its ~120 CommonJS files) in one file. Loading it takes ~50 ms of CPU where the package's
 * files take ~105 ms (resolving, reading and compiling each), and every canary command loads
 * it: `canary new` used ~260 ms of CPU in all (docs/PERFORMANCE.md, "Start-up of the canary
 * commands"). The native part (@duckdb/node-bindings) is not bundled: the bundle requires it
 * from where @duckdb/node-api is installed, as the package itself does. The bundle records the
 * version it was made from; src/store/duckdb-store.ts uses it only when the installed
 * @duckdb/node-api is that version, and the package otherwise.
 */
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const entry = require.resolve('@duckdb/node-api');
const { version, license } = require('@duckdb/node-api/package.json');

await build({
  entryPoints: [entry],
  outfile: join(root, 'dist/store/duckdb-api.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  // only named by require.resolve, in the plugin below
  external: ['@duckdb/node-api'],
  banner: { js: `// @duckdb/node-api ${version} (${license}; its licence is in node_modules/@duckdb/node-api/LICENSE), bundled by scripts/bundle-duckdb.js` },
  footer: { js: `module.exports.bundledVersion = ${JSON.stringify(version)};` },
  plugins: [
    {
      name: 'bindings-beside-node-api',
      setup(plugin) {
        // the native bindings are @duckdb/node-api's dependency: found from its folder, wherever npm put it
        plugin.onResolve({ filter: /^@duckdb\/node-bindings$/ }, () => ({ path: 'node-bindings', namespace: 'beside-node-api' }));
        plugin.onLoad({ filter: /.*/, namespace: 'beside-node-api' }, () => ({
          contents: "module.exports = require('node:module').createRequire(require.resolve('@duckdb/node-api'))('@duckdb/node-bindings');",
          loader: 'js',
        }));
      },
    },
  ],
});
