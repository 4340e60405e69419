// Every statement PostgresStore runs, EXPLAINed on a realistically sized database (100k messages
// in 200 busy conversations among 10k quiet ones, 50k users, ~25k participants, 10k SYNC cursors):
// no plan may read a whole table (no Seq Scan). The SQL is the stores' own exported text, so this
// checks what the store really runs; each part lists a case per statement (the types demand it).
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { SQL as blockSql } from '../../src/adapters/store/postgres/postgres-block-store';
import { SQL as conversationSql } from '../../src/adapters/store/postgres/postgres-conversation-store';
import { SQL as messageSearchSql } from '../../src/adapters/store/postgres/postgres-message-search-store';
import { SQL as messageSql } from '../../src/adapters/store/postgres/postgres-message-store';
import { SQL as participantSql } from '../../src/adapters/store/postgres/postgres-participant-store';
import { SQL as pinSql } from '../../src/adapters/store/postgres/postgres-pin-store';
import { SQL as reactionSql } from '../../src/adapters/store/postgres/postgres-reaction-store';
import { PostgresStore } from '../../src/adapters/store/postgres/postgres-store';
import { SQL as syncChangesSql } from '../../src/adapters/store/postgres/postgres-sync-changes';
import { SQL as syncCursorSql } from '../../src/adapters/store/postgres/postgres-sync-cursor-store';
import {
  likeContaining,
  SQL as userSql,
} from '../../src/adapters/store/postgres/postgres-user-store';
import { createTestDatabase, type TestDatabase } from '../support/postgres-db';

const md5 = (key: string): string => createHash('md5').update(key).digest('hex');
/** The same ids the loader below derives in SQL: the first 24 hex digits of md5(key). */
const idOf = (key: string): string => md5(key).slice(0, 24);
/** User i's lowercased name, as the loader derives it: 8 letters from md5, then `_i`. */
const nameOf = (i: number): string =>
  `${md5(`n${i}`)
    .slice(0, 8)
    .replace(/[0-9]/g, (d) => 'ghijklmnop'.charAt(Number(d)))}_${i}`;

