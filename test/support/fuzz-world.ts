// The stored state the fuzz suite attacks: four users, a DM and a group with messages (one edited,
// one deleted, one with media, one with alice's reaction, receipts part way), a conversation the
// caller is not in, alice's block of dave, and tokens that must be refused. `snapshotWorld` reads
// it back through REST for before/after checks.
import { createHmac } from 'node:crypto';
import { Api, registerUser, TEST_JWT_SECRET, type TestUser } from './test-node';

const base = '/api/v1/messages';

export type UserKey = 'alice' | 'bob' | 'carol' | 'dave';

export interface World {
  url: string;
  users: Record<UserKey, TestUser>;
  /** alice ↔ bob. */
  dm: string;
  /** alice (ADMIN), bob, carol. */
  group: string;
  /** bob ↔ carol: alice and dave are not in it. */
  otherDm: string;
  /** Message ids per conversation, by sender. */
  messages: {
    dm: { alice: string[]; bob: string[] };
    group: { alice: string[]; bob: string[]; carol: string[]; deleted: string };
    otherDm: string[];
  };
  /** A temp_id alice used in the DM, with the content it carried. */
  aliceTempId: { tempId: string; content: string };
  /** A SYNC cursor that belongs to bob (alice may not use it). */
  bobCursor: string;
  /** Tokens that must all be refused, plus the valid ones of `users`. */
  badTokens: string[];
}

async function expectOk<T>(what: string, call: Promise<{ status: number; body: any }>): Promise<T> {
  const res = await call;
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data as T;
}

