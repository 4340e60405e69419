// The one-screen report: what ran, what was checked, every violation with samples, and the line
// that replays the run.
import type { CheckerOptions } from './args';
import type { Journal } from './journal';
import type { Findings } from './verify';

/** Kinds that are violations in every run; `duplicates (raw)` only in a run without faults. */
const VIOLATIONS = [
  'duplicates (raw)',
  'lost (acked, not stored)',
  'lost (never delivered)',
  'lost (deleted message never delivered)',
  'out-of-order',
  'foreign deliveries',
  'unread mismatches',
  'presence mismatches',
  'stored more than once',
  'conflicting acks',
  'seq mismatch',
  'seq-conflict',
  'false-gap',
  'sync-overreach',
  'stale edits/deletes',
  'live miss (no fault)',
  'membership mismatch',
  'unknown stored message',
  'store listing out of order',
  'INTERNAL answers (want UNAVAILABLE)',
  'unread mention mismatches',
];

/** The headline rows, always printed (the rest only when non-zero). */
const HEADLINE = [
  'duplicates (raw)',
  'out-of-order',
  'foreign deliveries',
  'unread mismatches',
  'presence mismatches',
  'unread mention mismatches',
];

export interface RunFacts {
  options: CheckerOptions;
  server: string;
  store: string;
  nodes: number;
  devices: { socketIo: number; raw: number };
  users: number;
  conversations: { direct: number; groups: number };
  phasesMs: { setup: number; workload: number; settle: number; total: number };
  serverLogs: string[];
  notes: string[];
}

export function violationKinds(f: Findings, faulted: boolean): string[] {
  return VIOLATIONS.filter((k) => f.count(k) > 0 && (k !== 'duplicates (raw)' || !faulted));
}

export function replayLine(o: CheckerOptions): string {
  const parts = [`--seed ${o.seed}`, `--duration ${o.durationMs / 1000}`];
  if (o.target) parts.push(`--target ${o.target.join(',')}`);
  else
    parts.push(`--nodes ${o.nodes}`, `--faults ${o.faults.length ? o.faults.join(',') : 'none'}`);
  parts.push(`--users ${o.users}`);
  if (o.storeUrl) parts.push('--store-url <url>');
  else if (o.store !== 'postgres') parts.push(`--store ${o.store}`);
  return `npm run checker -- ${parts.join(' ')}`;
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function renderReport(facts: RunFacts, journal: Journal, f: Findings): string {
  const o = facts.options;
  const faulted = journal.faults.length > 0;
  const bad = violationKinds(f, faulted);
  const fig = (name: string): number => f.figures.get(name) ?? 0;
  const lost =
    f.count('lost (acked, not stored)') +
    f.count('lost (never delivered)') +
    f.count('lost (deleted message never delivered)');
  const lines: string[] = [];
  lines.push(
    `Parley consistency check: ${bad.length === 0 ? 'PASS' : `FAIL (${bad.length} kind${bad.length > 1 ? 's' : ''} of violation)`}`,
  );
  lines.push(`seed ${o.seed}   replay: ${replayLine(o)}`);
  lines.push(`server ${facts.server}   nodes ${facts.nodes}   store ${facts.store}`);
  lines.push(
    `duration ${secs(facts.phasesMs.total)} (setup ${secs(facts.phasesMs.setup)}, workload ${secs(facts.phasesMs.workload)}, settle+verify ${secs(facts.phasesMs.settle)})`,
  );
  lines.push(
    `clients ${facts.users} users, ${facts.devices.socketIo + facts.devices.raw} devices (${facts.devices.socketIo} socket.io, ${facts.devices.raw} raw ws); ` +
      `${facts.conversations.direct} DMs, ${facts.conversations.groups} groups`,
  );
  const ops = [...journal.ops]
    .filter(([k]) => !k.startsWith('sync') && !k.startsWith('connect'))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  lines.push(`ops ${ops}`);
  const syncs = [...journal.ops]
    .filter(([k]) => k.startsWith('sync') || k.startsWith('connect'))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  lines.push(`    ${syncs}`);
  lines.push(
    `sent ${fig('sent')}   acked ${fig('acked')}   stored ${fig('stored')} (${fig('stored without ack')} without ack)   gave up ${fig('gave up')}`,
  );
  lines.push(
    `delivered ${fig('delivered')} of ${fig('deliveries expected')} expected   lost ${lost}   ` +
      `live misses ${fig('live misses (recovered by SYNC)')} (recovered by SYNC)   gap SYNCs ${fig('gap SYNCs')}`,
  );
  lines.push(
    `unread rows checked ${fig('unread rows checked')}   unread mentions recounted ${fig('unread mentions recounted')}`,
  );
  lines.push(
    `faults ${journal.faults.length === 0 ? 'none' : `${journal.faults.length} (offsets from the workload's start)`}`,
  );
  for (const fault of journal.faults) {
    const end =
      fault.recoveredAt === null
        ? `FAILED: ${fault.error ?? '?'}`
        : `back at +${secs(fault.recoveredAt)}`;
    lines.push(`  +${secs(fault.at)}  ${fault.kind.padEnd(6)} ${fault.target.padEnd(16)} ${end}`);
  }
  lines.push('checks');
  const shown = new Set([...HEADLINE, ...VIOLATIONS.filter((k) => f.count(k) > 0)]);
  for (const kind of VIOLATIONS) {
    if (!shown.has(kind)) continue;
    const counts = f.count(kind);
    const tag =
      counts === 0
        ? 'ok'
        : kind === 'duplicates (raw)' && faulted
          ? 'allowed with faults'
          : 'VIOLATION';
    lines.push(`  ${kind.padEnd(40)} ${String(counts).padStart(6)}  ${tag}`);
  }
  lines.push(
    `  ${'lost (total)'.padEnd(40)} ${String(lost).padStart(6)}  ${lost === 0 ? 'ok' : 'VIOLATION'}`,
  );
  const samples = [...f.samples].filter(([k]) => f.count(k) > 0 && VIOLATIONS.includes(k));
  if (samples.length > 0) {
    lines.push('samples');
    for (const [kind, list] of samples)
      for (const s of list.slice(0, 4)) lines.push(`  [${kind}] ${s}`);
  }
  const errors = [...journal.errors]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([k, n]) => `${k} ×${n}`);
  if (errors.length > 0) lines.push(`errors answered ${errors.join('; ')}`);
  if (facts.serverLogs.length > 0) {
    lines.push('server warnings (log lines at warn and above)');
    for (const l of facts.serverLogs.slice(0, 6)) lines.push(`  ${l.slice(0, 160)}`);
  }
  for (const note of facts.notes) lines.push(`note ${note}`);
  return lines.join('\n');
}
