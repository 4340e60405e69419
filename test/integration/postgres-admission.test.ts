// A burst of SYNCs on a small PostgreSQL pool waits its turn in-process instead of failing: with one
// connection and a connect timeout far below the burst's length (pg-pool cuts its own waiters off
// at that timeout), every SYNC is still answered, none UNAVAILABLE. A bounded queue still refuses
// what it cannot hold, at once and retryably.
import { PostgresStore } from '../../src/adapters/store/postgres/postgres-store';
import { SyncService } from '../../src/app/sync-service';
import { UnavailableError } from '../../src/domain/errors';
import type { User } from '../../src/domain/types';
import type { Store } from '../../src/ports';
import { messagingServices } from '../support/app-services';
import { aUser } from '../support/factories';
import { createTestDatabase, type TestDatabase } from '../support/postgres-db';

jest.setTimeout(60_000);

const USERS = 40;
/** SYNCs at once: each runs about ten statements, several of them in parallel. */
const BURST = 300;

let db: TestDatabase;
const stores: Store[] = [];

async function openStore(options: Parameters<typeof PostgresStore.connect>[1]): Promise<Store> {
  const store = await PostgresStore.connect(db.url, options);
  stores.push(store);
  return store;
}

function services(store: Store) {
  const clock = (): Date => new Date();
  const { messages, conversations } = messagingServices(store, clock);
  return { messages, conversations, sync: new SyncService({ store, messages, clock }) };
}

let users: User[];
const positions = new Map<string, Record<string, number>>();

beforeAll(async () => {
  db = await createTestDatabase('admission');
  // The world is written through a store of ordinary size.
  const setup = await openStore({});
  const { messages, conversations } = services(setup);
  const sender = aUser();
  await setup.insertUser(sender);
  users = Array.from({ length: USERS }, () => aUser());
  for (const u of users) await setup.insertUser(u);
  for (const u of users) {
    const { conversation } = await conversations.create(sender.id, {
      type: 'DIRECT',
      participantIds: [u.id],
    });
    await messages.send(sender, conversation.id, { content: 'before' });
    // Each user holds the first message; the second is what its SYNC must bring.
    positions.set(u.id, { [conversation.id]: 1 });
    await messages.send(sender, conversation.id, { content: 'while away' });
  }
});

afterAll(async () => {
  for (const s of stores.splice(0)) await s.close();
  await db?.drop();
});

it('answers a burst of SYNCs on one connection, none UNAVAILABLE', async () => {
  // 100 ms: the burst's thousands of statements take far longer on one connection.
  const store = await openStore({ poolSize: 1, connectTimeoutMs: 100 });
  const { sync } = services(store);
  const results = await Promise.allSettled(
    Array.from({ length: BURST }, (_, i) => {
      const user = users[i % USERS]!;
      return sync.sync(user.id, { positions: positions.get(user.id)! });
    }),
  );
  expect(results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []))).toEqual([]);
  for (const r of results) {
    if (r.status !== 'fulfilled') continue;
    const fresh = r.value.events.filter((e) => e.type === 'NEW_MESSAGE');
    expect(fresh.map((e) => (e as { content?: string }).content)).toEqual(['while away']);
  }
});

it('refuses at once, retryably, what a full queue cannot hold', async () => {
  const store = await openStore({ poolSize: 1, queueLimit: 5 });
  const results = await Promise.allSettled(
    Array.from({ length: 50 }, (_, i) => store.findUsersByIds([users[i % USERS]!.id])),
  );
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  // One runs, five wait: the others are refused.
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(6);
  expect(refused).toHaveLength(44);
  for (const err of refused) expect(err).toBeInstanceOf(UnavailableError);
});
