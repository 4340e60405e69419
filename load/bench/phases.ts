// The bench's phases in the order they run, each on servers of its own that are stopped when it
// ends: P1 (bare relay, then Parley embedded over raw WS and Socket.IO), P2 (two-node relay, then
// two Parley nodes, with P3 read around the probe) and P6 on the same cluster, P4, P5.
import { parleyPairs, relayPairs } from './accounts';
import type { PhaseContext } from './load-generator';
import { measureIdleMemory } from './memory-run';
import type { BenchOptions } from './options';
import type { Progress } from './progress';
import { HALF_RELAY2, SATURATION, type BenchResult, type PhaseResult } from './result';
import { measureScale } from './scale-run';
import {
  EXPECTED_WARNINGS,
  logSummary,
  startParleyCluster,
  startParleyEmbedded,
  startRelay,
  type BenchServer,
  type ServerOptions,
} from './servers';
import { runStorm } from './storm-run';
import type { Teardown } from './teardown';
import { runThroughput, type StopSignal, type ThroughputSpec } from './throughput-run';
import type { Transport } from './wire-client';

export interface RunContext {
  o: BenchOptions;
  runId: string;
  progress: Progress;
  teardown: Teardown;
  stop: StopSignal;
  servers: ServerOptions;
  /** The message body every send carries. */
  content: string;
  /** Filled in as phases finish (a partial result survives an abort). */
  result: BenchResult;
}

/** Open loop: a client this far behind skips its turn, so an overloaded server is not buried. */
const MAX_OUTSTANDING_PER_CLIENT = 50;

function phaseContext(ctx: RunContext): Omit<PhaseContext, 'serverPids'> {
  return {
    content: ctx.content,
    ackTimeoutMs: ctx.o.ackTimeoutMs,
    drainMs: ctx.o.drainMs,
    maxOutstandingPerClient: MAX_OUTSTANDING_PER_CLIENT,
    progress: ctx.progress,
  };
}

/** Starts a server, hands it to `use`, and stops it however `use` ends. */
async function withServer<T>(
  ctx: RunContext,
  start: () => Promise<BenchServer>,
  use: (server: BenchServer) => Promise<T>,
): Promise<T> {
  const server = await start();
  ctx.progress.line(`started ${server.label} at ${server.urls.join(', ')}`);
  const stop = ctx.teardown.add(server.label, () => server.stop());
  try {
    return await use(server);
  } finally {
    await stop();
    const logs = logSummary(server);
    if (Object.keys(logs).length > 0) {
      ctx.result.serverLogs[`${server.label} (${server.processes.map((p) => p.name).join(', ')})`] =
        logs;
      for (const [line, n] of Object.entries(logs))
        if (!EXPECTED_WARNINGS.some((re) => re.test(line)))
          ctx.progress.line(`server log ×${n} ${line}`);
    }
  }
}

/** Runs one phase; a failure is recorded (exit code 2) and the next phase still runs. */
async function attempt(ctx: RunContext, name: string, run: () => Promise<void>): Promise<void> {
  if (ctx.stop.stopped) return;
  ctx.progress.enter(name);
  try {
    await run();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    ctx.result.failures.push(`${name}: ${message.split('\n')[0]}`);
    ctx.progress.line(`FAILED: ${message}`);
  }
}

const spec = (
  ctx: RunContext,
  server: BenchServer,
  id: string,
  transport: Transport,
  pairs: ThroughputSpec['pairs'],
  extra: Partial<ThroughputSpec> = {},
): ThroughputSpec => ({
  id,
  label: server.label,
  server,
  pairs,
  transport,
  inflight: ctx.o.inflight,
  warmupMs: ctx.o.warmupMs,
  durationMs: ctx.o.durationMs,
  ...extra,
});

async function measureThroughput(ctx: RunContext, s: ThroughputSpec): Promise<void> {
  ctx.result.runs.push(await runThroughput(s, phaseContext(ctx), ctx.runId, ctx.stop));
}

/** The bare relay on `processes` processes, every pair spanning them when there are two. */
function measureRelay(ctx: RunContext, name: string, id: string, processes: number): Promise<void> {
  return attempt(ctx, name, () =>
    withServer(
      ctx,
      () => startRelay(processes, ctx.servers),
      (server) =>
        measureThroughput(ctx, spec(ctx, server, id, 'socket.io', relayPairs(server, ctx.o.pairs))),
    ),
  );
}

