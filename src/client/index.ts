// `parley/client`: the wire types of src/protocol and a typed Socket.IO helper (see README,
// "Typed client").
import { ParleyClient, type ConnectOptions } from './parley-client';

export { ParleyClient, type ConnectOptions, type SendInput } from './parley-client';
export { type BlockListPage, type BlockListQuery } from './blocks';
export { ParleyClientError, RETRYABLE_CODES } from './errors';
export { type MessageSearchPage, type MessageSearchQuery } from './message-search';
export { Positions, type SeqVerdict } from './positions';
export type {
  ClientFrameType,
  ClientPayload,
  ClientToServerEvents,
  ServerFrame,
  ServerFrameType,
  ServerPayload,
  ServerToClientEvents,
} from '../protocol/frames';
export type {
  BlockPublic,
  BlockState,
  ConversationDetail,
  ConversationSummary,
  MediaItemPublic,
  MessagePublic,
  ParticipantPublic,
  PinnedMessage,
  SeenResult,
  SyncResult,
  UserPublic,
} from '../protocol/rest';

/** Opens a connection; the client reconnects and catches up by itself until `close()`. */
export function connect(options: ConnectOptions): ParleyClient {
  return new ParleyClient(options);
}
