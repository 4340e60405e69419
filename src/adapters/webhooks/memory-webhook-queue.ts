// MemoryWebhookQueue: embedded mode's webhook queue. It subscribes to the in-process bus beside
// the fan-out (each retried on its own), and keeps retries on timers: nothing survives a restart,
// as nothing else of embedded mode does.
import type { Logger } from '../../observability/logger';
import type { BusEvent } from '../../protocol/events';
import type { MessageCreatedWebhook } from '../../protocol/webhooks';
import type { WebhookNotifier } from '../../app/webhook-notifier';
import type { EventBus, WebhookQueue } from '../../ports';
import type { WebhookAttempts } from './webhook-attempts';

export interface MemoryWebhookQueueDeps {
  bus: Pick<EventBus, 'subscribe'>;
  notifier: Pick<WebhookNotifier, 'notificationFor'>;
  attempts: WebhookAttempts;
  logger: Logger;
}

export class MemoryWebhookQueue implements WebhookQueue {
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: MemoryWebhookQueueDeps) {}

  start(): Promise<void> {
    return this.deps.bus.subscribe((event) => this.take(event));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    if (this.timers.size > 0) {
      this.deps.logger.warn(
        { notifications: this.timers.size },
        'webhook retries dropped on close',
      );
    }
    this.timers.clear();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * The bus handler: decides the notification (a store failure rejects, and the bus retries this
   * handler alone), then leaves the attempts to run on their own, so a slow receiver never holds
   * the bus (its backlog is what sends are throttled by).
   */
  private async take(event: BusEvent): Promise<void> {
    if (!this.isOpen() || event.key !== 'message.sent') return;
    const notification = await this.deps.notifier.notificationFor(event.payload);
    // Closed meanwhile: close() waits for attempts it knows of, not for new ones.
    if (notification && this.isOpen()) this.attempt(notification, 1);
  }

  private isOpen(): boolean {
    return !this.closed;
  }

  private attempt(notification: MessageCreatedWebhook, attempt: number): void {
    const run = this.deps.attempts
      .run(notification, attempt)
      .then((step) => {
        if (step.kind !== 'retry') return;
        if (this.closed) {
          this.deps.logger.warn({ delivery: notification.id }, 'webhook retry dropped on close');
          return;
        }
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.attempt(notification, attempt + 1);
        }, step.delayMs);
        this.timers.add(timer);
      })
      .catch((err: unknown) => {
        this.deps.logger.error({ err, delivery: notification.id }, 'webhook attempt crashed');
      })
      .finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }
}