const T0 = new Date('2030-01-01T00:00:00Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const USERS = 50_000;
const GROUPS = 200;
const GROUP_SIZE = 25;
const MESSAGES_PER_GROUP = 500;
const DIRECTS = 10_000;
const CURSORS = 10_000;

/** Loads the data set with set-based inserts (generate_series), a few seconds at most. */
const LOAD = [
  `INSERT INTO users (id, username, username_lower, avatar_url, password_hash, created_at, last_active_at)
   SELECT substr(md5('u' || i), 1, 24), initcap(name), name, NULL, 'hash',
     $1::timestamptz, $1::timestamptz + i * interval '1 second'
   FROM generate_series(1, ${USERS}) i,
     LATERAL (SELECT translate(substr(md5('n' || i), 1, 8), '0123456789', 'ghijklmnop') || '_' || i
       AS name) n`,
  // Busy groups: activity in the last 500 seconds; direct conversations: older, no messages.
  `INSERT INTO conversations (id, type, name, created_by, created_at, updated_at,
     last_message_id, last_message_content, last_message_at, last_seq, emitted_seq)
   SELECT substr(md5('g' || g), 1, 24), 'GROUP', 'group ' || g, substr(md5('u' || (g * ${GROUP_SIZE} % ${USERS} + 1)), 1, 24),
     $1::timestamptz, $1::timestamptz + (${MESSAGES_PER_GROUP} * 1000 + g) * interval '1 millisecond',
     substr(md5('m' || g || '_' || ${MESSAGES_PER_GROUP}), 1, 24), 'last', $1::timestamptz + (${MESSAGES_PER_GROUP} * 1000 + g) * interval '1 millisecond',
     ${MESSAGES_PER_GROUP}, ${MESSAGES_PER_GROUP}
   FROM generate_series(1, ${GROUPS}) g`,
  `INSERT INTO conversations (id, type, name, created_by, created_at, updated_at, last_seq, emitted_seq)
   SELECT substr(md5('d' || d), 1, 24), 'DIRECT', NULL, NULL,
     $1::timestamptz - d * interval '1 minute', $1::timestamptz - d * interval '1 minute', 0, 0
   FROM generate_series(1, ${DIRECTS}) d`,
  // Each group's members, one in twenty of them gone; receipts spread over the last hour.
  `INSERT INTO participants (conversation_id, user_id, role, joined_at, left_at, joined_seq,
     seen_message_id, seen_seq, delivered_message_id, delivered_seq, receipts_at)
   SELECT substr(md5('g' || g), 1, 24), substr(md5('u' || ((g * ${GROUP_SIZE} + k) % ${USERS} + 1)), 1, 24),
     CASE WHEN k = 0 THEN 'ADMIN' ELSE 'MEMBER' END,
     $1::timestamptz - interval '10 days' + k * interval '1 hour',
     CASE WHEN (g + k) % 20 = 0 THEN $1::timestamptz - interval '1 day' + g * interval '1 second' END,
     0, substr(md5('m' || g || '_' || (400 + k)), 1, 24), 400 + k,
     substr(md5('m' || g || '_' || (450 + k)), 1, 24), 450 + k,
     $1::timestamptz - interval '1 hour' + (g * ${GROUP_SIZE} + k) * interval '100 milliseconds'
   FROM generate_series(1, ${GROUPS}) g, generate_series(0, ${GROUP_SIZE - 1}) k`,
  `INSERT INTO participants (conversation_id, user_id, role, joined_at, left_at, joined_seq)
   SELECT substr(md5('d' || d), 1, 24), substr(md5('u' || u), 1, 24), 'MEMBER',
     $1::timestamptz - d * interval '1 minute', NULL, 0
   FROM generate_series(1, ${DIRECTS}) d,
     LATERAL (VALUES (d % ${USERS} + 1), ((d * 7 + 13) % ${USERS} + 1)) pair (u)
   ON CONFLICT DO NOTHING`,
  // One in ten memberships muted at some point in the last day, half of those until a time.
  `UPDATE participants SET muted = true,
     muted_until = CASE WHEN joined_seq = 0 AND ascii(user_id) % 2 = 0 THEN $1::timestamptz + interval '1 day' END,
     mute_changed_at = $1::timestamptz - interval '1 day' + ascii(substr(user_id, 2)) * interval '1 minute'
   WHERE ascii(substr(user_id, 3)) % 10 = 0`,
  // 100k messages: one in 50 edited, one in 97 deleted, the newest three per group still pending.
  `INSERT INTO messages (id, conversation_id, seq, sender_id, content, type, media,
     reply_to_message_id, temp_id, body_hash, created_at, updated_at, deleted_at, changed_at,
     event_pending)
   SELECT substr(md5('m' || g || '_' || s), 1, 24), substr(md5('g' || g), 1, 24), s,
     substr(md5('u' || ((g * ${GROUP_SIZE} + s % ${GROUP_SIZE}) % ${USERS} + 1)), 1, 24),
     'message ' || s, 'TEXT', '[]'::jsonb, NULL, 'tmp-' || s, NULL,
     created, CASE WHEN s % 50 = 0 THEN created + interval '1 minute' END,
     CASE WHEN s % 97 = 0 THEN created + interval '2 minutes' END,
     CASE WHEN s % 97 = 0 THEN created + interval '2 minutes'
          WHEN s % 50 = 0 THEN created + interval '1 minute' ELSE created END,
     s > ${MESSAGES_PER_GROUP - 3}
   FROM generate_series(1, ${GROUPS}) g, generate_series(1, ${MESSAGES_PER_GROUP}) s,
     LATERAL (SELECT $1::timestamptz + (s * 1000 + g) * interval '1 millisecond' AS created) t`,
  // Pins: 40 per group (one in four since unpinned) and 3 in each DIRECT, ~50k rows.
  `INSERT INTO message_pins (id, conversation_id, message_id, pinned_by, pinned_at, unpinned_at,
     unpinned_by, changed_at)
   SELECT substr(md5('p' || c || '_' || k), 1, 24), c, substr(md5('pm' || c || '_' || k), 1, 24),
     substr(md5('u1'), 1, 24), pinned, CASE WHEN k % 4 = 0 THEN pinned + interval '1 hour' END,
     CASE WHEN k % 4 = 0 THEN substr(md5('u1'), 1, 24) END,
     CASE WHEN k % 4 = 0 THEN pinned + interval '1 hour' ELSE pinned END
   FROM (SELECT substr(md5('g' || g), 1, 24) AS c, 40 AS n FROM generate_series(1, ${GROUPS}) g
         UNION ALL
         SELECT substr(md5('d' || d), 1, 24), 3 FROM generate_series(1, ${DIRECTS}) d) conv,
     LATERAL generate_series(1, conv.n) k,
     LATERAL (SELECT $1::timestamptz - interval '1 day' + k * interval '1 minute' AS pinned) t`,
  // Blocks: 20k, each user blocking up to a few others; a DIRECT in ten marked blocked.
  `INSERT INTO blocks (id, blocker_id, blocked_id, blocked_at)
   SELECT substr(md5('b' || i), 1, 24), substr(md5('u' || (i % ${USERS} + 1)), 1, 24),
     substr(md5('u' || ((i * 7 + 3) % ${USERS} + 1)), 1, 24),
     $1::timestamptz - i * interval '1 second'
   FROM generate_series(1, 20000) i
   WHERE i % ${USERS} <> (i * 7 + 3) % ${USERS}`,
  `UPDATE participants SET blocked = true
   WHERE joined_at < $1::timestamptz
     AND conversation_id IN (SELECT substr(md5('d' || d), 1, 24) FROM generate_series(1, ${DIRECTS}, 10) d)`,
  // Reactions on every other message: two or three each, one in ten of them removed (tombstones).
  `INSERT INTO message_reactions (id, message_id, conversation_id, message_seq, user_id, emoji,
     created_at, changed_at, removed_at)
   SELECT substr(md5('r' || g || '_' || s || '_' || k), 1, 24), substr(md5('m' || g || '_' || s), 1, 24),
     substr(md5('g' || g), 1, 24), s, substr(md5('u' || ((g * ${GROUP_SIZE} + k) % ${USERS} + 1)), 1, 24),
     (ARRAY['👍', '❤️', '🎉'])[k + 1], reacted, reacted + CASE WHEN (s + k) % 10 = 0 THEN interval '1 minute' ELSE interval '0' END,
     CASE WHEN (s + k) % 10 = 0 THEN reacted + interval '1 minute' END
   FROM generate_series(1, ${GROUPS}) g, generate_series(2, ${MESSAGES_PER_GROUP}, 2) s,
     generate_series(0, 1 + s % 2) k,
     LATERAL (SELECT $1::timestamptz + (s * 1000 + g + k) * interval '1 millisecond' AS reacted) t`,
  // SYNC cursors, half of them expired.
  `INSERT INTO sync_cursors (id, user_id, positions, changes_since, created_at, expires_at)
   SELECT substr(md5('s' || i), 1, 24), substr(md5('u' || (i % ${USERS} + 1)), 1, 24),
     jsonb_build_object(substr(md5('g' || (i % ${GROUPS} + 1)), 1, 24), i % 500),
     $1::timestamptz, $1::timestamptz, $1::timestamptz + (i - ${CURSORS / 2}) * interval '1 second'
   FROM generate_series(1, ${CURSORS}) i`,
  // One message in ten mentions another member of its group (a few in a hundred mention two).
  `UPDATE messages m SET mentions = CASE WHEN seq % 30 = 0 THEN ARRAY[a, b] ELSE ARRAY[a] END
   FROM (SELECT id, substr(md5('u' || ((g * ${GROUP_SIZE} + (s + 7) % ${GROUP_SIZE}) % ${USERS} + 1)), 1, 24) AS a,
       substr(md5('u' || ((g * ${GROUP_SIZE} + (s + 11) % ${GROUP_SIZE}) % ${USERS} + 1)), 1, 24) AS b
     FROM generate_series(1, ${GROUPS}) g, generate_series(1, ${MESSAGES_PER_GROUP}) s,
       LATERAL (SELECT substr(md5('m' || g || '_' || s), 1, 24) AS id) i
     WHERE s % 10 = 0) x
   WHERE m.id = x.id AND m.created_at >= $1::timestamptz`,
];

/** Names of the tables a plan reads with a Seq Scan, anywhere in its tree. */
function seqScannedTables(plan: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      const n = node as Record<string, unknown>;
      if (n['Node Type'] === 'Seq Scan') found.push(String(n['Relation Name']));
      Object.values(n).forEach(walk);
    }
  };
  walk(plan);
  return found;
}

