// Receipts: a message's status is the minimum over its recipients' watermarks.
import { isCoveredBy } from './ordering';
import type { MessageStatus, Participant } from './types';

/**
 * SENT until every current recipient (participants other than the sender) has it delivered,
 * DELIVERED until every one has seen it, then SEEN. A conversation with no other current
 * participant leaves the message SENT.
 */
export function aggregateStatus(
  message: { seq: number; senderId: string },
  participants: readonly Participant[],
): MessageStatus {
  const recipients = participants.filter((p) => p.leftAt === null && p.userId !== message.senderId);
  if (recipients.length === 0) return 'SENT';
  if (recipients.every((p) => isCoveredBy(message.seq, p.seen))) return 'SEEN';
  if (
    recipients.every(
      (p) => isCoveredBy(message.seq, p.seen) || isCoveredBy(message.seq, p.delivered),
    )
  ) {
    return 'DELIVERED';
  }
  return 'SENT';
}
