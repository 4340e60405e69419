// The presence contract: every Presence adapter must pass this same suite.
import { newObjectId } from '../../src/domain/ids';
import type { Presence, PresenceReader } from '../../src/ports';

export interface PresenceContractOptions {
  /**
   * Whether presences opened for different node ids share one backend (Redis) rather than each
   * holding only its own node's sockets (memory). Shared backends are also checked across nodes.
   */
  sharedAcrossNodes: boolean;
}

/** `open(nodeId)` opens the presence of one node; the suite closes everything it opened. */
export function describePresenceContract(
  name: string,
  open: (nodeId: string) => Promise<Presence>,
  options: PresenceContractOptions = { sharedAcrossNodes: false },
): void {
  describe(`Presence contract: ${name}`, () => {
    const opened: Presence[] = [];
    const openNode = async (): Promise<Presence> => {
      const presence = await open(`node-${newObjectId()}`);
      opened.push(presence);
      return presence;
    };
    let presence: Presence;

    beforeEach(async () => {
      presence = await openNode();
    });
    afterEach(async () => {
      // close() is idempotent, so tests that closed a node themselves are fine here.
      await Promise.all(opened.splice(0).map((p) => p.close()));
    });

    const isOnline = async (reader: PresenceReader, userId: string): Promise<boolean> =>
      (await reader.onlineAmong([userId])).has(userId);

    it('is ready once opened', () => {
      expect(presence.isReady()).toBe(true);
    });

    it('shows a user without sockets offline', async () => {
      expect(await isOnline(presence, newObjectId())).toBe(false);
      expect(await presence.onlineAmong([])).toEqual(new Set());
    });

    it('shows a user online once a socket is added', async () => {
      const user = newObjectId();
      await presence.addSocket(user, 's1');
      expect(await isOnline(presence, user)).toBe(true);
    });

    it('keeps a user online until the last of their sockets is removed', async () => {
      const user = newObjectId();
      await presence.addSocket(user, 's1');
      await presence.addSocket(user, 's2');
      await presence.removeSocket(user, 's1');
      expect(await isOnline(presence, user)).toBe(true);
      await presence.removeSocket(user, 's2');
      expect(await isOnline(presence, user)).toBe(false);
    });

    it('counts each socket once, through adds and removes of one, two and three', async () => {
      const user = newObjectId();
      // Each step adds (+) or removes (-) a socket, then says whether the user is online.
      const steps =
        '+s1:on +s1:on -s1:off +s1:on +s2:on +s3:on -s2:on -s1:on +s1:on +s1:on -s3:on -s1:off';
      for (const step of steps.split(' ')) {
        const socketId = step.slice(1, 3);
        if (step.startsWith('+')) await presence.addSocket(user, socketId);
        else await presence.removeSocket(user, socketId);
        expect([step, await isOnline(presence, user)]).toEqual([step, step.endsWith(':on')]);
      }
    });

    it('ignores removing a socket that was never added', async () => {
      const user = newObjectId();
      await presence.addSocket(user, 's1');
      await presence.removeSocket(user, 'never-added');
      await presence.removeSocket(newObjectId(), 's1');
      expect(await isOnline(presence, user)).toBe(true);
    });

    it('returns exactly the online users among a mix, duplicates and all', async () => {
      const [a, b, c, d] = [newObjectId(), newObjectId(), newObjectId(), newObjectId()];
      await presence.addSocket(a, 's1');
      await presence.addSocket(c, 's2');
      await presence.addSocket(c, 's3');
      await presence.addSocket(d, 's4');
      await presence.removeSocket(d, 's4');
      expect(await presence.onlineAmong([a, b, c, d, a])).toEqual(new Set([a, c]));
    });

    it("shows this node's users offline once it is closed", async () => {
      const user = newObjectId();
      await presence.addSocket(user, 's1');
      // A single-node backend has no other reader: it is read through the closed node itself.
      const reader = options.sharedAcrossNodes ? await openNode() : presence;
      expect(await isOnline(reader, user)).toBe(true);
      await presence.close();
      expect(await isOnline(reader, user)).toBe(false);
    });

    if (options.sharedAcrossNodes) {
      it("sees other nodes' users, and a user online on two nodes until both let go", async () => {
        const other = await openNode();
        const [mine, theirs, both] = [newObjectId(), newObjectId(), newObjectId()];
        await presence.addSocket(mine, 's1');
        await other.addSocket(theirs, 's1');
        await presence.addSocket(both, 's2');
        await other.addSocket(both, 's2');
        for (const reader of [presence, other]) {
          expect(await reader.onlineAmong([mine, theirs, both])).toEqual(
            new Set([mine, theirs, both]),
          );
        }
        await presence.removeSocket(both, 's2');
        expect(await isOnline(other, both)).toBe(true);
        await other.removeSocket(both, 's2');
        expect(await isOnline(presence, both)).toBe(false);
      });
    }
  });
}
