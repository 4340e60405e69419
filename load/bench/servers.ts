// The servers a bench run measures: Parley nodes (the built server, spawned through
// test/support/node-process.ts), embedded or two nodes on Redis + RabbitMQ + PostgreSQL (isolated
// per run by test/support/realtime-modes.ts), and the baseline relays of load/baselines. All listen
// on 127.0.0.1 and carry the GC probe (gc-probe.ts); each is pinned to CPU 0 when asked.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { spawnBuiltNode } from '../../test/support/node-process';
import { dropTestDatabase } from '../../test/support/postgres-db';
import { clusterEnv } from '../../test/support/realtime-modes';
import { testRedisUrl } from '../../test/support/redis-db';
import { sleep } from './concurrency';
import { parseMemoryLine, type MemoryAfterGc } from './memory-probe';
import { pinToCpu } from './proc-stats';

/** The repository root, from dist/load/bench. */
export const ROOT = path.resolve(__dirname, '../../..');
export const PARLEY_ENTRY = path.join(ROOT, 'dist/src/main.js');
const RELAY_ENTRY = path.join(ROOT, 'dist/load/baselines/socket-io-relay.js');
const GC_PROBE = path.join(__dirname, 'gc-probe.js');

/** The CPU server processes are pinned to; the load generator takes the other one. */
export const SERVER_CPU = 0;
export const CLIENT_CPU = 1;

export interface ServerProcess {
  name: string;
  pid: number;
  /** Output lines so far (the GC probe's readings among them). */
  lines: string[];
  stop(): Promise<void>;
}

export interface BenchServer {
  /** What it is, for the report: "bare Socket.IO relay", "Parley, 2 nodes on PostgreSQL". */
  label: string;
  /** One base URL per process, in start order. */
  urls: string[];
  processes: ServerProcess[];
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Pin server processes to SERVER_CPU. */
  pin: boolean;
  /** Node flags for the servers, before the entry (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof). */
  nodeArgs: string[];
}

export const pidsOf = (server: BenchServer): number[] => server.processes.map((p) => p.pid);

const RATE_LIMITED = ['MESSAGES', 'IP', 'FRAMES', 'TYPING', 'WRITES'];

/**
 * What every Parley node of the bench runs with: every RATE_LIMIT_* raised so the limits do not
 * shape the figures, PASSWORD_KDF=fast so registering thousands of bench users is cheap (the
 * server refuses it with NODE_ENV=production), a short drain so teardown is quick.
 */
export const PARLEY_BENCH_ENV: Record<string, string> = {
  ...Object.fromEntries(
    RATE_LIMITED.flatMap((kind) => [
      [`RATE_LIMIT_${kind}_PER_SECOND`, '1000000'],
      [`RATE_LIMIT_${kind}_BURST`, '1000000'],
    ]),
  ),
  PASSWORD_KDF: 'fast',
  JWT_SECRET: `parley-bench-${randomBytes(24).toString('hex')}`,
  // spawnNode learns the port from the "listening" line, logged at info.
  LOG_LEVEL: 'info',
  DRAIN_TIMEOUT_MS: '2000',
};

/**
 * Every server process runs with the young generation the Docker image gives Parley
 * (`NODE_OPTIONS` in the Dockerfile), the relays included so the comparison stays like for like:
 * at node's default (16 MiB semi-spaces) a node holding ~20 000 connections promoted enough to
 * pause ~0.9 s in a full collection during P5's window.
 */
export const SERVER_NODE_FLAGS = '--max-semi-space-size=64';

const PROBE_OPTIONS = `--require ${GC_PROBE} ${SERVER_NODE_FLAGS}`;

function pinned<T extends ServerProcess>(proc: T, o: ServerOptions): T {
  if (o.pin) pinToCpu(proc.pid, SERVER_CPU);
  return proc;
}

async function stopAll(processes: ServerProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => p.stop().catch(() => undefined)));
}

/** Parley embedded (one node, in-memory store, bus and presence). */
export async function startParleyEmbedded(o: ServerOptions, runId: string): Promise<BenchServer> {
  const proc = await startParleyNode(
    `bench-${runId}-embedded-${randomBytes(2).toString('hex')}`,
    {},
    o,
  );
  return {
    label: 'Parley embedded',
    urls: [`http://127.0.0.1:${proc.port}`],
    processes: [proc],
    stop: () => proc.stop(),
  };
}

/**
 * `count` Parley nodes sharing a fresh RabbitMQ vhost, Redis database and channel prefix, and a
 * fresh PostgreSQL database (dropped by `stop`).
 */
