#!/usr/bin/env node
// Build step: tsc compiles only TypeScript, so the stores' SQL migrations are copied next to the
// compiled adapter (dist/src/...), where the migration runner looks for them.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function copySql(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, entry.name);
    if (entry.isDirectory()) copySql(from);
    else if (entry.name.endsWith('.sql')) {
      const to = path.join(root, 'dist', path.relative(root, from));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(from, to);
    }
  }
}

copySql(path.join(root, 'src'));
