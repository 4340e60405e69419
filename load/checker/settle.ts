// The end of a run: every device reconnected, the store read, and every device catching up with
// SYNC (bounded) until it holds what it must — SEQ_GAPs settle only some seconds after a crash.
import type { Device } from './client';
import type { Journal } from './journal';
import { MembershipRules, windowOf } from './membership';
import { sleep } from './proc';
import type { World } from './setup';
import { readTruth, type Truth } from './truth';

export interface Settled {
  truth: Truth;
  rules: MembershipRules;
  /** When the workload's writes were over (the end of every send window). */
  runEnd: number;
  catchUpMs: number;
  /** Devices still missing required messages when the catch-up gave up. */
  incompleteDevices: number;
}

/** Messages `device` must hold by the end and does not (yet). */
export function missingFor(
  device: Device,
  truth: Truth,
  rules: MembershipRules,
  journal: Journal,
  runEnd: number,
): string[] {
  const missing: string[] = [];
  for (const m of truth.messages.values()) {
    if (device.view.receipts.has(m.id)) continue;
    const rec = m.tempId === null ? undefined : journal.sends.get(m.tempId);
    if (rules.verdict(m.conversationId, device.userId, windowOf(rec, runEnd)) === 'required')
      missing.push(m.id);
  }
  return missing;
}

export async function settle(
  world: World,
  journal: Journal,
  catchUpBudgetMs: number,
  log: (line: string) => void,
): Promise<Settled> {
  const runEnd = Date.now();
  await Promise.race([Promise.all(world.devices.map((d) => d.connect())), sleep(20_000)]);
  const disconnected = world.devices.filter((d) => !d.connected).length;
  if (disconnected > 0) log(`settle: ${disconnected} devices could not reconnect`);
  const truth = await readTruth(world);
  const rules = new MembershipRules(journal, truth);
  const started = Date.now();
  // Two full rounds at least (edits are reported by time, with an overlap), then only the
  // devices that still miss something, until the budget is spent.
  for (let round = 0; ; round++) {
    const lagging = world.devices.filter(
      (d) => round < 2 || missingFor(d, truth, rules, journal, runEnd).length > 0,
    );
    if (lagging.length === 0 || Date.now() - started > catchUpBudgetMs) {
      log(
        `settle: catch-up ${round} rounds, ${((Date.now() - started) / 1000).toFixed(1)} s, ${lagging.length} devices incomplete`,
      );
      return {
        truth,
        rules,
        runEnd,
        catchUpMs: Date.now() - started,
        incompleteDevices: lagging.length,
      };
    }
    await Promise.all(
      lagging.map(async (d) => {
        if (!d.connected) await Promise.race([d.connect(), sleep(5000)]);
        await d.sync();
      }),
    );
    await sleep(round === 0 ? 2500 : 1500);
  }
}
