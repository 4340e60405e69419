// The messaging services over a given store, wired as a node wires them but with no limits that
// matter and, unless the test brings its own bus, no subscriber on it: for tests that drive the
// app layer directly.
import { MemoryEventBus } from '../../src/adapters/bus/memory-event-bus';
import { ConversationService } from '../../src/app/conversation-service';
import { MessageService } from '../../src/app/message-service';
import { createLogger } from '../../src/observability/logger';
import type { Clock, EventBus, Store } from '../../src/ports';

export function messagingServices(store: Store, clock: Clock, ownBus?: EventBus) {
  const logger = createLogger('silent', 'test');
  // No subscriber: published events go nowhere.
  const bus = ownBus ?? new MemoryEventBus(logger);
  const messages = new MessageService({
    store,
    bus,
    clock,
    limits: { maxMessageLength: 1000, maxMediaItems: 1 },
    sendLimiter: { consume: () => Promise.resolve() },
    logger,
  });
  const conversations = new ConversationService({
    store,
    bus,
    presence: { onlineAmong: () => Promise.resolve(new Set<string>()) },
    clock,
  });
  return { logger, bus, messages, conversations };
}
