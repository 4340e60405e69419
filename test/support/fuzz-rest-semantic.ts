// Well-formed REST requests the rules must refuse: unknown ids, conversations the caller is not
// in, other people's messages, members acting as admins, reused temp_ids, foreign cursors. Free
// text in them is fuzzed (Unicode edge cases included); the verdict comes from the rule.
import fc from 'fast-check';
import { GOOD_EMOJIS, MEDIA_MAX, MESSAGE_MAX } from './fuzz-specs';
import type { RestCase } from './fuzz-rest-cases';
import { encodeAny } from './fuzz-rest-queries';
import { hexId, longString, toJson, unicodeEdgeString, type FuzzValue } from './fuzz-values';
import type { UserKey, World } from './fuzz-world';

const m = '/api/v1/messages';

/** Non-blank text that any rule about content would accept. */
const someText = fc
  .oneof(fc.string({ minLength: 1, maxLength: 40 }), unicodeEdgeString)
  .filter((s) => s.trim().length > 0 && s.length <= MESSAGE_MAX);

interface Sem {
  route: string;
  method: RestCase['method'];
  path: string;
  as?: UserKey;
  body?: FuzzValue;
  expect: number[];
}

const toCase = (s: Sem): RestCase => ({
  route: s.route,
  family: s.expect[0] === 200 ? 'read:hostile-search' : `semantic:${s.expect.join('|')}`,
  auth: { user: s.as ?? 'alice' },
  method: s.method,
  path: s.path,
  headers: s.body === undefined ? {} : { 'content-type': 'application/json' },
  ...(s.body !== undefined && { body: Buffer.from(toJson(s.body)) }),
  expect: s.expect,
});

