// How MongoDB searches messages: `$text` over the messages' text index (language "none"), each
// term quoted so that every one is required (unquoted terms would match any of them).
import type { Model } from 'mongoose';
import type { OrderKey } from '../../../domain/ordering';
import type { Message } from '../../../domain/types';
import type { MessageSearchStore } from '../../../ports';
import { messageFromDoc, toObjectId } from './mongo-mapping';
import type { MessageDoc } from './mongo-models';
import { sortsBefore } from './mongo-queries';

/** Terms are words (letters, digits, marks: domain/message-search.ts), so quoting needs no escapes. */
const allTerms = (terms: readonly string[]): string => terms.map((t) => `"${t}"`).join(' ');

export class MongoMessageSearchStore implements MessageSearchStore {
  constructor(private readonly messages: Model<MessageDoc>) {}

  async searchMessages(
    conversationIds: readonly string[],
    terms: readonly string[],
    before: OrderKey | null,
    limit: number,
  ): Promise<Message[]> {
    if (conversationIds.length === 0 || terms.length === 0) return [];
    const docs = await this.messages
      .find({
        // Diacritic-sensitive like the other stores: "cafe" does not find "café".
        $text: { $search: allTerms(terms), $caseSensitive: false, $diacriticSensitive: true },
        conversation_id: { $in: conversationIds.map(toObjectId) },
        deleted_at: null,
        ...(before && {
          $and: [sortsBefore('created_at', { at: before.createdAt, id: before.id })],
        }),
      })
      .sort({ created_at: -1, _id: -1 })
      .limit(limit)
      .lean<MessageDoc[]>();
    return docs.map(messageFromDoc);
  }
}
