// Picks the webhook queue (docs/PROTOCOL.md §5.16): none without WEBHOOK_URL (no subscriber, no
// queue declared, no extra read), AmqpWebhookQueue with RABBITMQ_URL, else MemoryWebhookQueue on
// the in-process bus. The AMQP driver is loaded on demand, as backends.ts loads its own.
import { WebhookNotifier } from './app/webhook-notifier';
import { HttpWebhookSender } from './adapters/webhooks/http-webhook-sender';
import { MemoryWebhookQueue } from './adapters/webhooks/memory-webhook-queue';
import { WebhookAttempts } from './adapters/webhooks/webhook-attempts';
import type { Config } from './config';
import type { Logger } from './observability/logger';
import type { WebhookMetrics } from './observability/metrics';
import type { Clock, EventBus, PresenceReader, Store, WebhookQueue } from './ports';

export interface WebhookDeps {
  store: Store;
  bus: EventBus;
  presence: PresenceReader;
  clock: Clock;
  logger: Logger;
  metrics?: WebhookMetrics;
}

/** The started webhook queue, or null when webhooks are off. */
export async function openWebhooks(
  config: Config,
  deps: WebhookDeps,
): Promise<WebhookQueue | null> {
  const webhook = config.webhook;
  if (!webhook) return null;
  const logger = deps.logger.child({ component: 'webhooks' });
  const notifier = new WebhookNotifier(deps);
  const attempts = new WebhookAttempts({
    sender: new HttpWebhookSender(webhook),
    policy: webhook,
    logger,
    ...(deps.metrics && { metrics: deps.metrics }),
  });
  let queue: WebhookQueue;
  if (config.rabbitmqUrl) {
    const { AmqpWebhookQueue } = await import('./adapters/webhooks/amqp-webhook-queue');
    queue = await AmqpWebhookQueue.connect({ url: config.rabbitmqUrl, notifier, attempts, logger });
  } else {
    queue = new MemoryWebhookQueue({ bus: deps.bus, notifier, attempts, logger });
  }
  try {
    await queue.start();
  } catch (err) {
    await queue.close();
    throw err;
  }
  return queue;
}
