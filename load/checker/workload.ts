// The randomized workload: every device acts on its own seeded stream (send over the socket or
// REST, edit, delete, MARK_SEEN, drop and reconnect) while one actor changes group membership.
import { call, TransportError } from './api';
import type { Device } from './client';
import type { Journal, SendRecord } from './journal';
import { newSendRecord, pairKey } from './journal';
import { sleep } from './proc';
import { markSeen, restSeen } from './receipts';
import type { Rng } from './rng';
import type { ConversationState, UserState, World } from './setup';

export interface WorkloadOptions {
  durationMs: number;
  /** Mean pause between one device's actions. */
  meanGapMs: number;
  /** Mean pause between membership changes. */
  membershipGapMs: number;
}

/** Runs until `durationMs` has passed; then waits (bounded) for every send in flight to settle. */
export async function runWorkload(
  world: World,
  rng: Rng,
  journal: Journal,
  opts: WorkloadOptions,
): Promise<void> {
  const stopAt = Date.now() + opts.durationMs;
  const inFlight = new Set<Promise<void>>();
  const track = (p: Promise<void>): void => {
    const t = p.catch((err: unknown) =>
      journal.error('workload', err instanceof Error ? err.message.slice(0, 80) : String(err)),
    );
    inFlight.add(t);
    void t.finally(() => inFlight.delete(t));
  };
  const usersById = new Map(world.users.map((u) => [u.id, u]));
  const actors = world.devices.map(async (device) => {
    const r = rng.fork(`actor:${device.opts.deviceId}`);
    let n = 0;
    while (Date.now() < stopAt) {
      await sleep(Math.min(r.exp(opts.meanGapMs), stopAt - Date.now()));
      if (!device.connected || Date.now() >= stopAt) continue;
      const user = usersById.get(device.userId)!;
      track(act(world, device, user, r, journal, () => `${device.opts.deviceId}#${++n}`));
    }
  });
  const membership = (async () => {
    const r = rng.fork('membership');
    while (Date.now() < stopAt - 3000) {
      await sleep(Math.min(r.exp(opts.membershipGapMs), stopAt - Date.now()));
      if (Date.now() >= stopAt - 3000) break;
      track(changeMembership(world, r, journal, usersById));
    }
  })();
  await Promise.all([...actors, membership]);
  const deadline = Date.now() + 50_000;
  while (inFlight.size > 0 && Date.now() < deadline) await Promise.race([...inFlight, sleep(1000)]);
}

const sendable = (world: World, userId: string): ConversationState[] =>
  world.conversations.filter((c) => c.members.has(userId) && !c.busy.has(userId));

async function act(
  world: World,
  device: Device,
  user: UserState,
  r: Rng,
  journal: Journal,
  nextId: () => string,
): Promise<void> {
  const convs = sendable(world, user.id);
  const roll = r.next();
  if (roll < 0.03) {
    journal.count('drop');
    device.drop(r.between(200, 3000));
    return;
  }
  if (convs.length === 0) return;
  const conv = r.pick(convs);
  if (roll < 0.13) {
    journal.count('mark_seen');
    if (r.chance(0.25)) await restSeen(world.api, device, user.token, conv.id, journal);
    else await markSeen(device, conv.id, journal);
    return;
  }
  if (roll < 0.19) return editOwn(world, user, conv, r, journal, false);
  if (roll < 0.23) return editOwn(world, user, conv, r, journal, true);
  const tempId = nextId();
  // Some sends @-mention another member, so unread_mention_count has something to recount.
  const others = [...conv.members].filter((id) => id !== user.id);
  const mentioned = others.length > 0 && r.chance(0.3) ? r.pick(others) : null;
  const name = world.users.find((u) => u.id === mentioned)?.username;
  const content = `msg ${tempId} ${r.int(1e9).toString(36)}${name ? ` @${name}` : ''}`;
  if (device.pending.size >= 5) return;
  if (r.chance(0.1)) {
    journal.count('send rest');
    return restSend(world, user, conv.id, tempId, content, journal);
  }
  journal.count('send ws');
  await device.send(conv.id, tempId, content);
}