export function semanticCases(w: World): fc.Arbitrary<RestCase> {
  const { alice, bob, carol, dave } = w.users;
  const { dm, group, otherDm } = w;
  const msgs = w.messages;
  const conv = (id: string) => `${m}/conversations/${id}`;
  const send = 'POST /messages/conversations/:id/messages';
  const edit = 'PATCH /messages/conversations/:id/messages/:messageId';
  const del = 'DELETE /messages/conversations/:id/messages/:messageId';
  const seen = 'PATCH /messages/conversations/:id/seen';
  const add = 'POST /messages/conversations/:id/participants';
  const remove = 'DELETE /messages/conversations/:id/participants/:userId';
  const create = 'POST /messages/conversations';
  const anyMember = fc.constantFrom<UserKey>('alice', 'bob');

  const cases: fc.Arbitrary<Sem>[] = [
    // Unknown conversations and conversations the caller is not in.
    hexId.map((id) => ({
      route: 'GET /messages/conversations/:id',
      method: 'GET',
      path: conv(id),
      expect: [404],
    })),
    fc.constantFrom(dm, otherDm).map((id) => ({
      route: 'GET /messages/conversations/:id',
      method: 'GET',
      path: conv(id),
      as: id === dm ? 'dave' : 'alice',
      expect: [403],
    })),
    fc.tuple(hexId, fc.constantFrom('', '?limit=5')).map(([id, q]) => ({
      route: 'GET /messages/conversations/:id/messages',
      method: 'GET',
      path: `${conv(id)}/messages${q}`,
      expect: [404],
    })),
    fc.constant<Sem>({
      route: 'GET /messages/conversations/:id/messages',
      method: 'GET',
      path: `${conv(otherDm)}/messages`,
      expect: [403],
    }),
    fc.tuple(hexId, someText).map(([id, content]) => ({
      route: send,
      method: 'POST',
      path: `${conv(id)}/messages`,
      body: { content },
      expect: [404],
    })),
    fc
      .tuple(
        fc.constantFrom(dm, group),
        someText,
        fc.option(fc.string({ minLength: 1, maxLength: 128 })),
      )
      .map(([id, content, tempId]) => ({
        route: send,
        method: 'POST',
        path: `${conv(id)}/messages`,
        as: 'dave',
        body: { content, ...(tempId !== null && { temp_id: tempId }) },
        expect: [403],
      })),
    // Replies to messages that are unknown or elsewhere.
    fc.tuple(hexId, someText).map(([reply, content]) => ({
      route: send,
      method: 'POST',
      path: `${conv(dm)}/messages`,
      body: { content, reply_to_message_id: reply },
      expect: [404],
    })),
    fc
      .tuple(fc.constantFrom(msgs.group.bob[0]!, msgs.otherDm[0]!), someText)
      .map(([reply, content]) => ({
        route: send,
        method: 'POST',
        path: `${conv(dm)}/messages`,
        body: { content, reply_to_message_id: reply },
        expect: [400],
      })),
    // A temp_id reused with another body, or in another conversation.
    fc
      .tuple(
        someText.filter((c) => c !== w.aliceTempId.content),
        fc.constantFrom(dm, group),
      )
      .map(([content, id]) => ({
        route: send,
        method: 'POST',
        path: `${conv(id)}/messages`,
        body: { content, temp_id: w.aliceTempId.tempId },
        expect: [409],
      })),
    // Bodies the message rules refuse.
    fc
      .tuple(fc.constantFrom(dm, group), longString(MESSAGE_MAX + 1, MESSAGE_MAX + 3000))
      .map(([id, content]) => ({
        route: send,
        method: 'POST',
        path: `${conv(id)}/messages`,
        body: { content },
        expect: [400],
      })),
    fc.integer({ min: MEDIA_MAX + 1, max: MEDIA_MAX + 20 }).map((n) => ({
      route: send,
      method: 'POST',
      path: `${conv(dm)}/messages`,
      body: { media: Array(n).fill({ url: 'https://example.com/x.png', type: 'image' }) },
      expect: [400],
    })),
    // Edits and deletions of other people's, unknown, misplaced or deleted messages.
    fc
      .tuple(
        someText,
        fc.constantFrom<[UserKey, string, string]>(
          ['bob', dm, msgs.dm.alice[0]!],
          ['alice', dm, msgs.dm.bob[0]!],
          ['alice', group, msgs.group.carol[0]!],
          ['dave', dm, msgs.dm.alice[0]!],
        ),
      )
      .map(([content, [as, id, msg]]) => ({
        route: edit,
        method: 'PATCH',
        path: `${conv(id)}/messages/${msg}`,
        as,
        body: { content },
        expect: [403],
      })),
    fc
      .tuple(someText, hexId, fc.constantFrom(msgs.group.alice[0]!, msgs.otherDm[0]!))
      .map(([content, unknown, elsewhere]) => ({
        route: edit,
        method: 'PATCH',
        path: `${conv(dm)}/messages/${content.length % 2 ? unknown : elsewhere}`,
        body: { content },
        expect: [404],
      })),
    someText.map((content) => ({
      route: edit,
      method: 'PATCH',
      path: `${conv(group)}/messages/${msgs.group.deleted}`,
      as: 'carol' as const,
      body: { content },
      expect: [400, 404, 409],
    })),
    fc
      .constantFrom<[UserKey, string, string]>(
        ['bob', dm, msgs.dm.alice[0]!],
        ['bob', group, msgs.group.carol[0]!],
        ['carol', group, msgs.group.alice[0]!],
        ['dave', dm, msgs.dm.alice[0]!],
      )
      .map(([as, id, msg]) => ({
        route: del,
        method: 'DELETE',
        path: `${conv(id)}/messages/${msg}`,
        as,
        expect: [403],
      })),
    fc.tuple(hexId, fc.boolean()).map(([unknown, misplaced]) => ({
      route: del,
      method: 'DELETE',
      path: `${conv(dm)}/messages/${misplaced ? msgs.group.alice[0]! : unknown}`,
      expect: [404],
    })),
    // Receipts on unknown or misplaced messages.
    fc.tuple(hexId, fc.boolean(), anyMember).map(([unknown, inBody, as]) => ({
      route: seen,
      method: 'PATCH',
      path: `${conv(dm)}/seen${inBody ? '' : `?message_id=${unknown}`}`,
      as,
      ...(inBody && { body: { message_id: unknown } }),
      expect: [404],
    })),
    fc
      .tuple(fc.constantFrom(msgs.group.bob[0]!, msgs.otherDm[0]!), fc.boolean())
      .map(([msg, inBody]) => ({
        route: seen,
        method: 'PATCH',
        path: `${conv(dm)}/seen${inBody ? '' : `?message_id=${msg}`}`,
        ...(inBody && { body: { message_id: msg } }),
        expect: [400],
      })),
    fc.constantFrom(dm, group).map((id) => ({
      route: seen,
      method: 'PATCH',
      path: `${conv(id)}/seen`,
      as: 'dave' as const,
      expect: [403],
    })),
    hexId.map((id) => ({ route: seen, method: 'PATCH', path: `${conv(id)}/seen`, expect: [404] })),
    // Membership: members acting as admins, DMs, unknown users.
    fc
      .constantFrom<[UserKey, string, number]>(
        ['bob', group, 403],
        ['dave', group, 403],
        ['alice', dm, 400],
      )
      .map(([as, id, status]) => ({
        route: add,
        method: 'POST',
        path: `${conv(id)}/participants`,
        as,
        body: { user_ids: [dave.id] },
        expect: [status],
      })),
    fc.tuple(hexId, fc.boolean()).map(([unknown, withDave]) => ({
      route: add,
      method: 'POST',
      path: `${conv(group)}/participants`,
      body: { user_ids: withDave ? [dave.id, unknown] : [unknown] },
      expect: [404],
    })),
    fc
      .constantFrom<[UserKey, string, string, number]>(
        ['bob', group, carol.id, 403],
        ['dave', group, bob.id, 403],
        ['alice', dm, bob.id, 400],
        ['alice', group, dave.id, 404],
        ['alice', group, 'f'.repeat(24), 404],
      )
      .map(([as, id, user, status]) => ({
        route: remove,
        method: 'DELETE',
        path: `${conv(id)}/participants/${user}`,
        as,
        expect: [status],
      })),
    fc.tuple(hexId, fc.boolean()).map(([unknown, self]) => ({
      route: 'POST /messages/direct/:userId',
      method: 'POST',
      path: `${m}/direct/${self ? alice.id : unknown}`,
      expect: [self ? 400 : 404],
    })),
    // Conversations that cannot be created.
    fc
      .tuple(
        hexId,
        someText.filter((t) => t.trim().length <= 100),
      )
      .chain(([unknown, name]) =>
        fc.constantFrom<Sem>(
          {
            route: create,
            method: 'POST',
            path: `${m}/conversations`,
            body: { type: 'DIRECT', participant_ids: [unknown] },
            expect: [404],
          },
          {
            route: create,
            method: 'POST',
            path: `${m}/conversations`,
            body: { type: 'DIRECT', participant_ids: [alice.id] },
            expect: [400],
          },
          {
            route: create,
            method: 'POST',
            path: `${m}/conversations`,
            body: { type: 'DIRECT', participant_ids: [] },
            expect: [400],
          },
          {
            route: create,
            method: 'POST',
            path: `${m}/conversations`,
            body: { type: 'DIRECT', participant_ids: [bob.id, carol.id] },
            expect: [400],
          },
          {
            route: create,
            method: 'POST',
            path: `${m}/conversations`,
            body: { type: 'GROUP', participant_ids: [bob.id] },
            expect: [400],
          },
          {
            route: create,
            method: 'POST',
            path: `${m}/conversations`,
            body: { type: 'GROUP', name, participant_ids: [bob.id, unknown] },
            expect: [404],
          },
        ),
      ),
    // Cursors nobody was given, or somebody else was.
    fc.tuple(fc.oneof(hexId, fc.constant(w.bobCursor)), fc.boolean()).map(([since, post]) => ({
      route: post ? 'POST /messages/sync' : 'GET /messages/sync',
      method: post ? 'POST' : 'GET',
      path: post ? `${m}/sync` : `${m}/sync?since=${since}`,
      ...(post && { body: { since } }),
      expect: [400],
    })),
    fc.constant<Sem>({
      route: 'GET /messages/search/users',
      method: 'GET',
      path: `${m}/search/users?limit=5`,
      expect: [400],
    }),
  ];
  // Search terms are taken literally: pattern syntax, operators and odd characters find nobody,
  // and never break the query (a read: the answer is a 200 list).
  const hostileSearch = fc
    .oneof(
      fc.constantFrom(
        '(',
        '[',
        '*',
        '\\',
        '(a+)+$',
        '.*',
        '^',
        '$where',
        '{"$gt":""}',
        '%',
        '\u0000',
      ),
      unicodeEdgeString,
      fc.string({ minLength: 1, maxLength: 64 }),
    )
    .filter((q) => q.trim() !== '' && q.length <= 64)
    .map((q): Sem => ({
      route: 'GET /messages/search/users',
      method: 'GET',
      path: `${m}/search/users?q=${encodeAny(q)}`,
      expect: [200],
    }));
  return fc
    .oneof(...cases, ...pinCases(w), ...reactionCases(w), ...blockCases(w), hostileSearch)
    .map(toCase);
}

