// Two server processes sharing Redis, RabbitMQ and one store: messages reach recipients on the
// other node in seq order, a recipient who was away gets exactly what they missed from SYNC, and
// a tempId means one message whichever node it is retried on.
import { newObjectId } from '../../src/domain/ids';
import { spawnNode, type NodeProcess } from '../support/node-process';
import { connectClient, type Frame, type RealtimeClient } from '../support/realtime-client';
import { clusterEnv, type ModeSetup } from '../support/realtime-modes';
import { Api, registerUser, type TestUser } from '../support/test-node';

jest.setTimeout(120_000);

/** Limits raised so the test measures ordering, not the default per-user budget. */
const FAST = {
  RATE_LIMIT_MESSAGES_PER_SECOND: '5000',
  RATE_LIMIT_MESSAGES_BURST: '5000',
  RATE_LIMIT_FRAMES_PER_SECOND: '5000',
  RATE_LIMIT_FRAMES_BURST: '5000',
  RATE_LIMIT_IP_PER_SECOND: '5000',
  RATE_LIMIT_IP_BURST: '5000',
};

describe('ordering across two server processes', () => {
  let cluster: ModeSetup;
  let nodeA: NodeProcess;
  let nodeB: NodeProcess;
  const clients: RealtimeClient[] = [];
  const base = '/api/v1/messages';

  beforeAll(async () => {
    cluster = await clusterEnv();
    const env = { ...cluster.env, ...FAST };
    [nodeA, nodeB] = await Promise.all([spawnNode(env, 'order-a'), spawnNode(env, 'order-b')]);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    const holes = [...(nodeA?.logs ?? []), ...(nodeB?.logs ?? [])].filter((l) =>
      l.includes('hole'),
    );
    if (holes.length > 0) process.stderr.write(`holes:\n${holes.join('\n')}\n`);
    await Promise.all([nodeA?.stop(), nodeB?.stop()]);
    await cluster?.teardown();
  });

  const connect = async (
    node: NodeProcess,
    u: TestUser,
    transport: 'raw' | 'socket.io',
  ): Promise<RealtimeClient> => {
    const c = await connectClient(node.url, u.token, transport);
    clients.push(c);
    return c;
  };

  /** Sends `count` messages keeping `window` in flight; resolves with the ACKs in send order. */
  async function pump(
    sender: RealtimeClient,
    conversationId: string,
    count: number,
    label: string,
    window = 16,
  ): Promise<Frame[]> {
    const acks: Frame[] = new Array<Frame>(count);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < count) {
        const i = next++;
        const tempId = `${label}-${i}`;
        const frame = { type: 'SEND_MESSAGE', conversationId, content: `${label} ${i}`, tempId };
        // Raw replies carry no request id: match this send's reply by its tempId.
        const reply =
          sender.transport === 'socket.io'
            ? await sender.request(frame)
            : await (() => {
                sender.send(frame);
                const mine = (f: Frame): boolean => f.tempId === tempId;
                return sender.waitFor(['MESSAGE_ACK', 'ERROR'], mine, 20_000);
              })();
        if (reply.type !== 'MESSAGE_ACK')
          throw new Error(`send ${tempId}: ${JSON.stringify(reply)}`);
        acks[i] = reply;
      }
    };
    await Promise.all(Array.from({ length: window }, lane));
    return acks;
  }

  const newMessagesOf = (c: RealtimeClient, conversationId: string): Frame[] =>
    c.all('NEW_MESSAGE', (f) => f.conversationId === conversationId);

  const seqs = (frames: Frame[]): number[] => frames.map((f) => f.seq as number);

  it('500 sends through node A reach a recipient on node B in seq order; one away for 100 gets exactly those from SYNC', async () => {
    const apiA = new Api(nodeA.url);
    const [alice, bob, carol] = await Promise.all([
      registerUser(apiA, 'alice'),
      registerUser(apiA, 'bob'),
      registerUser(apiA, 'carol'),
    ]);
    const group = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'ordering',
        participant_ids: [bob.id, carol.id],
      })
    ).body.data.id as string;
    const sender = await connect(nodeA, alice, 'raw');
    const steady = await connect(nodeB, bob, 'socket.io');
    let away = await connect(nodeB, carol, 'raw');

    const first = await pump(sender, group, 200, 'p1');
    await away.waitFor('NEW_MESSAGE', (f) => f.seq === 200, 15_000);
    const held = Math.max(...seqs(newMessagesOf(away, group)));
    expect(held).toBe(200);
    await away.close();

    const missed = await pump(sender, group, 100, 'p2');
    away = await connect(nodeB, carol, 'raw');
    // SYNC from the position carol holds, paged: exactly the 100 she missed, in seq order.
    const synced: Frame[] = [];
    let request: Frame = { type: 'SYNC', positions: { [group]: held }, limit: 30 };
    for (;;) {
      const page = await away.request(request);
      expect(page.type).toBe('SYNC_RESULT');
      synced.push(...(page.events as Frame[]).filter((e) => e.type === 'NEW_MESSAGE'));
      if (!page.has_more) break;
      request = { type: 'SYNC', since: page.next_cursor, limit: 30 };
    }
    // With 16 sends in flight, send order is not seq order; the set and the seq order are exact.
    expect(new Set(synced.map((f) => f.messageId))).toEqual(
      new Set(missed.map((a) => a.messageId)),
    );
    expect(synced).toHaveLength(100);
    expect(seqs(synced)).toEqual(Array.from({ length: 100 }, (_, i) => 201 + i));

    const last = await pump(sender, group, 200, 'p3');
    await steady.waitFor('NEW_MESSAGE', (f) => f.seq === 500, 20_000);
    await away.waitFor('NEW_MESSAGE', (f) => f.seq === 500, 20_000);

    const all = [...first, ...missed, ...last];
    // Stored order = ACK seqs: 1..500 with no hole.
    expect([...seqs(all)].sort((x, y) => x - y)).toEqual(
      Array.from({ length: 500 }, (_, i) => i + 1),
    );
    // The steady recipient saw every message once, in seq order.
    expect(seqs(newMessagesOf(steady, group))).toEqual(
      Array.from({ length: 500 }, (_, i) => i + 1),
    );
    // The returning one saw, live and in order, the tail of what fan-out was still delivering
    // when it came back (SYNC gave those too; clients de-duplicate by id), then the last 200.
    const live = seqs(newMessagesOf(away, group));
    expect(live).toEqual([...live].sort((x, y) => x - y));
    expect(live.filter((s) => s > 300)).toEqual(Array.from({ length: 200 }, (_, i) => 301 + i));
    expect(live.every((s) => s > 200)).toBe(true);
    // REST agrees with what the clients saw.
    const page = (await bob.api.get(`${base}/conversations/${group}/messages?limit=100`)).body
      .data as { seq: number }[];
    expect(page.map((m) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 401 + i));
  });

  it('three members on both nodes sending at once: every recipient sees one and the same seq order', async () => {
    const apiA = new Api(nodeA.url);
    const [a, b, c, watcher] = await Promise.all([
      registerUser(apiA, 'sa'),
      registerUser(apiA, 'sb'),
      registerUser(apiA, 'sc'),
      registerUser(apiA, 'sw'),
    ]);
    const group = (
      await a.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'race',
        participant_ids: [b.id, c.id, watcher.id],
      })
    ).body.data.id as string;
    const senders = [
      await connect(nodeA, a, 'raw'),
      await connect(nodeB, b, 'socket.io'),
      await connect(nodeA, c, 'socket.io'),
    ];
    const watchers = [
      await connect(nodeB, watcher, 'raw'),
      await connect(nodeA, watcher, 'socket.io'),
    ];
    const acks = await Promise.all(senders.map((s, i) => pump(s, group, 100, `s${i}`, 8)));
    const expected = Array.from({ length: 300 }, (_, i) => i + 1);
    for (const w of watchers) {
      await w.waitFor('NEW_MESSAGE', (f) => f.seq === 300, 20_000);
      expect(seqs(newMessagesOf(w, group))).toEqual(expected);
    }
    // Each sender sees the others' 200 messages in the same order (its own come as ACKs).
    for (const [i, s] of senders.entries()) {
      // Delivery is in seq order, so once the others' last message is here all of them are.
      const lastOfOthers = Math.max(...acks.flatMap((a, j) => (j === i ? [] : seqs(a))));
      await s.waitFor('NEW_MESSAGE', (f) => f.seq === lastOfOthers, 20_000);
      const others = newMessagesOf(s, group).filter(
        (f) => (f.tempId as string | null)?.startsWith(`s${i}-`) !== true,
      );
      const got = seqs(others);
      expect(got).toEqual([...got].sort((x, y) => x - y));
      expect(new Set(got).size).toBe(200);
    }
  });

  it('a tempId retried on the other node returns the original; another body is a conflict', async () => {
    const apiA = new Api(nodeA.url);
    const [alice, bob] = await Promise.all([registerUser(apiA, 'ia'), registerUser(apiA, 'ib')]);
    const dm = (await alice.api.post(`${base}/direct/${bob.id}`)).body.data.id as string;
    const onA = await connect(nodeA, alice, 'raw');
    const onB = await connect(nodeB, alice, 'socket.io');
    const tempId = `idem-${newObjectId()}`;
    const frame = { type: 'SEND_MESSAGE', conversationId: dm, content: 'once', tempId };
    const [x, y] = await Promise.all([onA.request(frame), onB.request(frame)]);
    expect(x).toMatchObject({ type: 'MESSAGE_ACK', tempId });
    expect(y).toMatchObject({ type: 'MESSAGE_ACK', messageId: x.messageId, seq: x.seq });
    const viaRest = await new Api(nodeB.url, alice.token).post(
      `${base}/conversations/${dm}/messages`,
      { content: 'once', temp_id: tempId },
    );
    expect(viaRest.body.data).toMatchObject({ id: x.messageId, seq: x.seq });
    const conflict = await onB.request({ ...frame, content: 'not the same' });
    expect(conflict).toMatchObject({ type: 'ERROR', code: 'IDEMPOTENCY_CONFLICT', tempId });
    const stored = (await bob.api.get(`${base}/conversations/${dm}/messages`)).body.data;
    expect(stored).toEqual([expect.objectContaining({ id: x.messageId, content: 'once' })]);
  });
});
