// Pure domain rules: ids, ordering, cursors, message bodies, receipts, rate buckets.
import { decodeCursor, encodeCursor } from '../../src/domain/cursor';
import { AppError } from '../../src/domain/errors';
import {
  directConversationId,
  idempotentMessageId,
  isObjectId,
  newObjectId,
  userIdForUsername,
} from '../../src/domain/ids';
import {
  characterCount,
  checkMessageBody,
  deriveMessageType,
} from '../../src/domain/message-rules';
import { compareKeys } from '../../src/domain/ordering';
import { aggregateStatus } from '../../src/domain/receipts';
import { KeyedRateLimiter, TokenBucket } from '../../src/domain/token-bucket';
import type { Participant } from '../../src/domain/types';

const limits = { maxMessageLength: 5, maxMediaItems: 2 };
const image = { url: 'https://x.test/a.png', type: 'image' as const };
const video = { url: 'https://x.test/a.mp4', type: 'video' as const };

describe('ids', () => {
  it('makes unique 24-hex ObjectIds', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newObjectId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(isObjectId(id)).toBe(true);
  });

  it('derives one DIRECT id per unordered pair, one message id per sender+tempId, one user per name', () => {
    const [a, b, c] = [newObjectId(), newObjectId(), newObjectId()];
    expect(directConversationId(a, b)).toBe(directConversationId(b, a));
    expect(directConversationId(a, b)).not.toBe(directConversationId(a, c));
    expect(isObjectId(directConversationId(a, b))).toBe(true);
    expect(idempotentMessageId(a, 't')).toBe(idempotentMessageId(a, 't'));
    expect(idempotentMessageId(a, 't')).not.toBe(idempotentMessageId(b, 't'));
    expect(userIdForUsername('Alice')).toBe(userIdForUsername('alice'));
  });

  it('rejects non-strings and other shapes', () => {
    for (const v of [{ $gt: '' }, 123, 'ABCDEF0123456789abcdef01', 'abc', null])
      expect(isObjectId(v)).toBe(false);
  });
});

describe('ordering and cursors', () => {
  it('orders by time, then id', () => {
    const t = new Date(1000);
    expect(
      compareKeys({ createdAt: t, id: 'a'.repeat(24) }, { createdAt: t, id: 'b'.repeat(24) }),
    ).toBeLessThan(0);
    expect(
      compareKeys(
        { createdAt: new Date(999), id: 'f'.repeat(24) },
        { createdAt: t, id: '0'.repeat(24) },
      ),
    ).toBeLessThan(0);
  });

  it('round-trips cursors and rejects tampered ones', () => {
    const key = { createdAt: new Date(1_700_000_000_123), id: newObjectId() };
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
    const bad = [
      'not base64!',
      Buffer.from('{"t":"x","id":"y"}').toString('base64url'),
      Buffer.from('[1,2]').toString('base64url'),
      Buffer.from('nope').toString('base64url'),
      '',
    ];
    for (const cursor of bad) expect(() => decodeCursor(cursor)).toThrow(AppError);
  });
});

describe('message bodies', () => {
  it.each([
    [null, [], 'TEXT'],
    ['hi', [], 'TEXT'],
    [null, [image], 'IMAGE'],
    [null, [video], 'VIDEO'],
    ['hi', [image], 'MIXED'],
    [null, [image, video], 'MIXED'],
  ] as const)('derives %j + %j → %s', (content, media, type) => {
    expect(deriveMessageType(content, [...media])).toBe(type);
  });

  it('needs content or media, within the limits, counting code points', () => {
    expect(() => checkMessageBody(null, [], limits)).toThrow('content or media');
    expect(() => checkMessageBody('  ', [], limits)).toThrow('content or media');
    expect(() => checkMessageBody('123456', [], limits)).toThrow('longer than 5');
    expect(() => checkMessageBody(null, [image, image, image], limits)).toThrow('at most 2');
    expect(checkMessageBody('😀😀😀😀😀', [], limits).content).toBe('😀😀😀😀😀');
    expect(characterCount('😀a')).toBe(2);
    expect(checkMessageBody('  ', [image], limits)).toEqual({ content: null, media: [image] });
  });
});

describe('receipts', () => {
  const t = (ms: number) => new Date(ms);
  const p = (
    userId: string,
    seen: number | null,
    delivered: number | null,
    leftAt: Date | null = null,
  ): Participant => ({
    conversationId: 'c',
    userId,
    role: 'MEMBER',
    joinedAt: t(0),
    leftAt,
    joinedSeq: 0,
    seen: seen === null ? null : { messageId: 'm'.padEnd(24, '0'), seq: seen },
    delivered: delivered === null ? null : { messageId: 'm'.padEnd(24, '0'), seq: delivered },
    receiptsAt: null,
    muted: false,
    mutedUntil: null,
    muteChangedAt: null,
  });
  const message = { seq: 10, senderId: 'sender' };

  it('is the minimum over current recipients', () => {
    expect(aggregateStatus(message, [p('sender', null, null), p('a', null, null)])).toBe('SENT');
    expect(aggregateStatus(message, [p('a', null, 10), p('b', null, null)])).toBe('SENT');
    expect(aggregateStatus(message, [p('a', null, 10), p('b', 20, 20)])).toBe('DELIVERED');
    expect(aggregateStatus(message, [p('a', 10, 10), p('b', 20, null)])).toBe('SEEN');
    expect(aggregateStatus(message, [p('a', 10, 10), p('gone', null, null, t(5))])).toBe('SEEN');
    expect(aggregateStatus(message, [p('sender', 10, 10)])).toBe('SENT');
    // A watermark short of the message's seq does not cover it.
    expect(aggregateStatus(message, [p('a', 9, 9)])).toBe('SENT');
  });
});

describe('token bucket', () => {
  it('allows a burst, then the steady rate', () => {
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 3 }, 0);
    expect([0, 0, 0, 0].map(() => bucket.take(0))).toEqual([true, true, true, false]);
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true);
  });

  it('keys buckets separately', () => {
    const limiter = new KeyedRateLimiter({ ratePerSecond: 1, burst: 1 });
    expect(limiter.take('a', 0)).toBe(true);
    expect(limiter.take('a', 0)).toBe(false);
    expect(limiter.take('b', 0)).toBe(true);
  });
});
