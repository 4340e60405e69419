// The consistency checker (load/checker) end to end against an in-process node: a short seeded
// run with no faults must find nothing, and bad options are refused before anything starts.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import type { RunningNode } from '../../src/node';
import { startTestNode } from '../support/test-node';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '../..');
const ENTRY = path.join(ROOT, 'dist/load/checker/main.js');

function runChecker(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ENTRY, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run checker', () => {
  let node: RunningNode;

  beforeAll(async () => {
    execFileSync(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'load/tsconfig.json'], {
      cwd: ROOT,
      stdio: 'ignore',
    });
    node = await startTestNode({
      RATE_LIMIT_MESSAGES_PER_SECOND: '100000',
      RATE_LIMIT_MESSAGES_BURST: '100000',
      RATE_LIMIT_FRAMES_PER_SECOND: '100000',
      RATE_LIMIT_FRAMES_BURST: '100000',
      RATE_LIMIT_WRITES_PER_SECOND: '100000',
      RATE_LIMIT_WRITES_BURST: '100000',
    });
  });
  afterAll(async () => {
    await node?.close();
  });

  it('drives a running node over both transports and finds no violation', async () => {
    const run = await runChecker([
      '--target',
      node.url,
      '--duration',
      '6',
      '--users',
      '5',
      '--seed',
      '7',
    ]);
    const report = run.stdout;
    expect(report).toContain('seed 7');
    const sent = Number(/sent (\d+)/.exec(report)?.[1]);
    const acked = Number(/acked (\d+)/.exec(report)?.[1]);
    const [, delivered, expected] = /delivered (\d+) of (\d+) expected/.exec(report) ?? [];
    expect(sent).toBeGreaterThan(10);
    expect(acked).toBe(sent);
    expect(Number(expected)).toBeGreaterThan(0);
    expect(delivered).toBe(expected);
    // Every unread count and unread mention count was recounted, and some mentions were there to
    // count (the workload @-mentions members); a mismatch would be a violation below.
    expect(Number(/unread rows checked (\d+)/.exec(report)?.[1])).toBeGreaterThan(0);
    expect(Number(/unread mentions recounted (\d+)/.exec(report)?.[1])).toBeGreaterThan(0);
    expect(report).toMatch(/socket\.io/);
    expect(report).toMatch(/raw ws/);
    // The verdict last, so a failure shows the whole report first.
    if (run.code !== 0) throw new Error(`checker exited ${run.code}:\n${report}\n${run.stderr}`);
    expect(report).toContain('Parley consistency check: PASS');
  });

  it('refuses unknown options and faults on a deploy it does not own', async () => {
    expect((await runChecker(['--bogus', '1'])).code).toBe(64);
    const faulted = await runChecker(['--target', node.url, '--faults', 'node']);
    expect(faulted.code).toBe(64);
    expect(faulted.stderr).toContain('--faults none');
  });
});
