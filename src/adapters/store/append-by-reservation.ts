// `appendMessage` for stores without multi-document atomicity: the seq reservation and the insert
// are two single-document writes, so a duplicate or a crash between them leaves a hole.
import type { Message } from '../../domain/types';
import type { AppendResult, ConversationStore, MessageDraft } from '../../ports';

export async function appendByReservation(
  reserve: ConversationStore['reserveMessageSeq'],
  insert: (message: Message) => Promise<boolean>,
  draft: MessageDraft,
  now: Date,
  previewContent: string | null,
): Promise<AppendResult> {
  const reserved = await reserve(draft.conversationId, now, {
    messageId: draft.id,
    content: previewContent,
  });
  if (!reserved) return { kind: 'no-conversation' };
  const message: Message = {
    ...draft,
    seq: reserved.seq,
    createdAt: reserved.at,
    changedAt: reserved.at,
  };
  return (await insert(message)) ? { kind: 'appended', message } : { kind: 'duplicate' };
}
