// The authorization matrix (docs/PROTOCOL.md §2, §3.3, §5, §6.3, §7.3): every REST route and
// realtime command against every bad token and every wrong relationship to a conversation is
// refused with the right status and code, and changes nothing an authorised reader can see.
// Each cell is one named test; the controls at the end prove the same requests succeed when
// made by their rightful caller.
import type { RunningNode } from '../../src/node';
import {
  FRAME_REFUSALS,
  PIN_FRAME_CONTROLS,
  REACT_FRAME_CONTROLS,
  REST_REFUSALS,
  SYNC_CASES,
  TOKEN_ROUTES,
  type RestCall,
  type Who,
} from '../support/authz-cases';
import { HANDSHAKES } from '../support/authz-sockets';
import { badToken, TOKEN_PROBLEMS, validToken } from '../support/authz-tokens';
import { buildAuthzWorld, snapshotAuthzWorld, type AuthzWorld } from '../support/authz-world';
import {
  connectClient,
  type Frame,
  type RealtimeClient,
  type Transport,
} from '../support/realtime-client';
import {
  Api,
  registerUser,
  startTestNode,
  type ApiResponse,
  type TestUser,
} from '../support/test-node';

const METRICS_TOKEN = 'authz-metrics-token';
const TRANSPORTS: Transport[] = ['raw', 'socket.io'];
const REPLIES = ['ERROR', 'MESSAGE_ACK', 'SYNC_RESULT', 'TOKEN_REFRESHED', 'pong'];

let node: RunningNode;
let api: Api;
let w: AuthzWorld;
const sockets = {} as Record<Transport, Record<Who, RealtimeClient>>;
/** alice's extra raw socket: sees every frame of the group and the DM. */
let watcher: RealtimeClient;
/** The state before the running cell: each cell compares against it and replaces it. */
let before: unknown;

const userOf = (who: Who): TestUser => w[who];

function run(c: RestCall, as: Api): Promise<ApiResponse> {
  return as.request(c.method, c.path(w), c.body?.(w));
}

/** Nothing an authorised reader sees has changed since the previous cell. */
async function expectUnchanged(): Promise<void> {
  const now = await snapshotAuthzWorld(w);
  // Later cells compare against what is there now, so one bad cell fails alone.
  const previous = before;
  before = now;
  expect(now).toEqual(previous);
}

beforeAll(async () => {
  const generous = '1000000';
  node = await startTestNode({
    METRICS_TOKEN,
    // The matrix makes a few thousand requests from one address; budgets are another suite's.
    RATE_LIMIT_IP_PER_SECOND: generous,
    RATE_LIMIT_IP_BURST: generous,
    RATE_LIMIT_WRITES_PER_SECOND: generous,
    RATE_LIMIT_WRITES_BURST: generous,
    RATE_LIMIT_FRAMES_PER_SECOND: generous,
    RATE_LIMIT_FRAMES_BURST: generous,
    RATE_LIMIT_TYPING_PER_SECOND: generous,
    RATE_LIMIT_TYPING_BURST: generous,
  });
  api = new Api(node.url);
  w = await buildAuthzWorld(api);
  const whos: Who[] = ['alice', 'bob', 'carol', 'dave'];
  for (const transport of TRANSPORTS) {
    const connected = await Promise.all(
      whos.map((who) => connectClient(node.url, userOf(who).token, transport)),
    );
    sockets[transport] = Object.fromEntries(whos.map((who, i) => [who, connected[i]])) as Record<
      Who,
      RealtimeClient
    >;
  }
  watcher = await connectClient(node.url, w.alice.token, 'raw');
  before = await snapshotAuthzWorld(w);
}, 20_000);

afterAll(async () => {
  const all = TRANSPORTS.flatMap((t) => Object.values(sockets[t] ?? {}));
  await Promise.all([...all, watcher].map((s) => s?.close()));
  await node?.close();
});