// Parameters as the stores pass them, for a typical user, conversation and SYNC.
const user = idOf('u42');
const conversation = idOf('g7');
const syncConversations = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((g) => idOf(`g${g}`));
const message = idOf('m7_250');
const now = at(600);
const recently = at(300);
const receiptsSince = at(-7200);
const membershipSince = at(-2 * 86_400);
const media = '[]';

type Cases<S> = Record<keyof S, unknown[]>;

const userCases: Cases<typeof userSql> = {
  insertUser: [idOf('new user'), 'New_User', null, 'h', now, null, 'new_user'],
  findUsersByIds: [[user, idOf('u43'), idOf('u44')]],
  // A selective needle (the trigram index); a short one is below, among the extra cases.
  searchUsers: [likeContaining(nameOf(42).slice(2, 7)), idOf('u1'), 20],
  setUsersLastActive: [
    [user, idOf('u2'), user],
    [now, now, at(601)],
  ],
};

const conversationCases: Cases<typeof conversationSql> = {
  insertConversation: [
    idOf('new conversation'),
    'DIRECT',
    null,
    null,
    user,
    now,
    now,
    null,
    null,
    null,
    0,
    0,
  ],
  findConversations: [[conversation, idOf('g2'), idOf('d7')]],
  reserveMessageSeq: [conversation, now, idOf('next'), 'preview'],
  recordEmittedSeqs: [[conversation], [501]],
  replaceLastMessagePreview: [conversation, message, 'edited'],
  listConversationsOfUsers: [[user, idOf('u2'), idOf('u3')], 1000],
  listConversationsOfUserBefore: [user, at(-60), idOf('d1'), 20],
};

