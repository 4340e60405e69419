// The raw-WebSocket bridge hands a connected client's frames straight to its socket's handlers:
// they are parsed and checked once, in the bridge, not encoded again as Socket.IO packets for
// Socket.IO's parser (docs/PROTOCOL.md 6: the frames and their answers are the same); what goes
// to one raw socket alone is written as its JSON frame, not encoded as a packet first.
import type { RunningNode } from '../../src/node';
import { RawEngineConnection } from '../../src/realtime/raw-engine-connection';
import { connectClient } from '../support/realtime-client';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';

let node: RunningNode;
let alice: TestUser;
let bob: TestUser;
let dm: string;

beforeAll(async () => {
  node = await startTestNode({ RATE_LIMIT_FRAMES_PER_SECOND: '1', RATE_LIMIT_FRAMES_BURST: '5' });
  const api = new Api(node.url);
  [alice, bob] = await Promise.all([registerUser(api, 'alice'), registerUser(api, 'bob')]);
  dm = (await alice.api.post(`/api/v1/messages/direct/${bob.id}`)).body.data.id as string;
});
afterAll(() => node.close());

it('runs frames without feeding Socket.IO packets, answers in order, and rate-limits once', async () => {
  const client = await connectClient(node.url, alice.token, 'raw');
  const fed = jest.spyOn(RawEngineConnection.prototype, 'receive');
  try {
    // Five frames fit the burst: four sends (answered in the order sent) and one bad one.
    for (let i = 0; i < 4; i++)
      client.send({ type: 'SEND_MESSAGE', conversationId: dm, content: `m${i}`, tempId: `t${i}` });
    client.send({ type: 'SEND_MESSAGE', conversationId: dm, tempId: 'bad' });
    // The sixth is over the limit.
    client.send({ type: 'ping' });
    await client.waitFor('ERROR', (f) => f.code === 'RATE_LIMITED');
    await client.waitFor('ERROR', (f) => f.tempId === 'bad');
    const acks = await Promise.all(
      [0, 1, 2, 3].map((i) => client.waitFor('MESSAGE_ACK', (f) => f.tempId === `t${i}`)),
    );
    expect(acks.map((a) => a.seq)).toEqual([1, 2, 3, 4]);
    expect(client.all('ERROR', (f) => f.tempId === 'bad')[0]).toMatchObject({ code: 'VALIDATION' });
    expect(client.all('pong')).toEqual([]);
    expect(fed).not.toHaveBeenCalled();
  } finally {
    fed.mockRestore();
    await client.close();
  }
});

it('writes the answer and the copy of a message to raw sockets as frames, not packets', async () => {
  const [sender, recipient] = await Promise.all([
    connectClient(node.url, alice.token, 'raw'),
    connectClient(node.url, bob.token, 'raw'),
  ]);
  const packets = jest.spyOn(RawEngineConnection.prototype, 'write');
  try {
    sender.send({ type: 'SEND_MESSAGE', conversationId: dm, content: 'direct', tempId: 'd' });
    const ack = await sender.waitFor('MESSAGE_ACK', (f) => f.tempId === 'd');
    const copy = await recipient.waitFor('NEW_MESSAGE', (f) => f.messageId === ack.messageId);
    expect(Object.keys(ack)[0]).toBe('type');
    expect(ack).toEqual({
      type: 'MESSAGE_ACK',
      tempId: 'd',
      messageId: ack.messageId,
      conversationId: dm,
      seq: ack.seq,
      status: 'SENT',
    });
    expect(Object.keys(copy)[0]).toBe('type');
    expect(copy).toMatchObject({
      conversationId: dm,
      senderId: alice.id,
      senderUsername: alice.username,
      content: 'direct',
      seq: ack.seq,
      status: 'SENT',
      tempId: 'd',
    });
    const written = packets.mock.calls.map(([packet]) => String(packet));
    expect(written.filter((p) => /MESSAGE_ACK|NEW_MESSAGE/.test(p))).toEqual([]);
  } finally {
    packets.mockRestore();
    await Promise.all([sender.close(), recipient.close()]);
  }
});
