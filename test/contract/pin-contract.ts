// The pins part of the store contract, run by describeStoreContract on every Store adapter.
import { newObjectId } from '../../src/domain/ids';
import { pinId, type Pin } from '../../src/domain/pins';
import type { Store } from '../../src/ports';

const aPin = (conversationId: string, messageId: string, at: Date, by = newObjectId()): Pin => ({
  id: pinId(conversationId, messageId),
  conversationId,
  messageId,
  pinnedBy: by,
  pinnedAt: at,
  unpinnedAt: null,
  unpinnedBy: null,
  changedAt: at,
});

export function describePinContract(store: () => Store): void {
  describe('pins', () => {
    const t0 = Date.parse('2030-11-01T00:00:00Z');

    it('pins once, keeps the first pin, unpins to a tombstone and pins it again', async () => {
      const [c, m] = [newObjectId(), newObjectId()];
      const first = aPin(c, m, new Date(t0));
      expect(await store().pinMessage(first)).toBe(true);
      expect(await store().pinMessage(aPin(c, m, new Date(t0 + 5)))).toBe(false);
      expect(await store().findPin(c, m)).toEqual(first);

      const by = newObjectId();
      expect(await store().unpinMessage(c, m, by, new Date(t0 + 10))).toBe(true);
      expect(await store().unpinMessage(c, m, by, new Date(t0 + 11))).toBe(false);
      expect(await store().findPin(c, m)).toEqual({
        ...first,
        unpinnedAt: new Date(t0 + 10),
        unpinnedBy: by,
        changedAt: new Date(t0 + 10),
      });
      expect(await store().listPins(c, 50)).toEqual([]);

      const again = aPin(c, m, new Date(t0 + 20));
      expect(await store().pinMessage(again)).toBe(true);
      expect(await store().findPin(c, m)).toEqual(again);
      expect(await store().findPin(c, newObjectId())).toBeNull();
      expect(await store().unpinMessage(c, newObjectId(), by, new Date(t0))).toBe(false);
    });

    it('lists a conversation’s pinned records newest pin first, bounded', async () => {
      const c = newObjectId();
      const [m1, m2, m3] = [newObjectId(), newObjectId(), newObjectId()];
      await store().pinMessage(aPin(c, m1, new Date(t0 + 1)));
      await store().pinMessage(aPin(c, m2, new Date(t0 + 3)));
      await store().pinMessage(aPin(c, m3, new Date(t0 + 2)));
      await store().pinMessage(aPin(newObjectId(), newObjectId(), new Date(t0 + 9)));
      expect((await store().listPins(c, 50)).map((p) => p.messageId)).toEqual([m2, m3, m1]);
      expect((await store().listPins(c, 2)).map((p) => p.messageId)).toEqual([m2, m3]);
      await store().unpinMessage(c, m3, newObjectId(), new Date(t0 + 4));
      expect((await store().listPins(c, 50)).map((p) => p.messageId)).toEqual([m2, m1]);
    });

    it('lists pins and unpins of these conversations after a time, oldest change first', async () => {
      const [c1, c2, other] = [newObjectId(), newObjectId(), newObjectId()];
      const [m1, m2, m3] = [newObjectId(), newObjectId(), newObjectId()];
      await store().pinMessage(aPin(c1, m1, new Date(t0 - 10)));
      await store().pinMessage(aPin(c2, m2, new Date(t0 + 20)));
      await store().pinMessage(aPin(other, m3, new Date(t0 + 5)));
      await store().unpinMessage(c1, m1, newObjectId(), new Date(t0 + 30));
      const changed = await store().listPinChangesSince([c1, c2], new Date(t0), 10);
      expect(changed.map((p) => [p.messageId, p.unpinnedAt !== null])).toEqual([
        [m2, false],
        [m1, true],
      ]);
      expect(await store().listPinChangesSince([c1, c2], new Date(t0), 1)).toHaveLength(1);
      expect(await store().listPinChangesSince([c1, c2], new Date(t0 + 30), 10)).toEqual([]);
      expect(await store().listPinChangesSince([], new Date(0), 10)).toEqual([]);
    });

    it('lets exactly one of 10 parallel pins of a message win', async () => {
      const [c, m] = [newObjectId(), newObjectId()];
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store().pinMessage(aPin(c, m, new Date(t0 + i)))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store().listPins(c, 50)).toHaveLength(1);
    });
  });
}
