// Blocking for the typed client: PUT / DELETE /api/v1/messages/blocks/{user_id} and the caller's
// list, GET /api/v1/messages/blocks (docs/PROTOCOL.md §5.15), over REST; a refusal rejects with
// its code. Nothing arrives over the socket for a block: nobody is told of one.
import type { BlockPublic, BlockState } from '../protocol/rest';
import { restCall, type RestServer } from './rest-call';

export interface BlockListQuery {
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Blocks per page, 1–50. @default 20 */
  limit?: number;
}

export interface BlockListPage {
  /** Newest block first. */
  blocks: BlockPublic[];
  nextCursor: string | null;
  hasMore: boolean;
}

/** Blocks (`true`) or unblocks the user; either is repeatable and answers the state now. */
export async function setBlocked(
  server: RestServer,
  userId: string,
  blocked: boolean,
): Promise<BlockState> {
  const path = `/blocks/${encodeURIComponent(userId)}`;
  const method = blocked ? 'PUT' : 'DELETE';
  return (await restCall<BlockState>(server, method, path, blocked ? 'block' : 'unblock')).data;
}

export async function listBlocks(
  server: RestServer,
  query: BlockListQuery = {},
): Promise<BlockListPage> {
  const params = new URLSearchParams();
  if (query.cursor !== undefined) params.set('cursor', query.cursor);
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  const search = params.toString();
  const path = search ? `/blocks?${search}` : '/blocks';
  const answer = await restCall<BlockPublic[]>(server, 'GET', path, 'listing blocks');
  return {
    blocks: answer.data,
    nextCursor: answer.next_cursor ?? null,
    hasMore: answer.has_more ?? false,
  };
}
