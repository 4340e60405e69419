// Child processes the checker starts (Redis, RabbitMQ, CongoDB, Parley nodes): spawn, keep the
// tail of their output, wait for a TCP port, stop them by their own pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

/** A process the checker started, with the last lines it printed (for diagnosing a failure). */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly tail: string[] = [];

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    options: { env?: NodeJS.ProcessEnv; cwd?: string; onLine?: (line: string) => void } = {},
  ) {
    this.child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => resolve(code));
      this.child.once('error', (err) => {
        this.remember(`spawn failed: ${err.message}`);
        resolve(null);
      });
    });
    let partial = '';
    const take = (chunk: Buffer): void => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        this.remember(line);
        options.onLine?.(line);
      }
    };
    this.child.stdout?.on('data', take);
    this.child.stderr?.on('data', take);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  output(lines = 30): string {
    return this.tail.slice(-lines).join('\n');
  }

  /** SIGKILL: the crash this process gets as a fault. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private remember(line: string): void {
    this.tail.push(line);
    if (this.tail.length > 200) this.tail.splice(0, this.tail.length - 200);
  }
}

export { freePort, freePorts } from '../../test/support/free-port';

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls `check` until it returns true; throws after `timeoutMs` with `what` and a hint. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  hint: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`${what}: not ready within ${timeoutMs} ms\n${hint()}`);
    await sleep(200);
  }
}