const participantCases: Cases<typeof participantSql> = {
  upsertParticipant: [
    conversation,
    user,
    'MEMBER',
    now,
    null,
    500,
    null,
    null,
    null,
    null,
    null,
    false,
    null,
    null,
  ],
  findParticipants: [
    [conversation, conversation, syncConversations[1]],
    [user, idOf('u2'), user],
  ],
  listParticipantsOf: [[conversation, syncConversations[1], idOf('d3')]],
  markParticipantLeft: [conversation, user, now],
  setParticipantRole: [conversation, user, 'ADMIN'],
  advanceSeen: [conversation, user, 480, message, now],
  advanceDelivered: [conversation, user, 490, message, now],
  advanceDeliveredMany: [
    [conversation, conversation, syncConversations[1]],
    [user, idOf('u2'), user],
    [490, 491, 12],
    [message, message, message],
    [now, now, now],
  ],
  listReceiptsChangedSince: [syncConversations, receiptsSince, 200],
  listMembershipChangesSince: [syncConversations, membershipSince, 200],
  listConversationsLeftSince: [user, new Date(T0.getTime() - 7 * 86_400_000)],
  setParticipantMute: [conversation, user, true, at(3600), now],
  listMuteChangesSince: [user, new Date(T0.getTime() - 7 * 86_400_000)],
};

const messageCases: Cases<typeof messageSql> = {
  appendMessage: [
    conversation,
    now,
    'hello',
    idOf('appended'),
    user,
    'hello',
    'TEXT',
    media,
    null,
    'tmp-new',
    'hash',
    null,
    null,
    'socket-1',
    [idOf('u43')],
  ],
  appendMessages: [
    now,
    [conversation, conversation, syncConversations[1]],
    [idOf('batch-1'), idOf('batch-2'), idOf('batch-3')],
    [user, user, user],
    ['one', 'two', 'three'],
    ['TEXT', 'TEXT', 'TEXT'],
    [media, media, media],
    [null, null, null],
    ['tmp-b1', 'tmp-b2', 'tmp-b3'],
    ['h1', 'h2', 'h3'],
    ['one', 'two', 'three'],
    ['socket-1', null, null],
    [JSON.stringify([idOf('u43')]), '[]', '[]'],
  ],
  insertMessage: [
    idOf('inserted'),
    conversation,
    9999,
    user,
    'hi',
    'TEXT',
    media,
    null,
    null,
    null,
    now,
    null,
    null,
    now,
    null,
    [],
  ],
  findMessage: [message],
  listMessagesNewest: [conversation, 50],
  listMessagesBefore: [conversation, 250, 50],
  listMessagesAfter: [conversation, 450, 100],
  listMessagesAfterEach: [
    [conversation, syncConversations[0], conversation],
    [450, 0, 0],
    [100, 50, 1],
  ],
  countMessagesAfter: [conversation, 400, user],
  countMentionsAfter: [conversation, 400, user],
  updateMessage: [message, true, 'edited', null, null, now, null, now, [user]],
  listMessageEditsSince: [syncConversations, recently, '0'.repeat(24), 100],
  listPendingMessageEvents: [new Date(now.getTime() - 5000), 100],
  claimPendingMessageEvent: [message, now, at(630)],
  clearPendingMessageEvents: [[message]],
  countPendingMessageEvents: [],
  appendRefusalBlocked: [idOf('d10'), user],
};