async function send(user: TestUser, conversation: string, body: object): Promise<string> {
  const msg = await expectOk<{ id: string }>(
    'send',
    user.api.post(`${base}/conversations/${conversation}/messages`, body),
  );
  return msg.id;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT with any header algorithm and any claims, signed HS256-style with `secret`. */
export function signToken(
  claims: object,
  alg: unknown = 'HS256',
  secret = TEST_JWT_SECRET,
): string {
  const head = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`;
  if (alg === 'none') return `${head}.`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

export async function seedWorld(url: string): Promise<World> {
  const api = new Api(url);
  const [alice, bob, carol, dave] = await Promise.all([
    registerUser(api, 'fzalice'),
    registerUser(api, 'fzbob'),
    registerUser(api, 'fzcarol'),
    registerUser(api, 'fzdave'),
  ]);
  const dm = (await expectOk<{ id: string }>('dm', alice.api.post(`${base}/direct/${bob.id}`))).id;
  const group = (
    await expectOk<{ id: string }>(
      'group',
      alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'fuzz group',
        participant_ids: [bob.id, carol.id],
      }),
    )
  ).id;
  const otherDm = (
    await expectOk<{ id: string }>('other dm', bob.api.post(`${base}/direct/${carol.id}`))
  ).id;

  const aliceTempId = { tempId: 'fuzz-temp-1', content: 'hello bob' };
  const dmAlice = [await send(alice, dm, { content: aliceTempId.content, temp_id: 'fuzz-temp-1' })];
  const dmBob = [await send(bob, dm, { content: 'hi alice', reply_to_message_id: dmAlice[0] })];
  dmAlice.push(
    await send(alice, dm, {
      content: 'look',
      media: [{ url: 'https://example.com/a.jpg', type: 'image', width: 10, height: 10 }],
    }),
  );
  const gAlice = [await send(alice, group, { content: 'welcome' })];
  const gBob = [await send(bob, group, { content: 'thanks' })];
  const gCarol = [await send(carol, group, { content: 'carol here' })];
  const deleted = await send(carol, group, { content: 'oops' });
  gBob.push(await send(bob, group, { content: 'typo' }));
  await expectOk(
    'edit',
    bob.api.patch(`${base}/conversations/${group}/messages/${gBob[1]}`, { content: 'fixed' }),
  );
  await expectOk('delete', carol.api.delete(`${base}/conversations/${group}/messages/${deleted}`));
  const other = [await send(bob, otherDm, { content: 'secret' })];
  // Receipts part way: bob has seen the DM up to alice's first message, carol the group's start.
  await expectOk(
    'seen',
    bob.api.patch(`${base}/conversations/${dm}/seen?message_id=${dmAlice[0]}`),
  );
  await expectOk(
    'seen',
    carol.api.patch(`${base}/conversations/${group}/seen?message_id=${gAlice[0]}`),
  );
  const bobSync = await expectOk<{ next_cursor: string }>('sync', bob.api.post(`${base}/sync`, {}));
  // What a bad REACT/UNREACT or block request could undo or add to (fuzz-rest-routes.ts).
  await expectOk(
    'react',
    alice.api.request(
      'PUT',
      `${base}/conversations/${dm}/messages/${dmBob[0]}/reactions/${encodeURIComponent('👍')}`,
    ),
  );
  await expectOk('block', alice.api.request('PUT', `${base}/blocks/${dave.id}`));

  const now = Math.floor(Date.now() / 1000);
  const badTokens = [
    signToken({ sub: alice.id, exp: now - 60 }),
    signToken({ sub: alice.id }, 'HS256', 'not-the-secret'),
    signToken({ sub: alice.id.toUpperCase() }),
    signToken({ sub: 'a'.repeat(24) }),
    signToken({ sub: { $ne: null } }),
    signToken({ sub: [alice.id] }),
    signToken({ sub: alice.id, exp: 'never' }),
    signToken({ sub: alice.id, nbf: now + 3600 }),
    signToken({ sub: alice.id }, 'none'),
    signToken({ sub: alice.id }, 'HS512'),
    signToken({ sub: alice.id }, { $ne: null }),
    `${alice.token.split('.').slice(0, 2).join('.')}.`,
    `${alice.token.slice(0, -3)}AAA`,
    alice.token.split('.').reverse().join('.'),
    'a.b.c',
    'garbage',
  ];

  return {
    url,
    users: { alice, bob, carol, dave },
    dm,
    group,
    otherDm,
    messages: {
      dm: { alice: dmAlice, bob: dmBob },
      group: { alice: gAlice, bob: gBob, carol: gCarol, deleted },
      otherDm: other,
    },
    aliceTempId,
    bobCursor: bobSync.next_cursor,
    badTokens,
  };
}

/** Presence fields move as sockets come and go; they are not state bad input could change. */
function withoutPresence(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPresence);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== 'is_online' && k !== 'last_active_at')
      .map(([k, v]) => [k, withoutPresence(v)]),
  );
}

/**
 * Everything each user can read through REST: conversation lists with unread counts, each
 * conversation's detail (participants, roles, last message), every page of its messages (their
 * reactions with the reader's `me`), its pins, and the user's blocks.
 */
export async function snapshotWorld(world: World): Promise<unknown> {
  const snapshot: Record<string, unknown> = {};
  for (const [key, user] of Object.entries(world.users)) {
    const list = await user.api.get(`${base}/conversations?limit=50`);
    const conversations: Record<string, unknown> = {};
    for (const row of list.body.data as { id: string }[]) {
      const detail = await user.api.get(`${base}/conversations/${row.id}`);
      const pages: unknown[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '' : `&cursor=${cursor}`;
        const page = await user.api.get(
          `${base}/conversations/${row.id}/messages?limit=100${query}`,
        );
        pages.push(page.body.data);
        cursor = page.body.has_more ? (page.body.next_cursor as string) : null;
      } while (cursor !== null);
      // Pins (§5.13): bad input pins and unpins nothing.
      const pins = await user.api.get(`${base}/conversations/${row.id}/pins`);
      conversations[row.id] = { detail: detail.body, pages, pins: pins.body };
    }
    snapshot[key] = withoutPresence({
      list: list.body,
      conversations,
      blocks: await blocksOf(user),
    });
  }
  return snapshot;
}

/**
 * A user's blocks (§5.15) a page of one at a time: a stored block the list cannot show (of an
 * unknown id) still takes a page of its own, so a refused block that was stored shows too.
 */
async function blocksOf(user: TestUser): Promise<unknown[]> {
  const pages: unknown[] = [];
  let query = '';
  for (let i = 0; i < 20; i++) {
    const page = await user.api.get(`${base}/blocks?limit=1${query}`);
    pages.push(page.body);
    if (page.body.has_more !== true) break;
    query = `&cursor=${page.body.next_cursor as string}`;
  }
  return pages;
}
