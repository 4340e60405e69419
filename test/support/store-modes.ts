// The store backends HTTP and realtime suites run over: embedded always, MongoDB when reachable.
import { testMongoUrl } from './mongo-url';

export interface StoreMode {
  name: string;
  env: () => Record<string, string>;
}

export const storeModes: StoreMode[] = [
  { name: 'MemoryStore', env: () => ({}) },
  { name: 'MongoStore', env: () => ({ MONGODB_URL: testMongoUrl('http') }) },
];
