#!/usr/bin/env node
// Local realtime load benchmark: boots Parley node(s) as child processes on 127.0.0.1, registers
// user pairs, streams SEND_MESSAGE frames and measures acks, deliveries, receipts and losses.
//
//   node load/realtime-bench.mjs [--mode embedded|cluster] [--nodes N] [--pairs P] [--messages M]
//                                [--inflight K] [--transport mixed|raw|socket.io] [--max-seconds S]
//
// Everything it starts (nodes, the RabbitMQ vhost, an in-process-wire MongoDB) is torn down on
// exit, error, SIGINT/SIGTERM or when --max-seconds runs out. See load/README.md.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { io as connectSocketIo } from 'socket.io-client';
import WebSocket from 'ws';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
const HOST = '127.0.0.1';
const run = promisify(execFile);

// ---------------------------------------------------------------- options

const USAGE = `usage: node load/realtime-bench.mjs [options]
  --mode embedded|cluster   embedded: no URLs (default); cluster: Redis db + fresh RabbitMQ vhost
  --nodes N                 node processes (default 1; N>1 needs --mode cluster)
  --pairs P                 sender/receiver pairs, one DIRECT each (default 50)
  --messages M              SEND_MESSAGE frames per sender (default 200)
  --inflight K              unacknowledged sends per sender at most (default 10)
  --transport T             mixed (senders raw WS, receivers socket.io; default), raw, socket.io
  --max-seconds S           hard limit for the whole run, setup included (default 120)
  --drain-seconds S         wait for deliveries after the last ack (default 10)
  --ack-timeout-seconds S   a send without MESSAGE_ACK/ERROR after this frees its slot (default 10)
  --content-bytes B         message content size (default 64)
  --mongodb-url URL         cluster: MongoDB to use (else $MONGODB_URL, else --store)
  --store auto|memory|congo|postgres
                            cluster without a MongoDB URL: memory store, an in-process-wire
                            MongoDB (CongoDB, from node_modules), or a fresh database on this
                            machine's PostgreSQL (127.0.0.1:5432, user postgres; dropped at the
                            end), shared by the nodes; auto picks memory for 1 node and postgres
                            for more (default auto)
  --redis-db D              cluster: Redis database number (default 14)
  --build                   run \`npm run build\` first even if dist/src/main.js exists
  --node-args="ARGS"        extra node flags for the server processes, e.g. --node-args="--cpu-prof
                            --cpu-prof-dir=/tmp/parley-prof" (split on spaces)
  --keep-logs               print every server log line at warn level and above to stderr`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      mode: { type: 'string', default: 'embedded' },
      nodes: { type: 'string', default: '1' },
      pairs: { type: 'string', default: '50' },
      messages: { type: 'string', default: '200' },
      inflight: { type: 'string', default: '10' },
      transport: { type: 'string', default: 'mixed' },
      'max-seconds': { type: 'string', default: '120' },
      'drain-seconds': { type: 'string', default: '10' },
      'ack-timeout-seconds': { type: 'string', default: '10' },
      'content-bytes': { type: 'string', default: '64' },
      'mongodb-url': { type: 'string' },
      store: { type: 'string', default: 'auto' },
      'redis-db': { type: 'string', default: '14' },
      build: { type: 'boolean', default: false },
      'keep-logs': { type: 'boolean', default: false },
      'node-args': { type: 'string', default: '' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (name, min, max) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer in ${min}..${max} (got "${values[name]}")`);
    return n;
  };
  const oneOf = (name, allowed) => {
    if (!allowed.includes(values[name]))
      throw new Error(`--${name} must be one of ${allowed.join(', ')} (got "${values[name]}")`);
    return values[name];
  };
  const opts = {
    mode: oneOf('mode', ['embedded', 'cluster']),
    nodes: int('nodes', 1, 16),
    pairs: int('pairs', 1, 5000),
    messages: int('messages', 1, 1_000_000),
    inflight: int('inflight', 1, 10_000),
    transport: oneOf('transport', ['mixed', 'raw', 'socket.io']),
    maxSeconds: int('max-seconds', 5, 3600),
    drainSeconds: int('drain-seconds', 0, 600),
    ackTimeoutSeconds: int('ack-timeout-seconds', 1, 600),
    contentBytes: int('content-bytes', 1, 4000),
    storeChoice: oneOf('store', ['auto', 'memory', 'congo', 'postgres']),
    redisDb: int('redis-db', 0, 15),
    mongodbUrl: values['mongodb-url'] ?? process.env.MONGODB_URL ?? undefined,
    build: values.build,
    keepLogs: values['keep-logs'],
    nodeArgs: values['node-args'].split(/\s+/).filter(Boolean),
  };
  if (opts.nodes > 1 && opts.mode !== 'cluster')
    throw new Error('--nodes > 1 needs --mode cluster (nodes must share Redis and RabbitMQ)');
  if (opts.mode === 'embedded') opts.mongodbUrl = undefined;
  if (opts.mongodbUrl && !/^mongodb(\+srv)?:\/\//.test(opts.mongodbUrl))
    throw new Error('--mongodb-url must start with mongodb:// or mongodb+srv://');
  if (opts.mode === 'embedded') opts.store = 'memory';
  else if (opts.mongodbUrl) opts.store = 'mongodb';
  else if (opts.storeChoice === 'auto') opts.store = opts.nodes > 1 ? 'postgres' : 'memory';
  else opts.store = opts.storeChoice;
  if (opts.nodes > 1 && opts.store === 'memory')
    throw new Error(
      '--store memory with --nodes > 1 gives every node its own data (users registered on one ' +
        'node do not exist on another); use --store postgres, --store congo or --mongodb-url',
    );
  return opts;
}

// ---------------------------------------------------------------- small utilities

const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (line) => process.stderr.write(`[bench ${elapsed()}] ${line}\n`);
const startedAt = now();
const elapsed = () => `${((now() - startedAt) / 1000).toFixed(1)}s`;

function percentiles(values) {
  if (values.length === 0)
    return { count: 0, p50: null, p95: null, p99: null, max: null, mean: null };
  const sorted = Float64Array.from(values).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const round = (x) => Math.round(x * 100) / 100;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return {
    count: sorted.length,
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(sorted[sorted.length - 1]),
    mean: round(mean),
  };
}

/** Runs `worker` over items with at most `limit` at a time. */
async function mapLimit(items, limit, worker) {
  const results = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await worker(items[i], i);
    }
  });
  await Promise.all(lanes);
  return results;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const bump = (counter, key, n = 1) => {
  counter[key] = (counter[key] ?? 0) + n;
};

// ---------------------------------------------------------------- run state (read by the report)

const state = {
  phase: 'init',
  runId: randomBytes(3).toString('hex'),
  timings: {},
  nodes: [], // { index, port, url, child, exited, logCounts, samples, stderrTail }
  vhost: null,
  congo: null, // { child, url }
  clients: [], // { close() }
  records: new Map(), // tempId → message record
  byMessageId: new Map(),
  unmatchedDeliveries: [], // NEW_MESSAGE frames whose tempId we did not know at arrival
  orphanStatuses: new Map(), // messageId → [t] (MESSAGE_STATUS before its MESSAGE_ACK)
  errors: { sender: {}, receiver: {} },
  errorSamples: [],
  counters: {
    duplicateAcks: 0,
    unknownAcks: 0,
    lateAcks: 0,
    ackTimeouts: 0,
    rejected: 0,
    misrouted: 0,
    outOfOrder: 0,
    outOfServerOrder: 0,
    senderEchoes: 0,
    newMessagesWithoutAckRequest: 0,
    statusDuplicates: 0,
    statusUnknown: 0,
    statusByValue: {},
    unexpectedFrames: {},
  },
  disconnects: [],
  sendStart: null,
  sendEnd: null,
  drainEnd: null,
};

// ---------------------------------------------------------------- infrastructure

async function ensureBuilt(force) {
  if (!force && existsSync(MAIN)) return;
  progress(`building (${force ? '--build' : 'dist/src/main.js is missing'}): npm run build`);
  const res = spawnSync('npm', ['run', 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  // tsc still emits on type errors; what matters here is a runnable entry point.
  if (res.status !== 0) progress(`npm run build exited ${res.status}; using what it emitted`);
  if (!existsSync(MAIN)) throw new Error(`build did not produce ${MAIN}`);
}

async function rabbitmqctl(...args) {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args], { timeout: 30_000 });
  return stdout;
}

async function createVhost() {
  const name = `parley_bench_${state.runId}_${randomBytes(3).toString('hex')}`;
  await rabbitmqctl('add_vhost', name);
  state.vhost = { name, deleted: false };
  await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  return `amqp://guest:guest@${HOST}:5672/${encodeURIComponent(name)}`;
}

