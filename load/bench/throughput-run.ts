// One system under one transport: connect the DM pairs, run the closed-loop saturation probe, then
// the offered rates derived from it (open loop), and count what was lost or duplicated at the end.
import { describePhase, summarizePhase } from './phase-summary';
import { Fleet, type Pair, type PhaseContext, type PhasePlan } from './load-generator';
import { SATURATION, type PhaseResult, type StoreCommands, type ThroughputRun } from './result';
import { pidsOf, type BenchServer } from './servers';
import {
  snapshotStoreCommands,
  storeCommandsPerMessage,
  type CounterSnapshot,
} from './store-commands';
import type { Transport } from './wire-client';

export interface OfferedRate {
  ratePerSec: number;
  /** Why this rate (kept in the result as the phase's purpose). */
  purpose: string;
}

export interface ThroughputSpec {
  /** Short id used by the target table and the report: "relay", "parley-raw", … */
  id: string;
  label: string;
  server: BenchServer;
  pairs: Pair[];
  transport: Transport;
  /** Closed loop: sends in flight per client. */
  inflight: number;
  warmupMs: number;
  durationMs: number;
  /** Offered rates (msg/s, all clients together) to run after the probe, given its result. */
  rates?: (probe: PhaseResult) => OfferedRate[];
  /** Read the store-command counter around the probe (P3). */
  storeCommands?: boolean;
}

/** Stops sending once the run is asked to stop (time limit, SIGINT). */
export interface StopSignal {
  stopped: boolean;
}

export async function runThroughput(
  spec: ThroughputSpec,
  ctx: Omit<PhaseContext, 'serverPids'>,
  runId: string,
  stop: StopSignal,
): Promise<ThroughputRun> {
  const progress = ctx.progress;
  const fleet = await Fleet.connect(spec.pairs, spec.transport, `${runId}.${spec.id}.`);
  progress.line(`${fleet.size} ${spec.transport} clients connected`);
  const phaseCtx: PhaseContext = { ...ctx, serverPids: pidsOf(spec.server) };
  const phases: PhaseResult[] = [];
  let storeCommands: StoreCommands | null = null;
  try {
    const probePlan: PhasePlan = {
      label: `${spec.id} closed loop (${spec.inflight} in flight per client)`,
      load: { kind: 'closed', inflight: spec.inflight },
      warmupMs: spec.warmupMs,
      durationMs: spec.durationMs,
    };
    // P3 is read over the probe's measured window, as every other figure is: the warm-up (each
    // conversation's first events, which read what a node does not know yet) and the drain are
    // left out, and so are their deliveries.
    let before: CounterSnapshot | null = null;
    let after: CounterSnapshot | null = null;
    const onWindow = async (edge: 'start' | 'end'): Promise<void> => {
      const snapshot = await snapshotStoreCommands(spec.server.urls);
      if (edge === 'start') before = snapshot;
      else after = snapshot;
    };
    const outcome = await fleet.run(probePlan, {
      ...phaseCtx,
      ...(spec.storeCommands ? { onWindow } : {}),
    });
    const probe = summarizePhase(fleet, probePlan, outcome, SATURATION);
    if (before && after) {
      const delivered = fleet.ledger
        .phaseRecords(outcome.phase)
        .filter(
          (r) => r.deliveredAt >= outcome.windowStart && r.deliveredAt < outcome.windowEnd,
        ).length;
      storeCommands = storeCommandsPerMessage(before, after, delivered);
    }
    phases.push(probe);
    progress.line(`saturation: ${describePhase(probe)}`);
    for (const { ratePerSec, purpose } of spec.rates?.(probe) ?? []) {
      if (stop.stopped) break;
      const plan: PhasePlan = {
        label: `${spec.id} open loop at ${ratePerSec} msg/s (${purpose})`,
        load: { kind: 'open', ratePerSec },
        warmupMs: spec.warmupMs,
        durationMs: spec.durationMs,
      };
      const result = summarizePhase(fleet, plan, await fleet.run(plan, phaseCtx), purpose);
      phases.push(result);
      progress.line(describePhase(result));
    }
  } finally {
    fleet.close();
  }
  return {
    id: spec.id,
    label: spec.label,
    server: spec.server.label,
    transport: spec.transport,
    pairs: spec.pairs.length,
    phases,
    integrity: fleet.ledger.integrity(),
    storeCommands,
  };
}
