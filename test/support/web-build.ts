// Builds the demo web client into dist/web before a suite serves it (esbuild takes well under a second).
import { join } from 'node:path';

export function ensureWebClientBuilt(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildWebClient } = require(join(__dirname, '..', '..', 'scripts', 'build-web.js')) as {
    buildWebClient: () => string;
  };
  buildWebClient();
}
