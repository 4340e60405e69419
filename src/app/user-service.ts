// User lookups for starting conversations.
import type { UserPublic } from '../protocol/rest';
import type { Store } from '../ports';
import { toUserPublic } from './views';

export class UserService {
  constructor(private readonly deps: { store: Store }) {}

  async search(callerId: string, text: string, limit: number): Promise<UserPublic[]> {
    const users = await this.deps.store.searchUsers(text, callerId, limit);
    return users.map(toUserPublic);
  }
}