describe('REST: a bad token is 401 UNAUTHORIZED and changes nothing', () => {
  const cells = TOKEN_ROUTES.flatMap(({ route, call }) =>
    TOKEN_PROBLEMS.map((problem) => ({ name: `${route} with ${problem}`, call, problem })),
  );
  it.each(cells)('$name', async ({ call, problem }) => {
    const token = badToken(problem, w.alice.id);
    const res = await run(call, new Api(node.url, token ?? undefined));
    expect({ status: res.status, code: res.body.code }).toEqual({
      status: 401,
      code: 'UNAUTHORIZED',
    });
    await expectUnchanged();
  });

  it.each([
    ['no token', undefined],
    ['a wrong token', 'not-the-metrics-token'],
    ["a user's valid JWT", 'alice'],
  ])('GET /metrics (METRICS_TOKEN set) with %s is 401', async (_name, given) => {
    const token = given === 'alice' ? w.alice.token : given;
    const res = await new Api(node.url, token).get('/metrics');
    expect({ status: res.status, code: res.body.code }).toEqual({
      status: 401,
      code: 'UNAUTHORIZED',
    });
  });

  it.each([
    ['an unknown username', () => ({ username: `nobody${Date.now()}`, password: 'whatever1' })],
    ['a wrong password', () => ({ username: w.alice.username, password: 'wrong horse battery' })],
  ])('POST /auth/login with %s is 401', async (_name, body) => {
    const res = await api.post('/api/v1/auth/login', body());
    expect({ status: res.status, code: res.body.code }).toEqual({
      status: 401,
      code: 'UNAUTHORIZED',
    });
    await expectUnchanged();
  });
});

describe('REST: a valid token on a conversation its user may not touch is refused', () => {
  it.each(REST_REFUSALS)('$name → $status $code', async ({ as, call, status, code }) => {
    const res = await run(call, userOf(as).api);
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
    await expectUnchanged();
  });
});

describe("blocks are their owner's alone (§5.15)", () => {
  const blocks = '/api/v1/messages/blocks';
  const listed = async (who: TestUser, query = ''): Promise<string[]> => {
    const res = await who.api.get(`${blocks}${query}`);
    expect(res.status).toBe(200);
    return (res.body.data as { user: { id: string } }[]).map((b) => b.user.id);
  };

  it("bob's list holds his blocks; no one else's list holds any of them", async () => {
    expect((await listed(w.bob)).sort()).toEqual([...w.bobBlocks.users].sort());
    for (const who of [w.alice, w.carol, w.dave]) expect(await listed(who)).toEqual([]);
    await expectUnchanged();
  });

  it("bob's cursor pages the caller's own list, never bob's", async () => {
    const page = `?limit=1&cursor=${w.bobBlocks.cursor}`;
    // The control: with bob's token the cursor leads to his other block.
    expect(await listed(w.bob, page)).toHaveLength(1);
    for (const who of [w.alice, w.carol, w.dave]) expect(await listed(who, page)).toEqual([]);
    await expectUnchanged();
  });

  it.each([
    ['dave', 'bob', 'who blocks him'],
    ['carol', 'bob', 'who blocks her'],
    ['alice', 'dave', 'whom bob blocks'],
  ] as const)(
    '%s unblocking %s (%s) is harmless, and the block stands',
    async (as, other, _why) => {
      const res = await userOf(as).api.delete(`${blocks}/${userOf(other).id}`);
      expect({ status: res.status, data: res.body.data }).toEqual({
        status: 200,
        data: {
          user: { id: userOf(other).id, username: userOf(other).username, avatar_url: null },
          blocked: false,
          blocked_at: null,
        },
      });
      await expectUnchanged();
    },
  );

  it('dave, whom bob blocks, no longer finds bob in user search; alice still does', async () => {
    const finds = async (who: TestUser, target: TestUser): Promise<boolean> => {
      const res = await who.api.get(
        `/api/v1/messages/search/users?q=${encodeURIComponent(target.username)}`,
      );
      expect(res.status).toBe(200);
      return (res.body.data as { id: string }[]).some((u) => u.id === target.id);
    };
    expect(await finds(w.dave, w.bob)).toBe(false);
    expect(await finds(w.carol, w.bob)).toBe(false);
    expect(await finds(w.alice, w.bob)).toBe(true);
    // The blocker still finds the blocked.
    expect(await finds(w.bob, w.dave)).toBe(true);
    await expectUnchanged();
  });
});

