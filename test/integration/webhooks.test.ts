// Webhooks (docs/PROTOCOL.md §5.16) against a local receiver, on a real node (embedded) and on two
// cluster nodes (RabbitMQ, Redis, PostgreSQL): who is notified, the signed request, and retries.
import { connect } from 'amqplib';
import type { RunningNode } from '../../src/node';
import { messageCreatedWebhookSchema } from '../../src/protocol/webhooks';
import { connectClient, type RealtimeClient } from '../support/realtime-client';
import { clusterEnv, type ModeSetup } from '../support/realtime-modes';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import {
  signatureVerifies,
  WebhookReceiver,
  type ReceivedWebhook,
} from '../support/webhook-receiver';

const SECRET = 'whsec-test-secret';
const base = '/api/v1/messages';

const webhookEnv = (receiver: WebhookReceiver, retryBaseMs = 50): Record<string, string> => ({
  WEBHOOK_URL: receiver.url,
  WEBHOOK_SECRET: SECRET,
  WEBHOOK_RETRY_BASE_MS: String(retryBaseMs),
  WEBHOOK_RETRY_MAX_MS: String(retryBaseMs * 4),
  WEBHOOK_TIMEOUT_MS: '2000',
});

/** Checks everything §5.16 promises of one request and returns its parsed body. */
function expectSigned(request: ReceivedWebhook) {
  expect(request.method).toBe('POST');
  expect(request.path).toBe('/hooks/parley');
  expect(request.headers['content-type']).toBe('application/json');
  expect(request.headers['x-parley-event']).toBe('message.created');
  const body = messageCreatedWebhookSchema.parse(request.body);
  expect(request.headers['x-parley-delivery']).toBe(body.id);
  expect(request.headers['x-parley-timestamp']).toMatch(/^\d+$/);
  const skew = Math.abs(Number(request.headers['x-parley-timestamp']) - Date.now() / 1000);
  expect(skew).toBeLessThan(60);
  expect(signatureVerifies(request, SECRET)).toBe(true);
  expect(signatureVerifies(request, 'another secret')).toBe(false);
  return body;
}

/** Prometheus counter value of parley_webhook_deliveries_total{outcome}. */
async function webhookCount(node: RunningNode, outcome: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) => l.startsWith('parley_webhook_deliveries_total{') && l.includes(`outcome="${outcome}"`),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Takes one message off webhook_events.dlq (null when empty). */
async function takeDeadLetter(
  url: string,
): Promise<{ headers: Record<string, unknown>; body: unknown } | null> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    const message = await channel.get('webhook_events.dlq', { noAck: true });
    if (!message) return null;
    return {
      headers: message.properties.headers ?? {},
      body: JSON.parse(message.content.toString('utf8')),
    };
  } finally {
    await connection.close();
  }
}

interface Mode {
  name: string;
  nodes: number;
  setup(): Promise<ModeSetup>;
}

const modes: Mode[] = [
  {
    name: 'embedded',
    nodes: 1,
    setup: () => Promise.resolve({ env: {}, teardown: () => Promise.resolve() }),
  },
  { name: 'cluster (two nodes) on PostgreSQL', nodes: 2, setup: () => clusterEnv('postgres') },
  { name: 'cluster (two nodes) on MongoDB', nodes: 2, setup: () => clusterEnv('mongodb') },
];

