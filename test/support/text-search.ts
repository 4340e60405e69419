// Tests on a backend without text search: the CongoDB stand-in has no `$text` (a real MongoDB,
// given by MONGODB_URL, has). Its refusal is told apart from any other failure by its message.

const NO_TEXT_OPERATOR = /unknown top level operator: \$text/;

/** The reason to skip message-search cases when `err` is the stand-in's refusal; else null. */
export function lacksMongoTextSearch(err: unknown): string | null {
  const message = err instanceof Error ? err.message : String(err);
  return NO_TEXT_OPERATOR.test(message)
    ? `this MongoDB-wire server has no $text (${message}); set MONGODB_URL to a real MongoDB to run them`
    : null;
}
