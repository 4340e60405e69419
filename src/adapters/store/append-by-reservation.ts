// `appendMessage` for stores without multi-document atomicity: the seq reservation and the insert
// are two single-document writes after a membership read, so a duplicate or a crash between them
// leaves a hole.
import type { Message, Participant } from '../../domain/types';
import type { AppendResult, ConversationStore, MessageDraft } from '../../ports';

export interface ReservationSteps {
  listParticipants: (conversationId: string) => Promise<Participant[]>;
  /** Whether a message with this id is stored (a retried tempId is caught before taking a seq). */
  exists: (messageId: string) => Promise<boolean>;
  reserve: ConversationStore['reserveMessageSeq'];
  insert: (message: Message) => Promise<boolean>;
}

export async function appendByReservation(
  steps: ReservationSteps,
  draft: MessageDraft,
  now: Date,
  previewContent: string | null,
): Promise<AppendResult> {
  const { listParticipants, exists, reserve, insert } = steps;
  const current = (await listParticipants(draft.conversationId)).filter((p) => p.leftAt === null);
  const sender = current.find((p) => p.userId === draft.senderId);
  if (!sender) return { kind: 'refused' };
  // A block of the DIRECT's pair rides on the record just read: no extra command.
  if (sender.blocked === true) return { kind: 'blocked' };
  // Only a tempId's id can repeat; a concurrent repeat still collides at the insert (a hole).
  if (draft.tempId !== null && (await exists(draft.id))) return { kind: 'duplicate' };
  const reserved = await reserve(draft.conversationId, now, {
    messageId: draft.id,
    content: previewContent,
  });
  if (!reserved) return { kind: 'refused' };
  const message = messageOf(draft, reserved.seq, reserved.at);
  if (!(await insert(message))) return { kind: 'duplicate' };
  const participantIds = current.filter((p) => p.joinedSeq < message.seq).map((p) => p.userId);
  return { kind: 'appended', message, participantIds };
}

/**
 * The stored message, written field by field in Message's order: a spread of the draft plus the
 * three new fields cost more than the rest of the append (a profile's 2 %), and every message
 * then has the same shape for the code that reads it.
 */
function messageOf(draft: MessageDraft, seq: number, at: Date): Message {
  return {
    id: draft.id,
    conversationId: draft.conversationId,
    seq,
    senderId: draft.senderId,
    content: draft.content,
    type: draft.type,
    media: draft.media,
    replyToMessageId: draft.replyToMessageId,
    tempId: draft.tempId,
    bodyHash: draft.bodyHash,
    createdAt: at,
    updatedAt: draft.updatedAt,
    deletedAt: draft.deletedAt,
    changedAt: at,
    originSocketId: draft.originSocketId,
    mentions: draft.mentions,
  };
}
