// The store contract on PostgresStore over a real PostgreSQL (a fresh database per suite), plus
// races, concurrent migrations, and what only PostgreSQL guarantees: a duplicate send takes no seq.
import { readdirSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runner } from 'node-pg-migrate';
import { Client } from 'pg';
import {
  MIGRATIONS_DIR,
  MIGRATIONS_TABLE,
} from '../../src/adapters/store/postgres/postgres-migrate';
import { PostgresStore } from '../../src/adapters/store/postgres/postgres-store';
import { UnavailableError } from '../../src/domain/errors';
import { newObjectId } from '../../src/domain/ids';
import type { AppendResult } from '../../src/ports';
import { aConversation, aMessageDraft, aParticipant, aUser } from '../support/factories';
import { createTestDatabase, type TestDatabase } from '../support/postgres-db';
import { waitFor } from '../support/wait-for';
import { freePort } from '../support/free-port';
import { describeMessageSearchContract } from './message-search-contract';
import { describeCommandCounting, describeStoreContract } from './store-contract';

const databases: TestDatabase[] = [];
/** Every migration, in the order node-pg-migrate applies them. */
const MIGRATIONS = readdirSync(MIGRATIONS_DIR)
  .filter((f) => f.endsWith('.sql'))
  .map((f) => f.replace(/\.sql$/, ''))
  .sort();

async function freshDatabase(label: string): Promise<string> {
  const db = await createTestDatabase(label);
  databases.push(db);
  return db.url;
}

afterAll(async () => {
  for (const db of databases) await db.drop();
});

describeStoreContract('PostgresStore', async () =>
  PostgresStore.connect(await freshDatabase('contract'), { poolSize: 5 }),
);

describeMessageSearchContract('PostgresStore', async () =>
  PostgresStore.connect(await freshDatabase('search'), { poolSize: 2 }),
);