/** POST a message with temp_id, retried (same temp_id) across nodes on transport failures. */
async function restSend(
  world: World,
  user: UserState,
  conversationId: string,
  tempId: string,
  content: string,
  journal: Journal,
): Promise<void> {
  const rec = newSendRecord({
    tempId,
    conversationId,
    senderId: user.id,
    deviceId: null,
    via: 'rest',
    content,
  });
  journal.sends.set(tempId, rec);
  try {
    for (let attempt = 0; attempt < 4 && rec.ackedAt === null; attempt++) {
      rec.attempts = attempt + 1;
      try {
        const res = await call(
          world.api,
          'POST',
          `/messages/conversations/${conversationId}/messages`,
          user.token,
          { content, temp_id: tempId },
        );
        if (res.status === 201) {
          rec.ackedAt = Date.now();
          rec.ackIds.add(String(res.body.data.id));
          rec.ackSeqs.add(Number(res.body.data.seq));
        } else {
          const code = String(res.body?.code ?? res.status);
          rec.errors.push(code);
          journal.error('send rest', code);
          return;
        }
      } catch (err) {
        if (!(err instanceof TransportError)) throw err;
        journal.error('send rest', 'transport');
      }
    }
  } finally {
    rec.gaveUp = rec.ackedAt === null;
    rec.settledAt = Date.now();
  }
}

/** Edits (or deletes) one of the user's acked messages in the conversation, over REST. */
async function editOwn(
  world: World,
  user: UserState,
  conv: ConversationState,
  r: Rng,
  journal: Journal,
  remove: boolean,
): Promise<void> {
  const live = (s: SendRecord): boolean =>
    s.conversationId === conv.id && s.ackIds.size > 0 && !journal.deletedIds.has([...s.ackIds][0]!);
  const mine = [...journal.sends.values()].filter((s) => live(s) && s.senderId === user.id);
  // A group admin may delete anyone's message.
  const pool =
    remove && conv.adminId === user.id && r.chance(0.5)
      ? [...journal.sends.values()].filter(live)
      : mine;
  if (pool.length === 0) return;
  const target = r.pick(pool.slice(-20));
  const messageId = [...target.ackIds][0]!;
  journal.count(remove ? 'delete' : 'edit');
  const path = `/messages/conversations/${conv.id}/messages/${messageId}`;
  const res = remove
    ? await call(world.api, 'DELETE', path, user.token)
    : await call(world.api, 'PATCH', path, user.token, {
        content: `edited ${r.int(1e9).toString(36)}`,
      });
  if (res.status !== 200)
    journal.error(remove ? 'delete' : 'edit', String(res.body?.code ?? res.status));
  else if (remove) journal.deletedIds.add(messageId);
}

/** Adds a non-member to a group (admin) or removes a member (admin, or the member leaving). */
async function changeMembership(
  world: World,
  r: Rng,
  journal: Journal,
  users: Map<string, UserState>,
): Promise<void> {
  const groups = world.conversations.filter((c) => c.type === 'GROUP');
  if (groups.length === 0) return;
  const conv = r.pick(groups);
  const admin = users.get(conv.adminId!)!;
  const outside = world.users.filter((u) => !conv.members.has(u.id) && !conv.busy.has(u.id));
  const removable = [...conv.members].filter((id) => id !== conv.adminId && !conv.busy.has(id));
  const add =
    outside.length > 0 && (conv.members.size < 4 || removable.length === 0 || r.chance(0.5));
  if (!add && removable.length === 0) return;
  const subject = add ? r.pick(outside) : users.get(r.pick(removable))!;
  conv.busy.add(subject.id);
  const issued = Date.now();
  try {
    if (add) {
      journal.count('member add');
      const interval = journal.joinStarted(conv.id, subject.id, issued);
      const res = await call(
        world.api,
        'POST',
        `/messages/conversations/${conv.id}/participants`,
        admin.token,
        { user_ids: [subject.id] },
      );
      if (res.status !== 200 && res.status !== 201) {
        journal.error('member add', String(res.body?.code ?? res.status));
        journal.uncertainMembership.add(pairKey(conv.id, subject.id));
        return;
      }
      interval.joinDone = Date.now();
      conv.members.add(subject.id);
      for (const d of subject.devices) void d.sync();
    } else {
      const self = r.chance(0.5);
      journal.count(self ? 'member leave' : 'member remove');
      const interval = journal.openInterval(conv.id, subject.id);
      if (interval) interval.leaveIssued = issued;
      conv.members.delete(subject.id);
      const res = await call(
        world.api,
        'DELETE',
        `/messages/conversations/${conv.id}/participants/${subject.id}`,
        self ? subject.token : admin.token,
      );
      if (res.status !== 200) {
        journal.error('member remove', String(res.body?.code ?? res.status));
        journal.uncertainMembership.add(pairKey(conv.id, subject.id));
        return;
      }
      if (interval) interval.leaveDone = Date.now();
    }
  } catch (err) {
    journal.uncertainMembership.add(pairKey(conv.id, subject.id));
    throw err;
  } finally {
    // Give in-flight sends of the subject a moment to land before it may send here again.
    await sleep(300);
    conv.busy.delete(subject.id);
  }
}
