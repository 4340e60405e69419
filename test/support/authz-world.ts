// The cast of the authorization matrix, built over REST: a group with its ADMIN, a MEMBER and a
// member who left; a DIRECT conversation the outsider is not in; the outsider's own DIRECT. And
// a snapshot of everything a refused request could have changed, read by authorised users.
import { newObjectId } from '../../src/domain/ids';
import { registerUser, type Api, type ApiResponse, type TestUser } from './test-node';

export interface AuthzWorld {
  /** ADMIN of `group` (its creator), in `direct` with bob. */
  alice: TestUser;
  /** MEMBER of `group`, in `direct` with alice. */
  bob: TestUser;
  /** Was a MEMBER of `group` (sent and saw messages there), then left it. */
  carol: TestUser;
  /** In neither `group` nor `direct`; in `outsiders` with carol. */
  dave: TestUser;
  group: string;
  direct: string;
  /** dave and carol's DIRECT conversation. */
  outsiders: string;
  groupMessages: {
    alice: string;
    bob: string;
    carol: string;
    afterCarolLeft: string;
    /** alice's, sent and deleted after carol left: it refuses reactions (§5.12). */
    deleted: string;
  };
  /** carol's message in `group`: its tempId and content, for a retry after she left. */
  carolSend: { tempId: string; content: string };
  /** alice's message in `direct`. */
  directMessage: string;
  /** dave's message in `outsiders`. */
  outsidersMessage: string;
  /** A page cursor of `group`'s history (older than its newest message). */
  groupHistoryCursor: string;
  /** A SYNC cursor alice holds. */
  aliceCursor: string;
  /** A SYNC cursor carol was given while she was still in `group`. */
  carolCursorWhileMember: string;
  /** Well-formed ids that name nothing (a conversation, a message, a user). */
  unknownId: string;
  /**
   * bob blocks dave, then carol (§5.15); none of them shares a DIRECT with him, so no other cell
   * meets the block. The cursor is of bob's first page of one: his, not anyone else's to read.
   */
  bobBlocks: { users: string[]; cursor: string };
}

/** The response, or an error naming the call: the cast is built by requests that must work. */
export function expectOk(res: ApiResponse, what: string): ApiResponse {
  if (res.status < 200 || res.status > 299) {
    throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res;
}

async function send(
  user: TestUser,
  conversationId: string,
  content: string,
  tempId?: string,
): Promise<string> {
  const res = await user.api.post(`/api/v1/messages/conversations/${conversationId}/messages`, {
    content,
    ...(tempId !== undefined && { temp_id: tempId }),
  });
  return expectOk(res, `${user.username} sends "${content}"`).body.data.id as string;
}

export async function buildAuthzWorld(api: Api): Promise<AuthzWorld> {
  const [alice, bob, carol, dave] = await Promise.all(
    ['alice', 'bob', 'carol', 'dave'].map((name) => registerUser(api, name)),
  );
  if (!alice || !bob || !carol || !dave) throw new Error('registration failed');

  const created = await alice.api.post('/api/v1/messages/conversations', {
    type: 'GROUP',
    name: 'authz group',
    participant_ids: [bob.id, carol.id],
  });
  const group = expectOk(created, 'alice creates the group').body.data.id as string;
  const carolSend = { tempId: 'carol-1', content: 'carol in the group' };
  const aliceInGroup = await send(alice, group, 'alice in the group', 'alice-1');
  const bobInGroup = await send(bob, group, 'bob in the group');
  const carolInGroup = await send(carol, group, carolSend.content, carolSend.tempId);
  for (const reader of [bob, carol]) {
    expectOk(
      await reader.api.patch(`/api/v1/messages/conversations/${group}/seen`),
      `${reader.username} reads the group`,
    );
  }
  const carolSync = await carol.api.post('/api/v1/messages/sync', {});
  const carolCursorWhileMember = expectOk(carolSync, 'carol syncs').body.data.next_cursor as string;
  expectOk(
    await carol.api.delete(`/api/v1/messages/conversations/${group}/participants/${carol.id}`),
    'carol leaves the group',
  );
  const afterCarolLeft = await send(alice, group, 'after carol left');
  const deleted = await send(alice, group, 'alice takes this back');
  expectOk(
    await alice.api.delete(`/api/v1/messages/conversations/${group}/messages/${deleted}`),
    'alice deletes her message',
  );

  const dm = await alice.api.post(`/api/v1/messages/direct/${bob.id}`);
  const direct = expectOk(dm, 'alice opens a DM with bob').body.data.id as string;
  const directMessage = await send(alice, direct, 'alice to bob');
  const theirs = await dave.api.post(`/api/v1/messages/direct/${carol.id}`);
  const outsiders = expectOk(theirs, 'dave opens a DM with carol').body.data.id as string;
  const outsidersMessage = await send(dave, outsiders, 'dave to carol');

  const history = await alice.api.get(`/api/v1/messages/conversations/${group}/messages?limit=1`);
  const groupHistoryCursor = expectOk(history, 'alice pages the group').body.next_cursor as string;
  const aliceSync = await alice.api.post('/api/v1/messages/sync', {});
  const aliceCursor = expectOk(aliceSync, 'alice syncs').body.data.next_cursor as string;

  for (const blocked of [dave, carol]) {
    expectOk(
      await bob.api.request('PUT', `/api/v1/messages/blocks/${blocked.id}`),
      `bob blocks ${blocked.username}`,
    );
  }
  const bobsFirst = await bob.api.get('/api/v1/messages/blocks?limit=1');
  const bobBlocksCursor = expectOk(bobsFirst, 'bob lists his blocks').body.next_cursor as string;

  return {
    alice,
    bob,
    carol,
    dave,
    group,
    direct,
    outsiders,
    groupMessages: {
      alice: aliceInGroup,
      bob: bobInGroup,
      carol: carolInGroup,
      afterCarolLeft,
      deleted,
    },
    carolSend,
    directMessage,
    outsidersMessage,
    groupHistoryCursor,
    aliceCursor,
    carolCursorWhileMember,
    unknownId: newObjectId(),
    bobBlocks: { users: [carol.id, dave.id], cursor: bobBlocksCursor },
  };
}

/** Presence comes and goes with sockets; it is not state a request may change. */
const VOLATILE = new Set(['is_online', 'last_active_at']);
const stable = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (key, v: unknown) => (VOLATILE.has(key) ? undefined : v)));

