#!/usr/bin/env node
// `npm test`: make sure the services the tests talk to are up, then run jest.
// Redis, RabbitMQ and PostgreSQL are started when they are installed but not running; when one is
// missing the run stops with one line saying what is missing. MongoDB is provided in-process
// (a MongoDB-wire server) unless MONGODB_URL points at a real one.
'use strict';
const { spawnSync, execFileSync } = require('node:child_process');
const net = require('node:net');

function reachable(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function hasCommand(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

async function waitFor(port, seconds) {
  for (let i = 0; i < seconds * 4; i++) {
    if (await reachable(port)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

const services = [
  {
    name: 'Redis',
    port: 6379,
    command: 'redis-server',
    start: () =>
      execFileSync(
        'redis-server',
        [
          '--daemonize',
          'yes',
          '--bind',
          '127.0.0.1',
          '--port',
          '6379',
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { stdio: 'ignore' },
      ),
    wait: 10,
    hint: 'install redis-server or point REDIS_URL-based tests at a running Redis on 127.0.0.1:6379',
  },
  {
    name: 'RabbitMQ',
    port: 5672,
    command: 'rabbitmq-server',
    start: () => execFileSync('rabbitmq-server', ['-detached'], { stdio: 'ignore' }),
    wait: 90,
    hint: 'install rabbitmq-server (guest/guest on 127.0.0.1:5672)',
  },
  {
    name: 'PostgreSQL',
    port: 5432,
    command: 'pg_ctlcluster',
    // Debian's cluster tools: the one installed version's `main` cluster.
    start: () => {
      const [version] = require('node:fs').readdirSync('/etc/postgresql');
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], {
        stdio: 'ignore',
      });
    },
    wait: 30,
    hint: 'install postgresql (user postgres, trust auth on 127.0.0.1:5432), or set PARLEY_TEST_POSTGRES_URL to a server where the tests may create databases',
    // A server of the caller's choosing is theirs to run.
    skip: () => Boolean(process.env.PARLEY_TEST_POSTGRES_URL),
  },
];

/** The multi-process tests run the built server: rebuild when any source is newer than it. */
function ensureBuild() {
  const fs = require('node:fs');
  const path = require('node:path');
  const root = path.resolve(__dirname, '..');
  const entry = path.join(root, 'dist', 'src', 'main.js');
  const builtAt = fs.existsSync(entry) ? fs.statSync(entry).mtimeMs : 0;
  const newest = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
      const p = path.join(dir, e.name);
      return Math.max(max, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
    }, 0);
  if (builtAt > newest(path.join(root, 'src'))) return;
  process.stderr.write('npm test: building the server for the multi-process tests...\n');
  const result = spawnSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) {
    process.stderr.write('npm test: the build failed\n');
    process.exit(1);
  }
  require('./copy-sql.js');
}

async function main() {
  ensureBuild();
  const needed = (process.env.PARLEY_TEST_SERVICES ?? services.map((s) => s.name).join(',')).split(
    ',',
  );
  for (const service of services.filter((s) => needed.includes(s.name) && !s.skip?.())) {
    if (await reachable(service.port)) continue;
    if (!hasCommand(service.command)) {
      process.stderr.write(
        `npm test: ${service.name} is not running on 127.0.0.1:${service.port} and ${service.command} is not installed: ${service.hint}\n`,
      );
      process.exit(1);
    }
    process.stderr.write(`npm test: starting ${service.name}...\n`);
    try {
      service.start();
    } catch {
      // reported below if it never answers
    }
    if (!(await waitFor(service.port, service.wait))) {
      process.stderr.write(
        `npm test: ${service.name} did not come up on 127.0.0.1:${service.port}: ${service.hint}\n`,
      );
      process.exit(1);
    }
  }
  const jest = require.resolve('jest/bin/jest');
  const summary = require('node:path').join(
    require('node:os').tmpdir(),
    `parley-jest-${process.pid}.json`,
  );
  const result = spawnSync(
    process.execPath,
    [jest, '--json', `--outputFile=${summary}`, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  // One plain closing line, whatever the reporter printed above it.
  try {
    const r = JSON.parse(require('node:fs').readFileSync(summary, 'utf8'));
    process.stdout.write(
      `${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped\n`,
    );
    // PARLEY_TEST_RESULTS=<file> keeps jest's JSON results (e.g. to count tests per store).
    if (process.env.PARLEY_TEST_RESULTS)
      require('node:fs').copyFileSync(summary, process.env.PARLEY_TEST_RESULTS);
    require('node:fs').rmSync(summary, { force: true });
  } catch {
    // jest did not get as far as writing results; its own output says why
  }
  process.exit(result.status ?? 1);
}

main().catch((err) => {
  process.stderr.write(`npm test: ${err.message}\n`);
  process.exit(1);
});
