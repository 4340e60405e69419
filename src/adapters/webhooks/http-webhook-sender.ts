// HttpWebhookSender: one signed POST of a notification to WEBHOOK_URL (docs/PROTOCOL.md §5.16),
// over global fetch with a timeout; the answer is classified, never thrown.
import { createHmac } from 'node:crypto';
import { classifyWebhookResponse, type WebhookAttemptResult } from '../../domain/webhooks';
import type { MessageCreatedWebhook } from '../../protocol/webhooks';
import type { WebhookSender } from '../../ports';

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`: X-Parley-Signature. */
export function signWebhook(secret: string, timestamp: number, rawBody: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  return `sha256=${mac}`;
}

export interface HttpWebhookSenderOptions {
  url: string;
  secret: string;
  /** The whole attempt, response body included. */
  timeoutMs: number;
  /** @default Date.now */
  now?: () => number;
}

export class HttpWebhookSender implements WebhookSender {
  constructor(private readonly options: HttpWebhookSenderOptions) {}

  async send(notification: MessageCreatedWebhook): Promise<WebhookAttemptResult> {
    const { url, secret, timeoutMs, now = Date.now } = this.options;
    const body = JSON.stringify(notification);
    // Signed per attempt: a receiver that rejects old timestamps (replays) still takes a retry.
    const timestamp = Math.floor(now() / 1000);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Parley-Event': notification.type,
          'X-Parley-Delivery': notification.id,
          'X-Parley-Timestamp': String(timestamp),
          'X-Parley-Signature': signWebhook(secret, timestamp, body),
        },
        body,
        // The URL is configuration: a redirect is the receiver's mistake, not a place to follow.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Read to the end, so the connection goes back to the pool (and a slow body counts too).
      await response.arrayBuffer();
      return classifyWebhookResponse(
        response.status,
        response.headers.get('retry-after'),
        new Date(now()),
      );
    } catch (err) {
      const name = errorField(err, 'name');
      const reason =
        name === 'TimeoutError' || name === 'AbortError'
          ? `no answer within ${timeoutMs} ms`
          : `request failed: ${describe(err)}`;
      return { kind: 'retryable', reason };
    }
  }
}

/*
 * Errors are read by their fields, not with instanceof: fetch's errors come from Node's own
 * realm, which is not always the caller's (a VM context, a test runner).
 */
function errorField(err: unknown, field: 'name' | 'message' | 'cause'): unknown {
  return typeof err === 'object' && err !== null
    ? (err as Record<string, unknown>)[field]
    : undefined;
}

function describe(err: unknown): string {
  const message = errorField(err, 'message');
  if (typeof message !== 'string') return String(err);
  // fetch wraps the socket's error (ECONNREFUSED…) as its cause.
  const cause = errorField(errorField(err, 'cause'), 'message');
  return typeof cause === 'string' ? `${message}: ${cause}` : message;
}
