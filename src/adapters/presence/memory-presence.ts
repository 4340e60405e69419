// MemoryPresence: who is online on this single node (embedded mode).
import type { Presence } from '../../ports';

export class MemoryPresence implements Presence {
  private readonly sockets = new Map<string, Set<string>>();

  addSocket(userId: string, socketId: string): Promise<void> {
    let set = this.sockets.get(userId);
    if (!set) {
      set = new Set();
      this.sockets.set(userId, set);
    }
    set.add(socketId);
    return Promise.resolve();
  }

  removeSocket(userId: string, socketId: string): Promise<void> {
    const set = this.sockets.get(userId);
    if (set) {
      set.delete(socketId);
      if (set.size === 0) this.sockets.delete(userId);
    }
    return Promise.resolve();
  }

  onlineAmong(userIds: readonly string[]): Promise<Set<string>> {
    return Promise.resolve(new Set(userIds.filter((id) => (this.sockets.get(id)?.size ?? 0) > 0)));
  }

  isReady(): boolean {
    return true;
  }

  close(): Promise<void> {
    this.sockets.clear();
    return Promise.resolve();
  }
}
