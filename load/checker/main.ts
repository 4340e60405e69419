// `npm run checker`: starts throwaway backends and a Parley cluster (or drives --target), runs a
// seeded multi-user workload with faults, then verifies every delivery, unread count and
// presence bit against what the checker did, and prints a one-screen report.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, USAGE, UsageError, type CheckerOptions } from './args';
import {
  freshStoreUrl,
  PRESENCE_TTL_SECONDS,
  startCluster,
  storeEnv,
  type Cluster,
} from './cluster';
import { injectFaults, planFaults } from './faults';
import { Journal, runClock } from './journal';
import { sleep } from './proc';
import { renderReport, violationKinds, type RunFacts } from './report';
import { Rng } from './rng';
import { startBackends, type Backends } from './services';
import { settle } from './settle';
import { setupWorld } from './setup';
import { readConversationLists, readPresence } from './truth';
import {
  Findings,
  verifyDeliveries,
  verifyErrors,
  verifyPresence,
  verifyStore,
  verifyUnread,
} from './verify';
import { runWorkload } from './workload';

const ROOT = path.resolve(__dirname, '../../..');
const cleanups: (() => Promise<unknown>)[] = [];

async function cleanUp(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
}

function describeServer(entry: string): string {
  try {
    const commit = execFileSync('git', ['describe', '--always', '--dirty'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    return `${path.relative(ROOT, entry)} @ ${commit}`;
  } catch {
    return path.relative(ROOT, entry);
  }
}

interface Environment {
  urls: () => string[];
  cluster: Cluster | null;
  backends: Backends | null;
  server: string;
  store: string;
}

async function startEnvironment(o: CheckerOptions, log: (s: string) => void): Promise<Environment> {
  if (o.target)
    return {
      urls: () => o.target!,
      cluster: null,
      backends: null,
      server: o.target.join(', '),
      store: 'the deploy’s',
    };
  const entry = path.resolve(ROOT, o.serverEntry);
  if (o.build || !existsSync(entry)) {
    log('building the server (npm run build)');
    const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
    if (built.status !== 0) throw new Error('npm run build failed');
  }
  const workDir = mkdtempSync(path.join(tmpdir(), 'parley-checker-'));
  cleanups.push(() => Promise.resolve(rmSync(workDir, { recursive: true, force: true })));
  const ownStore = o.store === 'congo' ? 'CongoDB' : 'a PostgreSQL database';
  log(`starting Redis, RabbitMQ${o.storeUrl ? '' : ` and ${ownStore}`} under ${workDir}`);
  const backends = await startBackends(
    workDir,
    o.storeUrl === null ? null : freshStoreUrl(o.storeUrl),
    o.store,
  );
  cleanups.push(() => backends.stop());
  log(`starting ${o.nodes} Parley nodes`);
  const cluster = await startCluster(o.nodes, entry, {
    ...storeEnv(backends.storeUrl),
    RABBITMQ_URL: backends.rabbit.url,
    REDIS_URL: backends.redis.url,
  });
  cleanups.push(() => cluster.stop());
  const store = o.storeUrl
    ? o.storeUrl.replace(/\/\/[^@/]*@/, '//***@').split('?')[0]!
    : o.store === 'congo'
      ? 'CongoDB (in-process MongoDB wire stand-in)'
      : `PostgreSQL on 127.0.0.1:5432 (its own database, dropped afterwards)`;
  return {
    urls: () => cluster.liveUrls(),
    cluster,
    backends,
    server: describeServer(entry),
    store,
  };
}

async function run(o: CheckerOptions): Promise<number> {
  const t0 = Date.now();
  const log = (line: string): void => {
    if (o.verbose)
      process.stderr.write(`[checker +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}\n`);
  };
  process.stderr.write(`parley checker: seed ${o.seed}\n`);
  const rng = new Rng(o.seed);
  const journal = new Journal();
  const env = await startEnvironment(o, log);
  const urlRng = rng.fork('urls');
  const pickUrl = (): string => {
    const urls = env.urls();
    return urls.length > 0 ? urlRng.pick(urls) : (env.cluster?.nodes[0]?.url ?? '');
  };
  const api = { pickUrl };
  const world = await setupWorld(
    { users: o.users, dmsPerUser: 2, groups: Math.max(2, Math.round(o.users / 3)) },
    rng.fork('world'),
    journal,
    api,
    pickUrl,
  );
  cleanups.push(() => Promise.resolve(world.devices.forEach((d) => d.close())));
  const t1 = Date.now();
  runClock.start = t1;
  log(
    `workload: ${world.users.length} users, ${world.devices.length} devices, ${world.conversations.length} conversations`,
  );
  const plan =
    env.cluster && env.backends ? planFaults(o.faults, o.durationMs, rng.fork('faults')) : [];
  const faults =
    env.cluster && env.backends
      ? injectFaults(plan, t1, env.cluster, env.backends, journal, rng.fork('fault-targets'), log)
      : Promise.resolve();
  await runWorkload(world, rng.fork('workload'), journal, {
    durationMs: o.durationMs,
    meanGapMs: 700,
    membershipGapMs: 2500,
  });
  await faults;
  const t2 = Date.now();
  log('workload over; settling');
  const settled = await settle(world, journal, o.short ? 25_000 : 30_000, log);
  const f = new Findings();
  verifyStore(journal, settled, f);
  verifyErrors(journal, f);
  verifyDeliveries(world, journal, settled, f, journal.faults.length > 0);
  verifyUnread(await readConversationLists(world), settled, f);
  await sleep(1000);
  const connectedUsers = new Set(world.devices.filter((d) => d.connected).map((d) => d.userId));
  verifyPresence(await readPresence(world), (u) => connectedUsers.has(u), 'while connected', f);
  for (const d of world.devices) d.close();
  // Allow the presence TTL (a crashed node's sockets linger that long), then poll to a deadline.
  const deadline = Date.now() + (o.target ? 65_000 : (PRESENCE_TTL_SECONDS * 2 + 4) * 1000);
  await sleep(o.target ? 2000 : (PRESENCE_TTL_SECONDS + 1) * 1000);
  let after = await readPresence(world);
  while (after.some((p) => p.online) && Date.now() < deadline) {
    await sleep(1000);
    after = await readPresence(world);
  }
  verifyPresence(after, () => false, 'after every socket closed', f);
  const t3 = Date.now();

  const notes: string[] = [];
  const unclean = env.cluster ? await env.cluster.stop() : [];
  notes.push(...unclean);
  if (settled.incompleteDevices > 0)
    notes.push(
      `${settled.incompleteDevices} devices still missed messages when the catch-up ended`,
    );
  const failedFaults = journal.faults.filter((x) => x.error !== null);
  if (failedFaults.length > 0) notes.push(`${failedFaults.length} faults could not be carried out`);
  const facts: RunFacts = {
    options: o,
    server: env.server,
    store: env.store,
    nodes: env.cluster?.nodes.length ?? o.target?.length ?? 0,
    devices: {
      socketIo: world.devices.filter((d) => d.opts.transport === 'socket.io').length,
      raw: world.devices.filter((d) => d.opts.transport === 'raw').length,
    },
    users: world.users.length,
    conversations: {
      direct: world.conversations.filter((c) => c.type === 'DIRECT').length,
      groups: world.conversations.filter((c) => c.type === 'GROUP').length,
    },
    phasesMs: { setup: t1 - t0, workload: t2 - t1, settle: t3 - t2, total: Date.now() - t0 },
    serverLogs: [...(env.cluster?.logs.byMessage ?? [])]
      .sort((a, b) => b[1] - a[1])
      .map(([m, n]) => {
        const err = env.cluster?.logs.firstError.get(m);
        return `${m} ×${n}${err ? ` (${err})` : ''}`;
      }),
    notes,
  };
  process.stdout.write(`${renderReport(facts, journal, f)}\n`);
  return violationKinds(f, journal.faults.length > 0).length > 0 || failedFaults.length > 0 ? 1 : 0;
}

async function main(): Promise<void> {
  let options: CheckerOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message ? `${err.message}\n` : ''}${USAGE}\n`);
    process.exit(err.message ? 64 : 0);
  }
  const abort = (why: string): void => {
    process.stderr.write(`parley checker: ${why}; cleaning up (seed ${options.seed})\n`);
    void cleanUp().finally(() => process.exit(2));
  };
  process.once('SIGINT', () => abort('interrupted'));
  process.once('SIGTERM', () => abort('terminated'));
  // Bounded whatever happens: setup, workload, settle and verification all fit in this.
  const watchdog = setTimeout(
    () => abort('time limit reached'),
    options.durationMs + (options.short ? 90_000 : 150_000),
  );
  watchdog.unref();
  let code = 2;
  try {
    code = await run(options);
  } catch (err) {
    process.stderr.write(
      `parley checker: the run failed (seed ${options.seed}): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  } finally {
    await cleanUp();
  }
  process.exit(code);
}

void main();