/** Every page of a SYNC answer (has_more / next_cursor), through `step`. */
async function syncAll(
  step: (
    request: Record<string, unknown>,
  ) => Promise<{ events: Frame[]; next_cursor: string; has_more: boolean }>,
  request: Record<string, unknown>,
): Promise<Frame[]> {
  const events: Frame[] = [];
  let page = await step(request);
  events.push(...page.events);
  for (let i = 0; page.has_more && i < 20; i++) {
    page = await step({ since: page.next_cursor });
    events.push(...page.events);
  }
  return events;
}

/** Events about the group or the DM that `who` may not see: for carol, all but her own departure. */
function leaked(events: Frame[], who: 'carol' | 'dave'): Frame[] {
  const watched = new Set([w.group, w.direct]);
  return events.filter((e) => {
    if (!watched.has(e.conversationId as string)) return false;
    const ownDeparture =
      who === 'carol' &&
      e.type === 'PARTICIPANTS_CHANGED' &&
      e.conversationId === w.group &&
      e.added === undefined &&
      JSON.stringify(e.removed) === JSON.stringify([w.carol.id]);
    return !ownDeparture;
  });
}

describe('message search finds nothing of conversations its caller is not (or no longer) in', () => {
  const found = async (who: TestUser, q: string): Promise<string[]> => {
    const res = await who.api.get(`/api/v1/messages/search/messages?q=${q}`);
    expect(res.status).toBe(200);
    return (res.body.data as { id: string }[]).map((m) => m.id);
  };
  it('carol, who left the group, finds her own old message there no more; dave nothing of it', async () => {
    expect(await found(w.alice, 'group')).toEqual(
      expect.arrayContaining([w.groupMessages.carol, w.groupMessages.alice]),
    );
    expect(await found(w.carol, 'group')).toEqual([]);
    expect(await found(w.dave, 'group')).toEqual([]);
    expect(await found(w.dave, 'alice')).toEqual([]);
    expect(await found(w.dave, 'dave')).toContain(w.outsidersMessage);
    await expectUnchanged();
  });
});

describe('SYNC returns nothing of conversations its caller is not (or no longer) in', () => {
  const viaRest = (who: TestUser) => async (request: Record<string, unknown>) => {
    const res = await who.api.post('/api/v1/messages/sync', request);
    expect(res.status).toBe(200);
    return res.body.data;
  };
  const viaFrame = (socket: RealtimeClient) => async (request: Record<string, unknown>) => {
    const reply = await socket.request({ type: 'SYNC', ...request }, REPLIES);
    expect(reply.type).toBe('SYNC_RESULT');
    return reply as unknown as { events: Frame[]; next_cursor: string; has_more: boolean };
  };
  const cells = SYNC_CASES.flatMap((c) => [
    { ...c, via: 'POST /messages/sync' },
    ...TRANSPORTS.map((t) => ({ ...c, via: `SYNC frame over ${t}` })),
  ]);
  it.each(cells)('$via, $name', async ({ as, request, via }) => {
    const transport = TRANSPORTS.find((t) => via.endsWith(t));
    const step = transport ? viaFrame(sockets[transport][as]) : viaRest(userOf(as));
    const events = await syncAll(step, request(w));
    expect(leaked(events, as)).toEqual([]);
    await expectUnchanged();
  });

  const gets: ['carol' | 'dave', string, () => string][] = [
    ['carol', 'the cursor issued while she was a member', () => w.carolCursorWhileMember],
    ['carol', 'no cursor', () => ''],
    ['dave', 'no cursor', () => ''],
  ];
  it.each(gets)('GET /messages/sync, %s with %s', async (as, _name, since) => {
    const cursor = since();
    const res = await userOf(as).api.get(
      `/api/v1/messages/sync${cursor ? `?since=${cursor}` : ''}`,
    );
    expect(res.status).toBe(200);
    expect(leaked(res.body.data.events, as)).toEqual([]);
    await expectUnchanged();
  });
});

