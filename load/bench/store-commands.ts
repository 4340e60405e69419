// P3: store commands per delivered message, read from the nodes' Prometheus /metrics — a counter
// named parley_store_*_total, by the driver's command monitoring (MongoDB) or query events (pg).
// The bench does not count them itself; a server without the counter is reported as such.

export interface CounterSnapshot {
  /** The counter's name, or null when no node exports one. */
  metric: string | null;
  /** Sum over nodes by label set. */
  byLabels: Map<string, number>;
}

const COUNTER = /^(parley_store_[a-z_]*_total)(\{[^}]*\})?\s+(\S+)$/;
/** Label values that mark a read (find, select, …) rather than a write. */
const READ = /kind="[^"]*(read|find|select|get|count|aggregate|query)/i;
/** Commands of a node's own background passes (the outbox relay's sweep, a scrape's count). */
const BACKGROUND = /origin="background"/;

export async function snapshotStoreCommands(urls: string[]): Promise<CounterSnapshot> {
  let metric: string | null = null;
  const byLabels = new Map<string, number>();
  for (const url of urls) {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) continue;
    for (const line of (await res.text()).split('\n')) {
      const m = COUNTER.exec(line);
      if (!m) continue;
      metric ??= m[1]!;
      if (m[1] !== metric) continue;
      // Per-node labels would keep the nodes apart; the sum over nodes is what counts.
      const labels = (m[2] ?? '').replace(/,?node="[^"]*"/, '').replace(/^\{,/, '{');
      byLabels.set(labels, (byLabels.get(labels) ?? 0) + Number(m[3]));
    }
  }
  return { metric, byLabels };
}

export interface StoreCommandFigures {
  metric: string | null;
  perDeliveredMessage: number | null;
  readsPerDeliveredMessage: number | null;
  backgroundReads: number | null;
  note: string;
}

export function storeCommandsPerMessage(
  before: CounterSnapshot,
  after: CounterSnapshot,
  delivered: number,
): StoreCommandFigures {
  if (after.metric === null || delivered === 0)
    return {
      metric: null,
      perDeliveredMessage: null,
      readsPerDeliveredMessage: null,
      backgroundReads: null,
      note: 'n/a (server has no counter yet)',
    };
  let total = 0;
  let reads = 0;
  let backgroundReads = 0;
  let labelled = false;
  for (const [labels, value] of after.byLabels) {
    const delta = value - (before.byLabels.get(labels) ?? 0);
    total += delta;
    if (labels !== '') labelled = true;
    if (!READ.test(labels)) continue;
    if (BACKGROUND.test(labels)) backgroundReads += delta;
    else reads += delta;
  }
  const per = (n: number): number => Number((n / delivered).toFixed(3));
  return {
    metric: after.metric,
    perDeliveredMessage: per(total),
    readsPerDeliveredMessage: labelled ? per(reads) : null,
    backgroundReads: labelled ? backgroundReads : null,
    note: `${after.metric} over the ${delivered} messages delivered in the measured window`,
  };
}