export async function startParleyCluster(
  count: number,
  o: ServerOptions,
  runId: string,
): Promise<BenchServer> {
  const backends = await clusterEnv('postgres');
  const database = new URL(backends.env.DATABASE_URL ?? 'postgres://-/').pathname.slice(1);
  const processes: (ServerProcess & { port: number })[] = [];
  const stop = async (): Promise<void> => {
    await stopAll(processes);
    try {
      // rabbitmqctl can time out on a loaded machine: once more before giving up.
      await backends.teardown().catch(() => backends.teardown());
    } finally {
      // The teardown drops the vhost first and stops at its failure: the database goes anyway.
      if (database) await dropTestDatabase(database);
    }
  };
  try {
    // One at a time: the first node runs the migrations and declares the queues.
    for (let i = 0; i < count; i++)
      processes.push(await startParleyNode(`bench-${runId}-node${i}`, backends.env, o));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    label: `Parley, ${count} nodes on Redis + RabbitMQ + PostgreSQL`,
    urls: processes.map((p) => `http://127.0.0.1:${p.port}`),
    processes,
    stop,
  };
}

async function startParleyNode(
  nodeId: string,
  env: Record<string, string>,
  o: ServerOptions,
): Promise<ServerProcess & { port: number }> {
  const node = await spawnBuiltNode(
    PARLEY_ENTRY,
    { ...PARLEY_BENCH_ENV, ...env, NODE_OPTIONS: PROBE_OPTIONS },
    nodeId,
    o.nodeArgs,
  );
  if (node.child.pid === undefined) throw new Error(`${nodeId} has no pid`);
  return pinned(
    {
      name: nodeId,
      pid: node.child.pid,
      lines: node.logs,
      stop: () => node.stop(),
      port: node.port,
    },
    o,
  );
}

/**
 * The bare relay: one process, or `count` processes on @socket.io/redis-adapter (a Redis key
 * prefix of this run's own on the test Redis database).
 */
export async function startRelay(count: number, o: ServerOptions): Promise<BenchServer> {
  const env: Record<string, string> =
    count > 1
      ? {
          REDIS_URL: testRedisUrl(),
          REDIS_CHANNEL_PREFIX: `parley_bench_relay_${randomBytes(4).toString('hex')}`,
        }
      : {};
  const processes: (ServerProcess & { port: number })[] = [];
  try {
    for (let i = 0; i < count; i++)
      processes.push(pinned(await spawnRelay(`relay${i}`, env, o), o));
  } catch (err) {
    await stopAll(processes);
    throw err;
  }
  return {
    label:
      count > 1
        ? `bare Socket.IO relay, ${count} processes on @socket.io/redis-adapter`
        : 'bare Socket.IO relay',
    urls: processes.map((p) => `http://127.0.0.1:${p.port}`),
    processes,
    stop: () => stopAll(processes),
  };
}

async function spawnRelay(
  name: string,
  env: Record<string, string>,
  o: ServerOptions,
): Promise<ServerProcess & { port: number }> {
  const child = spawn(process.execPath, [...o.nodeArgs, RELAY_ENTRY], {
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: PROBE_OPTIONS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
  child.stderr.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const port = lines
      .map((line) => /"msg":"relay listening","port":(\d+)/.exec(line)?.[1])
      .find((p) => p !== undefined);
    if (port !== undefined && child.pid !== undefined)
      return { name, pid: child.pid, lines, stop, port: Number(port) };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${name} did not start:\n${lines.join('\n')}`);
    }
    await sleep(50);
  }
}

/** Asks the process's GC probe for its memory after two full collections. */
export async function memoryAfterGc(
  proc: ServerProcess,
  timeoutMs = 15_000,
): Promise<MemoryAfterGc> {
  const from = proc.lines.length;
  process.kill(proc.pid, 'SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (let i = from; i < proc.lines.length; i++) {
      const reading = parseMemoryLine(proc.lines[i]!);
      if (reading) return reading;
    }
    await sleep(50);
  }
  throw new Error(
    `${proc.name}: no memory reading within ${timeoutMs} ms (is the GC probe loaded?)`,
  );
}

/** Warnings every bench node logs at start, by design: not worth a progress line. */
export const EXPECTED_WARNINGS = [/PASSWORD_KDF=fast/, /neither MONGODB_URL nor DATABASE_URL/];

/** Warnings and errors a server logged (pino level ≥ 40), counted by message, and other output. */
export function logSummary(server: BenchServer): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const proc of server.processes)
    for (const line of proc.lines) {
      let key: string | null;
      try {
        const entry = JSON.parse(line) as {
          level?: number;
          msg?: string;
          err?: { message?: string };
        };
        key =
          (entry.level ?? 0) >= 40
            ? `${entry.msg ?? '(no msg)'}${entry.err?.message ? `: ${entry.err.message.slice(0, 120)}` : ''}`
            : null;
      } catch {
        key = line.trim() === '' ? null : `(not a log line) ${line.slice(0, 160)}`;
      }
      if (key !== null) counts[`${proc.name}: ${key}`] = (counts[`${proc.name}: ${key}`] ?? 0) + 1;
    }
  return counts;
}