/**
 * What a refused request must leave as it was: both conversations as alice and bob see them
 * (participants and roles, messages with content, status, edits and deletions, unread counts,
 * last message), seen watermarks (alice's SYNC reports one MESSAGE_SEEN per reader), every
 * user's conversation list (nothing created, joined or left), the outsiders' DIRECT, the
 * pins of the group and the DM, and every user's blocks. Reactions are in the message views
 * (counts, and `me` for alice and bob) and in alice's SYNC (MESSAGE_REACTIONS).
 */
export async function snapshotAuthzWorld(w: AuthzWorld): Promise<unknown> {
  const c = '/api/v1/messages/conversations';
  const reads: [TestUser, string][] = [
    [w.alice, `${c}/${w.group}`],
    [w.alice, `${c}/${w.group}/messages?limit=100`],
    [w.bob, `${c}/${w.group}`],
    [w.alice, `${c}/${w.direct}`],
    [w.alice, `${c}/${w.direct}/messages?limit=100`],
    [w.bob, `${c}/${w.direct}`],
    [w.dave, `${c}/${w.outsiders}/messages?limit=100`],
    ...[w.alice, w.bob, w.carol, w.dave].map((u): [TestUser, string] => [u, `${c}?limit=50`]),
    // Pins (§5.13): a refused pin or unpin leaves both lists as they were.
    [w.alice, `${c}/${w.group}/pins`],
    [w.bob, `${c}/${w.direct}/pins`],
    // Reactions (§5.12) as bob sees them too: `me` is per viewer.
    [w.bob, `${c}/${w.group}/messages?limit=100`],
    [w.bob, `${c}/${w.direct}/messages?limit=100`],
  ];
  const [answers, sync, blocks] = await Promise.all([
    Promise.all(reads.map(async ([u, path]) => expectOk(await u.api.get(path), path).body)),
    w.alice.api.post('/api/v1/messages/sync', {}),
    Promise.all([w.alice, w.bob, w.carol, w.dave].map(blockPages)),
  ]);
  const watched = new Set([w.group, w.direct]);
  const events = (expectOk(sync, 'alice syncs').body.data.events as { conversationId: string }[])
    // A SYNC also reports what happened in alice's other conversations; not ours to watch.
    .filter((e) => watched.has(e.conversationId));
  return stable({ answers, events, blocks });
}

/**
 * A user's blocks (§5.15) a page of one at a time: a block of a user the list cannot show (an
 * unknown id) still takes a page of its own, so a refused block that was stored shows too.
 */
async function blockPages(u: TestUser): Promise<unknown[]> {
  const pages: unknown[] = [];
  let cursor = '';
  for (let i = 0; i < 20; i++) {
    const path = `/api/v1/messages/blocks?limit=1${cursor ? `&cursor=${cursor}` : ''}`;
    const page = expectOk(await u.api.get(path), `${u.username} lists blocks`).body;
    pages.push(page);
    if (!page.has_more) break;
    cursor = page.next_cursor as string;
  }
  return pages;
}