describe.each(TRANSPORTS)('realtime over %s', (transport) => {
  it.each(FRAME_REFUSALS)('$name → ERROR $code', async ({ as, frame, code }) => {
    const sent = frame(w);
    const reply = await sockets[transport][as].request(sent, REPLIES);
    expect({ type: reply.type, code: reply.code }).toEqual({ type: 'ERROR', code });
    if (typeof sent.tempId === 'string') expect(reply.tempId).toBe(sent.tempId);
    await expectUnchanged();
  });

  const refreshes = [
    ...TOKEN_PROBLEMS.map((problem) => ({
      name: problem,
      token: () => badToken(problem, w.bob.id),
      // No token at all is a malformed frame, not a failed verification.
      code: problem === 'no token' ? 'VALIDATION' : 'UNAUTHORIZED',
    })),
    {
      name: "another user's valid token",
      token: () => validToken(w.alice.id),
      code: 'UNAUTHORIZED',
    },
  ];
  it.each(refreshes)(
    'REFRESH_TOKEN with $name → ERROR $code, and the socket stays open',
    async ({ token, code }) => {
      const bob = sockets[transport].bob;
      const given = token();
      const reply = await bob.request(
        { type: 'REFRESH_TOKEN', ...(given !== null && { token: given }) },
        REPLIES,
      );
      expect({ type: reply.type, code: reply.code }).toEqual({ type: 'ERROR', code });
      expect((await bob.request({ type: 'ping' }, REPLIES)).type).toBe('pong');
    },
  );
});

describe('realtime handshakes with a bad token are refused', () => {
  const cells = HANDSHAKES.flatMap((h) =>
    TOKEN_PROBLEMS.map((problem) => ({ name: `${h.name} with ${problem}`, h, problem })),
  );
  it.each(cells)('$name', async ({ h, problem }) => {
    const outcome = await h.open(node.url, badToken(problem, w.alice.id));
    expect(outcome.refusal).toBe(h.expected);
    expect(outcome.frames).not.toContain('connected');
  });
});

describe('after the matrix', () => {
  it('no socket received a frame of the group or the DM', () => {
    const watched = new Set([w.group, w.direct]);
    const seen = TRANSPORTS.flatMap((t) =>
      (Object.entries(sockets[t]) as [Who, RealtimeClient][]).map(([who, s]) => ({
        socket: `${who} over ${t}`,
        frames: s.frames,
      })),
    )
      .concat({ socket: 'alice watcher', frames: watcher.frames })
      .flatMap(({ socket, frames }) =>
        frames
          .filter((f) => watched.has(f.conversationId as string))
          .map((f) => ({ socket, type: f.type, from: f.userId ?? f.senderId })),
      );
    expect(seen).toEqual([]);
  });
});

