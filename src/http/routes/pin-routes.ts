// /api/v1/messages/conversations/{id}/pins: list, pin and unpin a conversation's messages.
import { Router } from 'express';
import type { PinService } from '../../app/pin-service';
import { conversationIdParams, messageIdParams } from '../../protocol/rest';
import { callerOf } from '../middleware/authenticate';
import { ok, page } from '../respond';
import { noQuery, parseInput, parseQuery } from '../validate';

export function pinRoutes(pins: PinService): Router {
  const router = Router();

  // The whole (bounded) list in one page: no cursor.
  router.get('/conversations/:id/pins', async (req, res) => {
    const { id } = parseInput(conversationIdParams, req.params, 'path');
    parseQuery(noQuery, req.query);
    const items = await pins.list(callerOf(res).id, id);
    page(res, { items, nextCursor: null, hasMore: false });
  });

  router.put('/conversations/:id/pins/:messageId', async (req, res) => {
    const { id, messageId } = parseInput(messageIdParams, req.params, 'path');
    parseQuery(noQuery, req.query);
    ok(res, await pins.pin(callerOf(res).id, id, messageId));
  });

  router.delete('/conversations/:id/pins/:messageId', async (req, res) => {
    const { id, messageId } = parseInput(messageIdParams, req.params, 'path');
    parseQuery(noQuery, req.query);
    ok(res, await pins.unpin(callerOf(res).id, id, messageId));
  });

  return router;
}