describe('PostgresStore under concurrency', () => {
  let store: PostgresStore;
  beforeAll(async () => {
    store = await PostgresStore.connect(await freshDatabase('races'), { poolSize: 5 });
  });
  afterAll(async () => {
    await store.close();
  });

  /** `count` stored conversations with one sender as their only participant. */
  async function conversationsOfOneSender(count: number) {
    const conversations = Array.from({ length: count }, () => aConversation());
    const sender = newObjectId();
    for (const c of conversations) {
      await store.insertConversation(c);
      await store.upsertParticipant(aParticipant(c.id, sender));
    }
    return { conversations, sender };
  }

  it('appends a batch of one conversation in one statement: consecutive seqs, the last as preview', async () => {
    const c = aConversation();
    await store.insertConversation(c);
    const [member, stranger] = [newObjectId(), newObjectId()];
    await store.upsertParticipant(aParticipant(c.id, member));
    const stored = aMessageDraft(c.id, member, { tempId: 'earlier' });
    await store.appendMessage(stored, new Date(), 'earlier');
    const now = new Date(Date.now() + 1000);
    const drafts = [
      aMessageDraft(c.id, member, { tempId: 'b-1', originSocketId: 'socket-b' }),
      aMessageDraft(c.id, stranger),
      stored,
      aMessageDraft(c.id, member, { tempId: 'b-2' }),
    ];
    const results = await store.appendMessages!(drafts, now, ['one', 'x', 'y', 'two']);
    expect(results.map((r) => r.kind)).toEqual(['appended', 'refused', 'duplicate', 'appended']);
    const appended = results.flatMap((r) => (r.kind === 'appended' ? [r] : []));
    expect(appended.map((r) => r.message.seq)).toEqual([2, 3]);
    expect(appended.map((r) => r.message.id)).toEqual([drafts[0]!.id, drafts[3]!.id]);
    expect(appended.every((r) => r.message.createdAt.getTime() === now.getTime())).toBe(true);
    expect(appended.map((r) => r.participantIds)).toEqual([[member], [member]]);
    expect(await store.findConversation(c.id)).toMatchObject({
      lastSeq: 3,
      lastMessageId: drafts[3]!.id,
      lastMessageContent: 'two',
    });
    expect(await store.findMessage(drafts[0]!.id)).toEqual(appended[0]!.message);
    // The same id twice in one batch: the first is appended, the second is a duplicate.
    const twice = aMessageDraft(c.id, member, { tempId: 'twice' });
    const again = await store.appendMessages!([twice, twice], now, [null, null]);
    expect(again.map((r) => r.kind)).toEqual(['appended', 'duplicate']);
    expect((await store.listMessagesAfter(c.id, 0, 10)).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  });

  it('appends a batch over several conversations in one statement, each at its own next seqs', async () => {
    const [a, b, empty] = [aConversation(), aConversation(), aConversation()];
    for (const c of [a, b, empty]) await store.insertConversation(c);
    const [member, blocked] = [newObjectId(), newObjectId()];
    for (const c of [a, b]) await store.upsertParticipant(aParticipant(c.id, member));
    await store.upsertParticipant(aParticipant(empty.id, blocked));
    await store.setConversationBlocked(empty.id, true);
    await store.appendMessage(aMessageDraft(b.id, member), new Date(), 'b1');
    const now = new Date(Date.now() + 1000);
    const drafts = [
      aMessageDraft(b.id, member, { tempId: 'b2' }),
      aMessageDraft(a.id, member, { tempId: 'a1' }),
      aMessageDraft(empty.id, blocked),
      aMessageDraft(b.id, member, { tempId: 'b3' }),
      aMessageDraft(a.id, member, { tempId: 'a2' }),
    ];
    const results = await store.appendMessages!(drafts, now, ['b2', 'a1', 'x', 'b3', 'a2']);
    expect(results.map((r) => r.kind)).toEqual([
      'appended',
      'appended',
      'blocked',
      'appended',
      'appended',
    ]);
    expect(results.map((r) => (r.kind === 'appended' ? r.message.seq : null))).toEqual([
      2,
      1,
      null,
      3,
      2,
    ]);
    expect(await store.findConversation(a.id)).toMatchObject({
      lastSeq: 2,
      lastMessageId: drafts[4]!.id,
      lastMessageContent: 'a2',
    });
    expect(await store.findConversation(b.id)).toMatchObject({
      lastSeq: 3,
      lastMessageId: drafts[3]!.id,
      lastMessageContent: 'b3',
    });
    expect((await store.findConversation(empty.id))?.lastSeq).toBe(0);
  });

  it('lets concurrent batches over the same conversations all commit, seqs gapless', async () => {
    const { conversations, sender } = await conversationsOfOneSender(3);
    // Ten batches at once, each over all three conversations in a different order: a batch
    // that locked its rows in its own order would deadlock with another.
    const batches = Array.from({ length: 10 }, (_, i) => {
      const order = i % 2 === 0 ? conversations : [...conversations].reverse();
      return order.map((c) => aMessageDraft(c.id, sender));
    });
    const results = await Promise.all(
      batches.map((drafts) =>
        store.appendMessages!(
          drafts,
          new Date(),
          drafts.map(() => null),
        ),
      ),
    );
    expect(results.flat().every((r) => r.kind === 'appended')).toBe(true);
    for (const c of conversations)
      expect((await store.listMessagesAfter(c.id, 0, 20)).map((m) => m.seq)).toEqual(
        Array.from({ length: 10 }, (_, i) => i + 1),
      );
  });

  it('runs batched appends and emitted-position records over the same conversations without deadlock', async () => {
    const { conversations, sender } = await conversationsOfOneSender(6);
    // Both statements update all six rows: in different orders, unless both take them in id order.
    const work = Array.from({ length: 40 }, (_, i) => {
      const order = i % 2 === 0 ? conversations : [...conversations].reverse();
      if (i % 4 < 2) {
        const drafts = order.map((c) => aMessageDraft(c.id, sender));
        return store.appendMessages!(
          drafts,
          new Date(),
          drafts.map(() => null),
        );
      }
      return store.recordEmittedSeqs(order.map((c) => ({ conversationId: c.id, seq: 1000 + i })));
    });
    const settled = await Promise.allSettled(work);
    expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);
    for (const c of conversations) expect((await store.findConversation(c.id))?.lastSeq).toBe(20);
  });

  it('consumes no seq for a duplicate append: the next append gets lastSeq + 1', async () => {
    const c = aConversation();
    await store.insertConversation(c);
    const sender = newObjectId();
    await store.upsertParticipant(aParticipant(c.id, sender));
    const now = new Date();
    const first = aMessageDraft(c.id, sender, { tempId: 't-1' });
    const appended = await store.appendMessage(first, now, null);
    expect(appended.kind === 'appended' && appended.message.seq).toBe(1);
    expect(await store.appendMessage(first, now, null)).toEqual({ kind: 'duplicate' });
    expect((await store.findConversation(c.id))?.lastSeq).toBe(1);
    const next = await store.appendMessage(aMessageDraft(c.id, sender), now, null);
    expect(next.kind === 'appended' && next.message.seq).toBe(2);
    expect((await store.listMessagesAfter(c.id, 0, 10)).map((m) => m.seq)).toEqual([1, 2]);
  });

  it('appends one of 20 parallel sends of the same draft, the rest duplicates, one seq taken', async () => {
    const c = aConversation();
    await store.insertConversation(c);
    const sender = newObjectId();
    await store.upsertParticipant(aParticipant(c.id, sender));
    await store.appendMessage(aMessageDraft(c.id, sender), new Date(), null);
    const before = (await store.findConversation(c.id))?.lastSeq ?? -1;
    const draft = aMessageDraft(c.id, sender, { tempId: 'same' });
    const results: AppendResult[] = await Promise.all(
      Array.from({ length: 20 }, () => store.appendMessage(draft, new Date(), 'p')),
    );
    expect(results.filter((r) => r.kind === 'appended')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'duplicate')).toHaveLength(19);
    const after = await store.findConversation(c.id);
    expect(after?.lastSeq).toBe(before + 1);
    expect(after?.lastMessageId).toBe(draft.id);
    expect((await store.findMessage(draft.id))?.seq).toBe(before + 1);
  });
});

