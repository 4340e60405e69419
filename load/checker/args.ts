// Command-line options of `npm run checker -- …`.
import { FAULT_KINDS, type FaultKind } from './faults';
import { parseSeed } from './rng';

export interface CheckerOptions {
  seed: number;
  /** How long the workload runs (setup and verification come on top). */
  durationMs: number;
  nodes: number;
  users: number;
  faults: FaultKind[];
  /** Base URLs of a running deploy to drive instead of starting one. */
  target: string[] | null;
  /** The store the checker provides when no `storeUrl` is given. */
  store: 'postgres' | 'congo';
  /** A store of the caller's for the nodes (mongodb:// or postgres://), used instead. */
  storeUrl: string | null;
  serverEntry: string;
  build: boolean;
  short: boolean;
  verbose: boolean;
}

export const USAGE = `usage: npm run checker -- [options]
  --seed N              replay a run's random choices (printed in every report)
  --duration SECONDS    workload length (default 60; --short: 30)
  --short               a quicker run for CI (< 2 min in all)
  --nodes N             Parley nodes to start, 1-5 (default 3; --short: 2)
  --users N             simulated users (default 12; --short: 9)
  --faults LIST         none | all | a comma list of node,rabbit,redis (default all)
  --store KIND          postgres: a fresh database on this machine's PostgreSQL (127.0.0.1:5432,
                        user postgres), dropped afterwards (default); congo: the in-process
                        MongoDB-wire stand-in
  --store-url URL       mongodb://… or postgres://… of your own for the nodes, instead of --store
  --target URL[,URL]    drive a running deploy (its own limits apply; no faults)
  --server-entry PATH   the built server to run (default dist/src/main.js)
  --build               run \`npm run build\` first (also done when the entry is missing)
  --verbose             print progress lines
exit code: 0 no violation, 1 violations, 2 the run could not be carried out, 64 bad options`;

export class UsageError extends Error {}

export function parseArgs(argv: string[]): CheckerOptions {
  const given = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument: ${arg}`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (['short', 'build', 'verbose', 'help'].includes(name)) {
      flags.add(name);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    given.set(name, value);
  }
  if (flags.has('help')) throw new UsageError('');
  const known = [
    'seed',
    'duration',
    'nodes',
    'users',
    'faults',
    'store',
    'store-url',
    'target',
    'server-entry',
  ];
  for (const name of given.keys())
    if (!known.includes(name)) throw new UsageError(`unknown option --${name}`);
  const short = flags.has('short');
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = given.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new UsageError(`--${name}: an integer ${min}-${max}`);
    return n;
  };
  const target =
    given
      .get('target')
      ?.split(',')
      .map((u) => u.trim().replace(/\/+$/, ''))
      .filter(Boolean) ?? null;
  const faults = parseFaults(given.get('faults'), target !== null);
  let seed: number;
  try {
    seed = parseSeed(given.get('seed'));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return {
    seed,
    durationMs: int('duration', short ? 30 : 60, 5, 600) * 1000,
    nodes: int('nodes', short ? 2 : 3, 1, 5),
    users: int('users', short ? 9 : 12, 3, 200),
    faults,
    target,
    store: parseStore(given.get('store')),
    storeUrl: given.get('store-url') ?? null,
    serverEntry: given.get('server-entry') ?? 'dist/src/main.js',
    build: flags.has('build'),
    short,
    verbose: flags.has('verbose'),
  };
}

function parseFaults(raw: string | undefined, targeting: boolean): FaultKind[] {
  if (raw === undefined) return targeting ? [] : [...FAULT_KINDS];
  if (raw === 'none') return [];
  const kinds = raw === 'all' ? [...FAULT_KINDS] : raw.split(',').map((k) => k.trim());
  for (const k of kinds)
    if (!FAULT_KINDS.includes(k as FaultKind)) throw new UsageError(`--faults: unknown fault ${k}`);
  if (targeting && kinds.length > 0)
    throw new UsageError('--target drives a deploy the checker does not own: use --faults none');
  return kinds as FaultKind[];
}

function parseStore(raw: string | undefined): CheckerOptions['store'] {
  if (raw === undefined || raw === 'postgres') return 'postgres';
  if (raw === 'congo') return 'congo';
  throw new UsageError(`--store: postgres or congo (got ${raw})`);
}
