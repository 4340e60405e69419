// Command-line options of `npm run bench -- …`: every scale is an option, `--short` shrinks them all.
import { parseArgs } from 'node:util';

export const PHASES = ['p1', 'p2', 'p4', 'p5', 'p6'] as const;
export type Phase = (typeof PHASES)[number];

export interface BenchOptions {
  short: boolean;
  phases: Phase[];
  /** DM pairs of the throughput runs (P1, P2). */
  pairs: number;
  /** Closed loop: sends in flight per client. */
  inflight: number;
  warmupMs: number;
  /** Measured window of every throughput phase. */
  durationMs: number;
  drainMs: number;
  ackTimeoutMs: number;
  bodyBytes: number;
  /** P2's transport (the two-node relay is Socket.IO). */
  clusterTransport: 'raw' | 'socket.io';
  /** P2 offered rates, as fractions of Parley's own saturation (half the relay's rate is added). */
  rateFractions: number[];
  /** P4: idle connections per server. */
  idle: number;
  /** P5: idle connections asked for (capped by the machine's open-file limit). */
  scale: number;
  scaleRate: number;
  scalePairs: number;
  /** P6. */
  storm: number;
  stormWindowMs: number;
  stormRate: number;
  pin: boolean;
  /** Node flags for the server processes (before the entry). */
  nodeArgs: string[];
  outDir: string;
  build: boolean;
  /** The whole run is aborted (and cleaned up) after this. */
  maxMs: number;
}

export const USAGE = `usage: npm run bench -- [options]
  --short               every phase at small scale (< 2 min): the CI smoke test
  --only LIST           phases to run, a comma list of ${PHASES.join(',')} (default all; P3 runs with p2)
  --pairs N             DM pairs in the throughput runs (default 100 = 200 clients; --short 20)
  --inflight K          closed loop: sends in flight per client (default 1)
  --duration S          measured window of each throughput phase (default 10; --short 2)
  --warmup S            sending before each window, not counted (default 2; --short 0.5)
  --drain S             after a phase, wait this long for answers and deliveries (default 30; --short 20)
  --ack-timeout S       a send unanswered this long counts as unanswered (default 10)
  --body-bytes B        message body size (default 100)
  --cluster-transport T P2 over socket.io (default, like the relay it is compared with) or raw
  --rates LIST          P2 offered rates as fractions of Parley's saturation (default 0.5,1,1.5;
                        --short 1.5); half the two-node relay's rate is always added
  --idle N              P4 idle connections per server (default 2000; --short 200)
  --scale N             P5 idle connections on one node (default 50000; --short 600)
  --scale-rate R        P5 msg/s among the active pairs (default 1000; --short 200)
  --scale-pairs N       P5 active DM pairs (default 50; --short 10)
  --storm N             P6 clients that drop and return (default 5000; --short 200)
  --storm-window S      P6 window they return within (default 10; --short 3)
  --storm-rate R        P6 msg/s sent to them throughout (default 100; --short 50)
  --no-pin              do not pin servers to CPU 0 and the load generator to CPU 1
  --node-args="…"       node flags for the servers, split on spaces (note the =), e.g.
                        --node-args="--cpu-prof --cpu-prof-dir=/tmp/prof"
  --out DIR             where the JSON and HTML go (default load/results)
  --build               run \`npm run build\` first (also done when dist/src/main.js is missing)
  --max-minutes M       abort and clean up after this (default 30; --short 4)
exit code: 0 clean, 1 lost/duplicated/misrouted messages or missed catch-ups (never a speed
figure), 2 a phase could not run or the run was aborted, 64 bad options`;

export class UsageError extends Error {}

const FLAGS = ['short', 'no-pin', 'build', 'help'] as const;
const VALUED = [
  'only',
  'pairs',
  'inflight',
  'duration',
  'warmup',
  'drain',
  'ack-timeout',
  'body-bytes',
  'rates',
  'cluster-transport',
  'idle',
  'scale',
  'scale-rate',
  'scale-pairs',
  'storm',
  'storm-window',
  'storm-rate',
  'node-args',
  'out',
  'max-minutes',
] as const;

