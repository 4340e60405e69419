// The load generator: a fleet of DM pairs over one transport, driven closed-loop (a fixed number of
// sends in flight per client: the saturation probe) or open-loop (a fixed offered rate, whatever
// the server does), each phase followed by a bounded drain. Both sides of a pair send and receive.
import { performance } from 'node:perf_hooks';
import { forEachLimited, sleep } from './concurrency';
import { Ledger } from './ledger';
import { rssBytes, totalCpuMicros } from './proc-stats';
import type { Progress } from './progress';
import { connectChatClient, type ChatClient, type Endpoint, type Transport } from './wire-client';

export const now = (): number => performance.now();

/** Two users sharing a DIRECT conversation (a room, for the relays). */
export interface Pair {
  conversationId: string;
  a: Endpoint;
  b: Endpoint;
}

export type Load = { kind: 'closed'; inflight: number } | { kind: 'open'; ratePerSec: number };

export interface PhasePlan {
  label: string;
  load: Load;
  /** Sending before the measured window (not counted). */
  warmupMs: number;
  /** The measured window. */
  durationMs: number;
}

export interface PhaseContext {
  /** The message body (100 bytes by default). */
  content: string;
  /** A send unanswered this long gives its slot back (and counts as unanswered). */
  ackTimeoutMs: number;
  /** After sending stops, how long to wait for answers and deliveries. */
  drainMs: number;
  /** Open loop: a client with this many sends unanswered skips its turn (counted as skipped). */
  maxOutstandingPerClient: number;
  /** Server processes whose CPU and RSS the window is charged with. */
  serverPids: number[];
  /** Called as the measured window opens and as it closes (counters read around it). */
  onWindow?: (edge: 'start' | 'end') => Promise<void>;
  progress: Progress;
}

/** Times and readings of one phase; the figures come from the ledger's records of `phase`. */
export interface PhaseOutcome {
  phase: number;
  startedAt: number;
  windowStart: number;
  windowEnd: number;
  drainedAt: number;
  settled: boolean;
  /** Open loop: offered sends not made because the client's backlog was at its cap. */
  skipped: number;
  serverCpuMicros: number;
  serverRssBytes: number;
}

export class Fleet {
  readonly ledger: Ledger;
  private readonly outstanding: number[];
  private onFree: ((client: number) => void) | null = null;
  private phase = -1;

  private constructor(
    private readonly pairs: Pair[],
    private readonly clients: ChatClient[],
    prefix: string,
  ) {
    this.outstanding = clients.map(() => 0);
    this.ledger = new Ledger(prefix, (client) => this.conversationOf(client));
  }

  /** Connects both sides of every pair; client 2i is `a` of pair i, 2i+1 its `b`. */
  static async connect(
    pairs: Pair[],
    transport: Transport,
    prefix: string,
    concurrency = 50,
  ): Promise<Fleet> {
    const endpoints = pairs.flatMap((p) => [p.a, p.b]);
    const clients = new Array<ChatClient>(endpoints.length);
    let fleet: Fleet | null = null;
    try {
      await forEachLimited(endpoints, concurrency, async (endpoint, i) => {
        clients[i] = await connectChatClient(endpoint, transport, {
          acked: (tempId) => fleet?.answered(fleet.ledger.acked(tempId, now())),
          failed: (tempId, code) => fleet?.answered(fleet.ledger.failed(tempId, code)),
          delivered: (tempId, conversationId) =>
            fleet?.ledger.delivered(tempId, i, conversationId, now()),
          lost: () => fleet?.ledger.connectionLost(),
        });
      });
    } catch (err) {
      for (const client of clients) client?.close();
      throw err;
    }
    fleet = new Fleet(pairs, clients, prefix);
    return fleet;
  }

  get size(): number {
    return this.clients.length;
  }

  conversationOf(client: number): string {
    return this.pairs[client >> 1]!.conversationId;
  }

  close(): void {
    for (const client of this.clients) client.close();
  }

  async run(plan: PhasePlan, ctx: PhaseContext): Promise<PhaseOutcome> {
    const phase = ++this.phase;
    const startedAt = now();
    const windowStart = startedAt + plan.warmupMs;
    const windowEnd = windowStart + plan.durationMs;
    let sending = true;
    let skipped = 0;
    const sendFrom = (client: number): void => {
      const tempId = this.ledger.sent(phase, client, client ^ 1, now());
      this.outstanding[client]!++;
      this.clients[client]!.send(this.conversationOf(client), ctx.content, tempId);
    };
    const load = plan.load;
    let pacer: NodeJS.Timeout | null = null;
    if (load.kind === 'closed') {
      this.onFree = (client) => {
        if (sending) sendFrom(client);
      };
      for (let c = 0; c < this.clients.length; c++)
        for (let k = 0; k < load.inflight; k++) sendFrom(c);
    } else {
      this.onFree = null;
      let scheduled = 0;
      let turn = 0;
      // Open loop: whatever the answers, send what the rate says is due by now.
      pacer = setInterval(() => {
        const due = Math.floor((load.ratePerSec * (now() - startedAt)) / 1000);
        for (; scheduled < due; scheduled++) {
          const client = turn++ % this.clients.length;
          if (this.outstanding[client]! >= ctx.maxOutstandingPerClient) skipped++;
          else sendFrom(client);
        }
      }, 5);
    }
    const ticker = this.startTicker(plan.label, phase, ctx);
    try {
      await sleep(windowStart - now());
      await ctx.onWindow?.('start');
      const cpuBefore = totalCpuMicros(ctx.serverPids);
      await sleep(windowEnd - now());
      const serverCpuMicros = totalCpuMicros(ctx.serverPids) - cpuBefore;
      await ctx.onWindow?.('end');
      const serverRssBytes = ctx.serverPids.reduce((sum, pid) => sum + rssBytes(pid), 0);
      sending = false;
      if (pacer) clearInterval(pacer);
      const deadline = now() + ctx.drainMs;
      let settled = this.ledger.settled(phase);
      while (!settled && now() < deadline) {
        this.expire(phase, ctx.ackTimeoutMs);
        await sleep(50);
        settled = this.ledger.settled(phase);
      }
      const drainedAt = now();
      return {
        phase,
        startedAt,
        windowStart,
        windowEnd,
        drainedAt,
        settled,
        skipped,
        serverCpuMicros,
        serverRssBytes,
      };
    } finally {
      sending = false;
      if (pacer) clearInterval(pacer);
      clearInterval(ticker);
      this.onFree = null;
    }
  }

  /** A sender's send was answered (ack or error): free its slot, send again when closed-loop. */
  private answered(record: { from: number } | undefined): void {
    if (!record) return;
    this.outstanding[record.from]!--;
    this.onFree?.(record.from);
  }

  private expire(phase: number, limitMs: number): void {
    for (const record of this.ledger.expire(now(), limitMs, phase)) this.answered(record);
  }

  /** One progress line a second: the last second's acks and deliveries. */
  private startTicker(label: string, phase: number, ctx: PhaseContext): NodeJS.Timeout {
    let acks = this.ledger.ackCount;
    let deliveries = this.ledger.deliveryCount;
    return setInterval(() => {
      this.expire(phase, ctx.ackTimeoutMs);
      const inFlight = this.outstanding.reduce((a, b) => a + b, 0);
      ctx.progress.line(
        `${label}: ${this.ledger.ackCount - acks} acked/s, ${this.ledger.deliveryCount - deliveries} delivered/s, ${inFlight} in flight`,
      );
      acks = this.ledger.ackCount;
      deliveries = this.ledger.deliveryCount;
    }, 1000);
  }
}
