// Builds one Store from per-aggregate parts, so each adapter keeps "how users / conversations /
// messages are stored" in its own file without a class of hand-written pass-throughs.
import type {
  BlockStore,
  ConversationStore,
  MessageSearchStore,
  MessageStore,
  ParticipantStore,
  PinStore,
  ReactionStore,
  Store,
  SyncCursorStore,
  UserStore,
} from '../../ports';

type Part = object;

/** The part's methods (own prototype chain, not Object's), bound to the part. */
function boundMethods(part: Part): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let proto: unknown = Object.getPrototypeOf(part); proto && proto !== Object.prototype;) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const value: unknown = (proto as Record<string, unknown>)[name];
      if (name !== 'constructor' && typeof value === 'function' && !(name in out)) {
        out[name] = (value as (...a: unknown[]) => unknown).bind(part);
      }
    }
    proto = Object.getPrototypeOf(proto);
  }
  return out;
}

export interface StoreParts {
  users: UserStore;
  conversations: ConversationStore;
  participants: ParticipantStore;
  messages: MessageStore;
  cursors: SyncCursorStore;
  search: MessageSearchStore;
  pins: PinStore;
  blocks: BlockStore;
  reactions: ReactionStore;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Each part is type-checked against its aggregate interface; the union is the Store. */
export function composeStore(parts: StoreParts): Store {
  const { users, conversations, participants, messages, cursors, pins, blocks } = parts;
  return {
    ...boundMethods(users),
    ...boundMethods(conversations),
    ...boundMethods(participants),
    ...boundMethods(messages),
    ...boundMethods(cursors),
    ...boundMethods(parts.search),
    ...boundMethods(pins),
    ...boundMethods(blocks),
    ...boundMethods(parts.reactions),
    ping: () => parts.ping(),
    close: () => parts.close(),
  } as unknown as Store;
}