export function parseOptions(argv: string[]): BenchOptions {
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries([
        ...FLAGS.map((name) => [name, { type: 'boolean' }] as const),
        ...VALUED.map((name) => [name, { type: 'string' }] as const),
      ]),
    }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const given = new Map(
    Object.entries(values).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  const flags = new Set(Object.keys(values).filter((k) => values[k] === true));
  if (flags.has('help')) throw new UsageError('');
  const short = flags.has('short');
  const num = (name: string, full: number, small: number, min: number, max: number): number => {
    const raw = given.get(name);
    if (raw === undefined) return short ? small : full;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new UsageError(`--${name}: a number from ${min} to ${max} (got ${raw})`);
    return n;
  };
  const int = (name: string, full: number, small: number, min: number, max: number): number => {
    const n = num(name, full, small, min, max);
    if (!Number.isInteger(n)) throw new UsageError(`--${name}: an integer (got ${n})`);
    return n;
  };
  const seconds = (name: string, full: number, small: number, max: number): number =>
    Math.round(num(name, full, small, 0, max) * 1000);
  return {
    short,
    phases: parsePhases(given.get('only')),
    pairs: int('pairs', 100, 20, 1, 5000),
    inflight: int('inflight', 1, 1, 1, 1000),
    warmupMs: seconds('warmup', 2, 0.5, 60),
    durationMs: Math.max(500, seconds('duration', 10, 2, 600)),
    drainMs: seconds('drain', 30, 20, 600),
    ackTimeoutMs: Math.max(1000, seconds('ack-timeout', 10, 10, 600)),
    bodyBytes: int('body-bytes', 100, 100, 1, 4000),
    clusterTransport: parseTransport(given.get('cluster-transport')),
    rateFractions: parseRates(given.get('rates'), short ? [1.5] : [0.5, 1, 1.5]),
    idle: int('idle', 2000, 200, 10, 100_000),
    scale: int('scale', 50_000, 600, 10, 1_000_000),
    scaleRate: int('scale-rate', 1000, 200, 1, 100_000),
    scalePairs: int('scale-pairs', 50, 10, 1, 5000),
    storm: int('storm', 5000, 200, 2, 100_000),
    stormWindowMs: seconds('storm-window', 10, 3, 600),
    stormRate: int('storm-rate', 100, 50, 1, 100_000),
    pin: !flags.has('no-pin'),
    nodeArgs: (given.get('node-args') ?? '').split(/\s+/).filter(Boolean),
    outDir: given.get('out') ?? 'load/results',
    build: flags.has('build'),
    maxMs: Math.round(num('max-minutes', 30, 4, 1, 600) * 60_000),
  };
}

function parsePhases(raw: string | undefined): Phase[] {
  if (raw === undefined) return [...PHASES];
  const phases = raw.split(',').map((p) => p.trim().toLowerCase());
  for (const p of phases)
    if (!PHASES.includes(p as Phase)) throw new UsageError(`--only: unknown phase ${p}`);
  return PHASES.filter((p) => phases.includes(p));
}

function parseRates(raw: string | undefined, fallback: number[]): number[] {
  if (raw === undefined) return fallback;
  const rates = raw.split(',').map(Number);
  if (rates.some((r) => !Number.isFinite(r) || r <= 0 || r > 10))
    throw new UsageError(`--rates: fractions from 0 to 10 (got ${raw})`);
  return rates;
}

function parseTransport(raw: string | undefined): BenchOptions['clusterTransport'] {
  if (raw === undefined || raw === 'socket.io') return 'socket.io';
  if (raw === 'raw') return 'raw';
  throw new UsageError(`--cluster-transport: raw or socket.io (got ${raw})`);
}
