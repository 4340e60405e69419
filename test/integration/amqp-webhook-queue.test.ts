// AmqpWebhookQueue against a real RabbitMQ (own vhost), with a scripted notifier and sender: an
// event whose notification cannot be decided yet comes back, a retry copy carries the notification
// it was made with, and undecodable deliveries rest in webhook_events.dlq.
import { connect, type Channel } from 'amqplib';
import { AmqpWebhookQueue } from '../../src/adapters/webhooks/amqp-webhook-queue';
import { WebhookAttempts } from '../../src/adapters/webhooks/webhook-attempts';
import { MESSAGE_EXCHANGE } from '../../src/adapters/bus/amqp-topology';
import { UnavailableError } from '../../src/domain/errors';
import type { WebhookAttemptResult } from '../../src/domain/webhooks';
import { createLogger } from '../../src/observability/logger';
import type { BusPayload } from '../../src/protocol/events';
import type { MessageCreatedWebhook } from '../../src/protocol/webhooks';
import { aWebhookNotification } from '../support/factories';
import { createTestVhost, type TestVhost } from '../support/rabbit-vhost';
import { waitFor } from '../support/wait-for';

jest.setTimeout(20_000);

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'amqp-webhook-test');
let vhost: TestVhost;
let queue: AmqpWebhookQueue | null = null;

beforeAll(async () => {
  vhost = await createTestVhost();
});
afterEach(async () => {
  await queue?.close();
  queue = null;
});
afterAll(async () => {
  await vhost.drop();
});

async function withChannel<T>(use: (ch: Channel) => Promise<T>): Promise<T> {
  const conn = await connect(vhost.url);
  try {
    return await use(await conn.createChannel());
  } finally {
    await conn.close();
  }
}

const event = (messageId: string): BusPayload<'message.sent'> => ({
  message_id: messageId,
  conversation_id: 'c1',
  seq: 1,
  sender_id: 'u1',
  temp_id: null,
  socket_id: null,
  timestamp: new Date().toISOString(),
});

const notificationOf = aWebhookNotification;

/** A queue whose notifier and sender follow scripts; resolves `sent` with each attempt's body. */
async function openQueue(
  decide: (payload: BusPayload<'message.sent'>) => Promise<MessageCreatedWebhook | null>,
  answers: WebhookAttemptResult[],
  delays: { retryBaseMs: number; retryMaxMs: number } = { retryBaseMs: 20, retryMaxMs: 40 },
) {
  const sent: MessageCreatedWebhook[] = [];
  let wake: () => void = () => undefined;
  const attempts = new WebhookAttempts({
    sender: {
      send: (n) => {
        sent.push(n);
        wake();
        return Promise.resolve(answers.shift() ?? { kind: 'delivered', status: 200 });
      },
    },
    policy: { maxAttempts: 3, ...delays },
    logger,
  });
  queue = await AmqpWebhookQueue.connect({
    url: vhost.url,
    notifier: { notificationFor: decide },
    attempts,
    logger,
  });
  await queue.start();
  /** Resolves once `count` attempts were made. */
  const attemptsMade = (count: number) =>
    new Promise<MessageCreatedWebhook[]>((resolve) => {
      const check = () => {
        if (sent.length >= count) resolve(sent);
      };
      wake = check;
      check();
    });
  return { attemptsMade };
}

/** Publishes as the event bus does (to message_events), confirmed. */
async function publishEvent(payload: unknown): Promise<void> {
  const conn = await connect(vhost.url);
  try {
    const ch = await conn.createConfirmChannel();
    ch.publish(MESSAGE_EXCHANGE, 'message.sent', Buffer.from(JSON.stringify(payload)));
    await ch.waitForConfirms();
  } finally {
    await conn.close();
  }
}

it('requeues an event whose notification failed to be decided, and sends it once decided', async () => {
  let calls = 0;
  const { attemptsMade } = await openQueue((p) => {
    calls += 1;
    if (calls === 1) return Promise.reject(new UnavailableError('the store'));
    return Promise.resolve(notificationOf(p.message_id, ['u2']));
  }, []);
  await publishEvent(event('m-requeued'));
  const [first] = await attemptsMade(1);
  expect(first?.message.id).toBe('m-requeued');
  expect(calls).toBe(2);
});

it('retries with the notification first made: the notifier is not asked again', async () => {
  let calls = 0;
  const { attemptsMade } = await openQueue(
    (p) => {
      calls += 1;
      return Promise.resolve(notificationOf(p.message_id, [`u${calls + 1}`]));
    },
    [{ kind: 'retryable', reason: 'HTTP 503', status: 503 }],
  );
  await publishEvent(event('m-frozen'));
  const [first, second] = await attemptsMade(2);
  expect(second).toEqual(first);
  expect(first?.recipients).toEqual([{ user_id: 'u2', username: 'u2' }]);
  expect(calls).toBe(1);
});

it('dead-letters an undecodable delivery to webhook_events.dlq', async () => {
  await openQueue(() => Promise.resolve(null), []);
  await publishEvent({ not: 'an event' });
  const dead = await waitFor(
    () => withChannel(async (ch) => (await ch.checkQueue('webhook_events.dlq')).messageCount),
    { what: 'the malformed delivery in the DLQ' },
  );
  expect(dead).toBe(1);
});

it('keeps a short retry from waiting behind a long one: each delay tier has its own queue', async () => {
  const answers: WebhookAttemptResult[] = [
    // The first notification is told to come back in 3 s, the second only in a few ms.
    { kind: 'retryable', reason: 'HTTP 429', status: 429, retryAfterMs: 3000 },
    { kind: 'retryable', reason: 'HTTP 503', status: 503 },
  ];
  const { attemptsMade } = await openQueue(
    (p) => Promise.resolve(notificationOf(p.message_id, ['u2'])),
    answers,
    { retryBaseMs: 20, retryMaxMs: 4000 },
  );
  await publishEvent(event('m-long'));
  await attemptsMade(1);
  await publishEvent(event('m-short'));
  const sent = await attemptsMade(4);
  // One queue for both would expire the 3 s copy at its head first, and the short one after it.
  expect(sent.map((n) => n.message.id)).toEqual(['m-long', 'm-short', 'm-short', 'm-long']);
});
