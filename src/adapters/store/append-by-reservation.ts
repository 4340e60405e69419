// `appendMessage` for stores without multi-document atomicity: the seq reservation and the insert
// are two single-document writes after a membership read, so a duplicate or a crash between them
// leaves a hole.
import type { Message } from '../../domain/types';
import type { AppendResult, ConversationStore, MessageDraft } from '../../ports';

export interface ReservationSteps {
  isCurrentParticipant: (conversationId: string, userId: string) => Promise<boolean>;
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
  const { isCurrentParticipant, exists, reserve, insert } = steps;
  if (!(await isCurrentParticipant(draft.conversationId, draft.senderId)))
    return { kind: 'refused' };
  // Only a tempId's id can repeat; a concurrent repeat still collides at the insert (a hole).
  if (draft.tempId !== null && (await exists(draft.id))) return { kind: 'duplicate' };
  const reserved = await reserve(draft.conversationId, now, {
    messageId: draft.id,
    content: previewContent,
  });
  if (!reserved) return { kind: 'refused' };
  const message: Message = {
    ...draft,
    seq: reserved.seq,
    createdAt: reserved.at,
    changedAt: reserved.at,
  };
  return (await insert(message)) ? { kind: 'appended', message } : { kind: 'duplicate' };
}