async function deleteVhost() {
  if (!state.vhost || state.vhost.deleted) return;
  state.vhost.deleted = true;
  try {
    await rabbitmqctl('delete_vhost', state.vhost.name);
  } catch (err) {
    progress(`WARNING: could not delete vhost ${state.vhost.name}: ${err.message}`);
  }
}

const LOCAL_POSTGRES = `postgres://postgres@${HOST}:5432/postgres`;

async function postgresAdmin(sql) {
  const client = new pg.Client({ connectionString: LOCAL_POSTGRES, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A database of this run's own on the local PostgreSQL; cleanup drops it. */
async function createPostgresDatabase() {
  const name = `parley_bench_${state.runId}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  await postgresAdmin(`CREATE DATABASE "${name}"`);
  state.postgresDb = name;
  return `postgres://postgres@${HOST}:5432/${name}`;
}

async function dropPostgresDatabase() {
  if (!state.postgresDb) return;
  const name = state.postgresDb;
  state.postgresDb = null;
  try {
    await postgresAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } catch (err) {
    progress(`WARNING: could not drop database ${name}: ${err.message}`);
  }
}

/** CongoDB (a MongoDB wire-protocol server in JS, the one the test suite uses) in its own process. */
async function startCongo() {
  const code = `
    const { CongoServer } = await import('@push.rocks/smartmongo/dist_ts/congodb/index.js');
    const server = new CongoServer({ host: '${HOST}', port: 0 });
    await server.start();
    process.stdout.write(JSON.stringify({ port: server.server.address().port }) + '\\n');
    const stop = () => server.stop().finally(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.stdin.on('end', stop); // the benchmark died: do not linger
    process.stdin.resume();
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  state.congo = { child, exited: false };
  child.on('exit', () => {
    state.congo.exited = true;
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('CongoDB did not start within 20 s')), 20_000);
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line).port);
        } catch {
          reject(new Error(`CongoDB said: ${line}`));
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`CongoDB exited ${code}: ${stderr}`));
    });
  });
  // CongoDB cannot stream heartbeats: the driver must poll (see test/support/mongo-global-setup.ts).
  return `mongodb://${HOST}:${port}/parley_bench_${state.runId}?serverMonitoringMode=poll`;
}

const PINO_LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

function watchLogs(node, stream, opts) {
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.trim()) continue;
      node.tail.push(line);
      if (node.tail.length > 40) node.tail.shift();
      try {
        const entry = JSON.parse(line);
        const level = PINO_LEVELS[entry.level] ?? String(entry.level);
        const errText = entry.err
          ? String(entry.err.message ?? entry.err.type ?? '').slice(0, 300)
          : '';
        bump(
          node.logCounts,
          `[${state.phase}] ${level}: ${String(entry.msg ?? '')}${errText ? ` (${errText})` : ''}`.slice(
            0,
            400,
          ),
        );
      } catch {
        // Not pino JSON: a crash trace or a warning printed by node itself. Keep it verbatim.
        node.rawLines++;
        if (node.rawOutput.length < 40)
          node.rawOutput.push(`[${state.phase}] ${line.slice(0, 300)}`);
      }
      if (opts.keepLogs) process.stderr.write(`[node ${node.index}] ${line}\n`);
    }
  });
}

