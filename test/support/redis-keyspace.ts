// Waits on Redis keyspace notifications — a heartbeat key expired, a socket set gained a member —
// so presence tests wait for the moment Redis reports instead of polling for it.
import { Redis } from 'ioredis';

/**
 * Notification classes the tests need: K keyspace channel, g generic (del, expire), $ string
 * commands (set), s set commands (sadd, srem), x expiry. The server setting is only ever widened, never reset: another
 * run on the same server may be waiting on it, and the extra messages cost nothing measurable.
 */
const NEEDED_FLAGS = ['K', 'g', '$', 's', 'x'];
/** `A` is Redis's alias for every class but the channel ones (K, E) and key misses. */
const coveredBy = (flags: string, flag: string): boolean =>
  flags.includes(flag) || (flag !== 'K' && flags.includes('A'));

export interface KeyEvents {
  /** Event names (`expired`, `sadd`, `del`, …) seen for the key since watching began, in order. */
  readonly seen: readonly string[];
  /** Resolves on the first `event` since watching began (already seen or yet to come). */
  waitFor(event: string, timeoutMs?: number): Promise<void>;
}

export class KeyspaceEvents {
  private readonly listeners = new Map<string, Set<(event: string) => void>>();

  private constructor(
    private readonly subscriber: Redis,
    private readonly db: number,
  ) {
    subscriber.on('message', (channel: string, event: string) => {
      for (const listener of this.listeners.get(channel) ?? []) listener(event);
    });
  }

  /** Turns the notifications on (widening the server's setting) and opens a subscriber. */
  static async open(redisUrl: string): Promise<KeyspaceEvents> {
    const db = Number(new URL(redisUrl).pathname.slice(1) || '0');
    const admin = new Redis(redisUrl, { lazyConnect: true });
    try {
      await admin.connect();
      const [, current = ''] = await admin.config('GET', 'notify-keyspace-events');
      const missing = NEEDED_FLAGS.filter((flag) => !coveredBy(current, flag));
      if (missing.length > 0) {
        await admin.config('SET', 'notify-keyspace-events', current + missing.join(''));
      }
    } finally {
      admin.disconnect();
    }
    const subscriber = new Redis(redisUrl, { lazyConnect: true });
    await subscriber.connect();
    return new KeyspaceEvents(subscriber, db);
  }

  /**
   * Subscribes to one key's events; resolves once Redis confirmed the subscription, so every
   * event after this call is seen. Watching a key twice gives two independent views.
   */
  async watch(key: string): Promise<KeyEvents> {
    const channel = `__keyspace@${this.db}__:${key}`;
    const seen: string[] = [];
    const waiters: { event: string; resolve: () => void }[] = [];
    let listeners = this.listeners.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.listeners.set(channel, listeners);
    }
    listeners.add((event) => {
      seen.push(event);
      for (const waiter of waiters.filter((w) => w.event === event)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
    await this.subscriber.subscribe(channel);
    return {
      seen,
      waitFor: (event, timeoutMs = 5000) => {
        if (seen.includes(event)) return Promise.resolve();
        return new Promise<void>((resolve, reject) => {
          const waiter = {
            event,
            resolve: () => {
              clearTimeout(timer);
              resolve();
            },
          };
          const timer = setTimeout(() => {
            waiters.splice(waiters.indexOf(waiter), 1);
            reject(
              new Error(
                `timed out after ${timeoutMs} ms waiting for "${event}" on ${key}; saw ${JSON.stringify(seen)}`,
              ),
            );
          }, timeoutMs);
          waiters.push(waiter);
        });
      },
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.subscriber.quit();
  }
}
