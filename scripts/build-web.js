#!/usr/bin/env node
// Builds the demo web client: web/main.ts (and the typed client it uses) bundled by esbuild into
// dist/web/app.js, with web/index.html and web/style.css beside it. Nothing is loaded from a CDN.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const defaultOut = path.join(root, 'dist', 'web');

/** Builds into `out` (default dist/web) and returns it. */
function buildWebClient(out = defaultOut) {
  fs.mkdirSync(out, { recursive: true });
  esbuild.buildSync({
    entryPoints: [path.join(root, 'web', 'main.ts')],
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'iife',
    target: ['es2020'],
    platform: 'browser',
    outfile: path.join(out, 'app.js'),
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'style.css']) {
    fs.copyFileSync(path.join(root, 'web', file), path.join(out, file));
  }
  return out;
}

module.exports = { buildWebClient };

if (require.main === module) {
  const out = buildWebClient();
  process.stdout.write(`web client built into ${path.relative(root, out)}/\n`);
}
