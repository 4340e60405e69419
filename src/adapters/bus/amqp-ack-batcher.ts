// Acknowledgements of one consumer channel, batched. Deliveries that finish in the same turn of
// the event loop and form a run from the oldest unsettled one are acked with a single basic.ack
// (`multiple`); any other finished delivery is acked on its own in the same flush, so a slow
// handler never holds back the acks of those after it. Delivery tags grow along a channel, and
// a Map keeps insertion order, so the first entries are always the oldest.
import type { Channel, Message } from 'amqplib';
import type { Logger } from '../../observability/logger';

export class AckBatcher {
  /** Delivered on this channel and not acked or nacked yet, by delivery tag. */
  private readonly unsettled = new Map<number, Message>();
  /** Of those, the ones whose handler finished: acked at the next flush. */
  private readonly finished = new Set<number>();
  private scheduled = false;

  constructor(
    private readonly channel: Pick<Channel, 'ack'>,
    /** False once the channel closed: its deliveries go back to the broker, nothing to ack. */
    private readonly isOpen: () => boolean,
    private readonly logger: Logger,
  ) {}

  received(message: Message): void {
    this.unsettled.set(message.fields.deliveryTag, message);
  }

  /** Acks it at the end of this turn, together with whatever else finished in it. */
  ack(message: Message): void {
    this.finished.add(message.fields.deliveryTag);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.flush();
    });
  }

  /** It was settled another way (a nack): it no longer stands in the way of a run. */
  settledOtherwise(message: Message): void {
    this.unsettled.delete(message.fields.deliveryTag);
    this.finished.delete(message.fields.deliveryTag);
  }

  /** Sends the acks owed now (also called before the channel is closed on purpose). */
  flush(): void {
    this.scheduled = false;
    if (!this.isOpen()) {
      this.unsettled.clear();
      this.finished.clear();
      return;
    }
    if (this.finished.size === 0) return;
    let runEnd: Message | null = null;
    for (const [tag, message] of this.unsettled) {
      if (!this.finished.has(tag)) break;
      runEnd = message;
      this.unsettled.delete(tag);
      this.finished.delete(tag);
    }
    try {
      if (runEnd) this.channel.ack(runEnd, true);
      for (const tag of this.finished) {
        const message = this.unsettled.get(tag);
        this.unsettled.delete(tag);
        if (message) this.channel.ack(message);
      }
    } catch (err) {
      // The channel is closing under us: the broker redelivers what was not acked.
      this.logger.warn({ err }, 'amqp ack failed; broker will redeliver');
    }
    this.finished.clear();
  }
}
