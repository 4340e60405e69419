// User lookups for starting conversations.
import type { UserPublic } from '../protocol/rest';
import type { Store } from '../ports';
import { toUserPublic } from './views';

/** Blockers a search leaves out at most (the search's own limit is 20: this bounds its size). */
const MAX_BLOCKERS_LEFT_OUT = 1000;

export class UserService {
  constructor(private readonly deps: { store: Store }) {}

  async search(callerId: string, text: string, limit: number): Promise<UserPublic[]> {
    // Users who block the caller are left out: the search asks for that many more, then drops them.
    const blockers = new Set(await this.deps.store.listBlockerIds(callerId, MAX_BLOCKERS_LEFT_OUT));
    const users = await this.deps.store.searchUsers(text, callerId, limit + blockers.size);
    return users
      .filter((u) => !blockers.has(u.id))
      .slice(0, limit)
      .map(toUserPublic);
  }
}
