// /api/v1/messages/conversations/{id}/messages/{message_id}/reactions/{emoji}: PUT adds the
// caller's reaction, DELETE removes it; both idempotent, both answer the message's reactions.
import { Router, type Request, type Response } from 'express';
import type { ReactionAction, ReactionService } from '../../app/reaction-service';
import { reactionParams } from '../../protocol/rest';
import { callerOf } from '../middleware/authenticate';
import { ok } from '../respond';
import { noQuery, parseInput, parseQuery } from '../validate';

export function reactionRoutes(reactions: ReactionService): Router {
  const router = Router();
  const path = '/conversations/:id/messages/:messageId/reactions/:emoji';

  const handle = (action: ReactionAction) => async (req: Request, res: Response) => {
    // Express has URL-decoded the emoji already.
    const { id, messageId, emoji } = parseInput(reactionParams, req.params, 'path');
    parseQuery(noQuery, req.query);
    const answer = await reactions.react(callerOf(res).id, id, messageId, emoji, action);
    ok(res, {
      conversation_id: answer.conversation_id,
      message_id: answer.message_id,
      reactions: answer.reactions,
    });
  };

  router.put(path, handle('added'));
  router.delete(path, handle('removed'));
  return router;
}
