// GET /metrics after real traffic: every parley_* series moves with what the node did (REST and
// both realtime transports; in cluster mode the bus, DLQ, outbox, adapter and frame-flood series
// too), the process metrics are there, two nodes in one process keep their own registries, and
// METRICS_TOKEN closes the endpoint to anyone without it.
import { connect as connectAmqp } from 'amqplib';
import * as topology from '../../src/adapters/bus/amqp-topology';
import { MongoStore } from '../../src/adapters/store/mongo/mongo-store';
import type { RunningNode } from '../../src/node';
import { newObjectId } from '../../src/domain/ids';
import { aMessage } from '../support/factories';
import { connectClient, type RealtimeClient } from '../support/realtime-client';
import { clusterEnv, type ModeSetup } from '../support/realtime-modes';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';
import { waitFor } from '../support/wait-for';

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of one series name in Prometheus text (`name{a="b",...} value`). */
function samples(text: string, name: string): Sample[] {
  const line = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm');
  return [...text.matchAll(line)].map((m) => ({
    labels: Object.fromEntries(
      [...(m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    ),
    value: Number(m[2]),
  }));
}

/** The one sample of `name` whose labels include `labels`; fails when there is none. */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const found = samples(text, name).filter((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length !== 1) {
    throw new Error(`${name}${JSON.stringify(labels)}: ${found.length} samples`);
  }
  return found[0]!.value;
}

async function scrape(node: RunningNode, token?: string): Promise<string> {
  const res = await fetch(`${node.url}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('GET /metrics', () => {
  let node: RunningNode;
  let other: RunningNode;
  let alice: TestUser;
  let bob: TestUser;
  let dm: string;
  const clients: RealtimeClient[] = [];
  const base = '/api/v1/messages';

  beforeAll(async () => {
    [node, other] = await Promise.all([
      startTestNode({ NODE_ID: 'metrics-a', RATE_LIMIT_TYPING_BURST: '2' }),
      startTestNode({ NODE_ID: 'metrics-b' }),
    ]);
    const api = new Api(node.url);
    [alice, bob] = await Promise.all([registerUser(api, 'alice'), registerUser(api, 'bob')]);
    dm = (await alice.api.post(`${base}/direct/${bob.id}`)).body.data.id;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([node?.close(), other?.close()]);
  });

  it('counts connections, messages, commands and refusals from real traffic', async () => {
    const before = await scrape(node);
    expect(value(before, 'parley_messages_received_total')).toBe(0);
    expect(value(before, 'parley_connections', { transport: 'raw' })).toBe(0);

    const raw = await connectClient(node.url, alice.token, 'raw');
    const sio = await connectClient(node.url, bob.token, 'socket.io');
    clients.push(raw, sio);

    // One send per way in: raw frame, Socket.IO event, REST; and one tempId replay (not counted).
    const tempId = `t-${newObjectId()}`;
    const first = { type: 'SEND_MESSAGE', conversationId: dm, content: 'raw', tempId };
    expect(await raw.request(first)).toMatchObject({ type: 'MESSAGE_ACK', tempId });
    expect(await raw.request(first)).toMatchObject({ type: 'MESSAGE_ACK', tempId });
    const viaSio = await sio.request({
      type: 'SEND_MESSAGE',
      conversationId: dm,
      content: 'socket.io',
      tempId: `t-${newObjectId()}`,
    });
    expect(viaSio).toMatchObject({ type: 'MESSAGE_ACK' });
    const viaRest = await alice.api.post(`${base}/conversations/${dm}/messages`, {
      content: 'rest',
    });
    expect(viaRest.status).toBe(201);
    // Each device gets the others' messages: bob the raw and REST ones, alice bob's.
    await sio.waitFor('NEW_MESSAGE', (f) => f.content === 'rest');
    await raw.waitFor('NEW_MESSAGE', (f) => f.content === 'socket.io');
    // alice's REST send also reaches her own raw socket (it came from no socket of hers).
    await raw.waitFor('NEW_MESSAGE', (f) => f.content === 'rest');

    // TYPING budget of 2: the third is refused, and counted.
    for (let i = 0; i < 3; i++) raw.send({ type: 'TYPING', conversationId: dm });
    await raw.waitFor('ERROR', (f) => f.code === 'RATE_LIMITED');
    await raw.request({ type: 'ping' });

    const text = await scrape(node);
    expect(value(text, 'parley_messages_received_total')).toBe(3);
    const delivered = raw.all('NEW_MESSAGE').length + sio.all('NEW_MESSAGE').length;
    expect(delivered).toBe(4);
    expect(value(text, 'parley_messages_delivered_total')).toBe(delivered);
    expect(value(text, 'parley_connections', { transport: 'raw' })).toBe(1);
    expect(value(text, 'parley_connections', { transport: 'websocket' })).toBe(1);
    expect(value(text, 'parley_connections', { transport: 'polling' })).toBe(0);
    expect(value(text, 'parley_command_duration_seconds_count', { type: 'SEND_MESSAGE' })).toBe(3);
    expect(value(text, 'parley_command_duration_seconds_count', { type: 'ping' })).toBe(1);
    expect(
      value(text, 'parley_command_duration_seconds_bucket', { type: 'SEND_MESSAGE', le: '+Inf' }),
    ).toBe(3);
    expect(value(text, 'parley_rate_limited_total', { kind: 'typing' })).toBe(1);
    // The embedded store has no database to send commands to.
    for (const kind of ['read', 'write'])
      for (const origin of ['request', 'background'])
        expect(value(text, 'parley_store_commands_total', { kind, origin })).toBe(0);
    // Every series carries the node's id; process metrics come from prom-client's defaults.
    expect(samples(text, 'parley_messages_received_total')[0]!.labels.node).toBe('metrics-a');
    expect(value(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(samples(text, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
    for (const name of [
      'parley_bus_publish_confirm_seconds',
      'parley_consumer_lag_seconds',
      'parley_consumer_retries_total',
      'parley_dlq_messages',
      'parley_outbox_pending',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }

    // The other node of this process saw none of it.
    const untouched = await scrape(other);
    expect(value(untouched, 'parley_messages_received_total')).toBe(0);
    expect(value(untouched, 'parley_connections', { transport: 'raw' })).toBe(0);
  });

  it('asks for the bearer token when METRICS_TOKEN is set', async () => {
    const guarded = await startTestNode({ METRICS_TOKEN: 'scrape-me-0123456789' });
    try {
      for (const authorization of [undefined, 'Bearer wrong', 'scrape-me-0123456789']) {
        const res = await fetch(`${guarded.url}/metrics`, {
          headers: authorization ? { authorization } : {},
        });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(await res.json()).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
      }
      expect(await scrape(guarded, 'scrape-me-0123456789')).toContain(
        'parley_messages_received_total',
      );
    } finally {
      await guarded.close();
    }
  });
});

describe('GET /metrics in cluster mode (RabbitMQ, Redis, MongoDB wire)', () => {
  let cluster: ModeSetup;
  let node: RunningNode;
  let store: MongoStore;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    // MongoDB, so the test can plant a pending outbox row through MongoStore.
    cluster = await clusterEnv('mongodb');
    node = await startTestNode({
      ...cluster.env,
      NODE_ID: 'metrics-cluster',
      // The relay must not publish the pending row this test plants: the gauge is what is read.
      OUTBOX_RELAY_INTERVAL_MS: '600000',
      RATE_LIMIT_FRAMES_PER_SECOND: '1',
      RATE_LIMIT_FRAMES_BURST: '5',
    });
    store = await MongoStore.connect(cluster.env.MONGODB_URL ?? '');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await node?.close();
    await store?.close();
    await cluster?.teardown();
  });

  /** Publishes straight to message_events, as another node's bus would (or a broken one). */
  const publishRaw = async (key: string, content: Buffer, conversationId: string) => {
    const connection = await connectAmqp(cluster.env.RABBITMQ_URL ?? '');
    try {
      const channel = await connection.createConfirmChannel();
      const partition = topology.partitionOf(conversationId, 8);
      channel.publish(topology.MESSAGE_EXCHANGE, key, content, {
        persistent: true,
        headers: { [topology.PARTITION_HEADER]: String(partition) },
      });
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
  };

  it('moves the bus, DLQ, outbox, adapter and frame-flood series', async () => {
    const api = new Api(node.url);
    const [alice, bob] = await Promise.all([registerUser(api, 'alice'), registerUser(api, 'bob')]);
    const dm = (await alice.api.post(`/api/v1/messages/direct/${bob.id}`)).body.data.id as string;
    const raw = await connectClient(node.url, alice.token, 'raw');
    const sio = await connectClient(node.url, bob.token, 'socket.io');
    clients.push(raw, sio);
    const before = await scrape(node);
    expect(value(before, 'parley_dlq_messages')).toBe(0);
    expect(value(before, 'parley_outbox_pending')).toBe(0);

    // A send: its message.sent is confirmed by the broker, then consumed (lag) and fanned out
    // through the Redis adapter to bob's socket.
    const tempId = `t-${newObjectId()}`;
    await raw.request({ type: 'SEND_MESSAGE', conversationId: dm, content: 'confirmed', tempId });
    await sio.waitFor('NEW_MESSAGE', (f) => f.tempId === tempId);

    // An event whose handler fails (its conversation id is no ObjectId): retried, then dead-
    // lettered after its attempts; an event that is not JSON goes to the DLQ at once.
    const bogus = 'not-an-object-id';
    const delivered = {
      timestamp: new Date().toISOString(),
      message_id: newObjectId(),
      conversation_id: bogus,
      user_id: newObjectId(),
      seq: 1,
    };
    await publishRaw('message.delivered', Buffer.from(JSON.stringify(delivered)), bogus);
    await publishRaw('message.delivered', Buffer.from('not json'), bogus);

    // A stored message whose event was never published: what the outbox relay would pick up.
    await store.insertMessage(aMessage(dm, alice.id, { createdAt: new Date('2001-01-01') }));

    // Frames past the per-socket burst of 5 are refused (RATE_LIMITED) and counted.
    for (let i = 0; i < 8; i++) raw.send({ type: 'ping' });
    await raw.waitFor('ERROR', (f) => f.code === 'RATE_LIMITED');

    const text = await waitFor(
      async () => {
        const t = await scrape(node);
        return value(t, 'parley_consumer_retries_total') >= 1 &&
          value(t, 'parley_dlq_messages') >= 1
          ? t
          : null;
      },
      { what: 'a consumer retry and a dead letter to show', timeoutMs: 10_000 },
    );
    expect(value(text, 'parley_bus_publish_confirm_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'parley_consumer_lag_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'parley_outbox_pending')).toBe(1);
    expect(value(text, 'parley_rate_limited_total', { kind: 'frames' })).toBeGreaterThanOrEqual(1);
    expect(value(text, 'parley_adapter_messages_received_total')).toBeGreaterThan(0);
    // The send and its fan-out went to MongoDB as a request's writes; the scrapes' outbox count
    // as the node's own background reads.
    for (const [kind, origin] of [
      ['write', 'request'],
      ['read', 'background'],
    ] as const)
      expect(value(text, 'parley_store_commands_total', { kind, origin })).toBeGreaterThan(
        value(before, 'parley_store_commands_total', { kind, origin }),
      );
  });
});
