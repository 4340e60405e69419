// RedisPresence: who is online across nodes — per-user socket sets in Redis, tied to node heartbeats.
import { Redis } from 'ioredis';
import type { Logger } from '../../observability/logger';
import type { Presence } from '../../ports';

/** The set of a user's connected sockets, one `${nodeId}:${socketId}` member each (docs/PROTOCOL.md §9.2). */
export const onlineKey = (userId: string): string => `online:${userId}`;

/** A node's heartbeat: while it exists, the node's members in `online:*` sets count. */
export const nodeHeartbeatKey = (nodeId: string): string => `presence:node:${nodeId}`;

/** docs/PROTOCOL.md §9.2 caps the heartbeat TTL at 30 s, so a dead node's users go offline within 60 s. */
export const MAX_HEARTBEAT_TTL_SECONDS = 30;

export interface RedisPresenceOptions {
  /** This node's id; members are `${nodeId}:${socketId}`, so it must not contain ':'. */
  nodeId: string;
  logger: Logger;
  /** Heartbeat TTL, 1–30; the heartbeat is refreshed every third of it. @default 30 */
  ttlSeconds?: number;
  /** How long connect() waits for Redis to be ready before rejecting. @default 5000 */
  connectTimeoutMs?: number;
}

/**
 * Either a URL (RedisPresence creates, owns and quits its client) or a client the caller owns and
 * quits itself (close() then only removes this node's presence). A shared client must be in normal
 * (non-subscriber) mode.
 */
export type RedisPresenceConnectOptions = RedisPresenceOptions &
  ({ url: string; client?: never } | { client: Redis; url?: never });

/**
 * One round trip that decides which nodes are alive and, atomically with that check, removes the
 * members of dead nodes from the given sets (so a node that comes back and re-adds its sockets is
 * never undone by a sweep that saw it dead). KEYS: the nodes' heartbeat keys, then the online sets
 * to sweep; ARGV: the node ids, in heartbeat-key order. Returns 1/0 per node.
 */
const LIVENESS_AND_SWEEP_LUA = `
local n = #ARGV
local alive, dead, anyDead = {}, {}, false
for i = 1, n do
  alive[i] = redis.call('EXISTS', KEYS[i])
  if alive[i] == 0 then dead[ARGV[i]] = true; anyDead = true end
end
if anyDead then
  for k = n + 1, #KEYS do
    for _, member in ipairs(redis.call('SMEMBERS', KEYS[k])) do
      local node = string.match(member, '^([^:]*):')
      if node and dead[node] then redis.call('SREM', KEYS[k], member) end
    end
  end
end
return alive
`;

const nodeOfMember = (member: string): string => member.slice(0, member.indexOf(':'));

