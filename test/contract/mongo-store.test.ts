// The store contract on MongoStore over the MongoDB wire (CongoDB in-process, or MONGODB_URL).
import mongoose from 'mongoose';
import { MongoStore } from '../../src/adapters/store/mongo/mongo-store';
import { testMongoUrl } from '../support/mongo-url';
import { freePort } from '../support/free-port';
import { lacksMongoTextSearch } from '../support/text-search';
import { describeMessageSearchContract } from './message-search-contract';
import { describeCommandCounting, describeStoreContract } from './store-contract';

const contractUrl = testMongoUrl('contract');
const commandsUrl = testMongoUrl('commands');
const searchUrl = testMongoUrl('search');

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
  await dropDatabase(commandsUrl);
  await dropDatabase(searchUrl);
});

describeStoreContract('MongoStore', () => MongoStore.connect(contractUrl));

describe('MongoStore.connect', () => {
  it('fails fast with a clear error when nothing listens', async () => {
    const port = await freePort();

    const started = Date.now();
    await expect(
      MongoStore.connect(`mongodb://user:secret@127.0.0.1:${port}/parley_test_closed`, {
        serverSelectionTimeoutMS: 300,
      }),
    ).rejects.toThrow(/^MongoStore: cannot reach MongoDB at mongodb:\/\/\*\*\*@127\.0\.0\.1:\d+/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describeCommandCounting('MongoStore', (onCommand) =>
  MongoStore.connect(commandsUrl, { onCommand }),
);

describeMessageSearchContract('MongoStore', () => MongoStore.connect(searchUrl), {
  lacksTextSearch: lacksMongoTextSearch,
});
