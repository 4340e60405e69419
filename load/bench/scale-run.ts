// P5: one node holding many authenticated idle raw-WS connections (from 127.0.0.2, 127.0.0.3, …)
// while a subset of DM pairs sends at a fixed rate; RSS per connection at that scale, after GC.
// The count is capped by what the machine allows one process (its open-file limit).
import { parleyPairs, registerUsers } from './accounts';
import { holdIdleConnections } from './idle-connections';
import { Fleet, type PhaseContext, type PhasePlan } from './load-generator';
import { describePhase, summarizePhase } from './phase-summary';
import { openFileLimit } from './proc-stats';
import type { ScaleRun } from './result';
import { memoryAfterGc, pidsOf, type BenchServer } from './servers';

/** File descriptors a node needs besides its client sockets (listener, logs, pipes, epoll…). */
const SERVER_FD_RESERVE = 300;
/** The same for a holder process. */
const HOLDER_FD_RESERVE = 200;

export interface ScaleSpec {
  server: BenchServer;
  requested: number;
  activePairs: number;
  ratePerSec: number;
  warmupMs: number;
  durationMs: number;
}

export async function measureScale(
  spec: ScaleSpec,
  ctx: Omit<PhaseContext, 'serverPids'>,
  runId: string,
): Promise<ScaleRun> {
  const progress = ctx.progress;
  const proc = spec.server.processes[0]!;
  const serverLimit = openFileLimit(proc.pid);
  const reachable = Math.min(spec.requested, serverLimit - SERVER_FD_RESERVE);
  const limitNote =
    reachable < spec.requested
      ? `capped at ${reachable}: a process may open ${serverLimit} files here (RLIMIT_NOFILE, hard limit; raising it needs privileges this machine does not grant)`
      : null;
  if (limitNote) progress.line(limitNote);
  const activeClients = spec.activePairs * 2;
  const idleUsers = await registerUsers(spec.server, reachable - activeClients, progress);
  const pairs = await parleyPairs(spec.server, spec.activePairs, progress);
  const before = await memoryAfterGc(proc);
  const idle = await holdIdleConnections(idleUsers, 'raw', progress, {
    spreadAddresses: true,
    perProcess: Math.min(15_000, openFileLimit('self') - HOLDER_FD_RESERVE),
  });
  let fleet: Fleet | null = null;
  try {
    progress.line(`${idle.open} idle connections open (${idle.failed} failed)`);
    fleet = await Fleet.connect(pairs, 'raw', `${runId}.scale.`);
    const connections = idle.open + fleet.size;
    const after = await memoryAfterGc(proc);
    const plan: PhasePlan = {
      label: `scale: ${connections} connections, ${spec.ratePerSec} msg/s among ${spec.activePairs} pairs`,
      load: { kind: 'open', ratePerSec: spec.ratePerSec },
      warmupMs: spec.warmupMs,
      durationMs: spec.durationMs,
    };
    const traffic = summarizePhase(
      fleet,
      plan,
      await fleet.run(plan, { ...ctx, serverPids: pidsOf(spec.server) }),
      'traffic among idle connections',
    );
    progress.line(describePhase(traffic));
    const status = await idle.status();
    return {
      requested: spec.requested,
      reachable,
      limitNote,
      idleOpen: idle.open,
      idleFailed: idle.failed,
      idleLost: status.lost,
      activeClients: fleet.size,
      rssPerConnectionBytes: Math.round((after.rss - before.rss) / Math.max(1, connections)),
      jsPerConnectionBytes: Math.round(
        (after.heapUsed + after.external - before.heapUsed - before.external) /
          Math.max(1, connections),
      ),
      rssAtScaleMb: Math.round(after.rss / 2 ** 20),
      traffic,
      integrity: fleet.ledger.integrity(),
    };
  } finally {
    fleet?.close();
    await idle.close();
  }
}
