// Bad input the node does not yet answer as docs/PROTOCOL.md says, found by the fuzz suite and
// reported for a fix in src/. Each test states the documented behaviour and is marked `failing`
// while the deviation stands: once it is fixed the test passes, jest reports it, and it should
// become an ordinary test (and its exclusion in the fuzz generators be dropped).
import fc from 'fast-check';
import type { RunningNode } from '../../src/node';
import { checkErrorReply, exchange, socketOf } from '../support/fuzz-realtime';
import { fuzz } from '../support/fuzz-run';
import {
  connectClient,
  rawClient,
  type Frame,
  type RealtimeClient,
} from '../support/realtime-client';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';

describe('fuzz: known deviations (each fails until fixed in src/)', () => {
  let node: RunningNode;
  let alice: TestUser;
  let dm: string;
  let sio: RealtimeClient;
  let raw: RealtimeClient;

  beforeAll(async () => {
    node = await startTestNode();
    const api = new Api(node.url);
    const [a, bob] = await Promise.all([registerUser(api, 'fzalice'), registerUser(api, 'fzbob')]);
    alice = a;
    dm = (await alice.api.post(`/api/v1/messages/direct/${bob.id}`)).body.data.id as string;
    sio = await connectClient(node.url, alice.token, 'socket.io');
    raw = await connectClient(node.url, alice.token, 'raw');
  });
  afterAll(async () => {
    await Promise.all([sio.close(), raw.close()]);
    await node.close();
  });

  // Socket.IO allows numeric event names; the command handler calls type.slice() on them and the
  // TypeError comes back as INTERNAL (§3.2: bad input never causes a 500).
  it('Socket.IO: a numeric event name gets UNKNOWN_TYPE, not INTERNAL', async () => {
    const names = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
    await fuzz('known: numeric event names', names, { numRuns: 20 }, async (name) => {
      const reply = await socketOf(sio)
        .timeout(3000)
        .emitWithAck(name as unknown as string, {});
      checkErrorReply([reply as Frame], ['UNKNOWN_TYPE', 'BAD_FRAME'], undefined, false);
    });
  });

  // §6.5: VALIDATION and command errors echo the frame's tempId; REFRESH_TOKEN is answered by the
  // transport (refreshToken in src/realtime/token-expiry.ts) and echoes none.
  it('REFRESH_TOKEN errors echo the frame tempId', async () => {
    const reply = await sio.request({ type: 'REFRESH_TOKEN', token: 5, tempId: 't1' });
    checkErrorReply([reply], ['VALIDATION'], 't1', true);
  });

  // Command errors echo a tempId cut to 128 characters (the longest a tempId may be); the raw
  // codec's UNKNOWN_TYPE answer (readClientFrame in src/realtime/raw-ws-codec.ts) echoes it whole.
  it('raw WebSocket: an UNKNOWN_TYPE echoes a long tempId cut to 128, as elsewhere', async () => {
    const client = rawClient(raw);
    const tempId = 't'.repeat(1000);
    const replies = await exchange(
      client,
      () => client.send({ type: 'NOPE', tempId }),
      () => client.send({ type: 'ping' }),
    );
    checkErrorReply(replies, ['UNKNOWN_TYPE'], tempId, true);
  });

  // The raw bridge parses a frame and re-encodes it for Socket.IO with JSON.stringify, which
  // writes a number JSON cannot hold (1e400 parses to Infinity) as null; in a nullish media
  // field null means "absent", so the frame is accepted and a message stored. REST and
  // Socket.IO refuse the same payload with VALIDATION.
  it('raw WebSocket: a media number past what JSON can hold is refused', async () => {
    const cases = fc.tuple(
      fc.constantFrom('width', 'height', 'duration'),
      fc.constantFrom('1e400', '-1e400', '1e309'),
    );
    await fuzz('known: raw non-finite numbers', cases, { numRuns: 5 }, async ([field, number]) => {
      const client = rawClient(raw);
      const media = `[{"url":"https://example.com/a.jpg","type":"image","${field}":${number}}]`;
      const frame = `{"type":"SEND_MESSAGE","conversationId":"${dm}","content":"x","media":${media}}`;
      const replies = await exchange(
        client,
        () => client.sendRaw(frame),
        () => client.send({ type: 'ping' }),
      );
      checkErrorReply(replies, ['VALIDATION'], undefined, false);
    });
  });
});
