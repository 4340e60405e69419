// Floods: a socket that sends past its frame budget gets RATE_LIMITED (with retryAfterMs) for
// each frame refused, and after 50 refusals in a row it is cut off (docs/PROTOCOL.md §6.5). Its
// own node, with a budget of 5 frames, so the main fuzz can run unthrottled.
import fc from 'fast-check';
import type { RunningNode } from '../../src/node';
import { socketOf } from '../support/fuzz-realtime';
import { FuzzCounts, fuzz } from '../support/fuzz-run';
import { anyValue, toJson, type FuzzValue } from '../support/fuzz-values';
import { connectClient, rawClient } from '../support/realtime-client';
import { Api, registerUser, startTestNode } from '../support/test-node';

const counts = new FuzzCounts();
afterAll(() => {
  console.log(counts.report());
});

describe('fuzz: floods are refused, then cut off', () => {
  let node: RunningNode;
  let token: string;
  const FLOOD_LIMITS = { RATE_LIMIT_FRAMES_PER_SECOND: '1', RATE_LIMIT_FRAMES_BURST: '5' };
  /** A burst well past 5 allowed frames plus the 50 refusals that cut a socket off. */
  const burst = fc.array(
    fc.oneof(
      fc.constant<[string, FuzzValue]>(['ping', {}]),
      fc.tuple(fc.constantFrom('SEND_MESSAGE', 'NOPE', 'SYNC'), anyValue),
    ),
    { minLength: 70, maxLength: 120 },
  );

  beforeAll(async () => {
    node = await startTestNode(FLOOD_LIMITS);
    token = (await registerUser(new Api(node.url), 'fzflood')).token;
  });
  afterAll(() => node.close());

  it.each(['raw', 'socket.io'] as const)(
    '%s: RATE_LIMITED with retryAfterMs, then a close',
    async (transport) => {
      await fuzz(`flood ${transport}`, burst, { numRuns: 3 }, async (frames) => {
        const client = await connectClient(node.url, token, transport);
        const socket = socketOf(client);
        const closed =
          transport === 'raw'
            ? rawClient(client).waitClosed(5000).then(String)
            : new Promise<string>((resolve) => socket.once('disconnect', resolve));
        for (const [type, payload] of frames) {
          counts.add(transport === 'raw' ? 'raw-ws' : 'socket.io', 'flood');
          if (transport === 'raw')
            rawClient(client).sendRaw(toJson({ ...(payload as object), type }));
          else socket.emit(type, payload);
        }
        const how = await closed;
        const expected = transport === 'raw' ? '1008' : 'io server disconnect';
        if (how !== expected)
          throw new Error(`expected the flood to end with ${expected}, got ${how}`);
        const refused = client.all('ERROR', (f) => f.code === 'RATE_LIMITED');
        if (refused.length === 0 || refused.some((f) => f.retryAfterMs !== 1000)) {
          throw new Error(
            `expected RATE_LIMITED with retryAfterMs 1000, got ${JSON.stringify(refused.slice(0, 3))}`,
          );
        }
        await client.close();
      });
      // The flood cost that socket only: a new one is served.
      const fresh = await connectClient(node.url, token, transport);
      expect(await fresh.request({ type: 'ping' })).toEqual({ type: 'pong' });
      await fresh.close();
    },
    30_000,
  );
});
