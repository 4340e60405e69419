// Fault injection while the workload runs: SIGKILL a node and restart it, restart the checker's
// RabbitMQ, restart the checker's Redis; one at a time, spread over the run, never overlapping.
import type { Cluster } from './cluster';
import type { FaultRecord, Journal } from './journal';
import { sleep } from './proc';
import type { Rng } from './rng';
import type { Backends } from './services';

export type FaultKind = 'node' | 'rabbit' | 'redis';
export const FAULT_KINDS: readonly FaultKind[] = ['node', 'rabbit', 'redis'];

export interface FaultPlan {
  kind: FaultKind;
  /** Offset from the workload's start, ms. */
  at: number;
}

/** Evenly spread in the first 70 % of the run (each needs time to recover before the end). */
export function planFaults(kinds: readonly FaultKind[], durationMs: number, rng: Rng): FaultPlan[] {
  const order = rng.sample(kinds, kinds.length);
  const span = durationMs * 0.7;
  return order.map((kind, i) => ({ kind, at: Math.round((span * (i + 0.5)) / order.length) }));
}

/** Runs the plan against the cluster and backends; each fault is recorded with its times. */
export async function injectFaults(
  plan: FaultPlan[],
  startedAt: number,
  cluster: Cluster,
  backends: Backends,
  journal: Journal,
  rng: Rng,
  log: (line: string) => void,
): Promise<void> {
  for (const fault of plan) {
    const wait = startedAt + fault.at - Date.now();
    if (wait > 0) await sleep(wait);
    const record: FaultRecord = {
      kind: fault.kind,
      target: '',
      at: Date.now() - startedAt,
      recoveredAt: null,
      error: null,
    };
    journal.faults.push(record);
    try {
      if (fault.kind === 'node') {
        const node = rng.pick(cluster.nodes.filter((n) => n.up));
        record.target = node.id;
        log(`fault: SIGKILL ${node.id}`);
        await node.kill();
        await sleep(2000);
        await node.start();
      } else if (fault.kind === 'rabbit') {
        record.target = 'rabbitmq';
        log('fault: restarting RabbitMQ');
        await backends.rabbit.restart();
      } else {
        record.target = 'redis';
        log('fault: SIGKILL + restart Redis');
        await backends.redis.kill();
        await sleep(1000);
        await backends.redis.start();
      }
      record.recoveredAt = Date.now() - startedAt;
      log(
        `fault: ${fault.kind} recovered after ${((record.recoveredAt - record.at) / 1000).toFixed(1)} s`,
      );
    } catch (err) {
      record.error = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      log(`fault: ${fault.kind} failed: ${record.error}`);
    }
  }
}
