// P6: a reconnect storm. Every storm client holds one DM with a sender; messages flow at a fixed
// rate throughout; all storm clients drop at once and each returns (to the other node) at a random
// moment within the window, catching up with SYNC {positions} (test/support's RawSession). In the
// end every acknowledged message must be with its receiver, live or through SYNC.
import { directConversation, registerUsers } from './accounts';
import { forEachLimited, mapLimited, sleep } from './concurrency';
import { now } from './load-generator';
import type { Progress } from './progress';
import type { StormRun } from './result';
import { pidsOf, type BenchServer } from './servers';
import { totalCpuMicros } from './proc-stats';
import { percentiles } from './stats';
import { RawSession } from '../../test/support/reconnecting-clients';
import { connectChatClient, type ChatClient } from './wire-client';

export interface StormSpec {
  server: BenchServer;
  clients: number;
  /** Storm clients per sender (one DM each). */
  perSender: number;
  ratePerSec: number;
  returnWindowMs: number;
  /** Traffic before the drop and after the last return. */
  calmMs: number;
  drainMs: number;
}

/** How long a returning client keeps trying to get back in and through its SYNC. */
const RETURN_BOUND_MS = 60_000;

interface StormClient {
  session: RawSession;
  conversationId: string;
  firstUrl: string;
  returnUrl: string;
  /** tempIds of the acknowledged messages sent to it. */
  expected: Set<string>;
  synced: Set<string>;
  backAt: number;
  caughtUpAt: number;
  failedHandshakes: number;
  /** SYNCs answered UNAVAILABLE or RATE_LIMITED (or cut off), and sent again. */
  syncRetries: number;
  /** SYNCs answered with an error that is not retryable. */
  syncFailures: number;
}

const liveTempIds = (c: StormClient): string[] =>
  c.session.live(c.conversationId).map((f) => String(f.tempId));

