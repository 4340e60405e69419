// The self-contained HTML report (load/results/bench-<time>.html): the P1–P6 table, throughput over
// time per run, latency percentiles, memory per connection, and every phase's figures.
import { SATURATION, type BenchResult, type PhaseResult, type ThroughputRun } from './result';
import { PLOTTED_QUANTILES } from './stats';
import { barChart, escapeHtml, lineChart, PALETTE, type LineSeries } from './svg-plot';

const table = (head: string[], rows: (string | number | null)[][]): string =>
  `<table><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c ?? '–'))}</td>`).join('')}</tr>`)
    .join('')}</table>`;

/** Phases of one run side by side on one time axis, a marker where each starts. */
function throughputChart(title: string, phases: PhaseResult[]): string {
  const lines: Record<'delivered' | 'acked' | 'sent', [number, number][]> = {
    delivered: [],
    acked: [],
    sent: [],
  };
  const markers: { x: number; label: string }[] = [];
  let offset = 0;
  for (const p of phases) {
    markers.push({ x: offset, label: p.purpose });
    const step = p.series.intervalMs / 1000;
    for (const key of ['delivered', 'acked', 'sent'] as const)
      p.series[key].forEach((v, i) => lines[key].push([offset + i * step, v]));
    offset += p.series.delivered.length * step;
  }
  const series: LineSeries[] = [
    { name: 'delivered/s', points: lines.delivered, color: PALETTE[0]! },
    { name: 'acked/s', points: lines.acked, color: PALETTE[1]!, dashed: true },
    { name: 'sent/s', points: lines.sent, color: '#aaa', dashed: true },
  ];
  return lineChart({
    title,
    xLabel: 'seconds (phases back to back, each with its drain)',
    yLabel: 'messages per second',
    series,
    markers,
  });
}

function latencyChart(title: string, phases: { name: string; phase: PhaseResult }[]): string {
  return lineChart({
    title,
    xLabel: 'percentile of send → delivered (sends made in the measured window)',
    yLabel: 'ms (log scale)',
    xCategories: PLOTTED_QUANTILES.map(([key]) => key),
    logY: true,
    series: phases.map(({ name, phase }, i) => ({
      name,
      color: PALETTE[i % PALETTE.length]!,
      points: PLOTTED_QUANTILES.map(([key], x): [number, number] => [
        x,
        phase.latencyMs.sendToDelivery[key] ?? 0,
      ]),
    })),
  });
}

function phaseRows(run: ThroughputRun): (string | number | null)[][] {
  return run.phases.map((p) => [
    run.id,
    p.purpose,
    p.load.kind === 'open' ? p.load.ratePerSec : `closed, ${p.load.inflight}/client`,
    p.ackedPerSec,
    p.deliveredPerSec,
    p.deliveredToAcked,
    `${p.latencyMs.sendToAck.p50} / ${p.latencyMs.sendToAck.p99}`,
    `${p.latencyMs.sendToDelivery.p50} / ${p.latencyMs.sendToDelivery.p99}`,
    p.server.cpuUsPerMessage,
    p.server.cpuPercent,
    p.server.rssMb,
    p.backlogAtWindowEnd,
    p.skipped,
    p.settled ? 'yes' : 'NO',
  ]);
}

export function renderHtml(r: BenchResult, jsonFile: string): string {
  const saturations = r.runs.flatMap((run) =>
    run.phases.filter((p) => p.purpose === SATURATION).map((phase) => ({ name: run.id, phase })),
  );
  const offered = r.runs.flatMap((run) =>
    run.phases
      .filter((p) => p.load.kind === 'open')
      .map((phase) => ({
        name: `${run.id} @ ${phase.load.kind === 'open' ? phase.load.ratePerSec : ''}/s`,
        phase,
      })),
  );
  if (r.scale) offered.push({ name: 'P5 at scale', phase: r.scale.traffic });
  const memoryBars = r.memory.map((m, i) => ({
    label: `${m.label} (${m.transport})`,
    value: m.jsPerConnectionBytes / 1024,
    color: PALETTE[i % PALETTE.length]!,
  }));
  const sections = [
    `<h1>Parley bench — ${escapeHtml(r.startedAt)}</h1>`,
    `<p>${escapeHtml(`${r.machine.cpus} CPUs (${r.machine.model}), ${r.machine.memoryGb} GB, Node ${r.machine.node}, Linux ${r.machine.kernel}`)}<br>`,
    `<code>${escapeHtml(r.command)}</code> · figures: <a href="${escapeHtml(jsonFile)}">${escapeHtml(jsonFile)}</a></p>`,
    r.problems.length + r.failures.length > 0
      ? `<p class="bad">${[...r.problems, ...r.failures].map(escapeHtml).join('<br>')}</p>`
      : '<p class="good">No message lost, duplicated or misrouted.</p>',
    r.warnings.length > 0 ? `<p class="warn">${r.warnings.map(escapeHtml).join('<br>')}</p>` : '',
    '<h2>Targets (issue 10)</h2>',
    table(
      ['', 'target', 'Parley', 'baseline (same run)', 'ratio', 'goal', 'met'],
      r.targets.map((t) => [t.id, t.what, t.parley, t.baseline, t.ratio, t.goal, t.met]),
    ),
    '<h2>Throughput over time</h2>',
    ...r.runs.map((run) =>
      throughputChart(`${run.id}: ${run.label} (${run.transport})`, run.phases),
    ),
    ...(r.scale ? [throughputChart('P5: traffic among idle connections', [r.scale.traffic])] : []),
    '<h2>Latency percentiles</h2>',
    latencyChart('Closed-loop saturation probes', saturations),
    offered.length > 0 ? latencyChart('Offered (open-loop) rates', offered) : '',
    memoryBars.length > 0
      ? `<h2>Memory per idle connection</h2>${barChart('heap + external per idle connection after GC', 'KiB', memoryBars)}`
      : '',
    '<h2>Every phase</h2>',
    table(
      [
        'run',
        'purpose',
        'offered msg/s',
        'acked/s',
        'delivered/s',
        'deliv÷ack',
        'send→ack p50/p99 ms',
        'send→delivered p50/p99 ms',
        'server µs CPU/msg',
        'server CPU %',
        'server RSS MiB',
        'backlog',
        'skipped',
        'settled',
      ],
      r.runs.flatMap(phaseRows),
    ),
    '<h2>Integrity</h2>',
    table(
      ['run', 'sent', 'acked', 'lost', 'duplicated', 'misrouted', 'echoes', 'unanswered', 'errors'],
      r.runs.map((run) => {
        const i = run.integrity;
        return [
          run.id,
          i.sent,
          i.acked,
          i.lost,
          i.duplicated,
          i.misrouted,
          i.echoes,
          i.unanswered,
          JSON.stringify(i.rejected),
        ];
      }),
    ),
    r.storm
      ? `<h2>Reconnect storm</h2>${table(
          ['figure', 'value'],
          Object.entries(r.storm).map(([k, v]) => [
            k,
            typeof v === 'object' ? JSON.stringify(v) : v,
          ]),
        )}`
      : '',
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parley bench ${escapeHtml(r.startedAt)}</title>
<style>
body { font-family: sans-serif; margin: 2em; max-width: 1100px; }
table { border-collapse: collapse; margin: 1em 0; font-size: 12px; }
td, th { border: 1px solid #ccc; padding: 3px 6px; text-align: left; }
.bad { color: #b00; font-weight: bold; } .good { color: #070; } .warn { color: #a60; }
svg { display: block; margin: 1em 0; }
</style></head><body>
${sections.join('\n')}
</body></html>
`;
}