describe('a member who left gets nothing of what happens after (§5.6, §7.3, §7.6)', () => {
  // Their own cast, so the matrix's snapshots stay out of it: olga (ADMIN), pete, erin (leaves),
  // frank (added after erin left).
  let olga: TestUser, pete: TestUser, erin: TestUser, frank: TestUser;
  let group: string;
  let erinLive: RealtimeClient;
  let olgaLive: RealtimeClient;
  /** erin's frames up to her own PARTICIPANTS_CHANGED {removed: [erin]}. */
  let framesWhileMember: number;
  const cursors = {} as { atConnect: string; whileMember: string; history: string };
  const c = '/api/v1/messages/conversations';

  const sendAs = async (u: TestUser, content: string, tempId?: string): Promise<string> => {
    const res = await u.api.post(`${c}/${group}/messages`, {
      content,
      ...(tempId && { temp_id: tempId }),
    });
    expect(res.status).toBe(201);
    return res.body.data.id as string;
  };

  beforeAll(async () => {
    [olga, pete, erin, frank] = await Promise.all([
      registerUser(api, 'olga'),
      registerUser(api, 'pete'),
      registerUser(api, 'erin'),
      registerUser(api, 'frank'),
    ]);
    const created = await olga.api.post(c, {
      type: 'GROUP',
      name: 'leavers',
      participant_ids: [pete.id, erin.id],
    });
    group = created.body.data.id as string;
    [erinLive, olgaLive] = await Promise.all([
      connectClient(node.url, erin.token, 'raw'),
      connectClient(node.url, olga.token, 'raw'),
    ]);
    cursors.atConnect = (await erinLive.waitFor('connected')).cursor as string;

    const one = await sendAs(olga, 'one');
    await sendAs(erin, 'erin was here', 'erin-1');
    const two = await sendAs(pete, 'two');
    await erinLive.waitFor('NEW_MESSAGE', (f) => f.messageId === two);
    cursors.whileMember = (await erin.api.post('/api/v1/messages/sync', {})).body.data
      .next_cursor as string;
    cursors.history = (await erin.api.get(`${c}/${group}/messages?limit=1`)).body
      .next_cursor as string;
    expect((await erin.api.patch(`${c}/${group}/seen`)).status).toBe(200);

    expect((await erin.api.delete(`${c}/${group}/participants/${erin.id}`)).status).toBe(200);
    const departure = await erinLive.waitFor(
      'PARTICIPANTS_CHANGED',
      (f) => f.conversationId === group && f.removed?.includes(erin.id),
    );
    framesWhileMember = erinLive.frames.indexOf(departure) + 1;

    // After she left: a message, an edit, a deletion, receipts (covering erin's message), typing,
    // and a new member.
    const three = await sendAs(olga, 'three');
    expect(
      (await pete.api.patch(`${c}/${group}/messages/${two}`, { content: 'two!' })).status,
    ).toBe(200);
    expect((await olga.api.delete(`${c}/${group}/messages/${one}`)).status).toBe(200);
    expect((await olga.api.patch(`${c}/${group}/seen?message_id=${three}`)).status).toBe(200);
    expect((await pete.api.patch(`${c}/${group}/seen?message_id=${three}`)).status).toBe(200);
    olgaLive.send({ type: 'TYPING', conversationId: group });
    expect(
      (await olga.api.post(`${c}/${group}/participants`, { user_ids: [frank.id] })).status,
    ).toBe(200);
    // Events of one conversation are fanned out in order: once olga has the last, erin's share
    // of every earlier one (if any) has been emitted.
    await olgaLive.waitFor(
      'PARTICIPANTS_CHANGED',
      (f) => f.conversationId === group && f.added?.includes(frank.id),
    );
    // A marker in another conversation: once erin has it, whatever was emitted to her before has
    // arrived.
    const dm = (await olga.api.post(`/api/v1/messages/direct/${erin.id}`)).body.data.id as string;
    const marker = await olga.api.post(`${c}/${dm}/messages`, { content: 'marker' });
    await erinLive.waitFor('NEW_MESSAGE', (f) => f.messageId === marker.body.data.id);
  }, 20_000);

  afterAll(async () => {
    await Promise.all([erinLive?.close(), olgaLive?.close()]);
  });

  /** Events of the group other than erin's own departure. */
  const ofGroup = (events: Frame[]): Frame[] =>
    events.filter(
      (e) =>
        e.conversationId === group &&
        !(
          e.type === 'PARTICIPANTS_CHANGED' &&
          e.added === undefined &&
          JSON.stringify(e.removed) === JSON.stringify([erin.id])
        ),
    );

  // Includes MESSAGE_STATUS for the message she sent while a member: statuses stop with her.
  it('her live socket got no frame of the group after her departure', () => {
    const after = erinLive.frames
      .slice(framesWhileMember)
      .filter((f) => f.conversationId === group);
    expect(after.map((f) => ({ type: f.type, messageId: f.messageId, status: f.status }))).toEqual(
      [],
    );
  });

  const requests: [string, () => Record<string, unknown>][] = [
    ['the cursor of her connected greeting', () => ({ since: cursors.atConnect })],
    ['a cursor issued while she was a member', () => ({ since: cursors.whileMember })],
    ['positions naming the group at 0', () => ({ positions: { [group]: 0 } })],
    ['positions naming the group at 3', () => ({ positions: { [group]: 3 } })],
    [
      'that cursor and positions naming the group',
      () => ({ since: cursors.whileMember, positions: { [group]: 0 } }),
    ],
    ['nothing (from the beginning)', () => ({})],
  ];
  const cells = requests.flatMap(([name, request]) =>
    ['POST /messages/sync', 'SYNC frame over raw', 'SYNC frame over socket.io'].map((via) => ({
      name: `${via}, ${name}`,
      via,
      request,
    })),
  );
  it.each(cells)('$name returns none of it', async ({ via, request }) => {
    const transport = TRANSPORTS.find((t) => via.endsWith(t));
    const socket =
      transport === 'socket.io' ? await connectClient(node.url, erin.token, 'socket.io') : erinLive;
    try {
      const step = async (r: Record<string, unknown>) => {
        if (!transport) return (await erin.api.post('/api/v1/messages/sync', r)).body.data;
        return socket.request({ type: 'SYNC', ...r }, REPLIES) as never;
      };
      expect(ofGroup(await syncAll(step, request()))).toEqual([]);
    } finally {
      if (socket !== erinLive) await socket.close();
    }
  });

  it.each([
    ['the cursor of her connected greeting', () => `?since=${cursors.atConnect}`],
    ['a cursor issued while she was a member', () => `?since=${cursors.whileMember}`],
    ['no cursor', () => ''],
  ])('GET /messages/sync with %s returns none of it', async (_name, query) => {
    const res = await erin.api.get(`/api/v1/messages/sync${query()}`);
    expect(res.status).toBe(200);
    expect(ofGroup(res.body.data.events)).toEqual([]);
  });

  it.each([
    ['GET the conversation', () => `${c}/${group}`],
    ['GET its messages', () => `${c}/${group}/messages`],
    [
      'GET its messages with a cursor from while she was in',
      () => `${c}/${group}/messages?cursor=${cursors.history}`,
    ],
  ])('REST history: %s is 403 NOT_PARTICIPANT', async (_name, path) => {
    const res = await erin.api.get(path());
    expect({ status: res.status, code: res.body.code }).toEqual({
      status: 403,
      code: 'NOT_PARTICIPANT',
    });
  });

  it('her conversation list no longer shows the group', async () => {
    const res = await erin.api.get(`${c}?limit=50`);
    expect(res.body.data.map((row: { id: string }) => row.id)).not.toContain(group);
  });
});

