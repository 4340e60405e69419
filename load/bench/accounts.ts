// Bench users and their conversations. On Parley: registered over REST (test/support's
// registerUser; cheap because the nodes run PASSWORD_KDF=fast) and paired in DIRECTs. On the
// relays: made-up ids (the relays have no users), each pair sharing one room.
import { randomBytes } from 'node:crypto';
import { Api, registerUser } from '../../test/support/api-client';
import { mapLimited } from './concurrency';
import type { Pair } from './load-generator';
import type { Progress } from './progress';
import type { BenchServer } from './servers';
import type { Endpoint } from './wire-client';

/** Registrations (and DM creations) in flight at once: enough to keep two cores busy. */
const SETUP_CONCURRENCY = 24;

export interface ParleyUser extends Endpoint {
  userId: string;
}

/** Registers `count` users, user i on node i mod N. */
export async function registerUsers(
  server: BenchServer,
  count: number,
  progress: Progress,
  what = 'users',
): Promise<ParleyUser[]> {
  const started = Date.now();
  let done = 0;
  const users = await mapLimited(
    Array.from({ length: count }, (_, i) => i),
    SETUP_CONCURRENCY,
    async (i) => {
      const url = server.urls[i % server.urls.length]!;
      const user = await registerUser(new Api(url), 'b');
      if (++done % 5000 === 0) progress.line(`${done}/${count} ${what} registered`);
      return { url, token: user.token, room: '', userId: user.id };
    },
  );
  progress.line(`${count} ${what} registered in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return users;
}

/**
 * `count` DM pairs: user `a` of pair i on node i mod N, `b` on node (i + 1) mod N, so with two
 * nodes every message crosses nodes.
 */
export async function parleyPairs(
  server: BenchServer,
  count: number,
  progress: Progress,
): Promise<Pair[]> {
  const users = await registerUsers(server, count * 2, progress, 'pair users');
  const nodes = server.urls.length;
  const pairs = Array.from({ length: count }, (_, i) => {
    const a = users[2 * i]!;
    const b = users[2 * i + 1]!;
    return {
      a: { ...a, url: server.urls[i % nodes]! },
      b: { ...b, url: server.urls[(i + 1) % nodes]! },
      bId: b.userId,
    };
  });
  return mapLimited(pairs, SETUP_CONCURRENCY, async ({ a, b, bId }) => {
    const conversationId = await directConversation(a, bId);
    return { conversationId, a: { ...a, room: conversationId }, b: { ...b, room: conversationId } };
  });
}

/** Gets or creates the DIRECT between `from` and the user `toUserId`; returns its id. */
export async function directConversation(from: Endpoint, toUserId: string): Promise<string> {
  const res = await new Api(from.url, from.token).post(`/api/v1/messages/direct/${toUserId}`);
  if (res.status !== 200 && res.status !== 201)
    throw new Error(`DIRECT with ${toUserId}: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body.data as { id: string }).id;
}

/** Relay pairs: one room each, side `a` on relay process i mod N and `b` on (i + 1) mod N. */
export function relayPairs(server: BenchServer, count: number): Pair[] {
  const n = server.urls.length;
  return Array.from({ length: count }, (_, i) => {
    const room = `room-${randomBytes(6).toString('hex')}`;
    return {
      conversationId: room,
      a: { url: server.urls[i % n]!, token: '', room },
      b: { url: server.urls[(i + 1) % n]!, token: '', room },
    };
  });
}

/** Idle endpoints: Parley users (registered) or relay sockets (one room each). */
export async function idleEndpoints(
  server: BenchServer,
  system: 'parley' | 'relay',
  count: number,
  progress: Progress,
): Promise<Endpoint[]> {
  if (system === 'parley') return registerUsers(server, count, progress, 'idle users');
  return Array.from({ length: count }, (_, i) => ({
    url: server.urls[i % server.urls.length]!,
    token: '',
    room: `idle-${i}`,
  }));
}
