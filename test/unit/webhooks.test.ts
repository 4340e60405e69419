// Webhook rules without I/O: the signature, who is a candidate, how answers are read, the backoff,
// and the delivery id (docs/PROTOCOL.md §5.16).
import { signWebhook } from '../../src/adapters/webhooks/http-webhook-sender';
import {
  retryQueueFor,
  retryTierMs,
  retryTiersMs,
} from '../../src/adapters/webhooks/amqp-webhook-topology';
import { webhookDeliveryId } from '../../src/domain/ids';
import type { Participant } from '../../src/domain/types';
import { aParticipant } from '../support/factories';
import {
  classifyWebhookResponse,
  nextWebhookStep,
  parseRetryAfter,
  webhookCandidates,
  type WebhookAttemptResult,
} from '../../src/domain/webhooks';

const now = new Date('2026-03-01T12:00:00Z');

describe('signWebhook', () => {
  it('is sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>', () => {
    // Vector computed apart: printf '%s' '1700000000.{"id":"x"}' | openssl dgst -sha256 -hmac whsec
    expect(signWebhook('whsec', 1700000000, '{"id":"x"}')).toBe(
      'sha256=53c863f98a429b819c35087cf6e3f9bcad57da8addfbf41135fafcb6ba9ab225',
    );
    expect(signWebhook('whsec', 1700000001, '{"id":"x"}')).not.toBe(
      signWebhook('whsec', 1700000000, '{"id":"x"}'),
    );
  });
});

describe('webhookCandidates', () => {
  const participant = (userId: string, extra: Partial<Participant> = {}): Participant =>
    aParticipant('c', userId, { joinedAt: now, ...extra });
  const message = { seq: 5, senderId: 'sender' };

  it('takes participants current at the seq, neither the sender nor anyone muted now', () => {
    const participants = [
      participant('sender'),
      participant('plain'),
      participant('left', { leftAt: now }),
      participant('joined-after', { joinedSeq: 5 }),
      participant('joined-before', { joinedSeq: 4 }),
      participant('muted', { muted: true }),
      participant('muted-till-later', { muted: true, mutedUntil: new Date(now.getTime() + 1) }),
      participant('mute-lapsed', { muted: true, mutedUntil: now }),
    ];
    expect(webhookCandidates(participants, message, now)).toEqual([
      'plain',
      'joined-before',
      'mute-lapsed',
    ]);
  });
});

describe('classifyWebhookResponse', () => {
  it('delivers on 2xx, retries 408, 429 and 5xx, gives up on any other status', () => {
    const kind = (status: number) => classifyWebhookResponse(status, null, now).kind;
    expect([200, 202, 204, 299].map(kind)).toEqual(Array(4).fill('delivered'));
    expect([408, 429, 500, 502, 503, 599].map(kind)).toEqual(Array(6).fill('retryable'));
    expect([301, 302, 400, 401, 403, 404, 410, 422].map(kind)).toEqual(Array(8).fill('permanent'));
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(classifyWebhookResponse(429, '120', now)).toEqual({
      kind: 'retryable',
      reason: 'HTTP 429',
      status: 429,
      retryAfterMs: 120_000,
    });
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('nextWebhookStep', () => {
  const policy = { maxAttempts: 4, retryBaseMs: 1000, retryMaxMs: 5000 };
  const failure: WebhookAttemptResult = { kind: 'retryable', reason: 'HTTP 503', status: 503 };
  const delay = (attempt: number, random: number, result: WebhookAttemptResult = failure) => {
    const step = nextWebhookStep(result, attempt, policy, () => random);
    return step.kind === 'retry' ? step.delayMs : step.kind;
  };

  it('doubles from the base, capped, jittered between half and all of it', () => {
    expect([1, 2, 3].map((n) => delay(n, 1))).toEqual([1000, 2000, 4000]);
    expect([1, 2, 3].map((n) => delay(n, 0))).toEqual([500, 1000, 2000]);
    const capped = { ...policy, maxAttempts: 10 };
    const step = nextWebhookStep(failure, 8, capped, () => 1);
    expect(step).toEqual({ kind: 'retry', delayMs: 5000 });
  });

  it('gives up after maxAttempts, and at once on a permanent failure', () => {
    expect(nextWebhookStep(failure, 4, policy)).toEqual({
      kind: 'failed',
      reason: 'HTTP 503 after 4 attempts',
    });
    expect(
      nextWebhookStep({ kind: 'permanent', reason: 'HTTP 400', status: 400 }, 1, policy),
    ).toEqual({ kind: 'failed', reason: 'HTTP 400' });
    expect(nextWebhookStep({ kind: 'delivered', status: 200 }, 1, policy)).toEqual({
      kind: 'delivered',
    });
  });

  it('honours a larger Retry-After, within the cap', () => {
    const after = (ms: number): WebhookAttemptResult => ({ ...failure, retryAfterMs: ms });
    expect(delay(1, 1, after(3000))).toBe(3000);
    expect(delay(1, 1, after(100))).toBe(1000);
    expect(delay(1, 1, after(3_600_000))).toBe(5000);
  });
});

describe('webhookDeliveryId', () => {
  it('is a UUID fixed by the message, different for another one', () => {
    const id = webhookDeliveryId('65f0c0ffee0000000000abcd');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(webhookDeliveryId('65f0c0ffee0000000000abcd')).toBe(id);
    expect(webhookDeliveryId('65f0c0ffee0000000000abce')).not.toBe(id);
  });
});

describe('webhook retry delay tiers', () => {
  it('puts a delay in the smallest power-of-two tier that holds it, never a shorter one', () => {
    expect([1, 2, 3, 1000, 1024, 1025, 300_000].map(retryTierMs)).toEqual([
      1, 2, 4, 1024, 1024, 2048, 524_288,
    ]);
    for (const d of [7, 99, 1500, 45_000]) {
      expect(retryTierMs(d)).toBeGreaterThanOrEqual(d);
      expect(retryTierMs(d)).toBeLessThan(2 * d);
    }
    expect(retryQueueFor(1500)).toBe('webhook_events.retry.2048');
  });

  it('declares every tier between the policy bounds', () => {
    expect(retryTiersMs(500, 4000)).toEqual([512, 1024, 2048, 4096]);
    expect(retryTiersMs(25, 25)).toEqual([32]);
  });
});
