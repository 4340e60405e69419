// Figures of one phase, from the ledger's records: what fell in the measured window, latency of the
// sends made in it, server CPU per delivered message, and the rates over time for the plots.
import type { Fleet, PhaseOutcome, PhasePlan } from './load-generator';
import type { PhaseResult } from './result';
import { percentiles, perSecond, ratePerSecond } from './stats';

/** Plot resolution. */
const SERIES_INTERVAL_MS = 250;

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

export function summarizePhase(
  fleet: Fleet,
  plan: PhasePlan,
  o: PhaseOutcome,
  purpose: string,
): PhaseResult {
  const records = fleet.ledger.phaseRecords(o.phase);
  const inWindow = (t: number): boolean => t >= o.windowStart && t < o.windowEnd;
  let acked = 0;
  let delivered = 0;
  let backlog = 0;
  const toAck: number[] = [];
  const toDelivery: number[] = [];
  const sentTimes: number[] = [];
  const ackTimes: number[] = [];
  const deliveryTimes: number[] = [];
  for (const r of records) {
    sentTimes.push(r.sentAt);
    if (!Number.isNaN(r.ackedAt)) ackTimes.push(r.ackedAt);
    if (!Number.isNaN(r.deliveredAt)) deliveryTimes.push(r.deliveredAt);
    if (inWindow(r.ackedAt)) acked++;
    if (inWindow(r.deliveredAt)) delivered++;
    // NaN compares false: an undelivered ack counts as backlog, an unacked send does not.
    if (r.ackedAt < o.windowEnd && !(r.deliveredAt < o.windowEnd)) backlog++;
    if (inWindow(r.sentAt)) {
      if (!Number.isNaN(r.ackedAt)) toAck.push(r.ackedAt - r.sentAt);
      if (!Number.isNaN(r.deliveredAt)) toDelivery.push(r.deliveredAt - r.sentAt);
    }
  }
  const windowMs = o.windowEnd - o.windowStart;
  const ackedPerSec = perSecond(acked, o.windowStart, o.windowEnd);
  const deliveredPerSec = perSecond(delivered, o.windowStart, o.windowEnd);
  const series = (times: number[]): number[] =>
    ratePerSecond(times, o.startedAt, o.drainedAt, SERIES_INTERVAL_MS);
  return {
    label: plan.label,
    purpose,
    load: plan.load,
    clients: fleet.size,
    windowSeconds: round(windowMs / 1000),
    sent: records.length,
    acked,
    delivered,
    skipped: o.skipped,
    ackedPerSec,
    deliveredPerSec,
    deliveredToAcked: ackedPerSec > 0 ? round(deliveredPerSec / ackedPerSec, 3) : null,
    backlogAtWindowEnd: backlog,
    latencyMs: { sendToAck: percentiles(toAck), sendToDelivery: percentiles(toDelivery) },
    server: {
      cpuUsPerMessage: delivered > 0 ? round(o.serverCpuMicros / delivered, 1) : null,
      cpuPercent: round((o.serverCpuMicros / (windowMs * 1000)) * 100, 1),
      rssMb: round(o.serverRssBytes / 2 ** 20, 1),
    },
    settled: o.settled,
    drainSeconds: round((o.drainedAt - o.windowEnd) / 1000),
    series: {
      intervalMs: SERIES_INTERVAL_MS,
      sent: series(sentTimes),
      acked: series(ackTimes),
      delivered: series(deliveryTimes),
    },
  };
}

/** One line for the terminal. */
export function describePhase(p: PhaseResult): string {
  const d = p.latencyMs.sendToDelivery;
  const offered = p.load.kind === 'open' ? `offered ${p.load.ratePerSec}/s, ` : '';
  return (
    `${offered}${p.ackedPerSec} acked/s, ${p.deliveredPerSec} delivered/s, ` +
    `send→delivered p50 ${d.p50 ?? '–'} / p99 ${d.p99 ?? '–'} ms, ` +
    `server ${p.server.cpuUsPerMessage ?? '–'} µs CPU/msg` +
    (p.skipped > 0 ? `, ${p.skipped} skipped (client backlog cap)` : '') +
    (p.settled ? '' : ', NOT settled within the drain')
  );
}
