// The embedded store's pins: one record per (conversation, message), kept as a tombstone once
// unpinned, in a map of its own (conversationId → pin id → record).
import { pinId, type Pin } from '../../../domain/pins';
import type { PinStore } from '../../../ports';
import { copy } from './memory-state';

export class MemoryPins implements PinStore {
  readonly #byConversation = new Map<string, Map<string, Pin>>();

  pinMessage(pin: Pin): Promise<boolean> {
    let pins = this.#byConversation.get(pin.conversationId);
    if (!pins) this.#byConversation.set(pin.conversationId, (pins = new Map<string, Pin>()));
    const existing = pins.get(pin.id);
    if (existing && existing.unpinnedAt === null) return Promise.resolve(false);
    pins.set(pin.id, copy({ ...pin, unpinnedAt: null, unpinnedBy: null }));
    return Promise.resolve(true);
  }

  unpinMessage(
    conversationId: string,
    messageId: string,
    userId: string,
    at: Date,
  ): Promise<boolean> {
    const pin = this.#find(conversationId, messageId);
    if (!pin || pin.unpinnedAt !== null) return Promise.resolve(false);
    pin.unpinnedAt = new Date(at);
    pin.unpinnedBy = userId;
    pin.changedAt = new Date(at);
    return Promise.resolve(true);
  }

  findPin(conversationId: string, messageId: string): Promise<Pin | null> {
    const pin = this.#find(conversationId, messageId);
    return Promise.resolve(pin ? copy(pin) : null);
  }

  listPins(conversationId: string, limit: number): Promise<Pin[]> {
    const pinned = [...(this.#byConversation.get(conversationId)?.values() ?? [])]
      .filter((p) => p.unpinnedAt === null)
      .sort((a, b) => b.pinnedAt.getTime() - a.pinnedAt.getTime() || (a.id < b.id ? 1 : -1))
      .slice(0, limit);
    return Promise.resolve(pinned.map(copy));
  }

  listPinChangesSince(
    conversationIds: readonly string[],
    since: Date,
    limit: number,
  ): Promise<Pin[]> {
    const changed = conversationIds
      .flatMap((id) => [...(this.#byConversation.get(id)?.values() ?? [])])
      .filter((p) => p.changedAt.getTime() > since.getTime())
      .sort((a, b) => a.changedAt.getTime() - b.changedAt.getTime() || (a.id < b.id ? -1 : 1))
      .slice(0, limit);
    return Promise.resolve(changed.map(copy));
  }

  #find(conversationId: string, messageId: string): Pin | undefined {
    return this.#byConversation.get(conversationId)?.get(pinId(conversationId, messageId));
  }
}
