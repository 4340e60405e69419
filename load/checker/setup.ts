// The world the workload runs in: users (each with one or two devices on either transport), DMs
// between random pairs, and groups with an admin who never leaves; all created over REST.
import { randomBytes } from 'node:crypto';
import { call, type ApiOptions } from './api';
import { Device } from './client';
import type { Journal } from './journal';
import type { Rng } from './rng';

export interface UserState {
  id: string;
  username: string;
  token: string;
  devices: Device[];
}

export interface ConversationState {
  id: string;
  type: 'DIRECT' | 'GROUP';
  /** The group's creator (never leaves, does every admin action); null for a DM. */
  adminId: string | null;
  /** Members as the checker's confirmed requests leave them. */
  members: Set<string>;
  /** Users with a membership request in flight (nobody sends for them meanwhile). */
  busy: Set<string>;
}

export interface World {
  users: UserState[];
  conversations: ConversationState[];
  devices: Device[];
  api: ApiOptions;
}

export interface WorldShape {
  users: number;
  dmsPerUser: number;
  groups: number;
}

const PASSWORD = 'checker-password-1';

async function expectOk(what: string, p: Promise<{ status: number; body: any }>): Promise<any> {
  const res = await p;
  if (res.status !== 200 && res.status !== 201)
    throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** Runs `work` over `items` with at most `limit` at once. */
export async function inBatches<T>(
  items: T[],
  limit: number,
  work: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  });
  await Promise.all(lanes);
}

export async function setupWorld(
  shape: WorldShape,
  rng: Rng,
  journal: Journal,
  api: ApiOptions,
  pickUrl: () => string,
): Promise<World> {
  const run = randomBytes(3).toString('hex');
  const users: UserState[] = [];
  await inBatches(
    Array.from({ length: shape.users }, (_, i) => i),
    4,
    async (i) => {
      const username = `ck_${run}_${i}`;
      const data = await expectOk(
        `register ${username}`,
        call(api, 'POST', '/auth/register', null, { username, password: PASSWORD }),
      );
      users[i] = { id: data.user.id, username, token: data.access_token, devices: [] };
    },
  );

  const conversations: ConversationState[] = [];
  // DMs: a ring (everyone has one) plus random extra pairs.
  const pairs = new Set<string>();
  for (let i = 0; i < users.length; i++) pairs.add(pairKeyOf(i, (i + 1) % users.length));
  while (
    pairs.size <
    Math.min((users.length * shape.dmsPerUser) / 2, (users.length * (users.length - 1)) / 2)
  ) {
    const a = rng.int(users.length);
    const b = rng.int(users.length);
    if (a !== b) pairs.add(pairKeyOf(a, b));
  }
  for (const key of pairs) {
    const [a, b] = key.split('-').map(Number) as [number, number];
    const ua = users[a]!;
    const ub = users[b]!;
    const at = Date.now();
    const data = await expectOk(
      'create DM',
      call(api, 'POST', `/messages/direct/${ub.id}`, ua.token),
    );
    const done = Date.now();
    conversations.push({
      id: data.id,
      type: 'DIRECT',
      adminId: null,
      members: new Set([ua.id, ub.id]),
      busy: new Set(),
    });
    for (const u of [ua, ub]) journal.joinStarted(data.id, u.id, at).joinDone = done;
  }
  for (let g = 0; g < shape.groups; g++) {
    const [admin, ...members] = rng.sample(users, rng.between(3, 5));
    const at = Date.now();
    const data = await expectOk(
      'create group',
      call(api, 'POST', '/messages/conversations', admin!.token, {
        type: 'GROUP',
        name: `checker group ${g}`,
        participant_ids: members.map((m) => m.id),
      }),
    );
    const done = Date.now();
    const all = [admin!, ...members];
    conversations.push({
      id: data.id,
      type: 'GROUP',
      adminId: admin!.id,
      members: new Set(all.map((u) => u.id)),
      busy: new Set(),
    });
    for (const u of all) journal.joinStarted(data.id, u.id, at).joinDone = done;
  }

  const devices: Device[] = [];
  for (const u of users) {
    const count = rng.chance(0.4) ? 2 : 1;
    for (let d = 0; d < count; d++) {
      const deviceId = `${u.username}/d${d}`;
      const device = new Device({
        deviceId,
        userId: u.id,
        token: u.token,
        transport: rng.chance(0.5) ? 'socket.io' : 'raw',
        rng: rng.fork(deviceId),
        journal,
        pickUrl,
      });
      for (const c of conversations) if (c.members.has(u.id)) device.view.know(c.id);
      u.devices.push(device);
      devices.push(device);
    }
  }
  await inBatches(devices, 8, (d) => d.connect());
  return { users, conversations, devices, api };
}

function pairKeyOf(a: number, b: number): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}
