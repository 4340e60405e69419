// The P1–P6 rows of issue 10, derived from a run's figures: Parley's figure, the baseline's
// measured in the same run, their ratio, the goal, and whether it is met. Rendered as a text table.
import {
  HALF_RELAY2,
  SATURATION,
  type BenchResult,
  type MemoryRun,
  type PhaseResult,
  type TargetRow,
  type ThroughputRun,
} from './result';
/** delivered/s ÷ acked/s at or above this counts as "equal" (window edges blur the two). */
const KEEPS_UP = 0.97;

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const rate = (p: PhaseResult): string =>
  `${int(p.deliveredPerSec)}/s (${p.server.cpuUsPerMessage ?? '–'} µs/msg)`;
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const yes = (ok: boolean): 'yes' | 'no' => (ok ? 'yes' : 'no');
const missing = (id: string, what: string, goal: string, why: string): TargetRow => ({
  id,
  what,
  parley: why,
  baseline: '',
  ratio: '',
  goal,
  met: 'n/a',
});

const saturation = (runs: ThroughputRun[], id: string): PhaseResult | undefined =>
  runs.find((r) => r.id === id)?.phases.find((p) => p.purpose === SATURATION);

function throughputRow(
  r: BenchResult,
  id: string,
  what: string,
  parleyId: string,
  baselineId: string,
  goal: number,
): TargetRow {
  const parley = saturation(r.runs, parleyId);
  const baseline = saturation(r.runs, baselineId);
  const goalText = `≥ ${goal * 100}%`;
  if (!parley || !baseline) return missing(id, what, goalText, 'not run');
  const ratio =
    baseline.deliveredPerSec > 0 ? parley.deliveredPerSec / baseline.deliveredPerSec : 0;
  return {
    id,
    what,
    parley: rate(parley),
    baseline: rate(baseline),
    ratio: `${(ratio * 100).toFixed(0)}%`,
    goal: goalText,
    met: yes(ratio >= goal),
  };
}

/** p99 send → delivered of an open-loop phase against the 50 ms goal. */
function latencyRow(id: string, p: PhaseResult, why: string): TargetRow {
  const p99 = p.latencyMs.sendToDelivery.p99;
  return {
    id,
    what: `p99 send→delivered at ${int(p.load.kind === 'open' ? p.load.ratePerSec : 0)} msg/s offered (${why})`,
    parley: `${p99 ?? '–'} ms (${int(p.deliveredPerSec)} delivered/s)`,
    baseline: '',
    ratio: '',
    goal: '≤ 50 ms',
    met: p99 === null ? 'no' : yes(p99 <= 50),
  };
}

function clusterRows(r: BenchResult): TargetRow[] {
  const cluster = r.runs.find((x) => x.id === 'cluster');
  const half = cluster?.phases.find((p) => p.purpose === HALF_RELAY2);
  // The other reading of "half that rate": half of Parley's own saturation, when it was run.
  const halfOwn = cluster?.phases.find((p) => p.purpose === `0.5 × ${SATURATION}`);
  const ratios = (cluster?.phases ?? []).filter((p) => p.deliveredToAcked !== null);
  const worst = ratios.reduce<PhaseResult | null>(
    (w, p) => (w === null || p.deliveredToAcked! < w.deliveredToAcked! ? p : w),
    null,
  );
  const store = cluster?.storeCommands ?? null;
  return [
    throughputRow(r, 'P2', '2 nodes, every message across nodes: msg/s', 'cluster', 'relay2', 0.5),
    half
      ? latencyRow('P2', half, "half the relay's")
      : missing('P2', 'p99 send→delivered at half the relay’s rate', '≤ 50 ms', 'not run'),
    ...(halfOwn ? [latencyRow('P2', halfOwn, "half Parley's own saturation")] : []),
    worst
      ? {
          id: 'P2',
          what: `delivered/s ÷ acked/s, worst of ${ratios.length} loads (${worst.purpose})`,
          parley: `${worst.deliveredToAcked} (${int(worst.deliveredPerSec)} of ${int(worst.ackedPerSec)}/s; backlog ${int(worst.backlogAtWindowEnd)})`,
          baseline: '',
          ratio: '',
          goal: `= 1 (≥ ${KEEPS_UP})`,
          met: yes(worst.deliveredToAcked! >= KEEPS_UP),
        }
      : missing('P2', 'delivered/s ÷ acked/s', '= 1', 'not run'),
    store?.perDeliveredMessage != null
      ? {
          id: 'P3',
          what: 'store commands per delivered message (saturation)',
          parley: `${store.perDeliveredMessage} (reads ${store.readsPerDeliveredMessage ?? '?'}; ${store.backgroundReads ?? '?'} background sweep reads in the window)`,
          baseline: '',
          ratio: '',
          goal: '≤ 0.2, 0 reads to send and deliver',
          met: yes(store.perDeliveredMessage <= 0.2 && store.readsPerDeliveredMessage === 0),
        }
      : missing(
          'P3',
          'store commands per delivered message',
          '≤ 0.2, 0 reads',
          cluster ? (store?.note ?? 'n/a') : 'not run',
        ),
  ];
}

