// The verdict: what every client received (live, SYNC, acks) and the store's final state, judged
// against the checker's own records. Each violation kind is counted, with a few samples.
import { windowOf } from './membership';
import { offset, type Journal, type MembershipInterval } from './journal';
import type { Settled } from './settle';
import type { World } from './setup';
import type { UserConversationRow } from './truth';

/** A live NEW_MESSAGE later than this after its ack, on a socket open all along, is a live miss. */
export const LIVE_WINDOW_MS = 20_000;

export class Findings {
  readonly counts = new Map<string, number>();
  readonly samples = new Map<string, string[]>();
  readonly figures = new Map<string, number>();

  private readonly variants = new Map<string, number>();

  /**
   * Counts `n` of `kind`; keeps `sample` while the kind has fewer than 3, and up to 2 of each
   * `variant` (so different causes of one kind all show).
   */
  add(kind: string, sample?: string, n = 1, variant = ''): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + n);
    if (sample === undefined) return;
    const list = this.samples.get(kind) ?? [];
    const key = `${kind}|${variant}`;
    const seen = this.variants.get(key) ?? 0;
    if ((variant === '' && list.length < 3) || (variant !== '' && seen < 2)) {
      list.push(sample);
      this.variants.set(key, seen + 1);
    }
    this.samples.set(kind, list);
  }

  count(kind: string): number {
    return this.counts.get(kind) ?? 0;
  }

  figure(name: string, value: number): void {
    this.figures.set(name, value);
  }
}

/** Sends, acks and the store: every acked message stored once, with the seq its ack named. */
export function verifyStore(journal: Journal, s: Settled, f: Findings): void {
  const { truth } = s;
  const byTempId = new Map<string, string[]>();
  for (const m of truth.messages.values()) {
    if (m.tempId === null) {
      f.add('unknown stored message', `${m.id} in ${m.conversationId} has no temp_id`);
      continue;
    }
    const list = byTempId.get(`${m.senderId}/${m.tempId}`) ?? [];
    list.push(m.id);
    byTempId.set(`${m.senderId}/${m.tempId}`, list);
    if (!journal.sends.has(m.tempId))
      f.add('unknown stored message', `${m.id} temp_id ${m.tempId}`);
  }
  for (const [key, ids] of byTempId)
    if (ids.length > 1) f.add('stored more than once', `${key}: ${ids.join(', ')}`, ids.length - 1);
  for (const p of truth.problems) f.add('store listing out of order', p);

  let acked = 0;
  let storedUnacked = 0;
  for (const rec of journal.sends.values()) {
    if (rec.ackIds.size > 1)
      f.add('conflicting acks', `${rec.tempId}: ids ${[...rec.ackIds].join(', ')}`);
    if (rec.ackSeqs.size > 1)
      f.add('conflicting acks', `${rec.tempId}: seqs ${[...rec.ackSeqs].join(', ')}`);
    const id = [...rec.ackIds][0];
    if (id === undefined) {
      if (byTempId.has(`${rec.senderId}/${rec.tempId}`)) storedUnacked++;
      continue;
    }
    acked++;
    const stored = truth.messages.get(id);
    if (!stored) {
      f.add('lost (acked, not stored)', `${rec.tempId} → ${id} in ${rec.conversationId}`);
      continue;
    }
    const seq = [...rec.ackSeqs][0];
    if (seq !== stored.seq)
      f.add('seq mismatch', `${id}: ack seq ${seq}, stored seq ${stored.seq}`);
    if (stored.conversationId !== rec.conversationId)
      f.add('seq mismatch', `${id}: stored in ${stored.conversationId}`);
  }
  f.figure('sent', journal.sends.size);
  f.figure('acked', acked);
  f.figure('stored', truth.messages.size);
  f.figure('stored without ack', storedUnacked);
  f.figure('gave up', [...journal.sends.values()].filter((r) => r.gaveUp).length);
}

