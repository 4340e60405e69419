// Mute: a participant silences a conversation for themself (it still counts unread); their other
// devices learn it through `message.muted`, and a returning device through SYNC.
import { notParticipant, validationError } from '../domain/errors';
import { muteState } from '../domain/mute';
import type { ConversationDetail } from '../protocol/rest';
import type { Clock, EventBus, MuteSetting, Store } from '../ports';
import { requireMembership } from './access';
import type { ConversationService } from './conversation-service';
import { iso, isoOrNull } from './views';

export class MuteService {
  constructor(
    private readonly deps: {
      store: Store;
      bus: EventBus;
      clock: Clock;
      conversations: Pick<ConversationService, 'detail'>;
    },
  ) {}

  /** Sets or undoes the caller's mute and answers the conversation as they see it; repeatable. */
  async setMute(
    callerId: string,
    conversationId: string,
    mute: MuteSetting,
  ): Promise<ConversationDetail> {
    const { store, bus, clock, conversations } = this.deps;
    await requireMembership(store, conversationId, callerId);
    const now = clock();
    if (mute.until !== null && mute.until.getTime() <= now.getTime())
      throw validationError('body.until: must be in the future');
    // The caller may have left since the check: then nothing was written.
    if (!(await store.setParticipantMute(conversationId, callerId, mute, now)))
      throw notParticipant();
    const state = muteState({ muted: mute.muted, mutedUntil: mute.until }, now);
    await bus.publish({
      key: 'message.muted',
      payload: {
        conversation_id: conversationId,
        user_id: callerId,
        muted: state.muted,
        muted_until: isoOrNull(state.mutedUntil),
        timestamp: iso(now),
      },
    });
    return conversations.detail(callerId, conversationId);
  }
}
