// Webhook rules (docs/PROTOCOL.md §5.16): who a message may notify, how a receiver's answer is
// read, and the backoff between attempts. No I/O: the notifier and the queues carry them out.
import { isMuted } from './mute';
import type { Message, Participant } from './types';

/**
 * Who may be notified of a message: the participants current when it got its seq (as live
 * delivery decides), the sender excluded, and nobody muted at `now`. Whether they have a
 * connected device is presence's to say, and is asked after.
 */
export function webhookCandidates(
  participants: readonly Participant[],
  message: Pick<Message, 'seq' | 'senderId'>,
  now: Date,
): string[] {
  return participants
    .filter((p) => p.leftAt === null && p.joinedSeq < message.seq)
    .filter((p) => p.userId !== message.senderId && !isMuted(p, now))
    .map((p) => p.userId);
}

/** What one attempt came to. `retryAfterMs`: the receiver's Retry-After, when it sent one. */
export type WebhookAttemptResult =
  | { kind: 'delivered'; status: number }
  | { kind: 'retryable'; reason: string; status?: number; retryAfterMs?: number }
  | { kind: 'permanent'; reason: string; status: number };

/**
 * A response's meaning: 2xx delivered; 408, 429 and 5xx worth another try; any other status
 * (3xx included: redirects are not followed, the URL is configuration) fails for good.
 */
export function classifyWebhookResponse(
  status: number,
  retryAfter: string | null,
  now: Date,
): WebhookAttemptResult {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(retryAfter, now);
    return {
      kind: 'retryable',
      reason: `HTTP ${status}`,
      status,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    };
  }
  return { kind: 'permanent', reason: `HTTP ${status}`, status };
}

/** Retry-After as delay-seconds or an HTTP date, in ms from `now`; undefined when absent or bad. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now.getTime()) : undefined;
}

export interface WebhookRetryPolicy {
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export type WebhookNextStep =
  { kind: 'delivered' } | { kind: 'retry'; delayMs: number } | { kind: 'failed'; reason: string };

/**
 * After attempt number `attempt` (1 = the first): done, another try after a delay, or given up.
 * The delay is base·2^(attempt−1) capped at max, jittered down to half of it at random (so
 * receivers coming back are not hit by every notification at once); a larger Retry-After wins,
 * capped at max too, so no receiver can park a notification for longer than the policy allows.
 */
export function nextWebhookStep(
  result: WebhookAttemptResult,
  attempt: number,
  policy: WebhookRetryPolicy,
  random: () => number = Math.random,
): WebhookNextStep {
  if (result.kind === 'delivered') return { kind: 'delivered' };
  if (result.kind === 'permanent') return { kind: 'failed', reason: result.reason };
  if (attempt >= policy.maxAttempts) {
    return { kind: 'failed', reason: `${result.reason} after ${attempt} attempts` };
  }
  const capped = Math.min(policy.retryMaxMs, policy.retryBaseMs * 2 ** (attempt - 1));
  const backoff = Math.round(capped / 2 + (random() * capped) / 2);
  const retryAfter = Math.min(policy.retryMaxMs, result.retryAfterMs ?? 0);
  return { kind: 'retry', delayMs: Math.max(backoff, retryAfter) };
}