type Write = 'PUT' | 'DELETE';

/**
 * PUT / DELETE requests on one message of a conversation the rules refuse (alice is the group's
 * admin): unknown conversations, `refused` (caller, conversation, message: 403), unknown
 * messages or those of another conversation, and the group's deleted message (`deleted`).
 */
function targetWriteCases(
  w: World,
  target: {
    route: (method: Write) => string;
    path: (conversationId: string, messageId: string) => fc.Arbitrary<string>;
    refused: [UserKey, string, string][];
    deleted: { methods: Write[]; status: number };
  },
): fc.Arbitrary<Sem>[] {
  const msgs = w.messages;
  const write = fc.constantFrom<Write>('PUT', 'DELETE');
  const at = (method: Write, path: fc.Arbitrary<string>, as: UserKey, status: number) =>
    path.map((p): Sem => ({ route: target.route(method), method, path: p, as, expect: [status] }));
  return [
    fc
      .tuple(write, hexId)
      .chain(([method, id]) => at(method, target.path(id, msgs.dm.bob[0]!), 'alice', 404)),
    fc
      .tuple(write, fc.constantFrom(...target.refused))
      .chain(([method, [as, id, msg]]) => at(method, target.path(id, msg), as, 403)),
    fc
      .tuple(write, fc.oneof(hexId, fc.constantFrom(msgs.group.alice[0]!, msgs.otherDm[0]!)))
      .chain(([method, msg]) => at(method, target.path(w.dm, msg), 'alice', 404)),
    fc
      .constantFrom(...target.deleted.methods)
      .chain((method) =>
        at(method, target.path(w.group, msgs.group.deleted), 'alice', target.deleted.status),
      ),
  ];
}