/** Every device: required messages held exactly once, nothing foreign, seqs and edits right. */
export function verifyDeliveries(
  world: World,
  journal: Journal,
  s: Settled,
  f: Findings,
  faultsInjected: boolean,
): void {
  const { truth, rules, runEnd } = s;
  let expected = 0;
  let delivered = 0;
  let liveMisses = 0;
  for (const device of world.devices) {
    const { view } = device;
    for (const [kind, n] of view.counts) {
      const label = kind === 'duplicate' ? 'duplicates (raw)' : kind;
      f.add(label, undefined, n);
    }
    for (const sample of view.samples)
      f.add(sample.kind === 'duplicate' ? 'duplicates (raw)' : sample.kind, sample.detail, 0);
    for (const m of truth.messages.values()) {
      const rec = m.tempId === null ? undefined : journal.sends.get(m.tempId);
      const verdict = rules.verdict(m.conversationId, device.userId, windowOf(rec, runEnd));
      const receipt = view.receipts.get(m.id);
      if (verdict === 'required') {
        expected++;
        if (!receipt) {
          f.add(
            m.deleted ? 'lost (deleted message never delivered)' : 'lost (never delivered)',
            `${device.opts.deviceId}: ${m.id} seq ${m.seq} in ${m.conversationId}`,
          );
          continue;
        }
        delivered++;
        if (rec?.ackedAt && rec.deviceId !== device.opts.deviceId && !receipt.ack) {
          const end = rec.ackedAt + LIVE_WINDOW_MS;
          const openThroughout = device.connections.some(
            (c) =>
              c.openedAt < rec.issuedAt &&
              (c.closedAt === null || c.closedAt > end) &&
              !receipt.liveConnections.has(c.id),
          );
          if (openThroughout) {
            liveMisses++;
            if (!faultsInjected)
              f.add(
                'live miss (no fault)',
                `${device.opts.deviceId}: ${m.id} seq ${m.seq} only via SYNC`,
              );
          }
        }
      } else if (verdict === 'forbidden' && receipt) {
        const how = receipt.live > 0 ? 'live' : receipt.sync > 0 ? 'via SYNC' : 'as ack';
        const w = windowOf(rec, runEnd);
        const spans = journal
          .intervals(m.conversationId, device.userId)
          .map(describeInterval)
          .join(' ');
        f.add(
          'foreign deliveries',
          `${device.opts.deviceId}: ${m.id} seq ${m.seq} of ${m.conversationId} ${how}; sent ${offset(w.issued)}..${offset(w.committed)}, member ${spans || 'never'}`,
          1,
          how,
        );
      }
      if (receipt && m.id) {
        const held = view.messages.get(m.id);
        if (held && held.seq !== m.seq)
          f.add(
            'seq mismatch',
            `${device.opts.deviceId}: ${m.id} held as seq ${held.seq}, stored ${m.seq}`,
          );
        if (held && verdict === 'required') {
          if (m.deleted && !held.deleted)
            f.add(
              'stale edits/deletes',
              `${device.opts.deviceId}: ${m.id} deleted in store, shown`,
            );
          else if (!m.deleted && !held.deleted && held.content !== m.content) {
            f.add(
              'stale edits/deletes',
              `${device.opts.deviceId}: ${m.id} holds "${held.content}", store "${m.content}"`,
            );
          } else if (!m.deleted && held.deleted)
            f.add('stale edits/deletes', `${device.opts.deviceId}: ${m.id} deleted on device only`);
        }
      }
    }
  }
  for (const key of rules.divergent)
    f.add('membership mismatch', `${key}: checker and server disagree at the end`);
  f.figure('deliveries expected', expected);
  f.figure('delivered', delivered);
  f.figure('live misses (recovered by SYNC)', liveMisses);
  f.figure(
    'gap SYNCs',
    world.devices.reduce((n, d) => n + d.view.gapSyncs, 0),
  );
}

/** unread_count of every row against a recount from the stored messages and the seen watermark. */
export function verifyUnread(rows: UserConversationRow[], s: Settled, f: Findings): void {
  let checked = 0;
  let mentioned = 0;
  for (const row of rows) {
    const bounds = s.rules.seenBounds(row.conversationId, row.userId);
    const messages = s.truth.byConversation.get(row.conversationId);
    if (!bounds || !messages) continue;
    checked++;
    const unreadAfter = (w: number) =>
      messages.filter((m) => m.seq > w && m.senderId !== row.userId && !m.deleted);
    const recount = (w: number): number => unreadAfter(w).length;
    const most = recount(bounds.lo);
    const least = recount(bounds.hi);
    if (row.unread < least || row.unread > most) {
      const want = least === most ? `${least}` : `${least}..${most}`;
      f.add(
        'unread mismatches',
        `${row.userId} in ${row.conversationId}: unread_count ${row.unread}, recount ${want} (seen seq ${bounds.lo}..${bounds.hi})`,
      );
    }
    // Mentions by the same watermark rule, from who each stored message mentions.
    const mentionRecount = (w: number): number =>
      unreadAfter(w).filter((m) => m.mentions.includes(row.userId)).length;
    const mostMentions = mentionRecount(bounds.lo);
    const leastMentions = mentionRecount(bounds.hi);
    if (row.unreadMentions < leastMentions || row.unreadMentions > mostMentions) {
      const want =
        leastMentions === mostMentions ? `${leastMentions}` : `${leastMentions}..${mostMentions}`;
      f.add(
        'unread mention mismatches',
        `${row.userId} in ${row.conversationId}: unread_mention_count ${row.unreadMentions}, recount ${want} (seen seq ${bounds.lo}..${bounds.hi})`,
      );
    }
    mentioned += mostMentions;
  }
  f.figure('unread rows checked', checked);
  f.figure('unread mentions recounted', mentioned);
}

/** Presence as observers see it, against whether the user has a socket open. */
export function verifyPresence(
  seen: { observer: string; userId: string; online: boolean }[],
  expectOnline: (userId: string) => boolean,
  phase: string,
  f: Findings,
): void {
  for (const s of seen) {
    const want = expectOnline(s.userId);
    if (s.online !== want)
      f.add(
        'presence mismatches',
        `${phase}: ${s.userId} shows ${s.online ? 'online' : 'offline'} to ${s.observer}`,
      );
  }
  f.figure(`presence rows (${phase})`, seen.length);
}

/** A transient dependency failure must answer UNAVAILABLE (503 + Retry-After), never INTERNAL. */
export function verifyErrors(journal: Journal, f: Findings): void {
  for (const sample of journal.internal) f.add('INTERNAL answers (want UNAVAILABLE)', sample);
}

const describeInterval = (i: MembershipInterval): string =>
  `[${offset(i.joinIssued)}/${i.joinDone === null ? '?' : offset(i.joinDone)} .. ${i.leaveIssued === null ? 'end' : `${offset(i.leaveIssued)}/${i.leaveDone === null ? '?' : offset(i.leaveDone)}`}]`;