/** Throws the first command error of a pipeline, else returns the replies in order. */
function pipelineReplies(results: [Error | null, unknown][] | null): unknown[] {
  if (!results) throw new Error('Redis pipeline was aborted');
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/** The URL without its password, for error messages and logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable Redis URL)';
  }
}

async function waitUntilReady(client: Redis, timeoutMs: number, where: string): Promise<void> {
  if (client.status === 'ready') return;
  // The first connection error says why (e.g. ECONNREFUSED); later ones are retries of it.
  let firstError: Error | undefined;
  const onError = (error: Error): void => {
    firstError ??= error;
  };
  let onReady: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  client.on('error', onError);
  try {
    await new Promise<void>((resolve, reject) => {
      onReady = resolve;
      client.once('ready', onReady);
      timer = setTimeout(() => {
        const cause = firstError ? `: ${firstError.message}` : '';
        reject(new Error(`Redis at ${where} not ready after ${timeoutMs} ms${cause}`));
      }, timeoutMs);
      // A lazy client connects only when told to. Its rejection is not final (ioredis keeps
      // retrying until the timer above gives up), so it is only recorded.
      if (client.status === 'wait') client.connect().catch(onError);
    });
  } finally {
    clearTimeout(timer);
    client.off('error', onError);
    if (onReady) client.off('ready', onReady);
  }
}

export class RedisPresence implements Presence {
  /** This node's sockets, so close() can remove them and a lost heartbeat can re-add them. */
  private readonly localSockets = new Map<string, Set<string>>();
  private readonly heartbeatKey: string;
  private readonly refreshMs: number;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly client: Redis,
    private readonly ownsClient: boolean,
    private readonly nodeId: string,
    private readonly ttlSeconds: number,
    private readonly logger: Logger,
  ) {
    this.heartbeatKey = nodeHeartbeatKey(nodeId);
    this.refreshMs = Math.floor((ttlSeconds * 1000) / 3);
  }

  /**
   * Connects (or waits for the given client to be ready), removes members a previous run of this
   * node id left behind, writes the heartbeat and starts refreshing it.
   */
  static async connect(options: RedisPresenceConnectOptions): Promise<RedisPresence> {
    const ttlSeconds = options.ttlSeconds ?? MAX_HEARTBEAT_TTL_SECONDS;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_HEARTBEAT_TTL_SECONDS) {
      throw new RangeError(`ttlSeconds must be an integer 1–${MAX_HEARTBEAT_TTL_SECONDS}`);
    }
    if (options.nodeId === '' || options.nodeId.includes(':')) {
      throw new RangeError(`nodeId must be non-empty without ':' (got "${options.nodeId}")`);
    }
    const logger = options.logger.child({ component: 'presence' });
    const ownsClient = options.client === undefined;
    const client =
      options.client ??
      new Redis(options.url, {
        lazyConnect: true,
        // Keeps presence reads and close() from hanging on a Redis that stopped answering.
        commandTimeout: 5000,
        // disconnect() of a connection that already dropped arms this timer (default 2 s) and
        // holds the process open that long; a failing start should let it exit promptly.
        disconnectTimeout: 200,
      });
    const where = options.client ? 'the shared client' : redactUrl(options.url);
    if (ownsClient) {
      // Without a listener ioredis prints its reconnect errors to stderr; ours go to the log.
      client.on('error', (error: Error) => {
        logger.warn({ err: error }, 'presence redis connection error');
      });
    }
    try {
      await waitUntilReady(client, options.connectTimeoutMs ?? 5000, where);
      const presence = new RedisPresence(client, ownsClient, options.nodeId, ttlSeconds, logger);
      await presence.start();
      return presence;
    } catch (error) {
      if (ownsClient) client.disconnect();
      throw error;
    }
  }

  async addSocket(userId: string, socketId: string): Promise<void> {
    let sockets = this.localSockets.get(userId);
    if (!sockets) {
      sockets = new Set();
      this.localSockets.set(userId, sockets);
    }
    sockets.add(socketId);
    await this.client.sadd(onlineKey(userId), this.member(socketId));
  }

  async removeSocket(userId: string, socketId: string): Promise<void> {
    const sockets = this.localSockets.get(userId);
    if (sockets) {
      sockets.delete(socketId);
      if (sockets.size === 0) this.localSockets.delete(userId);
    }
    await this.client.srem(onlineKey(userId), this.member(socketId));
  }

  /** Two round trips: every user's members, then which of their nodes are alive (sweeping dead). */
  async onlineAmong(userIds: readonly string[]): Promise<Set<string>> {
    const users = [...new Set(userIds)];
    if (users.length === 0) return new Set();
    const pipeline = this.client.pipeline();
    for (const userId of users) pipeline.smembers(onlineKey(userId));
    const memberLists = pipelineReplies(await pipeline.exec());

    const nodesOfUser = new Map<string, Set<string>>();
    const nodeIds = new Set<string>();
    users.forEach((userId, index) => {
      const members = memberLists[index];
      if (!isStringArray(members) || members.length === 0) return;
      const nodes = new Set(members.map(nodeOfMember));
      nodesOfUser.set(userId, nodes);
      for (const node of nodes) nodeIds.add(node);
    });
    if (nodeIds.size === 0) return new Set();

    const nodes = [...nodeIds];
    const keys = [...nodes.map(nodeHeartbeatKey), ...[...nodesOfUser.keys()].map(onlineKey)];
    const flags = await this.client.eval(LIVENESS_AND_SWEEP_LUA, keys.length, ...keys, ...nodes);
    if (!Array.isArray(flags)) throw new Error('unexpected presence liveness reply');
    const alive = new Set(nodes.filter((_, index) => flags[index] === 1));

    const online = new Set<string>();
    for (const [userId, userNodes] of nodesOfUser) {
      if ([...userNodes].some((node) => alive.has(node))) online.add(userId);
    }
    return online;
  }

  isReady(): boolean {
    return !this.closed && this.client.status === 'ready';
  }

  /** Removes this node's sockets and heartbeat (its users go offline now), then quits if owned. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    // A refresh finishing after the DEL below would bring the heartbeat back for a TTL.
    await this.refreshing;
    if (this.client.status === 'ready') {
      const pipeline = this.client.pipeline();
      for (const [userId, sockets] of this.localSockets) {
        pipeline.srem(onlineKey(userId), ...[...sockets].map((id) => this.member(id)));
      }
      pipeline.del(this.heartbeatKey);
      try {
        pipelineReplies(await pipeline.exec());
      } catch (error) {
        // Not fatal for shutdown: the heartbeat's TTL will take these users offline anyway.
        this.logger.warn({ err: error }, 'presence cleanup failed; users go offline at TTL');
      }
    }
    this.localSockets.clear();
    if (!this.ownsClient) return;
    if (this.client.status === 'ready') await this.client.quit();
    else this.client.disconnect();
  }

  private member(socketId: string): string {
    return `${this.nodeId}:${socketId}`;
  }

  /**
   * A node restarted under the same id would revive the sockets its crashed run left in `online:*`
   * sets, so before its first heartbeat it declares that run dead and sweeps them (SCAN is
   * incremental and runs once per start; with fresh node ids it finds nothing to remove).
   */
  private async start(): Promise<void> {
    if ((await this.client.del(this.heartbeatKey)) === 1) {
      this.logger.warn('presence: heartbeat of this node id found; a previous run crashed?');
    }
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', 'online:*', 'COUNT', 1000);
      cursor = next;
      const sweepKeys = [this.heartbeatKey, ...keys];
      if (keys.length > 0) {
        await this.client.eval(LIVENESS_AND_SWEEP_LUA, sweepKeys.length, ...sweepKeys, this.nodeId);
      }
    } while (cursor !== '0');
    await this.client.set(this.heartbeatKey, String(Date.now()), 'EX', this.ttlSeconds);
    this.scheduleRefresh();
  }

  /** A timeout chain rather than setInterval, so a slow refresh never overlaps the next one. */
  private scheduleRefresh(): void {
    this.timer = setTimeout(() => {
      this.refreshing = this.refreshHeartbeat().finally(() => {
        this.refreshing = undefined;
        if (!this.closed) this.scheduleRefresh();
      });
    }, this.refreshMs);
    this.timer.unref();
  }

  private async refreshHeartbeat(): Promise<void> {
    // While disconnected, queued refreshes would only pile up; the next tick after reconnect heals.
    if (this.client.status !== 'ready') return;
    try {
      const now = String(Date.now());
      const previous = await this.client.set(this.heartbeatKey, now, 'EX', this.ttlSeconds, 'GET');
      // A missing heartbeat (a stall past the TTL, or a Redis restart) means other nodes may have
      // swept our members; put this node's live sockets back.
      if (previous === null && this.localSockets.size > 0) await this.restoreLocalSockets();
    } catch (error) {
      this.logger.warn({ err: error }, 'presence heartbeat refresh failed');
    }
  }

  private async restoreLocalSockets(): Promise<void> {
    const pipeline = this.client.pipeline();
    for (const [userId, sockets] of this.localSockets) {
      pipeline.sadd(onlineKey(userId), ...[...sockets].map((id) => this.member(id)));
    }
    pipelineReplies(await pipeline.exec());
    this.logger.warn(
      { users: this.localSockets.size },
      'presence heartbeat lost; sockets restored',
    );
  }
}
