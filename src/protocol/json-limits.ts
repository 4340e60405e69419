// Bounds on the shape of untrusted JSON, checked before anything recursive (JSON.stringify,
// socket.io-parser's binary scan, zod, loggers) walks it: one deeply nested frame or body must not
// be able to overflow the stack of the process that serves everyone else.

/**
 * The deepest nesting of arrays/objects a frame, payload or request body may have. Parley's own
 * shapes nest at most 4 levels (a frame → media list → media item); 32 leaves room for clients'
 * extensions while keeping every recursive walk far from the stack limit.
 */
export const MAX_JSON_DEPTH = 32;

/** The character codes that structure JSON text, for the scans over it. */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;

/**
 * Whether JSON text nests deeper than `maxDepth`, found by one linear scan (no parse, no
 * recursion). Works on UTF-8 bytes as well as on a string: every byte of a multi-byte UTF-8
 * character is ≥ 0x80, so it can never be mistaken for a quote, backslash or bracket. Invalid
 * JSON is not judged here (the parser rejects it); only its bracket depth is measured.
 */
export function jsonTextTooDeep(text: string | Uint8Array, maxDepth = MAX_JSON_DEPTH): boolean {
  const codeAt =
    typeof text === 'string' ? (i: number) => text.charCodeAt(i) : (i: number) => text[i] ?? 0;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = codeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/**
 * Whether an already decoded value nests deeper than `maxDepth` (Socket.IO payloads, which its
 * parser decoded before Parley sees them). Iterative with an explicit stack, so the check itself
 * cannot overflow; binary attachments are leaves.
 */
export function valueTooDeep(value: unknown, maxDepth = MAX_JSON_DEPTH): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const v = top.value;
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
      continue;
    }
    const depth = top.depth + 1;
    if (depth > maxDepth) return true;
    const children: unknown[] = Array.isArray(v) ? v : Object.values(v);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth });
    }
  }
  return false;
}

/** The message both transports and REST give for input over the bound. */
export const tooDeepMessage = (what: string, maxDepth = MAX_JSON_DEPTH): string =>
  `${what} may nest at most ${maxDepth} levels deep`;
