// What sending costs the database, counted as the driver sees it (parley_store_commands_total):
// on PostgreSQL a send over the realtime transport reads nothing — membership is checked by the
// append itself, the ACK and the fan-out need no read — and sends to one conversation that
// arrive together share their writes (group commit); delivering to an online recipient and
// reporting DELIVERED reads nothing either (the consumer knows what it just emitted).
import type { RunningNode } from '../../src/node';
import { RawEngineConnection } from '../../src/realtime/raw-engine-connection';
import { createTestDatabase, type TestDatabase } from '../support/postgres-db';
import { connectClient, type RealtimeClient } from '../support/realtime-client';
import { storeCommands } from '../support/store-commands';
import { Api, registerUser, startTestNode } from '../support/test-node';

let db: TestDatabase;
let node: RunningNode;
let sender: RealtimeClient;
let dm: string;
let bobToken: string;

/** Reads and writes so far. */
const commands = () => storeCommands(node.url);

beforeAll(async () => {
  db = await createTestDatabase('commands');
  node = await startTestNode({
    DATABASE_URL: db.url,
    RATE_LIMIT_MESSAGES_PER_SECOND: '10000',
    RATE_LIMIT_MESSAGES_BURST: '10000',
    RATE_LIMIT_FRAMES_PER_SECOND: '10000',
    RATE_LIMIT_FRAMES_BURST: '10000',
    // The outbox relay's pass reads (pending events) on its own clock: not a send's cost.
    OUTBOX_RELAY_INTERVAL_MS: '3600000',
  });
  const api = new Api(node.url);
  const [alice, bob] = await Promise.all([registerUser(api, 'alice'), registerUser(api, 'bob')]);
  dm = (await alice.api.post(`/api/v1/messages/direct/${bob.id}`)).body.data.id as string;
  bobToken = bob.token;
  // Bob stays offline: no delivery receipts, so what is counted is the send and its fan-out.
  sender = await connectClient(node.url, alice.token, 'raw');
  // The conversation's first fan-out reads where it stands, and must be over before anything is
  // counted: Alice's other device hears of the warm-up once it is (the sending socket does not).
  const otherDevice = await connectClient(node.url, alice.token, 'raw');
  await sender.request({
    type: 'SEND_MESSAGE',
    conversationId: dm,
    content: 'warm-up',
    tempId: 'w',
  });
  await otherDevice.waitFor('NEW_MESSAGE', (f) => f.tempId === 'w');
  await otherDevice.close();
});

afterAll(async () => {
  await sender?.close();
  await node?.close();
  await db?.drop();
});

it('reads nothing to send, acknowledge and fan out a message', async () => {
  const before = await commands();
  for (let i = 0; i < 10; i++) {
    const ack = await sender.request(
      { type: 'SEND_MESSAGE', conversationId: dm, content: `one ${i}`, tempId: `one-${i}` },
      ['MESSAGE_ACK', 'ERROR'],
    );
    expect(ack).toMatchObject({ type: 'MESSAGE_ACK', tempId: `one-${i}` });
    // The sender's own echo is the fan-out's work for this message, done.
  }
  const after = await commands();
  expect(after.read - before.read).toBe(0);
  expect(after.write - before.write).toBeGreaterThanOrEqual(10);
});

it("counts a scrape's own read of the pending outbox as background work, not a request's", async () => {
  const first = await commands();
  await commands();
  // The second scrape's count is over before the third reports.
  const third = await commands();
  expect(third.background.read - first.background.read).toBeGreaterThanOrEqual(1);
  expect(third.read - first.read).toBe(0);
});

