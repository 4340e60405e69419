// Wire building blocks shared by REST bodies and WebSocket frames.
import { z } from 'zod';
import { OBJECT_ID_PATTERN } from '../domain/ids';
import { MAX_MENTIONS } from '../domain/mentions';
import { emojiProblem } from '../domain/reactions';

/** A 24-hex ObjectId string; anything else (numbers, objects like {"$gt": ""}) is rejected. */
export const objectIdSchema = z
  .string({ invalid_type_error: 'must be a 24-character hex id' })
  .regex(OBJECT_ID_PATTERN, 'must be a 24-character hex id');

export const httpUrlSchema = z
  .string()
  .max(2048)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');

/** A media attachment as clients send it; `thumbnailUrl` is accepted for `thumbnail_url`. */
export const mediaItemInputSchema = z
  .object({
    url: httpUrlSchema,
    type: z.enum(['image', 'video']),
    thumbnail_url: httpUrlSchema.nullish(),
    thumbnailUrl: httpUrlSchema.nullish(),
    width: z.number().int().positive().max(100_000).nullish(),
    height: z.number().int().positive().max(100_000).nullish(),
    duration: z.number().nonnegative().max(1e7).nullish(),
  })
  .transform((m) => {
    const thumbnailUrl = m.thumbnail_url ?? m.thumbnailUrl ?? undefined;
    return {
      url: m.url,
      type: m.type,
      ...(thumbnailUrl !== undefined && { thumbnailUrl }),
      ...(m.width != null && { width: m.width }),
      ...(m.height != null && { height: m.height }),
      ...(m.duration != null && { duration: m.duration }),
    };
  });

/** Structural bound only; the configured MAX_MEDIA_ITEMS is checked by the domain rules. */
export const mediaListSchema = z.array(mediaItemInputSchema).max(1000);

export const tempIdSchema = z.string().min(1).max(128);

/** Users a message mentions explicitly (besides `@username` in its content); see §5.11. */
export const mentionIdsSchema = z
  .array(objectIdSchema)
  .max(MAX_MENTIONS, `at most ${MAX_MENTIONS} users can be mentioned`);

/** A page size given as a query string: digits only, within bounds, never clamped. */
export const queryLimit = (min: number, max: number, fallback: number) =>
  z
    .string({ invalid_type_error: 'must be given once, as an integer' })
    .regex(/^\d{1,6}$/, 'must be an integer')
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, `must be between ${min} and ${max}`)
        .max(max, `must be between ${min} and ${max}`),
    )
    .optional()
    .transform((v) => v ?? fallback);

export const queryCursor = z
  .string({ invalid_type_error: 'must be given once' })
  .max(200)
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/** A reaction's emoji: a short, bounded token without whitespace or control characters. */
export const emojiSchema = z
  .string({ invalid_type_error: 'must be a string' })
  .superRefine((value, ctx) => {
    const problem = emojiProblem(value);
    if (problem !== null) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  });
