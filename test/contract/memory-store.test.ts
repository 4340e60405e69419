// The store contract on MemoryStore.
import { createMemoryStore } from '../../src/adapters/store/memory/memory-store';
import { describeMessageSearchContract } from './message-search-contract';
import { describeStoreContract } from './store-contract';

describeStoreContract('MemoryStore', () => Promise.resolve(createMemoryStore()));

describeMessageSearchContract('MemoryStore', () => Promise.resolve(createMemoryStore()));
