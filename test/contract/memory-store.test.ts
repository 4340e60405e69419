// The store contract on MemoryStore.
import { createMemoryStore } from '../../src/adapters/store/memory/memory-store';
import { describeStoreContract } from './store-contract';

describeStoreContract('MemoryStore', () => Promise.resolve(createMemoryStore()));
