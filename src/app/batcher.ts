// Group commit: items handed in while a flush is running go out together in the next one, so one
// store command serves everything that arrived meanwhile. Under light load a batch is one item a
// tick later; under heavy load batches grow by themselves, with no timer to tune.

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export class Batcher<T, R = void> {
  private queue: Waiting<T, R>[] = [];
  private flushing: Promise<void> | null = null;

  /**
   * `flush` answers each item, in order (or with nothing: every item gets undefined); `onIdle`
   * is told whenever the last batch is done and nothing waits.
   */
  constructor(
    private readonly flush: (items: T[]) => Promise<readonly R[] | undefined>,
    private readonly options: { maxBatch?: number; onIdle?: () => void } = {},
  ) {}

  /** Resolves with the item's answer once a flush holding it succeeded; rejects with its error. */
  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.kick();
    });
  }

  /** Nothing waiting and nothing being flushed. */
  get idle(): boolean {
    return this.flushing === null && this.queue.length === 0;
  }

  private kick(): void {
    if (this.flushing || this.queue.length === 0) return;
    // One tick's worth of adds join the first batch.
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.flushOnce())
      .finally(() => {
        this.flushing = null;
        this.kick();
        if (this.idle) this.options.onIdle?.();
      });
  }

  private async flushOnce(): Promise<void> {
    const batch = this.queue.splice(0, this.options.maxBatch ?? 500);
    let results: readonly R[] | undefined;
    try {
      results = await this.flush(batch.map((w) => w.item));
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    for (const [i, w] of batch.entries()) w.resolve(results?.[i] as R);
  }
}