export async function runStorm(
  spec: StormSpec,
  progress: Progress,
  runId: string,
  content: string,
): Promise<StormRun> {
  const { server } = spec;
  const n = server.urls.length;
  const users = await registerUsers(server, spec.clients, progress, 'storm users');
  const senderUsers = await registerUsers(
    server,
    Math.ceil(spec.clients / spec.perSender),
    progress,
    'storm senders',
  );
  const storm: StormClient[] = await mapLimited(users, 24, async (user, i) => {
    const sender = senderUsers[Math.floor(i / spec.perSender)]!;
    return {
      session: new RawSession(server.urls[(i + 1) % n]!, user.token),
      conversationId: await directConversation(sender, user.userId),
      firstUrl: server.urls[i % n]!,
      returnUrl: server.urls[(i + 1) % n]!,
      expected: new Set<string>(),
      synced: new Set<string>(),
      backAt: Number.NaN,
      caughtUpAt: Number.NaN,
      failedHandshakes: 0,
      syncRetries: 0,
      syncFailures: 0,
    };
  });
  const senderErrors: Record<string, number> = {};
  const pendingAck = new Map<string, StormClient>();
  const senders: ChatClient[] = [];
  try {
    await forEachLimited(storm, 100, (c) => c.session.connect(c.firstUrl));
    for (const sender of senderUsers)
      senders.push(
        await connectChatClient({ ...sender, room: '' }, 'raw', {
          acked: (tempId) => {
            pendingAck.get(tempId)?.expected.add(tempId);
            pendingAck.delete(tempId);
          },
          failed: (_tempId, code) => {
            senderErrors[code] = (senderErrors[code] ?? 0) + 1;
          },
          delivered: () => undefined,
          lost: () => {
            senderErrors.CONNECTION_LOST = (senderErrors.CONNECTION_LOST ?? 0) + 1;
          },
        }),
      );
    progress.line(`${storm.length} storm clients and ${senders.length} senders connected`);

    let sent = 0;
    const startedAt = now();
    const pacer = setInterval(() => {
      const due = Math.floor((spec.ratePerSec * (now() - startedAt)) / 1000);
      for (; sent < due; sent++) {
        const i = sent % storm.length;
        const tempId = `${runId}.storm.${sent.toString(36)}`;
        pendingAck.set(tempId, storm[i]!);
        senders[Math.floor(i / spec.perSender)]!.send(storm[i]!.conversationId, content, tempId);
      }
    }, 5);
    let droppedAt = 0;
    let returnCpuMicros = Number.NaN;
    try {
      await sleep(spec.calmMs);
      droppedAt = now();
      const cpuAtDrop = totalCpuMicros(pidsOf(server));
      progress.line(
        `dropping ${storm.length} clients; they return within ${spec.returnWindowMs} ms`,
      );
      await Promise.all(storm.map((c) => c.session.close()));
      await Promise.all(
        storm.map((c) => comeBack(c, Math.random() * spec.returnWindowMs, RETURN_BOUND_MS)),
      );
      returnCpuMicros = totalCpuMicros(pidsOf(server)) - cpuAtDrop;
      progress.line(
        `${storm.filter((c) => !Number.isNaN(c.backAt)).length}/${storm.length} back ${((now() - droppedAt) / 1000).toFixed(1)} s after the drop; ${sent} messages sent so far`,
      );
      await sleep(spec.calmMs);
    } finally {
      clearInterval(pacer);
    }
    // Every acknowledged message must reach its receiver, live or through the SYNC after return.
    const deadline = now() + spec.drainMs;
    // Only clients that got back and through their SYNC can be judged; the others are counted.
    const judged = (): StormClient[] => storm.filter((c) => !Number.isNaN(c.caughtUpAt));
    const missing = (): number => judged().reduce((sum, c) => sum + missingOf(c).length, 0);
    while ((pendingAck.size > 0 || missing() > 0) && now() < deadline) await sleep(200);
    const missed = missing();
    const duplicatedLive = storm.reduce((sum, c) => {
      const ids = liveTempIds(c);
      return sum + ids.length - new Set(ids).size;
    }, 0);
    const back = storm.filter((c) => !Number.isNaN(c.backAt));
    const caughtUp = judged().filter((c) => missingOf(c).length === 0);
    return {
      clients: storm.length,
      returnWindowSeconds: spec.returnWindowMs / 1000,
      returned: back.length,
      caughtUp: caughtUp.length,
      missed,
      duplicatedLive,
      messagesSent: sent,
      allBackSeconds:
        back.length > 0
          ? Number(((Math.max(...back.map((c) => c.backAt)) - droppedAt) / 1000).toFixed(2))
          : null,
      catchUpMs: percentiles(back.map((c) => c.caughtUpAt - c.backAt).filter((x) => x >= 0)),
      // The senders' traffic runs meanwhile too: a small share at the storm's rates.
      serverCpuMsPerReturn: Number.isNaN(returnCpuMicros)
        ? null
        : Number((returnCpuMicros / 1000 / storm.length).toFixed(2)),
      failedHandshakes: storm.reduce((sum, c) => sum + c.failedHandshakes, 0),
      syncRetries: storm.reduce((sum, c) => sum + c.syncRetries, 0),
      syncFailures: storm.reduce((sum, c) => sum + c.syncFailures, 0),
      errorFrames: storm.reduce((sum, c) => sum + c.session.frames.filter(isError).length, 0),
      senderErrors,
    };
  } finally {
    for (const sender of senders) sender.close();
    await Promise.all(storm.map((c) => c.session.close()));
  }
}

const isError = (f: { type: string }): boolean => f.type === 'ERROR';

/** Acknowledged messages to `c` that it has neither live nor from its SYNC. */
function missingOf(c: StormClient): string[] {
  const held = new Set([...liveTempIds(c), ...c.synced]);
  return [...c.expected].filter((t) => !held.has(t));
}

/**
 * Reconnects after `delayMs`, retrying a refused handshake with backoff, then catches up with
 * SYNC (retried when refused as retryable). A client that cannot get back or through its SYNC
 * within the bounds stays without `backAt` / `caughtUpAt`: counted, not fatal.
 */
async function comeBack(c: StormClient, delayMs: number, boundMs: number): Promise<void> {
  await sleep(delayMs);
  const giveUpAt = now() + boundMs;
  let backoff = 200;
  while (Number.isNaN(c.backAt)) {
    try {
      await c.session.connect(c.returnUrl);
      c.backAt = now();
    } catch {
      c.failedHandshakes++;
      if (now() > giveUpAt) return;
      await sleep(backoff);
      backoff = Math.min(2000, backoff * 2);
    }
  }
  for (;;) {
    try {
      for (const event of await c.session.catchUp(c.conversationId))
        c.synced.add(String(event.tempId));
      c.caughtUpAt = now();
      return;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const retryable = /"code":"(UNAVAILABLE|RATE_LIMITED)"/.test(message);
      if (!retryable || now() > giveUpAt) {
        c.syncFailures++;
        return;
      }
      c.syncRetries++;
      await sleep(Number(/"retryAfterMs":(\d+)/.exec(message)?.[1] ?? 500));
    }
  }
}
