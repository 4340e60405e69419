// Events of one conversation that reach the consumer out of seq order (two nodes appended, and
// the later seq's publish got to the broker first) are put back in order before the fan-out:
// the recipient gets them in seq order and the node reads nothing to fill the gap. The test plays
// the second node itself: it appends through the shared PostgreSQL store and publishes the
// events on the shared RabbitMQ vhost, the later seq first.
import { AmqpEventBus } from '../../src/adapters/bus/amqp-event-bus';
import { PostgresStore } from '../../src/adapters/store/postgres/postgres-store';
import { sentEventPayload } from '../../src/app/sent-event';
import { loadConfig } from '../../src/config';
import type { Message } from '../../src/domain/types';
import type { RunningNode } from '../../src/node';
import { createLogger } from '../../src/observability/logger';
import { aMessageDraft } from '../support/factories';
import { connectClient, type RealtimeClient } from '../support/realtime-client';
import { clusterEnv, type ModeSetup } from '../support/realtime-modes';
import { storeCommands } from '../support/store-commands';
import {
  Api,
  registerUser,
  startTestNode,
  TEST_JWT_SECRET,
  type TestUser,
} from '../support/test-node';

jest.setTimeout(30_000);

let cluster: ModeSetup;
let node: RunningNode;
let store: PostgresStore;
let bus: AmqpEventBus;
let alice: TestUser;
let bob: RealtimeClient;
let dm: string;

beforeAll(async () => {
  cluster = await clusterEnv('postgres');
  // The outbox relay's pass reads on its own clock, and would republish the test's events.
  node = await startTestNode({ ...cluster.env, OUTBOX_RELAY_INTERVAL_MS: '3600000' });
  const api = new Api(node.url);
  let bobUser: TestUser;
  [alice, bobUser] = await Promise.all([registerUser(api, 'alice'), registerUser(api, 'bob')]);
  dm = (await alice.api.post(`/api/v1/messages/direct/${bobUser.id}`)).body.data.id as string;
  bob = await connectClient(node.url, bobUser.token, 'raw');
  // The conversation's first message goes the ordinary way: the node knows where it stands.
  const first = await alice.api.post(`/api/v1/messages/conversations/${dm}/messages`, {
    content: 'first',
  });
  expect(first.status).toBe(201);
  await bob.waitFor('NEW_MESSAGE', (f) => f.content === 'first');
  store = await PostgresStore.connect(cluster.env.DATABASE_URL!);
  bus = await AmqpEventBus.connect({
    url: cluster.env.RABBITMQ_URL!,
    partitions: loadConfig({ ...cluster.env, JWT_SECRET: TEST_JWT_SECRET }).busPartitions,
    logger: createLogger('silent', 'arrival-order-test'),
  });
});

afterAll(async () => {
  await bob?.close();
  await bus?.close();
  await store?.close();
  await node?.close();
  await cluster?.teardown();
});

/** A message appended as another node's send would append it. */
async function append(content: string): Promise<{ message: Message; participantIds: string[] }> {
  const result = await store.appendMessage(
    aMessageDraft(dm, alice.id, { content }),
    new Date(),
    content,
  );
  if (result.kind !== 'appended') throw new Error(`append: ${result.kind}`);
  return result;
}

it('delivers two events that arrive in reverse seq order in seq order, reading nothing', async () => {
  const earlier = await append('earlier');
  const later = await append('later');
  expect(later.message.seq).toBe(earlier.message.seq + 1);
  const before = await storeCommands(node.url);
  const event = ({ message, participantIds }: typeof earlier) => ({
    key: 'message.sent' as const,
    payload: sentEventPayload(message, null, new Date(), {
      sender: { username: alice.username, avatarUrl: null },
      participantIds,
    }),
  });
  // One channel keeps publish order: the broker has the later seq first.
  await Promise.all([bus.publish(event(later)), bus.publish(event(earlier))]);
  await bob.waitFor('NEW_MESSAGE', (f) => f.messageId === later.message.id);
  const after = await storeCommands(node.url);
  const received = bob.all('NEW_MESSAGE').map((f) => f.content as string);
  expect(received).toEqual(['first', 'earlier', 'later']);
  // Nothing to fill a gap (its emitted position and messages); a scrape's own read is background.
  expect(after.read - before.read).toBe(0);
  await store.clearPendingMessageEvents([earlier.message.id, later.message.id]);
});
