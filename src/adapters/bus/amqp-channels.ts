// The two channels an AMQP consumer-and-publisher opens on each connection (the event bus, the
// webhook queue): a confirm channel to publish on, a channel to consume on, errors logged, and
// the owner told when either closes (then the link is dead and recovery rebuilds it).
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import type { Logger } from '../../observability/logger';

export interface ChannelLink {
  model: ChannelModel;
  publisher: ConfirmChannel;
  consumer: Channel;
  /** False once the consumer channel closed: its deliveries can no longer be settled. */
  consumerOpen: boolean;
}

export async function openLinkChannels<L extends ChannelLink>(
  model: ChannelModel,
  logger: Logger,
  build: (channels: ChannelLink) => L,
  onClosed: (link: L) => void,
): Promise<L> {
  // The recovery wrapper listens for the connection's 'error' only once setup has succeeded.
  model.on('error', (err) => {
    logger.debug({ err }, 'amqp connection error during setup');
  });
  const publisher = await model.createConfirmChannel();
  const consumer = await model.createChannel();
  const link = build({ model, publisher, consumer, consumerOpen: true });
  for (const channel of [publisher, consumer]) {
    channel.on('error', (err) => {
      logger.warn({ err }, 'amqp channel error');
    });
    channel.on('close', () => {
      if (channel === consumer) link.consumerOpen = false;
      onClosed(link);
    });
  }
  return link;
}

/**
 * Takes a dead link's connection down, so recovery rebuilds everything (a lone dead channel
 * would otherwise leave a half link). Deferred: when the whole connection is dying, its own
 * 'close' comes right after its channels'.
 */
export function closeDeadLink(link: ChannelLink, logger: Logger): void {
  logger.warn('amqp channel closed; reconnecting');
  setImmediate(() => {
    link.model.close().catch((err: unknown) => {
      logger.debug({ err }, 'amqp connection already closed');
    });
  });
}