const blockCases: Cases<typeof blockSql> = {
  insertBlock: [idOf('new block'), user, idOf('u43'), now],
  deleteBlock: [idOf('b41')],
  findBlock: [idOf('b41')],
  listBlocksNewest: [user, 20],
  listBlocksBefore: [user, at(-30), idOf('b30'), 20],
  listBlockerIds: [user, 1000],
  setConversationBlocked: [idOf('d10'), true],
};

const syncCursorCases: Cases<typeof syncCursorSql> = {
  saveSyncCursors: [
    [idOf('new cursor'), idOf('other new cursor')],
    [user, user],
    ['{}', '{}'],
    [recently, recently],
    [now, now],
    [at(4200), at(4200)],
    now,
    32,
  ],
  findSyncCursor: [idOf('s9000'), now],
};

// A SYNC from a week-old cursor, with the limits SyncService asks for.
const weekAgo = new Date(T0.getTime() - 7 * 86_400_000);
const syncChangesCases: Cases<typeof syncChangesSql> = {
  listSyncChanges: [
    syncConversations,
    user,
    weekAgo,
    weekAgo,
    '0'.repeat(24),
    201,
    1500,
    2500,
    500,
    1001,
  ],
};

// A selective term (one message per group has the word "250"); a common one is among the extras.
const messageSearchCases: Cases<typeof messageSearchSql> = {
  searchMessages: [syncConversations, '250', 21],
  searchMessagesBefore: [syncConversations, '250', at(250), idOf('m1_250'), 21],
};

const pinCases: Cases<typeof pinSql> = {
  pinMessage: [idOf('new pin'), conversation, message, user, now, now],
  unpinMessage: [idOf('p1_1'), now, user],
  findPin: [idOf('p1_1')],
  listPins: [conversation, 50],
  listPinChangesSince: [syncConversations, recently, 500],
};

const reactionKey = [idOf('new reaction'), message, conversation, 250, user, '👍', now];
const reactionCases: Cases<typeof reactionSql> = {
  addReaction: reactionKey,
  removeReaction: [idOf('r7_250_0'), now],
  listReactionsOfMessages: [[message, idOf('m7_252'), idOf('m7_254')]],
  listReactionChangesSince: [syncConversations, recently, 1000],
};

const parts = [
  ['users', userSql, userCases],
  ['conversations', conversationSql, conversationCases],
  ['participants', participantSql, participantCases],
  ['messages', messageSql, messageCases],
  ['sync cursors', syncCursorSql, syncCursorCases],
  ['sync changes', syncChangesSql, syncChangesCases],
  ['message search', messageSearchSql, messageSearchCases],
  ['pins', pinSql, pinCases],
  ['blocks', blockSql, blockCases],
  ['reactions', reactionSql, reactionCases],
] as const;

const cases: [string, string, unknown[]][] = parts.flatMap(([part, sql, params]) =>
  Object.entries(sql).map(([name, text]): [string, string, unknown[]] => [
    `${part}: ${name}`,
    text,
    (params as Record<string, unknown[]>)[name]!,
  ]),
);

/** Statements whose plan depends on the parameters: a second, different case. */
const extraCases: [string, string, unknown[]][] = [
  [
    'users: searchUsers, a short needle',
    userSql.searchUsers,
    [likeContaining(nameOf(42).slice(0, 2)), idOf('u1'), 20],
  ],
  [
    'messages: listMessagesAfter, from the start',
    messageSql.listMessagesAfter,
    [conversation, 0, 100],
  ],
  [
    'messages: countMessagesAfter, everything unread',
    messageSql.countMessagesAfter,
    [conversation, 0, user],
  ],
  [
    'message search: searchMessages, a word every message has',
    messageSearchSql.searchMessages,
    [syncConversations, 'message', 21],
  ],
  [
    'messages: countMentionsAfter, everything unread',
    messageSql.countMentionsAfter,
    [conversation, 0, user],
  ],
];

