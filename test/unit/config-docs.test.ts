// The README's configuration table against the environment schema of src/config.ts: every variable
// the schema reads has a row, every row names a variable the schema reads, defaults agree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import * as configModule from '../../src/config';

const root = join(__dirname, '..', '..');

interface TableRow {
  names: string[];
  /** The default column when it is exactly one `value`; null when it claims no literal default. */
  literalDefault: string | null;
}

/** The rows of the first table under the README's "## Configuration" heading. */
function readmeConfigRows(readme: string): TableRow[] {
  const section = /^## Configuration\s*$([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme)?.[1];
  if (section === undefined) throw new Error('README has no "## Configuration" section');
  const lines = section.split('\n').filter((line) => line.trimStart().startsWith('|'));
  // The header and the |---| separator come first.
  return lines.slice(2).map((line) => {
    const cells = line
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((c) => c.trim());
    const names = [...(cells[0] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1] ?? '');
    const literal = /^`([^`]+)`$/.exec(cells[1] ?? '');
    return { names, literalDefault: literal?.[1] ?? null };
  });
}

/** A literal default as written in source: `'text'`, or digits joined by `*` (`7 * 24 * 3600`). */
function literalValue(text: string): string | undefined {
  const quoted = /^(['"])(.*)\1$/.exec(text);
  if (quoted) return quoted[2];
  if (!/^[\d_]+(\s*\*\s*[\d_]+)*$/.test(text)) return undefined;
  return String(
    text.split('*').reduce((product, n) => product * Number(n.replace(/[_\s]/g, '')), 1),
  );
}

/**
 * The schema's variables and defaults. Taken from the exported `envSchema` when config.ts exports
 * it; otherwise read from the source: the top-level keys of the `envSchema = z.object({ ... })`
 * literal, each with the literal argument of its last `.default(…)` or `positiveInt(…)`.
 */
function schemaVariables(): { names: string[]; defaults: Map<string, string> } {
  const exported = (configModule as Record<string, unknown>).envSchema;
  if (exported instanceof z.ZodObject) {
    const shape = exported.shape as Record<string, z.ZodTypeAny>;
    const defaults = new Map<string, string>();
    for (const [name, schema] of Object.entries(shape)) {
      const parsed = schema.safeParse(undefined);
      if (parsed.success && parsed.data !== undefined) defaults.set(name, String(parsed.data));
    }
    return { names: Object.keys(shape), defaults };
  }
  const source = readFileSync(join(root, 'src', 'config.ts'), 'utf8');
  const body = /envSchema\s*=\s*z\s*\.object\(\{\n([\s\S]*?)\n\}\)/.exec(source)?.[1];
  if (body === undefined) throw new Error('src/config.ts: no `envSchema = z.object({...})` found');
  const entries = [
    ...body.matchAll(/^ {2}([A-Z][A-Z0-9_]*)\s*:([\s\S]*?)(?=^ {2}[A-Z]|(?![\s\S]))/gm),
  ];
  const defaults = new Map<string, string>();
  for (const [, name = '', text = ''] of entries) {
    const calls = [...text.matchAll(/(?:\.default|positiveInt)\(\s*([^()]*?)\s*\)/g)];
    const value = literalValue(calls[calls.length - 1]?.[1] ?? '');
    if (value !== undefined) defaults.set(name, value);
  }
  return { names: entries.map((e) => e[1] ?? ''), defaults };
}

describe('README configuration table', () => {
  const rows = readmeConfigRows(readFileSync(join(root, 'README.md'), 'utf8'));
  const documented = rows.flatMap((r) => r.names);
  const schema = schemaVariables();

  it('is found, and so are the schema variables (the checks below compare real lists)', () => {
    expect(documented.length).toBeGreaterThan(10);
    expect(schema.names).toEqual(expect.arrayContaining(['PORT', 'MONGODB_URL', 'JWT_SECRET']));
  });

  it('has a row for every variable of the environment schema', () => {
    expect(schema.names.filter((name) => !documented.includes(name))).toEqual([]);
  });

  it('documents no variable the schema does not read', () => {
    expect(documented.filter((name) => !schema.names.includes(name))).toEqual([]);
  });

  it('names each variable once', () => {
    expect(documented.filter((name, i) => documented.indexOf(name) !== i)).toEqual([]);
  });

  it('shows the schema default of every variable that has one, and no other default', () => {
    const { defaults } = schema;
    const byName = new Map(rows.filter((r) => r.names.length === 1).map((r) => [r.names[0], r]));
    const mismatches = [...defaults]
      .map(([name, value]) => ({ name, schema: value, readme: byName.get(name)?.literalDefault }))
      .filter((m) => m.readme !== m.schema);
    const claimed = rows
      .filter((r) => r.names.length === 1 && r.literalDefault !== null)
      .map((r) => r.names[0] ?? '')
      .filter((name) => !defaults.has(name));
    expect({ mismatches, claimedWithoutSchemaDefault: claimed }).toEqual({
      mismatches: [],
      claimedWithoutSchemaDefault: [],
    });
  });
});
