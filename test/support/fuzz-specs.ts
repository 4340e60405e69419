// Field specs of every REST body and client frame, after src/protocol/rest.ts and frames.ts:
// what kind each field is and the bounds its schema or the message rules put on it.

export type Field =
  | { kind: 'id'; nullable: boolean }
  | { kind: 'ids'; min: number; max: number; nullable?: boolean }
  | {
      kind: 'text';
      nullable: boolean;
      min?: number;
      /** Longest accepted, in code points (MAX_MESSAGE_LENGTH for message content). */
      max?: number;
      pattern?: RegExp;
      /** Blank (empty or whitespace only) is refused: trimmed names, message content. */
      blankBad?: boolean;
    }
  | { kind: 'url'; nullable: boolean }
  | { kind: 'enum'; values: string[] }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'bool' }
  /** An ISO 8601 date-time with an offset that must lie in the future (a mute's end). */
  | { kind: 'futureTime'; nullable: boolean }
  | { kind: 'media' }
  | { kind: 'positions' }
  /** An opaque cursor the server issued (`since`): a string nobody was given is refused. */
  | { kind: 'cursor' }
  /** A reaction (§5.12): 1-32 UTF-16 units, at most 8 graphemes, no whitespace or controls. */
  | { kind: 'emoji' };

export interface BodySpec {
  fields: Record<string, Field>;
  required: string[];
}

/** MAX_MESSAGE_LENGTH and MAX_MEDIA_ITEMS at their defaults (the fuzz node keeps them). */
export const MESSAGE_MAX = 4000;
export const MEDIA_MAX = 10;

const id = (nullable = false): Field => ({ kind: 'id', nullable });
const content: Field = { kind: 'text', nullable: true, max: MESSAGE_MAX, blankBad: true };
/** MAX_MENTIONS: users a send or an edit may name explicitly (§5.11); null means none. */
export const MENTIONS_MAX = 50;
const mentions: Field = { kind: 'ids', min: 0, max: MENTIONS_MAX, nullable: true };

export const BODIES = {
  register: {
    fields: {
      username: { kind: 'text', nullable: false, min: 3, max: 32, pattern: /^[A-Za-z0-9_.-]+$/ },
      password: { kind: 'text', nullable: false, min: 8, max: 256 },
      avatar_url: { kind: 'url', nullable: true },
    },
    required: ['username', 'password'],
  },
  login: {
    fields: {
      username: { kind: 'text', nullable: false, max: 256 },
      password: { kind: 'text', nullable: false, max: 1024 },
    },
    required: ['username', 'password'],
  },
  createConversation: {
    fields: {
      type: { kind: 'enum', values: ['DIRECT', 'GROUP'] },
      participant_ids: { kind: 'ids', min: 0, max: 1000 },
      name: { kind: 'text', nullable: true, min: 1, max: 100, blankBad: true },
      avatar_url: { kind: 'url', nullable: true },
    },
    required: ['type', 'participant_ids'],
  },
  addParticipants: {
    fields: { user_ids: { kind: 'ids', min: 1, max: 1000 } },
    required: ['user_ids'],
  },
  sendMessage: {
    fields: {
      content,
      media: { kind: 'media' },
      reply_to_message_id: id(true),
      temp_id: { kind: 'text', nullable: true, min: 1, max: 128 },
      mentions,
    },
    required: [],
  },
  editMessage: {
    fields: {
      content: { kind: 'text', nullable: false, max: MESSAGE_MAX, blankBad: true },
      mentions,
    },
    required: ['content'],
  },
  seen: { fields: { message_id: id() }, required: [] },
  mute: {
    fields: { muted: { kind: 'bool' }, until: { kind: 'futureTime', nullable: true } },
    required: ['muted'],
  },
  sync: {
    fields: {
      since: { kind: 'cursor' },
      positions: { kind: 'positions' },
      limit: { kind: 'int', min: 1, max: 500 },
    },
    required: [],
  },
} satisfies Record<string, BodySpec>;

/** PIN_MESSAGE and UNPIN_MESSAGE name the same thing: a message of a conversation. */
const pinTarget: BodySpec = {
  fields: { conversationId: id(), messageId: id() },
  required: ['conversationId', 'messageId'],
};

/** Emojis the rules accept (§5.12): a flag, a ZWJ sequence, a variation selector, a shortcode. */
export const GOOD_EMOJIS = ['👍', '🎉', ':ship:', '👩‍💻', '🇫🇷', '❤️'];

/** REACT and UNREACT name the same thing: one emoji on a message of a conversation. */
const reactTarget: BodySpec = {
  fields: { conversationId: id(), messageId: id(), emoji: { kind: 'emoji' } },
  required: ['conversationId', 'messageId', 'emoji'],
};

/** Client frames: the payload fields of each type (camelCase). */
export const FRAMES = {
  SEND_MESSAGE: {
    fields: {
      conversationId: id(),
      content,
      media: { kind: 'media' },
      tempId: { kind: 'text', nullable: true, min: 1, max: 128 },
      replyToMessageId: id(true),
      mentions,
    },
    required: ['conversationId'],
  },
  TYPING: { fields: { conversationId: id() }, required: ['conversationId'] },
  MARK_SEEN: {
    fields: { conversationId: id(), messageId: id() },
    required: ['conversationId', 'messageId'],
  },
  MARK_DELIVERED: {
    fields: { conversationId: id(), messageId: id() },
    required: ['conversationId', 'messageId'],
  },
  SYNC: BODIES.sync,
  REFRESH_TOKEN: {
    fields: { token: { kind: 'text', nullable: false, min: 1, max: 8192 } },
    required: ['token'],
  },
  ping: { fields: {}, required: [] },
  PIN_MESSAGE: pinTarget,
  UNPIN_MESSAGE: pinTarget,
  REACT: reactTarget,
  UNREACT: reactTarget,
} satisfies Record<string, BodySpec>;