async function startNodes(opts, env) {
  const ports = [];
  for (let i = 0; i < opts.nodes; i++) ports.push(await freePort());
  const base = { ...process.env };
  for (const key of Object.keys(base)) {
    if (
      /^(MONGODB_URL|DATABASE_URL|RABBITMQ_URL|REDIS_URL|REDIS_CHANNEL_PREFIX|JWT_|RATE_LIMIT_|NODE_ID$|PORT$|HOST$|LOG_LEVEL$)/.test(
        key,
      )
    )
      delete base[key];
  }
  const unlimited = '1000000';
  for (let i = 0; i < opts.nodes; i++) {
    const node = {
      index: i,
      port: ports[i],
      url: `http://${HOST}:${ports[i]}`,
      exited: null,
      logCounts: {},
      rawLines: 0,
      rawOutput: [],
      tail: [],
    };
    node.child = spawn(process.execPath, [...opts.nodeArgs, MAIN], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...base,
        ...env,
        PORT: String(ports[i]),
        HOST,
        NODE_ID: `bench-${state.runId}-${i}`,
        LOG_LEVEL: 'warn',
        JWT_SECRET: `parley-bench-secret-${state.runId}-0123456789`,
        RATE_LIMIT_MESSAGES_PER_SECOND: unlimited,
        RATE_LIMIT_MESSAGES_BURST: unlimited,
        RATE_LIMIT_FRAMES_PER_SECOND: unlimited,
        RATE_LIMIT_FRAMES_BURST: unlimited,
        RATE_LIMIT_IP_PER_SECOND: unlimited,
        RATE_LIMIT_IP_BURST: unlimited,
      },
    });
    watchLogs(node, node.child.stdout, opts);
    watchLogs(node, node.child.stderr, opts);
    node.child.on('exit', (code, signal) => {
      node.exited = { code, signal, phase: state.phase, atSeconds: Number(elapsed().slice(0, -1)) };
      if (!state.stopping)
        progress(`node ${i} EXITED (code ${code}, signal ${signal}) during ${state.phase}`);
    });
    state.nodes.push(node);
  }
  await Promise.all(state.nodes.map((node) => waitReady(node)));
}