describe('PostgresStore migrations', () => {
  it('lets two stores migrate one fresh database at once, the schema created once', async () => {
    const url = await freshDatabase('migrate');
    const stores = await Promise.all([
      PostgresStore.connect(url, { poolSize: 2 }),
      PostgresStore.connect(url, { poolSize: 2 }),
    ]);
    try {
      await Promise.all(stores.map((s) => s.ping()));
      // Both work on the one schema.
      const c = aConversation();
      expect(await stores[0].insertConversation(c)).toBe(true);
      expect(await stores[1].findConversation(c.id)).toEqual(c);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const runs = await client.query<{ name: string }>(
        'SELECT name FROM parley_migrations ORDER BY id',
      );
      expect(runs.rows.map((r) => r.name)).toEqual(MIGRATIONS);
      const tables = await client.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables
         WHERE table_schema = 'public' ORDER BY table_name`,
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        'blocks',
        'conversations',
        'message_pins',
        'message_reactions',
        'messages',
        'parley_migrations',
        'participants',
        'sync_cursors',
        'users',
      ]);
    } finally {
      await client.end();
    }
    // A later start finds nothing to apply.
    const again = await PostgresStore.connect(url, { poolSize: 1 });
    await again.close();
  });
});

describe('PostgresStore upgrading a database', () => {
  it('adds mutes to a database at the first migration, its participants not muted', async () => {
    const url = await freshDatabase('upgrade');
    const first = await mkdtemp(path.join(tmpdir(), 'parley-migrations-'));
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await copyFile(
        path.join(MIGRATIONS_DIR, `${MIGRATIONS[0]}.sql`),
        path.join(first, `${MIGRATIONS[0]}.sql`),
      );
      await runner({
        dbClient: client,
        dir: first,
        migrationsTable: MIGRATIONS_TABLE,
        direction: 'up',
        logger: {
          debug: () => undefined,
          info: () => undefined,
          warn: () => undefined,
          error: () => undefined,
        },
      });
      const [c, u] = [newObjectId(), newObjectId()];
      await client.query(
        `INSERT INTO participants (conversation_id, user_id, role, joined_at) VALUES ($1, $2, 'MEMBER', now())`,
        [c, u],
      );
      const store = await PostgresStore.connect(url, { poolSize: 1 });
      try {
        expect(await store.findParticipant(c, u)).toMatchObject({
          muted: false,
          mutedUntil: null,
          muteChangedAt: null,
        });
        expect(await store.setParticipantMute(c, u, { muted: true, until: null }, new Date())).toBe(
          true,
        );
      } finally {
        await store.close();
      }
    } finally {
      await client.end();
      await rm(first, { recursive: true, force: true });
    }
  });
});

describe('PostgresStore message search on an upgraded database', () => {
  it('finds the messages written before the search migration', async () => {
    const url = await freshDatabase('search_upgrade');
    const earlier = await mkdtemp(path.join(tmpdir(), 'parley-migrations-'));
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      for (const name of MIGRATIONS.filter((m) => m < '1764730000000_message-search'))
        await copyFile(path.join(MIGRATIONS_DIR, `${name}.sql`), path.join(earlier, `${name}.sql`));
      await runner({
        dbClient: client,
        dir: earlier,
        migrationsTable: MIGRATIONS_TABLE,
        direction: 'up',
        logger: {
          debug: () => undefined,
          info: () => undefined,
          warn: () => undefined,
          error: () => undefined,
        },
      });
      const [c, u, m] = [newObjectId(), newObjectId(), newObjectId()];
      await client.query(
        `INSERT INTO messages (id, conversation_id, seq, sender_id, content, type, created_at, changed_at)
         VALUES ($1, $2, 1, $3, 'Written before search existed', 'TEXT', now(), now())`,
        [m, c, u],
      );
      const store = await PostgresStore.connect(url, { poolSize: 1 });
      try {
        const hits = await store.searchMessages([c], ['search', 'existed'], null, 10);
        expect(hits.map((h) => h.id)).toEqual([m]);
      } finally {
        await store.close();
      }
    } finally {
      await client.end();
      await rm(earlier, { recursive: true, force: true });
    }
  });
});

describe('PostgresStore when the database fails a statement', () => {
  let url: string;
  let store: PostgresStore;
  /** Holds a participant's row lock in an open transaction, so the store's next move waits. */
  let admin: Client;
  beforeAll(async () => {
    url = await freshDatabase('failures');
    store = await PostgresStore.connect(url, { poolSize: 2 });
    admin = new Client({ connectionString: url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await store.close();
  });

  async function lockedParticipant(): Promise<[string, string]> {
    const [c, u] = [newObjectId(), newObjectId()];
    await store.upsertParticipant(aParticipant(c, u));
    await admin.query('BEGIN');
    await admin.query(
      'SELECT 1 FROM participants WHERE conversation_id = $1 AND user_id = $2 FOR UPDATE',
      [c, u],
    );
    return [c, u];
  }
  const mark = () => ({ messageId: newObjectId(), seq: 1 });

  it('answers UnavailableError for a statement over its timeout, then works again', async () => {
    const hasty = await PostgresStore.connect(url, { poolSize: 1, statementTimeoutMs: 200 });
    try {
      const [c, u] = await lockedParticipant();
      try {
        await expect(hasty.advanceWatermark(c, u, 'seen', mark(), new Date())).rejects.toThrow(
          UnavailableError,
        );
      } finally {
        await admin.query('ROLLBACK');
      }
      expect((await hasty.advanceWatermark(c, u, 'seen', mark(), new Date())).moved).toBe(true);
    } finally {
      await hasty.close();
    }
  });

  it('answers UnavailableError when the server terminates its connection, then reconnects', async () => {
    const [c, u] = await lockedParticipant();
    try {
      const blocked = store.advanceWatermark(c, u, 'delivered', mark(), new Date());
      const settled = blocked.catch((e: unknown) => e);
      await waitFor(
        async () =>
          (
            await admin.query(
              `SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
               AND application_name = 'parley' AND wait_event_type = 'Lock'`,
            )
          ).rowCount,
        { what: 'the store to wait on the row lock', intervalMs: 10 },
      );
      // What a restart or failover does to every session of the store.
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'parley'`,
      );
      expect(await settled).toBeInstanceOf(UnavailableError);
    } finally {
      await admin.query('ROLLBACK');
    }
    // The pool drops the dead connections (idle ones report on the pool, which listens) and opens new ones.
    await expect(store.ping()).resolves.toBeUndefined();
    expect((await store.advanceWatermark(c, u, 'delivered', mark(), new Date())).moved).toBe(true);
  });

  it('passes other errors through unchanged', async () => {
    // A domain id that is not 24 hex is a caller bug (check_violation), not an outage.
    await expect(store.insertUser(aUser({ id: 'not-an-id' }))).rejects.toMatchObject({
      code: '23514',
    });
  });
});

describe('PostgresStore.connect', () => {
  it('fails fast with a clear error when nothing listens', async () => {
    const port = await freePort();

    const started = Date.now();
    const connecting = PostgresStore.connect(
      `postgres://user:secret@127.0.0.1:${port}/parley_test_closed`,
      { connectTimeoutMs: 300 },
    );
    await expect(connecting).rejects.toThrow(
      /^PostgresStore: cannot reach PostgreSQL at postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/parley_test_closed/,
    );
    await expect(connecting).rejects.not.toThrow(/secret/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describeCommandCounting('PostgresStore', async (onCommand) =>
  PostgresStore.connect(await freshDatabase('commands'), { poolSize: 2, onCommand }),
);