/**
 * A REACT / UNREACT reply. A raw socket also gets the live MESSAGE_REACTIONS of its own change,
 * in either order (§6.3): the reply is the one of that action whose counts say `me`.
 */
function reactReply(socket: RealtimeClient, sent: Frame): Promise<Frame> {
  if (socket.transport !== 'raw') return socket.request(sent);
  const before = socket.frames.length;
  const action = sent.type === 'REACT' ? 'added' : 'removed';
  socket.send(sent);
  return socket.waitFor(
    ['MESSAGE_REACTIONS', 'ERROR'],
    (f) =>
      socket.frames.indexOf(f) >= before &&
      (f.type === 'ERROR' ||
        (f.messageId === sent.messageId &&
          f.action === action &&
          (f.reactions as object[]).every((r) => 'me' in r))),
  );
}

// Before the REST controls: those take bob out of the group.
describe.each(TRANSPORTS)(
  'controls: REACT / UNREACT by their rightful caller over %s',
  (transport) => {
    it.each(REACT_FRAME_CONTROLS)('$name', async ({ as, conversationId, messageId }) => {
      const socket = sockets[transport][as];
      const target = { conversationId: conversationId(w), messageId: messageId(w) };
      const emoji = '🎉';
      const reactions = async (): Promise<unknown> => {
        const res = await userOf(as).api.get(
          `/api/v1/messages/conversations/${target.conversationId}/messages?limit=100`,
        );
        expect(res.status).toBe(200);
        return (res.body.data as { id: string; reactions: unknown }[]).find(
          (m) => m.id === target.messageId,
        )?.reactions;
      };
      const mine = { userId: userOf(as).id, emoji };
      const added = await reactReply(socket, { type: 'REACT', ...target, emoji });
      expect(added).toMatchObject({
        type: 'MESSAGE_REACTIONS',
        ...target,
        ...mine,
        action: 'added',
        reactions: [{ emoji, count: 1, me: true }],
      });
      expect(await reactions()).toEqual([{ emoji, count: 1, me: true }]);
      const removed = await reactReply(socket, { type: 'UNREACT', ...target, emoji });
      expect(removed).toMatchObject({
        type: 'MESSAGE_REACTIONS',
        ...target,
        ...mine,
        action: 'removed',
        reactions: [],
      });
      expect(await reactions()).toEqual([]);
    });
  },
);

