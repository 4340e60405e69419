// /api/v1/messages/blocks: the caller blocks and unblocks users, and lists whom they block.
import { Router } from 'express';
import type { BlockService } from '../../app/block-service';
import { listBlocksQuerySchema, userIdParams } from '../../protocol/rest';
import { callerOf } from '../middleware/authenticate';
import { ok, page } from '../respond';
import { noQuery, parseInput, parseQuery } from '../validate';

export function blockRoutes(blocks: BlockService): Router {
  const router = Router();

  router.get('/blocks', async (req, res) => {
    const query = parseQuery(listBlocksQuerySchema, req.query);
    page(res, await blocks.list(callerOf(res).id, query.cursor, query.limit));
  });

  router.put('/blocks/:userId', async (req, res) => {
    const { userId } = parseInput(userIdParams, req.params, 'path');
    parseQuery(noQuery, req.query);
    ok(res, await blocks.block(callerOf(res).id, userId));
  });

  router.delete('/blocks/:userId', async (req, res) => {
    const { userId } = parseInput(userIdParams, req.params, 'path');
    parseQuery(noQuery, req.query);
    ok(res, await blocks.unblock(callerOf(res).id, userId));
  });

  return router;
}
