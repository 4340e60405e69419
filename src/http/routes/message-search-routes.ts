// GET /api/v1/messages/search/messages: message search over the caller's conversations (§5.14).
import { Router } from 'express';
import type { MessageSearchService } from '../../app/message-search-service';
import { searchMessagesQuerySchema } from '../../protocol/rest';
import { callerOf } from '../middleware/authenticate';
import { page } from '../respond';
import { parseQuery } from '../validate';

export function messageSearchRoutes(search: MessageSearchService): Router {
  const router = Router();

  router.get('/search/messages', async (req, res) => {
    const query = parseQuery(searchMessagesQuerySchema, req.query);
    page(
      res,
      await search.search(callerOf(res).id, {
        q: query.q,
        conversationId: query.conversation_id,
        cursor: query.cursor,
        limit: query.limit,
      }),
    );
  });

  return router;
}
