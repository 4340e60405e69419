// One webhook attempt as both queues run it: send, decide the next step, count and log it.
import {
  nextWebhookStep,
  type WebhookNextStep,
  type WebhookRetryPolicy,
} from '../../domain/webhooks';
import type { Logger } from '../../observability/logger';
import type { WebhookMetrics } from '../../observability/metrics';
import type { MessageCreatedWebhook } from '../../protocol/webhooks';
import type { WebhookSender } from '../../ports';

export interface WebhookAttemptsDeps {
  sender: WebhookSender;
  policy: WebhookRetryPolicy;
  logger: Logger;
  metrics?: WebhookMetrics;
  /** Jitter source. @default Math.random */
  random?: () => number;
}

export class WebhookAttempts {
  constructor(private readonly deps: WebhookAttemptsDeps) {}

  get policy(): WebhookRetryPolicy {
    return this.deps.policy;
  }

  /** Runs attempt number `attempt` (1 = the first) and says what comes next. */
  async run(notification: MessageCreatedWebhook, attempt: number): Promise<WebhookNextStep> {
    const { sender, policy, logger, metrics, random } = this.deps;
    const result = await sender.send(notification);
    const step = nextWebhookStep(result, attempt, policy, random);
    const log = {
      delivery: notification.id,
      messageId: notification.message.id,
      attempt,
      ...(result.kind !== 'delivered' && { reason: result.reason }),
    };
    metrics?.webhookDelivery(step.kind === 'retry' ? 'retried' : step.kind);
    if (step.kind === 'retry') {
      logger.warn({ ...log, delayMs: step.delayMs }, 'webhook attempt failed; retry scheduled');
    } else if (step.kind === 'failed') {
      logger.error({ ...log, reason: step.reason }, 'webhook failed for good');
    } else {
      logger.debug(log, 'webhook delivered');
    }
    return step;
  }
}