describe('controls: the same requests by their rightful caller succeed', () => {
  it.each(TOKEN_ROUTES)('$route as alice', async ({ call }) => {
    const res = await run(call, w.alice.api);
    // The whole answer on failure, so a broken control says why.
    expect(res.status === 200 || res.status === 201 ? 'ok' : res).toBe('ok');
  });

  it('GET /metrics with METRICS_TOKEN', async () => {
    expect((await new Api(node.url, METRICS_TOKEN).get('/metrics')).status).toBe(200);
  });

  it('POST /auth/login with the right password', async () => {
    const res = await api.post('/api/v1/auth/login', {
      username: w.alice.username,
      password: 'correct horse battery',
    });
    expect(res.status).toBe(200);
  });
});

describe.each(TRANSPORTS)(
  'controls: PIN_MESSAGE / UNPIN_MESSAGE by their rightful caller over %s',
  (transport) => {
    it.each(PIN_FRAME_CONTROLS)('$name', async ({ as, conversationId, messageId }) => {
      const socket = sockets[transport][as];
      const target = { conversationId: conversationId(w), messageId: messageId(w) };
      const pins = async (): Promise<string[]> => {
        const res = await userOf(as).api.get(
          `/api/v1/messages/conversations/${target.conversationId}/pins`,
        );
        expect(res.status).toBe(200);
        return (res.body.data as { id: string }[]).map((m) => m.id);
      };
      const pinned = await socket.request({ type: 'PIN_MESSAGE', ...target }, [
        'MESSAGE_PINNED',
        'ERROR',
      ]);
      expect(pinned).toMatchObject({ type: 'MESSAGE_PINNED', ...target, userId: userOf(as).id });
      expect(await pins()).toEqual([target.messageId]);
      const unpinned = await socket.request({ type: 'UNPIN_MESSAGE', ...target }, [
        'MESSAGE_UNPINNED',
        'ERROR',
      ]);
      expect(unpinned).toMatchObject({
        type: 'MESSAGE_UNPINNED',
        ...target,
        userId: userOf(as).id,
      });
      expect(await pins()).toEqual([]);
    });
  },
);