async function waitReady(node) {
  const deadline = now() + 30_000;
  let last = '';
  while (now() < deadline) {
    if (node.exited)
      throw new Error(
        `node ${node.index} exited (code ${node.exited.code}) at start:\n${node.tail.join('\n')}`,
      );
    try {
      const res = await fetch(`${node.url}/readyz`);
      last = `${res.status} ${await res.text()}`;
      if (res.ok) return;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    await sleep(100);
  }
  throw new Error(`node ${node.index} not ready after 30 s (last /readyz: ${last})`);
}

// ---------------------------------------------------------------- REST

async function api(baseUrl, method, route, { token, body } = {}) {
  const res = await fetch(`${baseUrl}/api/v1${route}`, {
    method,
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(token && { authorization: `Bearer ${token}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text.slice(0, 300) };
  }
  return { status: res.status, json };
}

async function register(baseUrl, username) {
  const { status, json } = await api(baseUrl, 'POST', '/auth/register', {
    body: { username, password: 'bench-password-1234' },
  });
  if (status !== 201) throw new Error(`register ${username}: ${status} ${JSON.stringify(json)}`);
  return { id: json.data.user.id, token: json.data.access_token, username };
}

async function setUpPairs(opts) {
  const nodeCount = state.nodes.length;
  // Sender i on node i % N, its receiver on node (i + 1) % N: with 2+ nodes every pair crosses nodes.
  const pairs = Array.from({ length: opts.pairs }, (_, i) => ({
    index: i,
    senderNode: state.nodes[i % nodeCount],
    receiverNode: state.nodes[(i + 1) % nodeCount],
  }));
  await mapLimit(pairs, 8, async (pair) => {
    const name = (role) => `b${state.runId}_${pair.index}${role}`;
    pair.sender = await register(pair.senderNode.url, name('s'));
    pair.receiver = await register(pair.receiverNode.url, name('r'));
    const { status, json } = await api(
      pair.senderNode.url,
      'POST',
      `/messages/direct/${pair.receiver.id}`,
      {
        token: pair.sender.token,
      },
    );
    if (status !== 200 && status !== 201)
      throw new Error(`direct for pair ${pair.index}: ${status} ${JSON.stringify(json)}`);
    pair.conversationId = json.data.id;
  });
  return pairs;
}

// ---------------------------------------------------------------- realtime clients

const CONNECT_TIMEOUT_MS = 15_000;

/** One client over either transport: `onFrame(frame, ack?)` for every server frame. */
function connect(transport, baseUrl, token, role, pair, onFrame) {
  return new Promise((resolve, reject) => {
    let greeted = false;
    let closedByUs = false;
    const timer = setTimeout(() => {
      fail(
        new Error(`${role} ${pair.index}: no "connected" greeting within ${CONNECT_TIMEOUT_MS} ms`),
      );
    }, CONNECT_TIMEOUT_MS);
    const fail = (err) => {
      clearTimeout(timer);
      if (!greeted) reject(err);
    };
    const greet = (client) => {
      if (greeted) return;
      greeted = true;
      clearTimeout(timer);
      state.clients.push(client);
      resolve(client);
    };
    const lost = (detail) => {
      if (closedByUs || state.stopping) return;
      state.disconnects.push({ role, pair: pair.index, transport, phase: state.phase, ...detail });
      if (state.disconnects.length <= 5)
        progress(`${role} ${pair.index} disconnected: ${JSON.stringify(detail)}`);
    };

    if (transport === 'raw') {
      const ws = new WebSocket(
        `${baseUrl.replace(/^http/, 'ws')}/api/v1/ws?token=${encodeURIComponent(token)}`,
      );
      const client = {
        transport,
        send: (frame) => {
          if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
        },
        close: () => {
          closedByUs = true;
          ws.terminate();
        },
      };
      ws.on('message', (data) => {
        let frame;
        try {
          frame = JSON.parse(String(data));
        } catch {
          bump(state.counters.unexpectedFrames, `${role}:unparseable`);
          return;
        }
        if (frame.type === 'connected') greet(client);
        else onFrame(frame, undefined);
      });
      ws.on('close', (code, reason) => {
        if (!greeted)
          fail(
            new Error(`${role} ${pair.index}: raw socket closed ${code} ${reason} before greeting`),
          );
        else lost({ code, reason: String(reason) });
      });
      ws.on('error', (err) => {
        if (!greeted) fail(err);
      });
      return;
    }

    const socket = connectSocketIo(baseUrl, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: CONNECT_TIMEOUT_MS,
    });
    const client = {
      transport,
      /** With `reply`, the answer comes through the acknowledgement callback. */
      send: (frame, reply) => {
        const { type, ...payload } = frame;
        if (reply) socket.emit(type, payload, reply);
        else socket.emit(type, payload);
      },
      close: () => {
        closedByUs = true;
        socket.disconnect();
      },
    };
    socket.onAny((event, ...args) => {
      const ack = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
      if (event === 'connected') greet(client);
      else onFrame({ type: event, ...(args[0] ?? {}) }, ack);
    });
    socket.on('connect_error', (err) =>
      fail(new Error(`${role} ${pair.index}: connect_error ${err.message}`)),
    );
    socket.on('disconnect', (reason) => {
      if (!greeted)
        fail(new Error(`${role} ${pair.index}: disconnected (${reason}) before greeting`));
      else lost({ reason });
    });
  });
}

function recordError(role, frame) {
  bump(state.errors[role], frame.code ?? 'NO_CODE');
  if (state.errorSamples.length < 10)
    state.errorSamples.push({
      role,
      code: frame.code,
      message: frame.message,
      tempId: frame.tempId,
      phase: state.phase,
    });
}

// ---------------------------------------------------------------- senders and receivers

function makeSender(pair, opts, content) {
  const sender = {
    pair,
    nextSeq: 0,
    pending: new Map(), // tempId → record, sent and not yet answered
    done: null,
    finish: null,
  };
  sender.done = new Promise((resolve) => {
    sender.finish = resolve;
  });

  const answered = (record) => {
    if (sender.pending.delete(record.tempId)) pump();
  };

  const onAck = (frame) => {
    const record = state.records.get(frame.tempId);
    if (!record || record.pair !== pair.index) {
      state.counters.unknownAcks++;
      return;
    }
    if (record.tAck !== null) {
      state.counters.duplicateAcks++;
      return;
    }
    if (frame.status !== 'SENT')
      bump(state.counters.unexpectedFrames, `MESSAGE_ACK status ${frame.status}`);
    record.tAck = now();
    record.messageId = frame.messageId;
    if (record.ackTimedOut) state.counters.lateAcks++;
    state.byMessageId.set(frame.messageId, record);
    const early = state.orphanStatuses.get(frame.messageId);
    if (early) {
      state.orphanStatuses.delete(frame.messageId);
      for (const t of early) noteStatusDelivered(record, t);
    }
    answered(record);
  };

  const onError = (frame) => {
    recordError('sender', frame);
    const record = frame.tempId ? state.records.get(frame.tempId) : undefined;
    if (record && record.tAck === null && record.error === null) {
      record.error = frame.code ?? 'NO_CODE';
      state.counters.rejected++;
      answered(record);
    }
  };

  const onStatus = (frame) => {
    bump(state.counters.statusByValue, frame.status);
    if (frame.status !== 'DELIVERED') return;
    const t = now();
    const record = state.byMessageId.get(frame.messageId);
    if (record) noteStatusDelivered(record, t);
    else {
      const list = state.orphanStatuses.get(frame.messageId) ?? [];
      list.push(t);
      state.orphanStatuses.set(frame.messageId, list);
    }
  };

  sender.onFrame = (frame) => {
    switch (frame.type) {
      case 'MESSAGE_ACK':
        return onAck(frame);
      case 'ERROR':
        return onError(frame);
      case 'MESSAGE_STATUS':
        return onStatus(frame);
      case 'NEW_MESSAGE':
        state.counters.senderEchoes++;
        return;
      default:
        bump(state.counters.unexpectedFrames, `sender:${frame.type}`);
    }
  };

  const sendOne = () => {
    const seq = sender.nextSeq++;
    const tempId = `${state.runId}-${pair.index}-${seq}`;
    const record = {
      tempId,
      pair: pair.index,
      seq,
      tSend: now(),
      tAck: null,
      messageId: null,
      error: null,
      ackTimedOut: false,
      tDeliver: null,
      deliveries: 0,
      tStatus: null,
    };
    state.records.set(tempId, record);
    sender.pending.set(tempId, record);
    state.sendStart ??= record.tSend;
    const frame = {
      type: 'SEND_MESSAGE',
      conversationId: pair.conversationId,
      content: `${seq} ${content}`.slice(0, Math.max(content.length, 1)),
      tempId,
    };
    if (sender.client.transport === 'socket.io') {
      // The reply (MESSAGE_ACK or ERROR) comes through the acknowledgement callback only.
      sender.client.send(frame, (reply) =>
        sender.onFrame(reply ?? { type: 'ERROR', code: 'EMPTY_ACK' }),
      );
    } else sender.client.send(frame);
  };

  const pump = () => {
    if (state.stopping) return;
    while (sender.pending.size < opts.inflight && sender.nextSeq < opts.messages) sendOne();
    if (sender.nextSeq >= opts.messages && sender.pending.size === 0) sender.finish();
  };

  sender.start = pump;
  /** Frees slots held by sends that got no answer in time (a stalled server must not hang us). */
  sender.expire = (limitMs) => {
    const t = now();
    for (const record of sender.pending.values()) {
      if (t - record.tSend > limitMs) {
        record.ackTimedOut = true;
        state.counters.ackTimeouts++;
        sender.pending.delete(record.tempId);
      }
    }
    pump();
  };
  return sender;
}

function noteStatusDelivered(record, t) {
  if (record.tStatus !== null) {
    state.counters.statusDuplicates++;
    return;
  }
  record.tStatus = t;
}

function makeReceiver(pair) {
  const receiver = { pair, lastSeq: -1, lastCreatedAt: null };
  receiver.onFrame = (frame, ack) => {
    if (frame.type === 'ERROR') return recordError('receiver', frame);
    if (frame.type !== 'NEW_MESSAGE') {
      bump(state.counters.unexpectedFrames, `receiver:${frame.type}`);
      return;
    }
    const t = now();
    // Confirm receipt the way each transport can: the Socket.IO ack, or MARK_DELIVERED on raw.
    if (receiver.client.transport === 'socket.io') {
      if (ack) ack({ ok: true });
      else state.counters.newMessagesWithoutAckRequest++;
    } else {
      receiver.client.send({
        type: 'MARK_DELIVERED',
        conversationId: frame.conversationId,
        messageId: frame.messageId,
      });
    }
    const record =
      (frame.tempId && state.records.get(frame.tempId)) || state.byMessageId.get(frame.messageId);
    if (!record) {
      state.unmatchedDeliveries.push({
        t,
        pair: pair.index,
        messageId: frame.messageId,
        tempId: frame.tempId,
      });
      return;
    }
    deliver(record, pair.index, frame, t, receiver);
  };
  return receiver;
}

function deliver(record, receiverPair, frame, t, receiver) {
  if (
    record.pair !== receiverPair ||
    frame.conversationId !== state.pairs[record.pair].conversationId
  ) {
    state.counters.misrouted++;
    return;
  }
  record.deliveries++;
  if (record.deliveries > 1) return;
  record.tDeliver = t;
  if (receiver) {
    // Against the send order (frames were pipelined, so the server may legitimately reorder)…
    if (record.seq < receiver.lastSeq) state.counters.outOfOrder++;
    receiver.lastSeq = Math.max(receiver.lastSeq, record.seq);
    // …and against the time the server stamped (createdAt). Ties within one millisecond are
    // ordered by id in history pages, and ids are not monotonic, so only a step back counts.
    if (frame.createdAt) {
      if (receiver.lastCreatedAt !== null && frame.createdAt < receiver.lastCreatedAt)
        state.counters.outOfServerOrder++;
      if (receiver.lastCreatedAt === null || frame.createdAt > receiver.lastCreatedAt)
        receiver.lastCreatedAt = frame.createdAt;
    }
  }
}

// ---------------------------------------------------------------- report

function buildReport(opts, aborted) {
  const records = [...state.records.values()];
  // Deliveries that arrived before we could match them (no tempId, ack not yet in): match now.
  for (const u of state.unmatchedDeliveries.splice(0)) {
    const record = state.byMessageId.get(u.messageId);
    if (record)
      deliver(
        record,
        u.pair,
        { conversationId: state.pairs[record.pair].conversationId },
        u.t,
        null,
      );
    else state.unmatchedDeliveries.push(u);
  }
  const acked = records.filter((r) => r.tAck !== null);
  const delivered = records.filter((r) => r.tDeliver !== null);
  const lostRecords = acked.filter((r) => r.tDeliver === null);
  const duplicated = records.filter((r) => r.deliveries > 1);
  const statusSeen = records.filter((r) => r.tStatus !== null);
  const lastAck = Math.max(...acked.map((r) => r.tAck), -Infinity);
  const lastDeliver = Math.max(...delivered.map((r) => r.tDeliver), -Infinity);
  const rate = (n, until) =>
    n > 0 && state.sendStart !== null
      ? Math.round((n / ((until - state.sendStart) / 1000)) * 10) / 10
      : 0;
  const errorsTotal =
    Object.values(state.errors.sender).reduce((a, b) => a + b, 0) +
    Object.values(state.errors.receiver).reduce((a, b) => a + b, 0);
  const exitOf = (n) => ({
    node: n.index,
    code: n.exited.code,
    signal: n.exited.signal,
    phase: n.exited.phase,
  });
  // Exits before we asked for one are crashes; at shutdown anything but a clean 0 is reported too.
  const serverExits = state.nodes
    .filter((n) => n.exited && n.exited.phase !== 'cleanup')
    .map(exitOf);
  const unclean = state.nodes
    .filter((n) => n.exited && n.exited.phase === 'cleanup' && (n.exited.code !== 0 || n.killed))
    .map((n) => ({ ...exitOf(n), forcedKill: Boolean(n.killed) }));
  const report = {
    bench: 'parley-realtime',
    ok: false,
    aborted: aborted ?? null,
    phaseReached: state.phaseAtStop ?? state.phase,
    config: {
      mode: opts.mode,
      nodes: opts.nodes,
      store: opts.store,
      pairs: opts.pairs,
      messagesPerSender: opts.messages,
      inflight: opts.inflight,
      transport: opts.transport,
      senders: opts.transport === 'socket.io' ? 'socket.io' : 'raw',
      receivers: opts.transport === 'raw' ? 'raw' : 'socket.io',
      contentBytes: opts.contentBytes,
      drainSeconds: opts.drainSeconds,
      cpus: cpus().length,
      node: process.version,
    },
    timingsMs: state.timings,
    messages: {
      planned: opts.pairs * opts.messages,
      sent: records.length,
      acked: acked.length,
      delivered: delivered.length,
      lost: lostRecords.length,
      duplicated: duplicated.length,
      rejected: state.counters.rejected,
      ackTimeouts: state.counters.ackTimeouts,
      lateAcks: state.counters.lateAcks,
      neverAnswered: records.filter((r) => r.tAck === null && r.error === null).length,
      deliveredWithoutAck: delivered.filter((r) => r.tAck === null).length,
      duplicateAcks: state.counters.duplicateAcks,
      unknownAcks: state.counters.unknownAcks,
      misrouted: state.counters.misrouted,
      unmatchedDeliveries: state.unmatchedDeliveries.length,
      outOfOrder: state.counters.outOfOrder,
      outOfServerOrder: state.counters.outOfServerOrder,
      senderEchoes: state.counters.senderEchoes,
    },
    statusDelivered: {
      messages: statusSeen.length,
      missing: delivered.filter((r) => r.tStatus === null).length,
      duplicates: state.counters.statusDuplicates,
      orphans: state.orphanStatuses.size,
      byStatus: state.counters.statusByValue,
      newMessagesWithoutAckRequest: state.counters.newMessagesWithoutAckRequest,
    },
    throughput: {
      ackedPerSec: rate(acked.length, lastAck),
      deliveredPerSec: rate(delivered.length, lastDeliver),
    },
    latencyMs: {
      sendToAck: percentiles(acked.map((r) => r.tAck - r.tSend)),
      sendToDelivery: percentiles(delivered.map((r) => r.tDeliver - r.tSend)),
      sendToStatusDelivered: percentiles(statusSeen.map((r) => r.tStatus - r.tSend)),
    },
    errors: {
      total: errorsTotal,
      sender: state.errors.sender,
      receiver: state.errors.receiver,
      samples: state.errorSamples,
    },
    disconnects: { count: state.disconnects.length, first: state.disconnects.slice(0, 10) },
    unexpectedFrames: state.counters.unexpectedFrames,
    lostSample: lostRecords
      .slice(0, 10)
      .map((r) => ({ tempId: r.tempId, messageId: r.messageId, pair: r.pair })),
    duplicatedSample: duplicated
      .slice(0, 10)
      .map((r) => ({ tempId: r.tempId, messageId: r.messageId, deliveries: r.deliveries })),
    server: {
      exits: serverExits,
      uncleanShutdowns: unclean,
      logs: Object.fromEntries(state.nodes.map((n) => [`node${n.index}`, n.logCounts])),
      rawOutput: Object.fromEntries(
        state.nodes
          .filter((n) => n.rawLines > 0)
          .map((n) => [`node${n.index}`, { lines: n.rawLines, first: n.rawOutput }]),
      ),
    },
  };
  report.ok =
    !aborted &&
    report.messages.sent === report.messages.planned &&
    report.messages.acked === report.messages.planned &&
    report.messages.lost === 0 &&
    report.messages.duplicated === 0 &&
    report.messages.misrouted === 0 &&
    report.messages.duplicateAcks === 0 &&
    report.statusDelivered.missing === 0 &&
    errorsTotal === 0 &&
    report.disconnects.count === 0 &&
    serverExits.length === 0 &&
    unclean.length === 0 &&
    Object.keys(report.server.rawOutput).length === 0;
  return report;
}

function printSummary(r) {
  const l = r.latencyMs;
  const fmt = (p) => (p.count ? `p50 ${p.p50}  p95 ${p.p95}  p99 ${p.p99}  max ${p.max}` : 'n/a');
  const m = r.messages;
  const lines = [
    '',
    `Parley realtime bench — ${r.config.mode}, ${r.config.nodes} node(s), store ${r.config.store}, ` +
      `${r.config.pairs} pairs × ${r.config.messagesPerSender} msgs, inflight ${r.config.inflight}, ` +
      `senders ${r.config.senders} → receivers ${r.config.receivers}, ${r.config.cpus} CPUs`,
    r.aborted
      ? `  ABORTED: ${r.aborted} (phase ${r.phaseReached}); figures below are partial`
      : null,
    `  timings (ms)      ${Object.entries(r.timingsMs)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  messages          planned ${m.planned}, sent ${m.sent}, acked ${m.acked}, delivered ${m.delivered}, ` +
      `lost ${m.lost}, duplicated ${m.duplicated}`,
    `  anomalies         rejected ${m.rejected}, ack timeouts ${m.ackTimeouts}, never answered ${m.neverAnswered}, ` +
      `dup acks ${m.duplicateAcks}, misrouted ${m.misrouted}, unmatched ${m.unmatchedDeliveries}, ` +
      `out of send order ${m.outOfOrder}, out of createdAt order ${m.outOfServerOrder}, echoes to sender ${m.senderEchoes}`,
    `  status DELIVERED  ${r.statusDelivered.messages} messages, missing ${r.statusDelivered.missing}, ` +
      `duplicates ${r.statusDelivered.duplicates}`,
    `  throughput        ${r.throughput.ackedPerSec} acked msg/s, ${r.throughput.deliveredPerSec} delivered msg/s`,
    `  send→ACK (ms)     ${fmt(l.sendToAck)}`,
    `  send→NEW_MESSAGE  ${fmt(l.sendToDelivery)}`,
    `  send→DELIVERED    ${fmt(l.sendToStatusDelivered)}`,
    `  ERROR frames      ${r.errors.total ? JSON.stringify({ sender: r.errors.sender, receiver: r.errors.receiver }) : 0}`,
    `  disconnects       ${r.disconnects.count}`,
    `  server exits      ${r.server.exits.length ? JSON.stringify(r.server.exits) : 0} during the run; ` +
      `unclean shutdowns ${r.server.uncleanShutdowns.length ? JSON.stringify(r.server.uncleanShutdowns) : 0}`,
    `  server log lines  ${Object.entries(r.server.logs)
      .map(([n, c]) => `${n}: ${Object.keys(c).length ? JSON.stringify(c) : 'none'}`)
      .join('; ')}`,
    ...Object.entries(r.server.rawOutput).map(
      ([n, o]) =>
        `  ${n} non-JSON output (${o.lines} lines): ${o.first
          .filter((x) => !/^\[\w+\]\s+at /.test(x))
          .slice(0, 6)
          .join(' | ')}`,
    ),
    `  verdict           ${r.ok ? 'OK (no loss, no duplicates, no errors)' : 'NOT CLEAN — see the JSON line'}`,
    '',
  ];
  process.stdout.write(lines.filter((x) => x !== null).join('\n') + '\n');
}

// ---------------------------------------------------------------- cleanup

/** SIGTERM, then SIGKILL after 8 s; resolves true when it had to kill. */
async function stopChild(child, exitedNow) {
  if (!child || exitedNow()) return false;
  child.kill('SIGTERM');
  const deadline = now() + 8_000;
  while (!exitedNow() && now() < deadline) await sleep(50);
  if (exitedNow()) return false;
  child.kill('SIGKILL');
  while (!exitedNow() && now() < deadline + 2_000) await sleep(50);
  return true;
}

async function cleanup() {
  state.stopping = true;
  state.phase = 'cleanup';
  for (const client of state.clients.splice(0)) {
    try {
      client.close();
    } catch {
      // already gone
    }
  }
  await Promise.all(
    state.nodes.map(async (n) => {
      n.killed = await stopChild(n.child, () => n.exited !== null);
    }),
  );
  await deleteVhost();
  await dropPostgresDatabase();
  if (state.congo) await stopChild(state.congo.child, () => state.congo.exited);
}

// Last resort if we are torn down without running cleanup (e.g. an exception inside it).
process.on('exit', () => {
  for (const n of state.nodes) if (n.exited === null) n.child.kill('SIGKILL');
  if (state.congo && !state.congo.exited) state.congo.child.kill('SIGKILL');
});

let finishing = null;
/** Prints the report (possibly partial), cleans up and exits. Runs once. */
function finish(opts, aborted, exitCode) {
  finishing ??= (async () => {
    const tStop = now();
    state.phaseAtStop = state.phase;
    // Stop everything first, so the report also covers how the nodes shut down.
    await cleanup();
    progress(`cleaned up in ${Math.round(now() - tStop)} ms`);
    if (opts && state.records.size > 0) {
      const report = buildReport(opts, aborted);
      printSummary(report);
      process.stdout.write(`${JSON.stringify(report)}\n`);
      process.exit(exitCode ?? (report.ok ? 0 : 1));
    }
    if (aborted) {
      const crashes = state.nodes
        .filter((n) => n.rawLines > 0)
        .map((n) => ({ node: n.index, first: n.rawOutput }));
      process.stdout.write(
        `${JSON.stringify({ bench: 'parley-realtime', ok: false, aborted, phaseReached: state.phaseAtStop ?? state.phase, crashes })}\n`,
      );
    }
    process.exit(exitCode ?? 2);
  })();
  return finishing;
}

// ---------------------------------------------------------------- main

let runOptions = null;

async function main() {
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2));
    runOptions = opts;
  } catch (err) {
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    process.exit(64);
  }
  const hardStop = setTimeout(() => {
    progress(`--max-seconds ${opts.maxSeconds} exceeded during ${state.phase}: aborting`);
    void finish(opts, `max-seconds ${opts.maxSeconds} exceeded during ${state.phase}`, 2);
  }, opts.maxSeconds * 1000);
  hardStop.unref();
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      progress(`${signal}: stopping`);
      void finish(opts, signal, 130);
    });
  }

  const timed = async (name, fn) => {
    state.phase = name;
    const t0 = now();
    const result = await fn();
    state.timings[name] = Math.round(now() - t0);
    return result;
  };

  await timed('build', () => ensureBuilt(opts.build));
  await timed('startNodes', async () => {
    const env = {};
    if (opts.mode === 'cluster') {
      env.REDIS_URL = `redis://${HOST}:6379/${opts.redisDb}`;
      // A channel space of our own, so a concurrent test run on the same Redis never hears us.
      env.REDIS_CHANNEL_PREFIX = `parley_bench_${state.runId}`;
      env.RABBITMQ_URL = await createVhost();
      if (opts.store === 'mongodb') env.MONGODB_URL = opts.mongodbUrl;
      if (opts.store === 'congo') env.MONGODB_URL = await startCongo();
      if (opts.store === 'postgres') env.DATABASE_URL = await createPostgresDatabase();
    }
    progress(
      `starting ${opts.nodes} node(s), mode ${opts.mode}, store ${opts.store}` +
        (state.vhost ? `, vhost ${state.vhost.name}, redis db ${opts.redisDb}` : ''),
    );
    await startNodes(opts, env);
  });

  progress(`registering ${opts.pairs * 2} users and ${opts.pairs} DIRECT conversations`);
  const pairs = await timed('register', () => setUpPairs(opts));
  state.pairs = pairs;

  const senderTransport = opts.transport === 'socket.io' ? 'socket.io' : 'raw';
  const receiverTransport = opts.transport === 'raw' ? 'raw' : 'socket.io';
  const content = 'x'.repeat(opts.contentBytes);
  const senders = pairs.map((p) => makeSender(p, opts, content));
  const receivers = pairs.map((p) => makeReceiver(p));
  progress(
    `connecting ${pairs.length} ${senderTransport} senders and ${pairs.length} ${receiverTransport} receivers`,
  );
  await timed('connect', () =>
    mapLimit(pairs, 16, async (pair, i) => {
      receivers[i].client = await connect(
        receiverTransport,
        pair.receiverNode.url,
        pair.receiver.token,
        'receiver',
        pair,
        (f, ack) => receivers[i].onFrame(f, ack),
      );
      senders[i].client = await connect(
        senderTransport,
        pair.senderNode.url,
        pair.sender.token,
        'sender',
        pair,
        (f) => senders[i].onFrame(f),
      );
    }),
  );

  progress(`sending ${opts.pairs * opts.messages} messages (inflight ${opts.inflight} per sender)`);
  const ackTimeoutMs = opts.ackTimeoutSeconds * 1000;
  const sweeper = setInterval(() => {
    for (const s of senders) s.expire(ackTimeoutMs);
  }, 250);
  await timed('send', async () => {
    for (const s of senders) s.start();
    await Promise.all(senders.map((s) => s.done));
  });
  clearInterval(sweeper);
  state.sendEnd = now();

  progress(`draining: waiting up to ${opts.drainSeconds} s for deliveries and DELIVERED receipts`);
  await timed('drain', async () => {
    const deadline = now() + opts.drainSeconds * 1000;
    const outstanding = () => {
      for (const r of state.records.values()) {
        if (r.tAck !== null && (r.tDeliver === null || r.tStatus === null)) return true;
      }
      return false;
    };
    while (outstanding() && now() < deadline) await sleep(50);
    // A short grace so late duplicates still get counted.
    await sleep(Math.min(500, opts.drainSeconds * 1000));
  });
  state.phase = 'report';
  clearTimeout(hardStop);
  await finish(opts, null);
}

process.on('unhandledRejection', (err) => {
  progress(`unhandled rejection: ${err?.stack ?? err}`);
});

main().catch(async (err) => {
  // Once stopping (timeout, signal), in-flight requests fail as the nodes go away: not news.
  if (state.stopping || finishing) return;
  progress(`FAILED during ${state.phase}: ${err?.stack ?? err}`);
  for (const n of state.nodes) {
    if (n.exited || Object.keys(n.logCounts).length)
      progress(`node ${n.index} log tail:\n${n.tail.slice(-15).join('\n')}`);
  }
  await finish(runOptions, `failed during ${state.phase}: ${err?.message ?? err}`, 2);
});
