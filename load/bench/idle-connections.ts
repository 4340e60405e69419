// Idle connections held by child processes (idle-holder.ts): each child holds at most `perProcess`
// (its file-descriptor limit is its own), and with `spreadAddresses` client k connects from
// 127.0.0.(2 + k / perAddress), so the ephemeral ports of one source address are never the limit.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Progress } from './progress';
import type { Endpoint, Transport } from './wire-client';

export interface HolderTarget {
  endpoint: Endpoint;
  localAddress?: string;
}

export type HolderCommand =
  | { type: 'open'; targets: HolderTarget[]; transport: Transport; concurrency: number }
  | { type: 'status' }
  | { type: 'close' };

export type HolderReport =
  | { type: 'progress'; open: number; failed: number; lost: number }
  | { type: 'opened'; open: number; failed: number; lost: number; errors: string[] }
  | { type: 'status'; open: number; lost: number };

export interface IdleOptions {
  /** Connections per holder process. @default 15000 */
  perProcess?: number;
  /** Connect from 127.0.0.2, 127.0.0.3, … instead of 127.0.0.1. @default false */
  spreadAddresses?: boolean;
  /** Connections per source address when spread. @default 10000 */
  perAddress?: number;
  /** Handshakes in flight per holder. @default 100 */
  concurrency?: number;
  /** Give up on opening after this long. @default 300000 */
  timeoutMs?: number;
}

export interface IdleConnections {
  open: number;
  failed: number;
  errors: string[];
  /** Connections that are still open and how many ended by themselves, asked now. */
  status(): Promise<{ open: number; lost: number }>;
  close(): Promise<void>;
}

const HOLDER = path.join(__dirname, 'idle-holder.js');

function nextReport<T extends HolderReport['type']>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
): Promise<Extract<HolderReport, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`idle holder: no "${type}" report within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: HolderReport): void => {
      if (message.type !== type) return;
      cleanup();
      resolve(message as Extract<HolderReport, { type: T }>);
    };
    const onExit = (): void => {
      cleanup();
      reject(new Error('idle holder exited'));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function stopHolder(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send({ type: 'close' } satisfies HolderCommand);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Opens one idle connection per endpoint and keeps them until `close()`. */
export async function holdIdleConnections(
  endpoints: Endpoint[],
  transport: Transport,
  progress: Progress,
  options: IdleOptions = {},
): Promise<IdleConnections> {
  const perProcess = options.perProcess ?? 15_000;
  const perAddress = options.perAddress ?? 10_000;
  const targets: HolderTarget[] = endpoints.map((endpoint, k) =>
    options.spreadAddresses
      ? { endpoint, localAddress: `127.0.0.${2 + Math.floor(k / perAddress)}` }
      : { endpoint },
  );
  const children: ChildProcess[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(children.map(stopHolder));
  };
  const counts = new Map<ChildProcess, { open: number; failed: number }>();
  const ticker = setInterval(() => {
    const open = [...counts.values()].reduce((sum, c) => sum + c.open, 0);
    const failed = [...counts.values()].reduce((sum, c) => sum + c.failed, 0);
    progress.line(
      `${open}/${endpoints.length} idle ${transport} connections open, ${failed} failed`,
    );
  }, 2000);
  try {
    const opened = await Promise.all(
      Array.from({ length: Math.ceil(targets.length / perProcess) }, async (_, i) => {
        const child = fork(HOLDER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        children.push(child);
        child.on('message', (m: HolderReport) => {
          if (m.type === 'progress') counts.set(child, { open: m.open, failed: m.failed });
        });
        const done = nextReport(child, 'opened', options.timeoutMs ?? 300_000);
        child.send({
          type: 'open',
          targets: targets.slice(i * perProcess, (i + 1) * perProcess),
          transport,
          concurrency: options.concurrency ?? 100,
        } satisfies HolderCommand);
        return done;
      }),
    );
    return {
      open: opened.reduce((sum, r) => sum + r.open, 0),
      failed: opened.reduce((sum, r) => sum + r.failed, 0),
      errors: opened.flatMap((r) => r.errors),
      status: async () => {
        const answers = await Promise.all(
          children.map((child) => {
            const answer = nextReport(child, 'status', 10_000);
            child.send({ type: 'status' } satisfies HolderCommand);
            return answer;
          }),
        );
        return {
          open: answers.reduce((sum, a) => sum + a.open, 0),
          lost: answers.reduce((sum, a) => sum + a.lost, 0),
        };
      },
      close: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  } finally {
    clearInterval(ticker);
  }
}
