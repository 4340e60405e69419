// The store contract on MongoStore over the MongoDB wire (CongoDB in-process, or MONGODB_URL), plus Mongo-only races.
import { createServer } from 'node:net';
import mongoose from 'mongoose';
import { MongoStore } from '../../src/adapters/store/mongo/mongo-store';
import { directConversationId, newObjectId } from '../../src/domain/ids';
import { aConversation, aParticipant } from '../support/factories';
import { testMongoUrl } from '../support/mongo-url';
import { describeStoreContract } from './store-contract';

const contractUrl = testMongoUrl('contract');
const racesUrl = testMongoUrl('races');

/** Test databases would otherwise pile up on a real MongoDB. */
async function dropDatabase(url: string): Promise<void> {
  const connection = await mongoose.createConnection(url).asPromise();
  try {
    await connection.dropDatabase();
  } finally {
    await connection.close();
  }
}

afterAll(async () => {
  await dropDatabase(contractUrl);
  await dropDatabase(racesUrl);
});

describeStoreContract('MongoStore', () => MongoStore.connect(contractUrl));

describe('MongoStore under concurrency', () => {
  let store: MongoStore;
  beforeAll(async () => {
    store = await MongoStore.connect(racesUrl);
  });
  afterAll(async () => {
    await store.close();
  });

  it('lets exactly one of 20 parallel inserts of a derived conversation id win', async () => {
    const id = directConversationId(newObjectId(), newObjectId());
    const attempts = Array.from({ length: 20 }, (_, i) =>
      aConversation({ id, type: 'DIRECT', name: `attempt-${i}` }),
    );
    const results = await Promise.all(attempts.map((c) => store.insertConversation(c)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = attempts[results.indexOf(true)];
    expect(await store.findConversation(id)).toEqual(winner);
  });

  it('lets exactly one of 20 parallel joins, and one of 20 parallel re-joins, of a pair change it', async () => {
    const c = newObjectId();
    const u = newObjectId();
    const joins = Array.from({ length: 20 }, (_, i) =>
      aParticipant(c, u, { joinedAt: new Date(Date.UTC(2030, 0, 1, 0, 0, i)) }),
    );
    const joined = await Promise.all(joins.map((p) => store.upsertParticipant(p)));
    expect(joined.filter(Boolean)).toHaveLength(1);
    expect(await store.findParticipant(c, u)).toEqual(joins[joined.indexOf(true)]);

    expect(await store.markParticipantLeft(c, u, new Date('2030-02-01T00:00:00Z'))).toBe(true);
    const rejoins = Array.from({ length: 20 }, (_, i) =>
      aParticipant(c, u, { role: 'ADMIN', joinedAt: new Date(Date.UTC(2030, 2, 1, 0, 0, i)) }),
    );
    const rejoined = await Promise.all(rejoins.map((p) => store.upsertParticipant(p)));
    expect(rejoined.filter(Boolean)).toHaveLength(1);
    expect(await store.findParticipant(c, u)).toEqual(rejoins[rejoined.indexOf(true)]);
  });
});

describe('MongoStore.connect', () => {
  it('fails fast with a clear error when nothing listens', async () => {
    // A port that was just free: bind to 0, read it, release it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    await new Promise<void>((resolve, reject) =>
      probe.close((e) => {
        if (e) reject(e);
        else resolve();
      }),
    );
    if (address === null || typeof address === 'string') throw new Error('no TCP port');

    const started = Date.now();
    await expect(
      MongoStore.connect(`mongodb://user:secret@127.0.0.1:${address.port}/parley_test_closed`, {
        serverSelectionTimeoutMS: 300,
      }),
    ).rejects.toThrow(/^MongoStore: cannot reach MongoDB at mongodb:\/\/\*\*\*@127\.0\.0\.1:\d+/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
