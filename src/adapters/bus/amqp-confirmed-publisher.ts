// ConfirmedPublisher: pipelined publishes on an AMQP confirm channel, buffered (bounded) across reconnects.
import { randomUUID } from 'node:crypto';
import type { ConfirmChannel, Message, Options } from 'amqplib';

interface PublishJob {
  messageId: string;
  exchange: string;
  key: string;
  content: Buffer;
  options: Options.Publish;
  /** The broker returned it as unroutable: its confirm then means "dropped", not "stored". */
  returned: boolean;
  settle: (err: Error | null) => void;
}

const toError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/**
 * Publishes on a confirm channel, pipelined: each publish waits for its own confirm, many at once.
 * Publishes wait in order (bounded) while there is no channel, or while it pushes back until 'drain'.
 */
export class ConfirmedPublisher {
  private channel: ConfirmChannel | null = null;
  private writable = false;
  private readonly waiting: PublishJob[] = [];
  /** Sent and unconfirmed, by messageId: how a basic.return finds its publish. */
  private readonly unconfirmed = new Map<string, PublishJob>();

  constructor(
    private readonly timeoutMs: number,
    private readonly maxWaiting: number,
    /** Seconds from handing a publish to the channel until the broker confirmed it stored. */
    private readonly onConfirmed: (seconds: number) => void = () => undefined,
  ) {}

  attach(channel: ConfirmChannel): void {
    channel.on('drain', () => {
      if (this.channel !== channel) return; // a dead channel's late drain
      this.writable = true;
      this.flush();
    });
    channel.on('return', (message: Message) => {
      const id: unknown = message.properties.messageId;
      const job = typeof id === 'string' ? this.unconfirmed.get(id) : undefined;
      if (job) job.returned = true;
    });
    this.channel = channel;
    this.writable = true;
    this.flush();
  }

  /** amqplib rejects the channel's unconfirmed publishes as it closes; waiting ones stay queued. */
  detach(): void {
    this.channel = null;
  }

  failWaiting(err: Error): void {
    for (const job of this.waiting.splice(0)) job.settle(err);
  }

  send(exchange: string, key: string, content: Buffer, extra: Options.Publish): Promise<void> {
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(new Error('amqp publish buffer full'));
    }
    return new Promise<void>((resolve, reject) => {
      const messageId = randomUUID();
      // mandatory: an unroutable publish (its queue deleted) comes back, so it cannot "succeed".
      const options = { ...extra, persistent: true, mandatory: true, messageId };
      const timer = setTimeout(() => {
        job.settle(new Error(`amqp publish not confirmed within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      let settled = false;
      const job: PublishJob = {
        messageId,
        exchange,
        key,
        content,
        options,
        returned: false,
        settle: (err) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.unconfirmed.delete(messageId);
          const index = this.waiting.indexOf(job);
          if (index >= 0) this.waiting.splice(index, 1);
          if (err) reject(err);
          else resolve();
        },
      };
      this.waiting.push(job);
      this.flush();
    });
  }

  private flush(): void {
    const channel = this.channel;
    while (channel && this.writable) {
      const job = this.waiting.shift();
      if (!job) return;
      this.unconfirmed.set(job.messageId, job);
      // Timed from the hand-over, not from send(): time spent waiting for a channel is outage
      // or backpressure, not the broker's confirm latency.
      const handedAt = performance.now();
      const onConfirm = (err: unknown): void => {
        if (err) job.settle(toError(err));
        else if (job.returned) job.settle(new Error(`amqp publish unroutable: ${job.key}`));
        else {
          this.onConfirmed((performance.now() - handedAt) / 1000);
          job.settle(null);
        }
      };
      try {
        this.writable = channel.publish(job.exchange, job.key, job.content, job.options, onConfirm);
      } catch (err) {
        // The channel closed under us (its close event is on the way): fail fast, the caller retries.
        job.settle(toError(err));
      }
    }
  }
}
