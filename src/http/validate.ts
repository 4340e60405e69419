// Edge validation: a zod schema turns unknown input into typed values or a VALIDATION error.
// Query strings are strict (no unknown, bracketed or repeated keys) and bodies are bounded in
// depth before they are parsed, so odd input is refused instead of half-understood.
import type { IncomingMessage } from 'node:http';
import { z, type AnyZodObject, type ZodTypeAny } from 'zod';
import { AppError } from '../domain/errors';
import { jsonTextTooDeep, tooDeepMessage } from '../protocol/json-limits';

/** Parses `value`; the error names the first bad field and lists every issue in `details`. */
export function parseInput<S extends ZodTypeAny>(
  schema: S,
  value: unknown,
  where: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data as z.output<S>;
  const issues = result.error.issues.map((i) => ({
    path: i.path.join('.'),
    message: i.message,
  }));
  const first = issues[0];
  const field = first?.path ? `${where}.${first.path}` : where;
  throw new AppError('VALIDATION', `${field}: ${first?.message ?? 'invalid'}`, issues);
}

/** The query of a route that takes none: any key at all is a 400. */
export const noQuery = z.object({});

const strictSchemas = new WeakMap<AnyZodObject, AnyZodObject>();
const strictOf = (schema: AnyZodObject): AnyZodObject => {
  let strict = strictSchemas.get(schema);
  if (!strict) {
    strict = schema.strict();
    strictSchemas.set(schema, strict);
  }
  return strict;
};

export interface QueryOptions {
  /** Keys that may be given more than once (they arrive as arrays). @default none */
  repeatable?: readonly string[];
}

/**
 * Parses a query string strictly. Bracketed keys (`message_id[$ne]=x`, which other parsers turn
 * into objects) and unknown keys are refused rather than ignored, and so is a key given twice
 * unless the route says it may be: a filter the server silently dropped would change the meaning
 * of the request.
 */
export function parseQuery<S extends AnyZodObject>(
  schema: S,
  query: unknown,
  options: QueryOptions = {},
): z.output<S> {
  const entries = typeof query === 'object' && query !== null ? Object.entries(query) : [];
  for (const [key, value] of entries) {
    if (key.includes('[') || key.includes(']')) {
      throw new AppError('VALIDATION', `query.${key.slice(0, 64)}: brackets are not allowed`);
    }
    if (Array.isArray(value) && !options.repeatable?.includes(key)) {
      throw new AppError('VALIDATION', `query.${key.slice(0, 64)}: must be given once`);
    }
  }
  // Repeatable keys are the route's to read; every other key must be one the schema names.
  const repeatable = new Set(options.repeatable);
  const checked = Object.fromEntries(entries.filter(([key]) => !repeatable.has(key)));
  return parseInput(strictOf(schema), checked, 'query');
}

/**
 * `verify` hook of the JSON body parser: refuses a body nested deeper than the bound before it
 * is parsed (the parser copes; what walks the result afterwards may not).
 */
export function refuseDeepJson(
  _req: IncomingMessage,
  _res: unknown,
  body: Buffer,
  encoding: string,
): void {
  // UTF-8 is scanned as bytes; other Unicode encodings are decoded first so no byte of a wide
  // character can pass for a bracket.
  const text = /^utf-?8$/i.test(encoding) ? body : decodeBody(body, encoding);
  if (jsonTextTooDeep(text)) throw new AppError('VALIDATION', tooDeepMessage('request bodies'));
}

function decodeBody(body: Buffer, encoding: string): string {
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(body);
  } catch {
    throw new AppError('VALIDATION', 'unsupported body encoding');
  }
}
