// MemoryPresence: who is online on this single node (embedded mode).
import type { Presence } from '../../ports';

export class MemoryPresence implements Presence {
  /**
   * userId → their socket ids: the id itself while there is one (most users have one device
   * online, and a Set per user was ~0.1 KiB of every idle connection), a Set from two on.
   */
  private readonly sockets = new Map<string, string | Set<string>>();

  addSocket(userId: string, socketId: string): Promise<void> {
    const held = this.sockets.get(userId);
    if (held === undefined) this.sockets.set(userId, socketId);
    else if (typeof held !== 'string') held.add(socketId);
    else if (held !== socketId) this.sockets.set(userId, new Set([held, socketId]));
    return Promise.resolve();
  }

  removeSocket(userId: string, socketId: string): Promise<void> {
    const held = this.sockets.get(userId);
    if (held === socketId) {
      this.sockets.delete(userId);
    } else if (held !== undefined && typeof held !== 'string' && held.delete(socketId)) {
      const [last, ...more] = held;
      if (last !== undefined && more.length === 0) this.sockets.set(userId, last);
    }
    return Promise.resolve();
  }

  onlineAmong(userIds: readonly string[]): Promise<Set<string>> {
    // An entry is never empty: a user is online while they have one.
    return Promise.resolve(new Set(userIds.filter((id) => this.sockets.has(id))));
  }

  isReady(): boolean {
    return true;
  }

  close(): Promise<void> {
    this.sockets.clear();
    return Promise.resolve();
  }
}