export async function runP1(ctx: RunContext): Promise<void> {
  await measureRelay(ctx, 'P1 baseline: bare Socket.IO relay', 'relay', 1);
  for (const transport of ['raw', 'socket.io'] as const)
    await attempt(ctx, `P1 Parley embedded over ${transport}`, () =>
      withServer(
        ctx,
        () => startParleyEmbedded(ctx.servers, ctx.runId),
        async (server) => {
          const pairs = await parleyPairs(server, ctx.o.pairs, ctx.progress);
          await measureThroughput(ctx, spec(ctx, server, `parley-${transport}`, transport, pairs));
        },
      ),
    );
}

const saturationOf = (ctx: RunContext, id: string): PhaseResult | undefined =>
  ctx.result.runs.find((r) => r.id === id)?.phases.find((p) => p.purpose === SATURATION);

/** P2 (and P3) and P6 share one cluster: two nodes on Redis, RabbitMQ and PostgreSQL. */
export async function runCluster(ctx: RunContext): Promise<void> {
  const { o } = ctx;
  if (o.phases.includes('p2'))
    await measureRelay(
      ctx,
      'P2 baseline: bare relay on two processes with the redis adapter',
      'relay2',
      2,
    );
  if (ctx.stop.stopped) return;
  ctx.progress.enter('starting two Parley nodes on Redis + RabbitMQ + PostgreSQL');
  await withServer(
    ctx,
    () => startParleyCluster(2, ctx.servers, ctx.runId),
    async (server) => {
      if (o.phases.includes('p2'))
        await attempt(ctx, 'P2/P3 Parley, two nodes', async () => {
          const pairs = await parleyPairs(server, o.pairs, ctx.progress);
          const relay2 = saturationOf(ctx, 'relay2');
          await measureThroughput(
            ctx,
            spec(ctx, server, 'cluster', o.clusterTransport, pairs, {
              storeCommands: true,
              rates: (probe) => [
                ...(relay2 && relay2.deliveredPerSec > 0
                  ? [{ ratePerSec: Math.round(relay2.deliveredPerSec / 2), purpose: HALF_RELAY2 }]
                  : []),
                ...o.rateFractions.map((f) => ({
                  ratePerSec: Math.max(1, Math.round(probe.ackedPerSec * f)),
                  purpose: `${f} × ${SATURATION}`,
                })),
              ],
            }),
          );
        });
      if (o.phases.includes('p6'))
        await attempt(ctx, 'P6 reconnect storm on the two nodes', async () => {
          ctx.result.storm = await runStorm(
            {
              server,
              clients: o.storm,
              perSender: 100,
              ratePerSec: o.stormRate,
              returnWindowMs: o.stormWindowMs,
              calmMs: o.short ? 1000 : 3000,
              drainMs: o.drainMs,
            },
            ctx.progress,
            ctx.runId,
            ctx.content,
          );
        });
    },
  );
}

export async function runP4(ctx: RunContext): Promise<void> {
  const measure = (
    name: string,
    start: () => Promise<BenchServer>,
    spec: { id: string; system: 'parley' | 'relay'; transport: Transport },
  ): Promise<void> =>
    attempt(ctx, name, () =>
      withServer(ctx, start, async (server) => {
        ctx.result.memory.push(
          await measureIdleMemory(
            { ...spec, label: server.label, server, connections: ctx.o.idle },
            ctx.progress,
          ),
        );
      }),
    );
  await measure(
    'P4 baseline: idle Socket.IO connections on the bare relay',
    () => startRelay(1, ctx.servers),
    { id: 'relay', system: 'relay', transport: 'socket.io' },
  );
  for (const transport of ['socket.io', 'raw'] as const)
    await measure(
      `P4 idle authenticated ${transport} connections on Parley embedded`,
      () => startParleyEmbedded(ctx.servers, ctx.runId),
      { id: `parley-${transport}`, system: 'parley', transport },
    );
}

export async function runP5(ctx: RunContext): Promise<void> {
  const { o } = ctx;
  await attempt(ctx, `P5 ${o.scale} idle connections on one Parley node`, () =>
    withServer(
      ctx,
      () => startParleyEmbedded(ctx.servers, ctx.runId),
      async (server) => {
        ctx.result.scale = await measureScale(
          {
            server,
            requested: o.scale,
            activePairs: o.scalePairs,
            ratePerSec: o.scaleRate,
            warmupMs: o.warmupMs,
            durationMs: o.short ? o.durationMs : Math.max(o.durationMs, 30_000),
          },
          phaseContext(ctx),
          ctx.runId,
        );
      },
    ),
  );
}
