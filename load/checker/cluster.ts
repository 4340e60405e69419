// Parley nodes as separate OS processes (the built server) on fixed ports, so a node that is
// SIGKILLed comes back at the same address with the same NODE_ID, as a restarted host would.
import { randomBytes } from 'node:crypto';
import { ManagedProcess, freePorts, waitUntil } from './proc';

/** The environment variable that selects the store for a URL's scheme. */
export function storeEnv(url: string): Record<string, string> {
  if (/^postgres(ql)?:\/\//.test(url)) return { DATABASE_URL: url };
  if (/^mongodb(\+srv)?:\/\//.test(url)) return { MONGODB_URL: url };
  throw new Error(`--store-url: expected mongodb:// or postgres:// (got ${url.slice(0, 20)}…)`);
}

/** A MongoDB URL with a database of this run's own (other schemes are used as given). */
export function freshStoreUrl(url: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/([^?]*))?(\?.*)?$/.exec(url);
  if (!m) return url;
  return `${m[1]}/parley_checker_${randomBytes(4).toString('hex')}${m[3] ?? ''}`;
}

/** Limits raised so the workload is never throttled; presence expires fast for the final check. */
const SERVER_ENV: Record<string, string> = {
  LOG_LEVEL: 'warn',
  RATE_LIMIT_MESSAGES_PER_SECOND: '1000000',
  RATE_LIMIT_MESSAGES_BURST: '1000000',
  RATE_LIMIT_IP_PER_SECOND: '1000000',
  RATE_LIMIT_IP_BURST: '1000000',
  RATE_LIMIT_FRAMES_PER_SECOND: '1000000',
  RATE_LIMIT_FRAMES_BURST: '1000000',
  RATE_LIMIT_TYPING_PER_SECOND: '1000000',
  RATE_LIMIT_TYPING_BURST: '1000000',
  RATE_LIMIT_WRITES_PER_SECOND: '1000000',
  RATE_LIMIT_WRITES_BURST: '1000000',
  OUTBOX_RELAY_INTERVAL_MS: '2000',
};

/** Seconds a dead node's presence outlives it; the final presence check waits this long. */
export const PRESENCE_TTL_SECONDS = 3;

export interface ServerLogStats {
  /** warn/error/fatal log lines by message, over the whole run. */
  byMessage: Map<string, number>;
  /** The first error text logged with each message. */
  firstError: Map<string, string>;
  /** Output that is not a JSON log line (crash traces). */
  raw: string[];
}

export class ParleyNode {
  private proc: ManagedProcess | null = null;
  /** Times this node was started (1 + restarts). */
  starts = 0;

  constructor(
    readonly id: string,
    readonly port: number,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    private readonly logs: ServerLogStats,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get up(): boolean {
    return this.proc?.running ?? false;
  }

  async start(): Promise<void> {
    const proc = new ManagedProcess(this.id, process.execPath, [this.entry], {
      env: {
        PATH: process.env.PATH ?? '',
        ...SERVER_ENV,
        PRESENCE_TTL_SECONDS: String(PRESENCE_TTL_SECONDS),
        ...this.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        NODE_ID: this.id,
      },
      onLine: (line) => this.record(line),
    });
    this.proc = proc;
    this.starts++;
    await waitUntil(
      `node ${this.id}`,
      async () => {
        if (!proc.running) throw new Error(`node ${this.id} exited:\n${proc.output()}`);
        return ready(this.url);
      },
      30_000,
      () => proc.output(),
    );
  }

  /** The fault: SIGKILL, no shutdown of any kind. */
  async kill(): Promise<void> {
    await this.proc?.kill();
  }

  async stop(): Promise<{ code: number | null } | null> {
    if (!this.proc?.running) return null;
    await this.proc.stop(8000);
    return { code: this.proc.child.exitCode };
  }

  output(lines?: number): string {
    return this.proc?.output(lines) ?? '';
  }

  private record(line: string): void {
    try {
      const entry = JSON.parse(line) as {
        level?: number;
        msg?: string;
        err?: { message?: string };
      };
      if ((entry.level ?? 0) >= 40) {
        const key = `${this.id}: ${entry.msg ?? '(no msg)'}`;
        this.logs.byMessage.set(key, (this.logs.byMessage.get(key) ?? 0) + 1);
        if (!this.logs.firstError.has(key) && entry.err?.message)
          this.logs.firstError.set(key, entry.err.message.slice(0, 120));
      }
    } catch {
      if (line.trim() !== '' && this.logs.raw.length < 50)
        this.logs.raw.push(`${this.id}: ${line}`);
    }
  }
}

async function ready(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

export interface Cluster {
  nodes: ParleyNode[];
  logs: ServerLogStats;
  /** Base URLs of the nodes that are up now. */
  liveUrls(): string[];
  stop(): Promise<string[]>;
}

/** Starts `count` nodes sharing the given backends; resolves once every node is ready. */
export async function startCluster(
  count: number,
  entry: string,
  backendEnv: Record<string, string>,
): Promise<Cluster> {
  const ports = await freePorts(count);
  const logs: ServerLogStats = { byMessage: new Map(), firstError: new Map(), raw: [] };
  const env = { JWT_SECRET: `checker-${randomBytes(16).toString('hex')}`, ...backendEnv };
  const nodes = ports.map(
    (port, i) => new ParleyNode(`checker-node-${i + 1}`, port, entry, env, logs),
  );
  const stop = async (): Promise<string[]> => {
    const unclean: string[] = [];
    await Promise.all(
      nodes.map(async (n) => {
        const result = await n.stop();
        if (result && result.code !== 0) unclean.push(`${n.id} exited ${result.code} on SIGTERM`);
      }),
    );
    return unclean;
  };
  try {
    // One at a time: the first node declares the queues and indexes the others then find.
    for (const node of nodes) await node.start();
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, logs, liveUrls: () => nodes.filter((n) => n.up).map((n) => n.url), stop };
}
