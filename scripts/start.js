#!/usr/bin/env node
// `npm start`: run the built server, building first only when the build is missing.
// Several nodes may start from one checkout at once: each builds into its own temp folder and
// the first finished build is renamed into place atomically; the others discard theirs.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'dist', 'src', 'main.js');

if (!fs.existsSync(entry)) {
  const tmp = path.join(root, `.dist-build-${process.pid}`);
  process.stderr.write('parley: no build found, compiling TypeScript (once)...\n');
  execFileSync(
    process.execPath,
    [
      require.resolve('typescript/bin/tsc'),
      '-p',
      path.join(root, 'tsconfig.build.json'),
      '--outDir',
      tmp,
    ],
    { stdio: 'inherit', cwd: root },
  );
  require('./build-web').buildWebClient(path.join(tmp, 'web'));
  try {
    fs.renameSync(tmp, path.join(root, 'dist'));
  } catch {
    // Another starter won the race; its build is identical.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
// A build from before the demo web client existed gets it now (served at / in embedded mode).
if (!fs.existsSync(path.join(root, 'dist', 'web', 'index.html'))) {
  require('./build-web').buildWebClient();
}
require(entry);
