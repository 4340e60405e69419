// MemoryPresence: who is online on this single node (embedded mode).
import type { PresenceReader } from '../../ports';

export class MemoryPresence implements PresenceReader {
  private readonly sockets = new Map<string, Set<string>>();

  /** Records a socket; true when the user just came online. */
  add(userId: string, socketId: string): Promise<boolean> {
    let set = this.sockets.get(userId);
    const first = !set || set.size === 0;
    if (!set) {
      set = new Set();
      this.sockets.set(userId, set);
    }
    set.add(socketId);
    return Promise.resolve(first);
  }

  /** Forgets a socket; true when the user just went offline. */
  remove(userId: string, socketId: string): Promise<boolean> {
    const set = this.sockets.get(userId);
    if (!set) return Promise.resolve(false);
    set.delete(socketId);
    if (set.size > 0) return Promise.resolve(false);
    this.sockets.delete(userId);
    return Promise.resolve(true);
  }

  onlineAmong(userIds: readonly string[]): Promise<Set<string>> {
    return Promise.resolve(new Set(userIds.filter((id) => (this.sockets.get(id)?.size ?? 0) > 0)));
  }

  close(): Promise<void> {
    this.sockets.clear();
    return Promise.resolve();
  }
}
