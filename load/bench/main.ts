// `npm run bench`: measures the bare Socket.IO relays (load/baselines) and Parley in one run with one
// load generator, prints the P1–P6 ratio table of issue 10, and writes a JSON result and an HTML
// report to load/results/. Exit 1 on lost or duplicated messages — never on a speed figure.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_POSTGRES_RUN_ENV } from '../../test/support/postgres-db';
import { parseOptions, UsageError, USAGE, type BenchOptions } from './options';
import { runCluster, runP1, runP4, runP5, type RunContext } from './phases';
import { pinToCpu } from './proc-stats';
import { Progress } from './progress';
import { renderHtml } from './report-html';
import type { BenchResult } from './result';
import { CLIENT_CPU, PARLEY_ENTRY, ROOT } from './servers';
import { renderTargetTable, targetRows } from './targets';
import { Teardown } from './teardown';

/** A body of exactly `bytes` ASCII bytes. */
const bodyOf = (bytes: number): string =>
  'parley bench message body, '.repeat(Math.ceil(bytes / 27)).slice(0, bytes);

function ensureBuilt(o: BenchOptions, progress: Progress): void {
  if (!o.build && existsSync(PARLEY_ENTRY)) return;
  progress.line('building the server: npm run build');
  const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (built.status !== 0 || !existsSync(PARLEY_ENTRY)) throw new Error('npm run build failed');
}

function emptyResult(o: BenchOptions, argv: string[]): BenchResult {
  const cpus = os.cpus();
  return {
    startedAt: new Date().toISOString(),
    finishedAt: '',
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    short: o.short,
    machine: {
      cpus: cpus.length,
      model: cpus[0]?.model ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      kernel: os.release(),
    },
    options: { ...o },
    runs: [],
    memory: [],
    scale: null,
    storm: null,
    targets: [],
    serverLogs: {},
    problems: [],
    warnings: [],
    failures: [],
  };
}

/**
 * Lost, duplicated or misrouted messages and missed catch-ups make the exit code 1; what else
 * went wrong is a warning.
 */
function integrity(r: BenchResult): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const fleets = [
    ...r.runs.map((run) => ({ name: run.id, i: run.integrity })),
    ...(r.scale ? [{ name: 'P5 traffic', i: r.scale.integrity }] : []),
  ];
  for (const { name, i } of fleets) {
    if (i.lost > 0) problems.push(`${name}: ${i.lost} acknowledged messages never delivered`);
    if (i.duplicated > 0) problems.push(`${name}: ${i.duplicated} messages delivered twice`);
    if (i.misrouted > 0)
      problems.push(`${name}: ${i.misrouted} messages delivered to the wrong client`);
    if (i.echoes > 0)
      warnings.push(
        `${name}: ${i.echoes} NEW_MESSAGE echoed to the sending socket (PROTOCOL.md §7.3: it gets MESSAGE_ACK instead)`,
      );
    if (i.unanswered > 0) warnings.push(`${name}: ${i.unanswered} sends never answered`);
    const errors = Object.entries(i.rejected);
    if (errors.length > 0) warnings.push(`${name}: ERROR frames ${JSON.stringify(i.rejected)}`);
    if (i.connectionsLost > 0) warnings.push(`${name}: ${i.connectionsLost} connections dropped`);
  }
  if (r.scale && r.scale.idleLost + r.scale.idleFailed > 0)
    warnings.push(`P5: ${r.scale.idleFailed} idle connections failed, ${r.scale.idleLost} dropped`);
  if (r.storm) {
    if (r.storm.missed > 0) problems.push(`P6: ${r.storm.missed} messages missed after the storm`);
    if (r.storm.duplicatedLive > 0)
      problems.push(`P6: ${r.storm.duplicatedLive} messages delivered live twice`);
    if (r.storm.errorFrames + r.storm.failedHandshakes > 0)
      warnings.push(
        `P6: ${r.storm.errorFrames} ERROR frames (${r.storm.syncRetries} SYNCs retried), ${r.storm.failedHandshakes} failed handshakes`,
      );
  }
  return { problems, warnings };
}

