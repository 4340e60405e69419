// Dependency faults: a RabbitMQ outage makes the node unready but loses no accepted message —
// the outbox publishes it once the broker is back, and the recipient gets it.
import type { RunningNode } from '../../src/node';
import { connectClient, type RealtimeClient } from '../support/realtime-client';
import { testMongoUrl } from '../support/mongo-url';
import { createTestVhost, type TestVhost } from '../support/rabbit-vhost';
import { testRedisUrl } from '../support/redis-db';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';
import { waitFor } from '../support/wait-for';

jest.setTimeout(60_000);

describe('a RabbitMQ outage', () => {
  let vhost: TestVhost;
  let node: RunningNode;
  let api: Api;
  let alice: TestUser;
  let bob: TestUser;
  let bobSocket: RealtimeClient;

  beforeAll(async () => {
    vhost = await createTestVhost();
    node = await startTestNode({
      MONGODB_URL: testMongoUrl('faults'),
      RABBITMQ_URL: vhost.url,
      REDIS_URL: testRedisUrl(),
      REDIS_CHANNEL_PREFIX: `parley_faults_${Date.now()}`,
      OUTBOX_RELAY_INTERVAL_MS: '300',
    });
    api = new Api(node.url);
    [alice, bob] = await Promise.all([registerUser(api, 'alice'), registerUser(api, 'bob')]);
    bobSocket = await connectClient(node.url, bob.token, 'raw');
  });
  afterAll(async () => {
    await bobSocket?.close();
    await vhost?.allowAccess().catch(() => undefined);
    await node?.close();
    await vhost?.drop();
  });

  it('turns /readyz to 503, still accepts messages, and delivers them when the broker is back', async () => {
    const dm = (await alice.api.post(`/api/v1/messages/direct/${bob.id}`)).body.data.id;
    expect((await api.get('/readyz')).status).toBe(200);

    await vhost.denyAccess();
    await vhost.closeConnections();
    // Readiness is only observable through /readyz: no event says the bus is down.
    const unready = await waitFor(
      async () => {
        const res = await api.get('/readyz');
        return res.status === 503 && res;
      },
      { what: '/readyz to answer 503', timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(unready.body).toMatchObject({ status: 'unavailable', checks: { bus: false } });

    const sent = await alice.api.post(`/api/v1/messages/conversations/${dm}/messages`, {
      content: 'during the outage',
      temp_id: 'outage-1',
    });
    expect(sent.status).toBe(201);
    const page = (await bob.api.get(`/api/v1/messages/conversations/${dm}/messages`)).body.data;
    expect(page.map((m: { id: string }) => m.id)).toContain(sent.body.data.id);

    await vhost.allowAccess();
    await waitFor(async () => (await api.get('/readyz')).status === 200, {
      what: '/readyz to answer 200 again',
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    const delivered = await bobSocket.waitFor(
      'NEW_MESSAGE',
      (f) => f.messageId === sent.body.data.id,
      15_000,
    );
    expect(delivered).toMatchObject({ content: 'during the outage', senderId: alice.id });
    // Once: a copy published before `later` would arrive before it (a conversation's events keep
    // their order), so none is in flight.
    const later = await alice.api.post(`/api/v1/messages/conversations/${dm}/messages`, {
      content: 'after the outage',
    });
    await bobSocket.waitFor('NEW_MESSAGE', (f) => f.messageId === later.body.data.id, 15_000);
    expect(bobSocket.all('NEW_MESSAGE', (f) => f.messageId === sent.body.data.id)).toHaveLength(1);
  });
});
