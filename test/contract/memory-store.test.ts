// The store contract on MemoryStore.
import { MemoryStore } from '../../src/adapters/store/memory-store';
import { describeStoreContract } from './store-contract';

describeStoreContract('MemoryStore', () => Promise.resolve(new MemoryStore()));
