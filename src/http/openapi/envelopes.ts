// Response envelopes and the few response bodies src/protocol/rest.ts has no schema for, as zod
// schemas: the OpenAPI document and the response-validation tests both read them.
import { z, type ZodTypeAny } from 'zod';
import { userPublicSchema } from '../../protocol/rest';

/** `{success: true, data}` (docs/PROTOCOL.md, REST envelopes). */
export const successEnvelope = <T extends ZodTypeAny>(data: T) =>
  z.object({ success: z.literal(true), data }).strict();

/** A list page: the array is `data`, the cursor beside it. */
export const pageEnvelope = <T extends ZodTypeAny>(item: T) =>
  z
    .object({
      success: z.literal(true),
      data: z.array(item),
      next_cursor: z.string().nullable(),
      has_more: z.boolean(),
    })
    .strict();

/** Every failure: `{success: false, detail, code}` with `code` from the closed error union. */
export const errorEnvelope = z
  .object({ success: z.literal(false), detail: z.string(), code: z.string() })
  .strict();

export const authResultSchema = z.object({
  user: userPublicSchema,
  access_token: z.string(),
  token_type: z.literal('bearer'),
});

export const leftConversationSchema = z.object({
  conversation_id: z.string(),
  user_id: z.string(),
  left_at: z.string(),
});

export const healthzSchema = z.object({ status: z.literal('ok') });

export const readyzSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.record(z.string(), z.boolean()),
});

export const wsHealthSchema = z.object({
  status: z.literal('ok'),
  redis_connected: z.boolean(),
  active_connections: z.number().int().nonnegative(),
});