function memoryRows(r: BenchResult): TargetRow[] {
  const relay = r.memory.find((m) => m.id === 'relay');
  return (['socket.io', 'raw'] as const).map((transport) => {
    const what = `heap + external per idle authenticated connection (${transport === 'raw' ? 'raw WS' : 'Socket.IO'}), after GC`;
    const parley = r.memory.find((m) => m.id === `parley-${transport}`);
    if (!parley || !relay) return missing('P4', what, '≤ 1.2×', 'not run');
    const ratio = parley.jsPerConnectionBytes / Math.max(1, relay.jsPerConnectionBytes);
    const figure = (m: MemoryRun): string =>
      `${kib(m.jsPerConnectionBytes)} (RSS ${kib(m.rssPerConnectionBytes)})`;
    return {
      id: 'P4',
      what,
      parley: figure(parley),
      baseline: figure(relay),
      ratio: `${ratio.toFixed(2)}×`,
      goal: '≤ 1.2×',
      met: yes(ratio <= 1.2),
    };
  });
}

function scaleRows(r: BenchResult): TargetRow[] {
  const s = r.scale;
  if (!s) return [missing('P5', 'idle connections on one node', '≥ 50,000', 'not run')];
  const held = s.idleOpen + s.activeClients;
  const p99 = s.traffic.latencyMs.sendToDelivery.p99;
  return [
    {
      id: 'P5',
      what: `authenticated connections held by one node (asked ${int(s.requested)})`,
      parley: `${int(held)}${s.limitNote ? ' (capped by the open-file limit)' : ''}`,
      baseline: '',
      ratio: '',
      goal: '≥ 50,000',
      met: yes(held >= 50_000),
    },
    {
      id: 'P5',
      what: `p99 send→delivered at ${int(s.traffic.load.kind === 'open' ? s.traffic.load.ratePerSec : 0)} msg/s among ${s.activeClients} clients`,
      parley: `${p99 ?? '–'} ms (${int(s.traffic.deliveredPerSec)} delivered/s)`,
      baseline: '',
      ratio: '',
      goal: '≤ 50 ms',
      met: p99 === null ? 'no' : yes(p99 <= 50),
    },
    {
      id: 'P5',
      what: 'RSS per connection at that scale, after GC',
      parley: `${kib(s.rssPerConnectionBytes)} (heap + external ${kib(s.jsPerConnectionBytes)}); ${int(s.rssAtScaleMb)} MiB in all`,
      baseline: '',
      ratio: '',
      goal: 'report',
      met: 'n/a',
    },
  ];
}

/** Returns scheduled over the window are all admitted within it, give or take this. */
const STORM_SLACK_SECONDS = 2;

function stormRow(r: BenchResult): TargetRow {
  const s = r.storm;
  const what = s
    ? `reconnect storm: ${int(s.clients)} clients drop, return within ${s.returnWindowSeconds} s, catch up`
    : 'reconnect storm';
  const goal = `all back within ${s ? s.returnWindowSeconds + STORM_SLACK_SECONDS : '–'} s and caught up, 0 missed, no errors`;
  if (!s) return missing('P6', what, goal, 'not run');
  const errors = s.errorFrames + Object.values(s.senderErrors).reduce((a, b) => a + b, 0);
  const allBackInTime =
    s.allBackSeconds !== null && s.allBackSeconds <= s.returnWindowSeconds + STORM_SLACK_SECONDS;
  return {
    id: 'P6',
    what,
    parley: `${int(s.returned)} back (last after ${s.allBackSeconds ?? '–'} s), ${int(s.caughtUp)} caught up (p99 ${s.catchUpMs.p99 ?? '–'} ms), ${s.missed} missed, ${errors} ERROR frames, ${s.failedHandshakes} refused handshakes${s.serverCpuMsPerReturn === null ? '' : `; ${s.serverCpuMsPerReturn} ms server CPU per return`}`,
    baseline: '',
    ratio: '',
    goal,
    met: yes(
      allBackInTime &&
        s.returned === s.clients &&
        s.caughtUp === s.clients &&
        s.missed === 0 &&
        errors + s.failedHandshakes === 0,
    ),
  };
}

export function targetRows(r: BenchResult): TargetRow[] {
  return [
    throughputRow(r, 'P1', 'embedded 1-1 over raw WS: msg/s', 'parley-raw', 'relay', 0.4),
    throughputRow(r, 'P1', 'embedded 1-1 over Socket.IO: msg/s', 'parley-socket.io', 'relay', 0.4),
    ...clusterRows(r),
    ...memoryRows(r),
    ...scaleRows(r),
    stormRow(r),
  ];
}

/** The rows as a plain-text table (what the terminal and BENCHMARKS.md show). */
export function renderTargetTable(rows: TargetRow[]): string {
  const header: TargetRow = {
    id: '',
    what: 'target',
    parley: 'Parley',
    baseline: 'baseline (same run)',
    ratio: 'ratio',
    goal: 'goal',
    met: 'met' as 'yes',
  };
  const cols = ['id', 'what', 'parley', 'baseline', 'ratio', 'goal', 'met'] as const;
  const all = [header, ...rows];
  const width = cols.map((c) => Math.max(...all.map((row) => row[c].length)));
  const line = (row: TargetRow): string =>
    cols
      .map((c, i) => row[c].padEnd(width[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), width.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
