// Seeded randomness: every choice the workload makes comes from one seed, so a run can be replayed.

/** A small, fast PRNG (sfc32) with helpers; `fork` derives an independent stream per actor. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** `count` distinct items (fewer when the list is shorter). */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    const out: T[] = [];
    while (out.length < count && pool.length > 0)
      out.push(pool.splice(this.int(pool.length), 1)[0]!);
    return out;
  }

  /** An exponentially distributed delay with the given mean (a Poisson process's gaps). */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** An independent stream for one actor: depends only on this stream's seed and the label. */
  fork(label: string): Rng {
    let h = (this.seed ^ 0x811c9dc5) | 0;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new Rng(h >>> 0);
  }
}

/** A seed from `--seed` (a number) or the clock. */
export function parseSeed(given: string | undefined): number {
  if (given === undefined) return Math.floor(Math.random() * 2 ** 31);
  const n = Number(given);
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32)
    throw new Error(`--seed: not an integer 0..2^32: ${given}`);
  return n;
}
