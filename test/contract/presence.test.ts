// The presence contract on MemoryPresence and RedisPresence, plus what only Redis can show:
// exact key names, node heartbeats, dead and restarted nodes, an unreachable server.
import { Redis } from 'ioredis';
import { MemoryPresence } from '../../src/adapters/presence/memory-presence';
import { RedisPresence } from '../../src/adapters/presence/redis-presence';
import { newObjectId } from '../../src/domain/ids';
import { createLogger } from '../../src/observability/logger';
import { testRedisUrl } from '../support/redis-db';
import { KeyspaceEvents } from '../support/redis-keyspace';
import { describePresenceContract } from './presence-contract';

const logger = createLogger('silent', 'presence-test');

describePresenceContract('MemoryPresence', () => Promise.resolve(new MemoryPresence()));

describePresenceContract(
  'RedisPresence',
  (nodeId) => RedisPresence.connect({ url: testRedisUrl(), nodeId, logger }),
  { sharedAcrossNodes: true },
);

describe('RedisPresence on Redis', () => {
  const started: { close(): Promise<unknown> }[] = [];
  let raw: Redis;
  let keyspace: KeyspaceEvents;

  beforeAll(async () => {
    raw = new Redis(testRedisUrl(), { lazyConnect: true });
    await raw.connect();
    keyspace = await KeyspaceEvents.open(testRedisUrl());
  });
  afterAll(async () => {
    await keyspace.close();
    await raw.quit();
  });
  afterEach(async () => {
    // Presences first: they may still use the clients a test handed them.
    for (const item of started.splice(0).reverse()) await item.close();
  });

  const newNodeId = (): string => `node-${newObjectId()}`;

  async function openNode(nodeId = newNodeId(), ttlSeconds?: number): Promise<RedisPresence> {
    const presence = await RedisPresence.connect({
      url: testRedisUrl(),
      nodeId,
      logger,
      ttlSeconds,
    });
    started.push(presence);
    return presence;
  }

  /** A node on a client the test owns, so the test can cut it off as a crash would. */
  async function openCrashableNode(nodeId: string, ttlSeconds?: number) {
    const client = new Redis(testRedisUrl(), { lazyConnect: true });
    // Disconnecting twice would arm ioredis's 2 s teardown timer on an already closed socket.
    started.push({
      close: () => {
        if (client.status !== 'end') client.disconnect();
        return Promise.resolve();
      },
    });
    const presence = await RedisPresence.connect({ client, nodeId, logger, ttlSeconds });
    started.push(presence);
    // Like SIGKILL: the connection drops, nothing is cleaned up, the heartbeat stops.
    const crash = (): void => {
      client.disconnect();
    };
    return { presence, crash };
  }

  const isOnline = async (presence: RedisPresence, userId: string): Promise<boolean> =>
    (await presence.onlineAmong([userId])).has(userId);

  it('keeps one `nodeId:socketId` member per socket in the set `online:{userId}`', async () => {
    const nodeId = newNodeId();
    const presence = await openNode(nodeId);
    const user = newObjectId();
    await presence.addSocket(user, 'sock-1');
    await presence.addSocket(user, 'sock-2');
    expect((await raw.smembers(`online:${user}`)).sort()).toEqual([
      `${nodeId}:sock-1`,
      `${nodeId}:sock-2`,
    ]);
    await presence.removeSocket(user, 'sock-1');
    expect(await raw.smembers(`online:${user}`)).toEqual([`${nodeId}:sock-2`]);
  });

  it('keeps a node heartbeat `presence:node:{nodeId}` with a TTL of at most 30 s', async () => {
    const nodeId = newNodeId();
    await openNode(nodeId);
    const ttl = await raw.ttl(`presence:node:${nodeId}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30);
  });

  it('removes its members and heartbeat on close, and is no longer ready', async () => {
    const nodeId = newNodeId();
    const presence = await openNode(nodeId);
    const user = newObjectId();
    await presence.addSocket(user, 'sock-1');
    expect(presence.isReady()).toBe(true);
    await presence.close();
    expect(presence.isReady()).toBe(false);
    expect(await raw.exists(`online:${user}`, `presence:node:${nodeId}`)).toBe(0);
  });

  it("shows a crashed node's users offline within its TTL, and sweeps its members", async () => {
    const deadNodeId = newNodeId();
    const dead = await openCrashableNode(deadNodeId, 1);
    const alive = await openNode();
    const [deadUser, aliveUser, onBoth] = [newObjectId(), newObjectId(), newObjectId()];
    await dead.presence.addSocket(deadUser, 's1');
    await dead.presence.addSocket(onBoth, 's2');
    await alive.addSocket(aliveUser, 's3');
    await alive.addSocket(onBoth, 's4');
    const everyone = [deadUser, aliveUser, onBoth];
    expect(await alive.onlineAmong(everyone)).toEqual(new Set(everyone));

    const heartbeat = await keyspace.watch(`presence:node:${deadNodeId}`);
    dead.crash();
    // Its members stay behind; only the heartbeat's expiry (TTL 1 s) can tell it is gone.
    await heartbeat.waitFor('expired');
    expect(await raw.exists(`presence:node:${deadNodeId}`)).toBe(0);
    expect(await raw.sismember(`online:${deadUser}`, `${deadNodeId}:s1`)).toBe(1);
    expect(await alive.onlineAmong(everyone)).toEqual(new Set([aliveUser, onBoth]));
    expect(await raw.exists(`online:${deadUser}`)).toBe(0);
    expect(await raw.smembers(`online:${onBoth}`)).toHaveLength(1);
  });

  it('forgets what a crashed run left behind when a node restarts under the same id', async () => {
    const nodeId = newNodeId();
    const first = await openCrashableNode(nodeId);
    const observer = await openNode();
    const user = newObjectId();
    await first.presence.addSocket(user, 's1');
    first.crash();
    // The crashed run's heartbeat (30 s) still stands, so its socket still counts...
    expect(await isOnline(observer, user)).toBe(true);
    // ...until the node comes back: its new run must not vouch for sockets it does not hold.
    await openNode(nodeId);
    expect(await isOnline(observer, user)).toBe(false);
  });

  it('puts its sockets back when its heartbeat was lost while it kept running', async () => {
    const nodeId = newNodeId();
    const stalled = await openNode(nodeId, 1);
    const observer = await openNode();
    const user = newObjectId();
    await stalled.addSocket(user, 's1');
    const heartbeat = await keyspace.watch(`presence:node:${nodeId}`);
    const sockets = await keyspace.watch(`online:${user}`);
    // Right after a refresh, so the next one (a third of the TTL away) comes after the checks below.
    await heartbeat.waitFor('set');
    // As after a Redis restart, or a pause longer than the TTL: the heartbeat is gone and another
    // node sweeps the member away.
    await raw.del(`presence:node:${nodeId}`);
    expect(await isOnline(observer, user)).toBe(false);
    expect(await raw.exists(`online:${user}`)).toBe(0);
    // The node's next refresh (a third of the TTL) finds its heartbeat gone and re-adds the socket.
    await sockets.waitFor('sadd', 3000);
    expect(await isOnline(observer, user)).toBe(true);
    expect(await raw.smembers(`online:${user}`)).toEqual([`${nodeId}:s1`]);
  });

  it('rejects within a few seconds when Redis is unreachable', async () => {
    const startedAt = Date.now();
    await expect(
      RedisPresence.connect({
        url: 'redis://127.0.0.1:1/0',
        nodeId: newNodeId(),
        logger,
        connectTimeoutMs: 1000,
      }),
    ).rejects.toThrow(/redis:\/\/127\.0\.0\.1:1\/0 not ready after 1000 ms: .*ECONNREFUSED/);
    expect(Date.now() - startedAt).toBeLessThan(3000);
  });

  it('refuses a TTL above 30 s and a node id with a colon before connecting', async () => {
    const url = testRedisUrl();
    await expect(
      RedisPresence.connect({ url, nodeId: newNodeId(), logger, ttlSeconds: 31 }),
    ).rejects.toThrow(RangeError);
    await expect(RedisPresence.connect({ url, nodeId: 'a:b', logger })).rejects.toThrow(RangeError);
  });
});