/** Pin requests the rules refuse (§5.13): alice is the group's admin, bob a member. */
function pinCases(w: World): fc.Arbitrary<Sem>[] {
  const { dm, group, otherDm } = w;
  const msgs = w.messages;
  const list = 'GET /messages/conversations/:id/pins';
  return [
    ...targetWriteCases(w, {
      route: (method) => `${method} /messages/conversations/:id/pins/:messageId`,
      path: (id, msg) => fc.constant(`${m}/conversations/${id}/pins/${msg}`),
      refused: [
        ['dave', dm, msgs.dm.bob[0]!],
        ['dave', group, msgs.group.bob[0]!],
        ['alice', otherDm, msgs.otherDm[0]!],
        // A member of the group, not its admin.
        ['bob', group, msgs.group.alice[0]!],
      ],
      // A deleted message cannot be pinned (400); unpinning it is harmless.
      deleted: { methods: ['PUT'], status: 400 },
    }),
    hexId.map((id) => ({
      route: list,
      method: 'GET',
      path: `${m}/conversations/${id}/pins`,
      expect: [404],
    })),
    fc
      .constantFrom<[UserKey, string]>(['dave', dm], ['dave', group], ['alice', otherDm])
      .map(([as, id]) => ({
        route: list,
        method: 'GET',
        path: `${m}/conversations/${id}/pins`,
        as,
        expect: [403],
      })),
  ];
}

/** A refusal of a request naming one of these (encoded) comes from its target. */
const someEmoji = fc.constantFrom(...GOOD_EMOJIS).map(encodeAny);

/** Reaction requests the rules refuse (§5.12): any current participant may react, no one else. */
function reactionCases(w: World): fc.Arbitrary<Sem>[] {
  const msgs = w.messages;
  return targetWriteCases(w, {
    route: (method) => `${method} /messages/conversations/:id/messages/:messageId/reactions/:emoji`,
    path: (id, msg) =>
      someEmoji.map((e) => `${m}/conversations/${id}/messages/${msg}/reactions/${e}`),
    refused: [
      ['dave', w.dm, msgs.dm.bob[0]!],
      ['dave', w.group, msgs.group.bob[0]!],
      ['alice', w.otherDm, msgs.otherDm[0]!],
    ],
    // A deleted message takes no reactions, either way.
    deleted: { methods: ['PUT', 'DELETE'], status: 409 },
  });
}

/** Block requests the rules refuse (§5.15): oneself (400), an unknown user (404). */
function blockCases(w: World): fc.Arbitrary<Sem>[] {
  const route = (method: Write) => `${method} /messages/blocks/:userId`;
  const write = fc.constantFrom<Write>('PUT', 'DELETE');
  return [
    fc
      .tuple(write, fc.constantFrom<UserKey>('alice', 'bob', 'carol', 'dave'))
      .map(([method, as]) => ({
        route: route(method),
        method,
        path: `${m}/blocks/${w.users[as].id}`,
        as,
        expect: [400],
      })),
    fc.tuple(write, hexId, fc.constantFrom<UserKey>('alice', 'dave')).map(([method, id, as]) => ({
      route: route(method),
      method,
      path: `${m}/blocks/${id}`,
      as,
      expect: [404],
    })),
  ];
}
