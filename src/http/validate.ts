// Edge validation: a zod schema turns unknown input into typed values or a VALIDATION error.
import type { z, ZodTypeAny } from 'zod';
import { AppError } from '../domain/errors';

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
