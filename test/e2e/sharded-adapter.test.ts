// The multi-node checks over both Socket.IO Redis adapters (SOCKET_ADAPTER=classic|sharded), three
// server processes each: frames cross nodes both ways (NEW_MESSAGE through the server-side
// 'parley:deliver' emit, receipts, TYPING), a user who left gets nothing, and a fixed workload
// measures the adapter messages each node receives. Classic: every node receives every broadcast.
// Sharded: a broadcast to one room reaches only nodes with members in it (server-side emits and
// multi-room broadcasts still reach all). The figures are printed for the README.
import { newObjectId } from '../../src/domain/ids';
import { spawnNode, type NodeProcess } from '../support/node-process';
import { connectClient, type RealtimeClient } from '../support/realtime-client';
import { clusterEnv, type ModeSetup } from '../support/realtime-modes';
import { Api, registerUser, type TestUser } from '../support/test-node';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

const base = '/api/v1/messages';
const RECEIVED = /^parley_adapter_messages_received_total\{[^}]*\} (\S+)$/m;

async function adapterMessages(node: NodeProcess): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const found = RECEIVED.exec(text);
  if (!found?.[1]) throw new Error(`no parley_adapter_messages_received_total on ${node.url}`);
  return Number(found[1]);
}

describe.each(['classic', 'sharded'] as const)('SOCKET_ADAPTER=%s, three nodes', (mode) => {
  let cluster: ModeSetup;
  let nodes: NodeProcess[] = [];
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    cluster = await clusterEnv();
    const env = { ...cluster.env, SOCKET_ADAPTER: mode, RATE_LIMIT_TYPING_BURST: '100' };
    nodes = await Promise.all(['a', 'b', 'c'].map((n) => spawnNode(env, `${mode}-${n}`)));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await cluster?.teardown();
  });

  const on = async (
    node: number,
    u: TestUser,
    transport: 'raw' | 'socket.io' = 'raw',
    ackNewMessages = false,
  ) => {
    const c = await connectClient(nodes[node]!.url, u.token, transport, { ackNewMessages });
    clients.push(c);
    return c;
  };
  const users = (...names: string[]) =>
    Promise.all(names.map((n) => registerUser(new Api(nodes[0]!.url), n)));

  it('carries NEW_MESSAGE, receipts and TYPING across nodes both ways', async () => {
    const [alice, bob] = (await users('alice', 'bob')) as [TestUser, TestUser];
    const dm = (await alice.api.post(`${base}/direct/${bob.id}`)).body.data.id as string;
    const a = await on(0, alice);
    const b = await on(1, bob, 'socket.io', true);

    // raw on A → Socket.IO on B (delivered through 'parley:deliver'); B's acknowledgement is
    // the delivery receipt, which reaches A through a single-room broadcast.
    const sent = await a.request({
      type: 'SEND_MESSAGE',
      conversationId: dm,
      content: `across (${mode})`,
      tempId: `t-${newObjectId()}`,
    });
    await b.waitFor('NEW_MESSAGE', (f) => f.messageId === sent.messageId);
    await a.waitFor(
      'MESSAGE_STATUS',
      (f) => f.messageId === sent.messageId && f.status === 'DELIVERED',
    );
    b.send({ type: 'MARK_SEEN', conversationId: dm, messageId: sent.messageId });
    await a.waitFor('MESSAGE_SEEN', (f) => f.lastSeenMessageId === sent.messageId);
    a.send({ type: 'TYPING', conversationId: dm });
    await b.waitFor('TYPING', (f) => f.userId === alice.id);

    // And back: Socket.IO on B → raw on A.
    const back = await b.request({
      type: 'SEND_MESSAGE',
      conversationId: dm,
      content: 'back',
      tempId: `t-${newObjectId()}`,
    });
    await a.waitFor('NEW_MESSAGE', (f) => f.messageId === back.messageId);
    b.send({ type: 'TYPING', conversationId: dm });
    await a.waitFor('TYPING', (f) => f.userId === bob.id);
  });

  it('gives a user who left a group nothing more, on any node', async () => {
    const [alice, bob, carol] = (await users('alice', 'bob', 'carol')) as [
      TestUser,
      TestUser,
      TestUser,
    ];
    const group = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: `left (${mode})`,
        participant_ids: [bob.id, carol.id],
      })
    ).body.data.id as string;
    const a = await on(0, alice);
    const b = await on(1, bob);
    const c = await on(2, carol);
    expect(
      (await carol.api.delete(`${base}/conversations/${group}/participants/${carol.id}`)).status,
    ).toBe(200);
    await c.waitFor('PARTICIPANTS_CHANGED');
    const first = await a.request({
      type: 'SEND_MESSAGE',
      conversationId: group,
      content: 'after carol left',
      tempId: `t-${newObjectId()}`,
    });
    const next = await a.request({
      type: 'SEND_MESSAGE',
      conversationId: group,
      content: 'and again',
      tempId: `t-${newObjectId()}`,
    });
    // A conversation's events go out in order: once bob has the second, carol's copy of the
    // first (had there been one) would have reached her too.
    await b.waitFor('NEW_MESSAGE', (f) => f.messageId === next.messageId);
    a.send({ type: 'TYPING', conversationId: group });
    await b.waitFor('TYPING', (f) => f.conversationId === group);
    expect(c.all('NEW_MESSAGE', (f) => f.messageId === first.messageId)).toHaveLength(0);
    expect(c.all('TYPING')).toHaveLength(0);
  });

  it('measures the adapter messages each node receives for a fixed workload', async () => {
    // Two DMs between users on A and B (node C holds none of them) and a group across all
    // three nodes; each DM: 20 messages and 20 TYPING, the group: 10 messages.
    const [a1, a2, b1, b2, c1] = (await users('a1', 'a2', 'b1', 'b2', 'c1')) as [
      TestUser,
      TestUser,
      TestUser,
      TestUser,
      TestUser,
    ];
    const dm1 = (await a1.api.post(`${base}/direct/${b1.id}`)).body.data.id as string;
    const dm2 = (await a2.api.post(`${base}/direct/${b2.id}`)).body.data.id as string;
    const group = (
      await c1.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: `measured (${mode})`,
        participant_ids: [a1.id, b1.id],
      })
    ).body.data.id as string;
    const [sa1, sa2, sb1, sb2, sc1] = await Promise.all([
      on(0, a1),
      on(0, a2),
      on(1, b1),
      on(1, b2),
      on(2, c1),
    ]);

    const settled = async (): Promise<number[]> => {
      // Counters are still moving while the last broadcasts cross Redis: read until two reads
      // 300 ms apart agree.
      let last = await Promise.all(nodes.map(adapterMessages));
      return waitFor(
        async () => {
          const now = await Promise.all(nodes.map(adapterMessages));
          const same = now.every((n, i) => n === last[i]);
          last = now;
          return same ? now : null;
        },
        { what: 'adapter counters to settle', intervalMs: 300, timeoutMs: 15_000 },
      );
    };
    const before = await settled();

    const send = (s: RealtimeClient, conversationId: string, i: number) =>
      s.request({
        type: 'SEND_MESSAGE',
        conversationId,
        content: `m${i}`,
        tempId: `t-${newObjectId()}`,
      });
    for (let i = 0; i < 20; i++) {
      await Promise.all([send(sa1, dm1, i), send(sa2, dm2, i)]);
      sb1.send({ type: 'TYPING', conversationId: dm1 });
      sb2.send({ type: 'TYPING', conversationId: dm2 });
      if (i < 10) await send(sc1, group, i);
    }
    await waitFor(
      () =>
        sb1.all('NEW_MESSAGE', (f) => f.conversationId === dm1).length === 20 &&
        sb2.all('NEW_MESSAGE', (f) => f.conversationId === dm2).length === 20 &&
        sa1.all('NEW_MESSAGE', (f) => f.conversationId === group).length === 10 &&
        sb1.all('NEW_MESSAGE', (f) => f.conversationId === group).length === 10,
      { what: 'every message to reach its recipients', timeoutMs: 20_000 },
    );
    const after = await settled();
    const received = after.map((n, i) => n - (before[i] ?? 0));
    process.stdout.write(
      `adapter messages received per node, SOCKET_ADAPTER=${mode}: ` +
        `A=${received[0]} B=${received[1]} C=${received[2]} total=${received.reduce((x, y) => x + y, 0)}\n`,
    );

    const [onA = 0, onB = 0, onC = 0] = received;
    if (mode === 'classic') {
      // Every broadcast goes to every node.
      expect(onA).toBeGreaterThan(0);
      expect([onB, onC]).toEqual([onA, onA]);
    } else {
      // The single-room broadcasts to the DM senders' rooms (their own copy of each message,
      // the other side's TYPING) go to node A only; deliveries ('parley:deliver') still reach all.
      expect(onB).toBeLessThan(onA);
      expect(onC).toBeLessThan(onA);
    }
  });
});