describe.each(modes)('webhooks on $name', (mode) => {
  let setup: ModeSetup;
  let receiver: WebhookReceiver;
  let nodes: RunningNode[];
  /** Where users act; sockets connect to the last node (another one in cluster mode). */
  let api: Api;
  let socketNode: RunningNode;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    [setup, receiver] = await Promise.all([mode.setup(), WebhookReceiver.start()]);
    nodes = [];
    for (let i = 0; i < mode.nodes; i++) {
      nodes.push(await startTestNode({ ...setup.env, ...webhookEnv(receiver) }));
    }
    api = new Api((nodes[0] as RunningNode).url);
    socketNode = nodes[nodes.length - 1] as RunningNode;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await Promise.all((nodes ?? []).map((n) => n.close()));
    await receiver?.close();
    await setup?.teardown();
  });

  const users = (n: number): Promise<TestUser[]> =>
    Promise.all(Array.from({ length: n }, () => registerUser(api, 'wh')));
  const direct = async (from: TestUser, to: TestUser): Promise<string> =>
    (await from.api.post(`${base}/direct/${to.id}`)).body.data.id;
  const send = async (from: TestUser, conversation: string, content: string) => {
    const res = await from.api.post(`${base}/conversations/${conversation}/messages`, { content });
    expect(res.status).toBe(201);
    return res.body.data as { id: string; seq: number };
  };
  const online = async (user: TestUser): Promise<void> => {
    clients.push(await connectClient(socketNode.url, user.token, 'socket.io'));
  };
  /** The next request is about `messageId`, and nothing else came before it. */
  const nextIs = async (messageId: string): Promise<ReceivedWebhook> => {
    const request = await receiver.next();
    expect(request.body?.message?.id).toBe(messageId);
    return request;
  };

  it('sends an offline recipient one signed request with the message as REST shows it', async () => {
    const [alice, bob] = await users(2);
    const dm = await direct(alice!, bob!);
    const sent = await send(alice!, dm, 'are you there?');
    const body = expectSigned(await nextIs(sent.id));
    const rest = (await bob!.api.get(`${base}/conversations/${dm}/messages`)).body.data;
    expect(body).toMatchObject({
      type: 'message.created',
      conversation: { id: dm, type: 'DIRECT', name: alice!.username },
      recipients: [{ user_id: bob!.id, username: bob!.username }],
    });
    expect(body.message).toEqual({ ...rest[rest.length - 1], status: body.message.status });
    expect(body.message).toMatchObject({ id: sent.id, content: 'are you there?', seq: sent.seq });
    // Exactly once (every node consumes): the next request is the next message's, no repeat.
    const later = await send(alice!, dm, 'still there?');
    await nextIs(later.id);
    expect(receiver.untaken()).toEqual([]);
  });

  it('notifies the offline participants of a group, never the sender nor a connected one', async () => {
    const [alice, bob, carol, dave] = await users(4);
    const group = (
      await alice!.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'hooks',
        participant_ids: [bob!.id, carol!.id, dave!.id],
      })
    ).body.data.id;
    await online(dave!);
    const sent = await send(alice!, group, 'group news');
    const body = expectSigned(await nextIs(sent.id));
    expect(body.conversation).toEqual({ id: group, type: 'GROUP', name: 'hooks' });
    expect(body.recipients.map((r) => r.user_id).sort()).toEqual([bob!.id, carol!.id].sort());
  });

  it('sends nothing for a recipient with a connected device', async () => {
    const [alice, bob, carol] = await users(3);
    const [toBob, toCarol] = await Promise.all([direct(alice!, bob!), direct(alice!, carol!)]);
    await online(bob!);
    await send(alice!, toBob, 'bob is here');
    // What comes next is carol's (offline): bob's produced none, or it would be first.
    const after = await send(alice!, toCarol, 'carol is away');
    await nextIs(after.id);
    expect(receiver.untaken()).toEqual([]);
  });

  it('sends nothing for a muted recipient, and again once unmuted', async () => {
    const [alice, bob, carol] = await users(3);
    const [toBob, toCarol] = await Promise.all([direct(alice!, bob!), direct(alice!, carol!)]);
    const mute = await bob!.api.patch(`${base}/conversations/${toBob}/mute`, { muted: true });
    expect(mute.status).toBe(200);
    await send(alice!, toBob, 'muted');
    const after = await send(alice!, toCarol, 'not muted');
    await nextIs(after.id);
    await bob!.api.patch(`${base}/conversations/${toBob}/mute`, { muted: false });
    const unmuted = await send(alice!, toBob, 'unmuted');
    await nextIs(unmuted.id);
    expect(receiver.untaken()).toEqual([]);
  });

  it('retries after a 500 with the same delivery id and a fresh valid signature', async () => {
    const [alice, bob] = await users(2);
    const dm = await direct(alice!, bob!);
    const retriedBefore = await Promise.all(nodes.map((n) => webhookCount(n, 'retried')));
    receiver.answer(500);
    const sent = await send(alice!, dm, 'try again');
    const first = await nextIs(sent.id);
    expect(first.status).toBe(500);
    const second = await nextIs(sent.id);
    expect(second.status).toBe(200);
    const [a, b] = [expectSigned(first), expectSigned(second)];
    expect(second.headers['x-parley-delivery']).toBe(first.headers['x-parley-delivery']);
    expect(b).toEqual(a);
    const retriedAfter = await Promise.all(nodes.map((n) => webhookCount(n, 'retried')));
    expect(retriedAfter.reduce((x, y) => x + y) - retriedBefore.reduce((x, y) => x + y)).toBe(1);
  });

  it('retries a refused connection: the receiver down, then up on the same port', async () => {
    const [alice, bob] = await users(2);
    const dm = await direct(alice!, bob!);
    await receiver.down();
    const retried = Promise.all(nodes.map((n) => webhookCount(n, 'retried')));
    const before = (await retried).reduce((x, y) => x + y);
    const sent = await send(alice!, dm, 'anyone?');
    // The node saw the refused connection and scheduled a retry; then the receiver comes back.
    await waitFor(
      async () =>
        (await Promise.all(nodes.map((n) => webhookCount(n, 'retried')))).reduce((x, y) => x + y) >
        before,
      { what: 'a webhook retry to be scheduled', timeoutMs: 10_000 },
    );
    await receiver.up();
    expectSigned(await nextIs(sent.id));
  });

  it('gives up after WEBHOOK_MAX_ATTEMPTS: dead-lettered with RabbitMQ, dropped embedded', async () => {
    const [alice, bob, carol] = await users(3);
    const [toBob, toCarol] = await Promise.all([direct(alice!, bob!), direct(alice!, carol!)]);
    receiver.answer(...Array<number>(8).fill(503));
    const doomed = await send(alice!, toBob, 'never arrives');
    const attempts = [];
    for (let i = 0; i < 8; i++) attempts.push(await nextIs(doomed.id));
    expect(attempts.map((r) => r.status)).toEqual(Array(8).fill(503));
    expect(new Set(attempts.map((r) => r.headers['x-parley-delivery'])).size).toBe(1);
    const rabbit = setup.env.RABBITMQ_URL;
    if (rabbit) {
      const dead = await waitFor(() => takeDeadLetter(rabbit), {
        what: 'the notification in webhook_events.dlq',
      });
      expect(dead.headers).toMatchObject({
        'x-parley-webhook-attempts': 8,
        'x-parley-webhook-failure': 'HTTP 503 after 8 attempts',
      });
      expect(messageCreatedWebhookSchema.parse(dead.body).message.id).toBe(doomed.id);
    }
    // No ninth attempt: the next request is another message's.
    const after = await send(alice!, toCarol, 'this one does');
    await nextIs(after.id);
    expect(receiver.untaken()).toEqual([]);
  });

  it('does not retry a 400', async () => {
    const [alice, bob, carol] = await users(3);
    const [toBob, toCarol] = await Promise.all([direct(alice!, bob!), direct(alice!, carol!)]);
    const failedBefore = await Promise.all(nodes.map((n) => webhookCount(n, 'failed')));
    receiver.answer(400);
    const refused = await send(alice!, toBob, 'bad request');
    expect((await nextIs(refused.id)).status).toBe(400);
    // Given up (a decision, counted), so no retry is pending; the next request is another message's.
    await waitFor(
      async () => {
        const now = await Promise.all(nodes.map((n) => webhookCount(n, 'failed')));
        return now.reduce((x, y) => x + y) - failedBefore.reduce((x, y) => x + y) === 1;
      },
      { what: 'the 400 to be counted as failed' },
    );
    const after = await send(alice!, toCarol, 'fine');
    await nextIs(after.id);
    expect(receiver.untaken()).toEqual([]);
  });
});