it('shares writes between sends to one conversation that arrive together', async () => {
  const before = await commands();
  const tempIds = Array.from({ length: 200 }, (_, i) => `burst-${i}`);
  for (const [i, tempId] of tempIds.entries())
    sender.send({ type: 'SEND_MESSAGE', conversationId: dm, content: `burst ${i}`, tempId });
  const acks = await Promise.all(
    tempIds.map((tempId) =>
      sender.waitFor(['MESSAGE_ACK', 'ERROR'], (f) => f.tempId === tempId, 15_000),
    ),
  );
  expect(acks.every((a) => a.type === 'MESSAGE_ACK')).toBe(true);
  const seqs = acks.map((a) => a.seq as number);
  expect(new Set(seqs).size).toBe(200);
  const after = await commands();
  expect(after.read - before.read).toBe(0);
  // One at a time this would be at least 200 appends plus their outbox clears.
  expect(after.write - before.write).toBeLessThan(100);
});

it('reads nothing to deliver a message to an online recipient and report it DELIVERED', async () => {
  // Bob's device acknowledges every NEW_MESSAGE: the receipt, its move and MESSAGE_STATUS follow.
  const device = await connectClient(node.url, bobToken, 'socket.io', { ackNewMessages: true });
  try {
    // Bob's first receipt covers everything sent while he was away, which is read once.
    const catchUp = await sender.request(
      { type: 'SEND_MESSAGE', conversationId: dm, content: 'bob is back', tempId: 'bob-back' },
      ['MESSAGE_ACK', 'ERROR'],
    );
    await sender.waitFor(
      'MESSAGE_STATUS',
      (f) => f.messageId === catchUp.messageId && f.status === 'DELIVERED',
    );
    const before = await commands();
    for (let i = 0; i < 10; i++) {
      const ack = await sender.request(
        { type: 'SEND_MESSAGE', conversationId: dm, content: `to bob ${i}`, tempId: `bob-${i}` },
        ['MESSAGE_ACK', 'ERROR'],
      );
      expect(ack.type).toBe('MESSAGE_ACK');
      await sender.waitFor(
        'MESSAGE_STATUS',
        (f) => f.messageId === ack.messageId && f.status === 'DELIVERED',
      );
    }
    const after = await commands();
    expect(after.read - before.read).toBe(0);
    // Each message: its append and its delivered watermark, at least.
    expect(after.write - before.write).toBeGreaterThanOrEqual(20);
  } finally {
    await device.close();
  }
});

it('reads nothing when a raw recipient confirms by MARK_DELIVERED, nor asks it for acks', async () => {
  const device = await connectClient(node.url, bobToken, 'raw');
  /** What the bridge fed Socket.IO from the raw side that was not a frame of the client's. */
  const fed = jest.spyOn(RawEngineConnection.prototype, 'receive');
  try {
    const deliver = async (content: string, tempId: string) => {
      const ack = await sender.request(
        { type: 'SEND_MESSAGE', conversationId: dm, content, tempId },
        ['MESSAGE_ACK', 'ERROR'],
      );
      expect(ack.type).toBe('MESSAGE_ACK');
      await device.waitFor('NEW_MESSAGE', (f) => f.messageId === ack.messageId);
      device.send({ type: 'MARK_DELIVERED', conversationId: dm, messageId: ack.messageId });
      await sender.waitFor(
        'MESSAGE_STATUS',
        (f) => f.messageId === ack.messageId && f.status === 'DELIVERED',
      );
    };
    // The first receipt covers what was sent while bob was away, which is read once.
    await deliver('raw bob is back', 'raw-back');
    fed.mockClear();
    const before = await commands();
    for (let i = 0; i < 10; i++) await deliver(`to raw bob ${i}`, `raw-bob-${i}`);
    const after = await commands();
    expect(after.read - before.read).toBe(0);
    expect(after.write - before.write).toBeGreaterThanOrEqual(20);
    // Socket.IO ACK packets (type 3): the bridge answers every ack request with "cannot".
    const acks = fed.mock.calls.filter(([packet]) => packet.startsWith('3'));
    expect(acks).toEqual([]);
  } finally {
    fed.mockRestore();
    await device.close();
  }
});
