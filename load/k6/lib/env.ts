// Run settings from k6's __ENV (`k6 run -e NAME=value`), read once in the init context: a bad value
// stops the run before it starts, with every problem named at once.

/** Collects typed values from __ENV and the problems found on the way. */
export class EnvReader {
  private readonly problems: string[] = [];

  /** An integer in [min, max]. */
  int(name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name}=${raw}: must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  /** A finite number in [min, max]. */
  number(name: string, fallback: number, min: number, max: number): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = /^-?(\d+\.?\d*|\.\d+)$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isFinite(value) || value < min || value > max) {
      this.problems.push(`${name}=${raw}: must be a number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  /** A k6 duration such as `30s`, `2m` or `1m30s`. */
  duration(name: string, fallback: string): string {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (!/^(\d+(ms|s|m|h))+$/.test(raw)) {
      this.problems.push(`${name}=${raw}: must be a k6 duration such as 30s, 2m or 1m30s`);
      return fallback;
    }
    return raw;
  }

  /** An http(s) URL, without its trailing slashes. */
  httpUrl(name: string, fallback: string): string {
    const raw = this.raw(name) ?? fallback;
    if (!/^https?:\/\/[^/\s]+/.test(raw)) {
      this.problems.push(`${name}=${raw}: must be an http:// or https:// URL`);
      return fallback;
    }
    return raw.replace(/\/+$/, '');
  }

  /** Throws one error naming every problem found so far. */
  assertValid(): void {
    if (this.problems.length > 0) {
      throw new Error(`bad k6 environment:\n  ${this.problems.join('\n  ')}`);
    }
  }

  /** An unset or empty variable counts as not given. */
  private raw(name: string): string | undefined {
    const value = __ENV[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }
}

/** Reads a script's settings, then fails the init context if any of them was bad. */
export function readEnv<T>(read: (env: EnvReader) => T): T {
  const env = new EnvReader();
  const settings = read(env);
  env.assertValid();
  return settings;
}

/** What both scripts need to reach the server and create their users. */
export interface ServerSettings {
  /** The server (or the load balancer in front of a cluster). @default http://127.0.0.1:8000 */
  baseUrl: string;
  /** Pairs of users registered in setup(). @default 20 */
  pairs: number;
  /** Registrations in flight at once; each costs the server an Argon2 hash. @default 10 */
  registerConcurrency: number;
  /** setup()'s time budget, in seconds. @default max(120, one second per user) */
  setupTimeoutSeconds: number;
}

export function readServerSettings(env: EnvReader): ServerSettings {
  const pairs = env.int('PAIRS', 20, 1, 100000);
  return {
    baseUrl: env.httpUrl('BASE_URL', 'http://127.0.0.1:8000'),
    pairs,
    registerConcurrency: env.int('REGISTER_CONCURRENCY', 10, 1, 1000),
    setupTimeoutSeconds: env.int('SETUP_TIMEOUT_SECONDS', Math.max(120, 2 * pairs)),
  };
}