function writeReport(r: BenchResult, outDir: string): { json: string; html: string } {
  const dir = path.resolve(ROOT, outDir);
  mkdirSync(dir, { recursive: true });
  const stamp = r.startedAt.replace(/[:.]/g, '-');
  const json = path.join(dir, `bench-${stamp}.json`);
  const html = path.join(dir, `bench-${stamp}.html`);
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(html, renderHtml(r, path.basename(json)));
  return { json, html };
}

/** Completes the result, writes it, prints the table; returns the exit code. */
function finish(ctx: RunContext): number {
  const r = ctx.result;
  r.finishedAt = new Date().toISOString();
  r.targets = targetRows(r);
  ({ problems: r.problems, warnings: r.warnings } = integrity(r));
  const files = writeReport(r, ctx.o.outDir);
  process.stdout.write(`\n${renderTargetTable(r.targets)}\n\n`);
  for (const line of [...r.problems, ...r.failures]) process.stdout.write(`! ${line}\n`);
  for (const line of r.warnings) process.stdout.write(`warning: ${line}\n`);
  process.stdout.write(
    `results: ${path.relative(ROOT, files.json)}\nreport:  ${path.relative(ROOT, files.html)}\n`,
  );
  if (r.failures.length > 0) return 2;
  return r.problems.length > 0 ? 1 : 0;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let o: BenchOptions;
  try {
    o = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message ? `${err.message}\n` : ''}${USAGE}\n`);
    process.exit(err.message ? 64 : 0);
  }
  // A closed pipe on the terminal side (`… | head`) must not kill the run before its teardown.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const progress = new Progress();
  const runId = randomBytes(3).toString('hex');
  // Databases the bench creates are named parley_test_bench_<run>_…, and dropped at the end.
  process.env[TEST_POSTGRES_RUN_ENV] = `bench_${runId}`;
  const ctx: RunContext = {
    o,
    runId,
    progress,
    teardown: new Teardown(),
    stop: { stopped: false },
    servers: { pin: o.pin, nodeArgs: o.nodeArgs },
    content: bodyOf(o.bodyBytes),
    result: emptyResult(o, argv),
  };
  let aborting = false;
  const abort = (why: string): void => {
    if (aborting) return;
    aborting = true;
    ctx.stop.stopped = true;
    progress.line(`${why}: stopping everything the bench started`);
    ctx.result.failures.push(`aborted: ${why}`);
    void ctx.teardown
      .runAll((line) => progress.line(line))
      .finally(() => process.exit(finish(ctx)));
  };
  process.once('SIGINT', () => abort('interrupted'));
  process.once('SIGTERM', () => abort('terminated'));
  // A bug in the bench must not leave servers, vhosts or databases behind either.
  process.on('uncaughtException', (err) => abort(`crashed: ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => abort(`crashed: ${String(err)}`));
  setTimeout(() => abort(`time limit of ${o.maxMs / 60_000} min reached`), o.maxMs).unref();

  let code = 2;
  try {
    ensureBuilt(o, progress);
    if (o.pin && !pinToCpu(process.pid, CLIENT_CPU)) {
      progress.line('taskset failed: running unpinned');
      ctx.servers.pin = false;
    }
    progress.line(
      `run ${runId}: ${o.short ? 'short' : 'full'} mode, phases ${o.phases.join(',')}, ${o.pairs} pairs, ${o.bodyBytes}-byte bodies`,
    );
    if (o.phases.includes('p1')) await runP1(ctx);
    if (o.phases.includes('p2') || o.phases.includes('p6')) await runCluster(ctx);
    if (o.phases.includes('p4')) await runP4(ctx);
    if (o.phases.includes('p5')) await runP5(ctx);
  } catch (err) {
    ctx.result.failures.push(err instanceof Error ? err.message : String(err));
  } finally {
    await ctx.teardown.runAll((line) => progress.line(line));
  }
  if (aborting) return;
  code = finish(ctx);
  process.exit(code);
}

void main();
