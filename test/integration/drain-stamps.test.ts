// A draining node writes the last-active stamp of every client it closes before it closes its
// store: with more clients than one batched write holds, the last batches would otherwise still
// be queued when the store goes ("store closing"), and those users would keep an older stamp.
import { PostgresStore } from '../../src/adapters/store/postgres/postgres-store';
import type { RunningNode } from '../../src/node';
import { validToken } from '../support/authz-tokens';
import { aUser } from '../support/factories';
import { createTestDatabase, type TestDatabase } from '../support/postgres-db';
import { connectClient, type RealtimeClient } from '../support/realtime-client';
import { startTestNode } from '../support/test-node';

jest.setTimeout(60_000);

/** Above the store's 500 stamps per statement: at least two batches, written one after another. */
const CLIENTS = 1200;

let db: TestDatabase;
let store: PostgresStore;
let node: RunningNode | undefined;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase('stamps');
  store = await PostgresStore.connect(db.url, { poolSize: 4 });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await node?.close();
  await store?.close();
  await db?.drop();
});

it('stamps every client it closes while draining before its store closes', async () => {
  const users = Array.from({ length: CLIENTS }, () => aUser({ lastActiveAt: null }));
  for (const user of users) await store.insertUser(user);
  node = await startTestNode({ DATABASE_URL: db.url, DRAIN_TIMEOUT_MS: '20000' });
  const url = node.url;
  for (let i = 0; i < users.length; i += 100)
    clients.push(
      ...(await Promise.all(
        users.slice(i, i + 100).map((u) => connectClient(url, validToken(u.id), 'raw')),
      )),
    );

  const drainStarted = Date.now();
  await node.close();
  node = undefined;

  const stamped = await store.findUsersByIds(users.map((u) => u.id));
  const unstamped = stamped.filter(
    (u) => !u.lastActiveAt || u.lastActiveAt.getTime() < drainStarted,
  );
  expect(stamped).toHaveLength(CLIENTS);
  expect(unstamped.map((u) => u.id)).toEqual([]);
});
