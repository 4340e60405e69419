// How the embedded store searches messages: a scan of the conversations' timelines, matching
// words case-insensitively as domain/message-search.ts defines them (no index: it is in memory).
import { contentMatchesTerms } from '../../../domain/message-search';
import { compareKeys, type OrderKey } from '../../../domain/ordering';
import type { Message } from '../../../domain/types';
import type { MessageSearchStore } from '../../../ports';
import { copy, type MemoryState } from './memory-state';

const keyOf = (m: Message): OrderKey => ({ createdAt: m.createdAt, id: m.id });

export class MemoryMessageSearch implements MessageSearchStore {
  constructor(private readonly s: MemoryState) {}

  searchMessages(
    conversationIds: readonly string[],
    terms: readonly string[],
    before: OrderKey | null,
    limit: number,
  ): Promise<Message[]> {
    const hits = [...new Set(conversationIds)]
      .flatMap((id) => this.s.timelines.get(id) ?? [])
      .filter(
        (m) =>
          m.deletedAt === null &&
          (before === null || compareKeys(keyOf(m), before) < 0) &&
          contentMatchesTerms(m.content, terms),
      )
      .sort((a, b) => compareKeys(keyOf(b), keyOf(a)))
      .slice(0, limit);
    return Promise.resolve(hits.map(copy));
  }
}