describe('PostgresStore query plans on 100k messages', () => {
  let db: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase('explain');
    // Migrates the schema exactly as a node does.
    const store = await PostgresStore.connect(db.url, { poolSize: 1 });
    await store.close();
    client = new Client({ connectionString: db.url });
    await client.connect();
    for (const statement of LOAD) await client.query(statement, [T0]);
    // ANALYZE for the planner's statistics; VACUUM sets the visibility map as autovacuum would on
    // a live database, so plans may use index-only scans (the unread count does). The user names
    // are sampled whole: from a 30k-row sample, the estimate for a two-letter substring varied
    // from run to run, and with it the short-needle search's plan (a flaky test, not a finding).
    await client.query(
      'ALTER TABLE users ALTER COLUMN username SET STATISTICS 10000, ALTER COLUMN username_lower SET STATISTICS 10000',
    );
    await client.query('VACUUM ANALYZE');
  }, 60_000);

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('loaded the data set', async () => {
    const { rows } = await client.query<{ messages: string; participants: string }>(
      `SELECT (SELECT count(*) FROM messages) AS messages,
              (SELECT count(*) FROM participants) AS participants`,
    );
    expect(Number(rows[0]!.messages)).toBe(GROUPS * MESSAGES_PER_GROUP);
    expect(Number(rows[0]!.participants)).toBeGreaterThan(20_000);
  });

  it.each([...cases, ...extraCases])('%s reads no table in full', async (_name, sql, params) => {
    const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (FORMAT JSON) ${sql}`,
      params,
    );
    const plan = rows[0]!['QUERY PLAN'];
    expect({ sql, seqScans: seqScannedTables(plan) }).toEqual({ sql, seqScans: [] });
  });

  it('searches messages through the GIN index on their words', async () => {
    const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (FORMAT JSON) ${messageSearchSql.searchMessages}`,
      messageSearchCases.searchMessages,
    );
    expect(JSON.stringify(rows[0]!['QUERY PLAN'])).toContain(
      '"Index Name":"messages_content_search"',
    );
    const hits = await client.query<{ content: string }>(
      messageSearchSql.searchMessages,
      messageSearchCases.searchMessages,
    );
    expect(hits.rows.map((r) => r.content)).toEqual(Array(10).fill('message 250'));
  });

  it('runs the statements the hot paths need as they would with real parameters', async () => {
    // Sanity: the chosen parameters hit data (a plan over nothing proves little).
    const page = await client.query(messageSql.listMessagesAfter, [conversation, 450, 100]);
    expect(page.rowCount).toBe(50);
    const mine = await client.query(conversationSql.listConversationsOfUsers, [[user], 20]);
    expect(mine.rowCount).toBeGreaterThan(0);
    const edits = await client.query(messageSql.listMessageEditsSince, [
      syncConversations,
      T0,
      '0'.repeat(24),
      100,
    ]);
    expect(edits.rowCount).toBeGreaterThan(0);
    const receipts = await client.query(participantSql.listReceiptsChangedSince, [
      syncConversations,
      receiptsSince,
      200,
    ]);
    expect(receipts.rowCount).toBeGreaterThan(0);
    const found = await client.query<{ username: string }>(userSql.searchUsers, [
      likeContaining(nameOf(42).slice(2, 7)),
      idOf('u1'),
      20,
    ]);
    expect(found.rows.map((r) => r.username.toLowerCase())).toContain(nameOf(42));
    // u42 is a member of group 1, mentioned in some of its messages.
    const mentions = await client.query<{ count: string }>(messageSql.countMentionsAfter, [
      idOf('g1'),
      0,
      user,
    ]);
    expect(Number(mentions.rows[0]!.count)).toBeGreaterThan(0);
    const reacted = await client.query(reactionSql.listReactionsOfMessages, [[message]]);
    expect(reacted.rowCount).toBeGreaterThan(0);
    const reactionChanges = await client.query(reactionSql.listReactionChangesSince, [
      syncConversations,
      T0,
      1000,
    ]);
    expect(reactionChanges.rowCount).toBe(1000);
  });
});