describe('webhooks in cluster mode: a retry waits in RabbitMQ, not in a node', () => {
  let setup: ModeSetup;
  let receiver: WebhookReceiver;
  const nodes: RunningNode[] = [];

  beforeAll(async () => {
    [setup, receiver] = await Promise.all([clusterEnv('postgres'), WebhookReceiver.start()]);
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await receiver?.close();
    await setup?.teardown();
  });

  // The first retry waits 4–8 s in RabbitMQ: well past the two nodes' drain, so neither of them
  // can be the one that sends it, even on a slow machine.
  it('is delivered by a node started after every node that saw the 500 is gone', async () => {
    const env = { ...setup.env, ...webhookEnv(receiver, 8000) };
    const [a, b] = [await startTestNode(env), await startTestNode(env)];
    const api = new Api(a.url);
    const [alice, bob] = await Promise.all([registerUser(api, 'wh'), registerUser(api, 'wh')]);
    const dm = (await alice.api.post(`${base}/direct/${bob.id}`)).body.data.id;
    receiver.answer(500);
    const sent = (
      await alice.api.post(`${base}/conversations/${dm}/messages`, { content: 'durable' })
    ).body.data;
    const first = await receiver.next();
    expect([first.body.message.id, first.status]).toEqual([sent.id, 500]);
    await Promise.all([a.close(), b.close()]);
    expect(receiver.untaken()).toEqual([]);

    const c = await startTestNode(env);
    nodes.push(c);
    const second = await receiver.next(20_000);
    expect(second.status).toBe(200);
    expect(second.headers['x-parley-delivery']).toBe(first.headers['x-parley-delivery']);
    expect(expectSigned(second)).toEqual(expectSigned(first));
  }, 40_000);
});
