// Group commit: items handed in while a flush is running go out together in the next one, so one
// store command serves everything that arrived meanwhile. Under light load a batch is one item a
// tick later; under heavy load batches grow by themselves, with no timer to tune.

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class Batcher<T> {
  private queue: Waiting<T>[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    private readonly maxBatch = 500,
  ) {}

  /** Resolves once a flush holding the item succeeded; rejects with that flush's error. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing || this.queue.length === 0) return;
    // One tick's worth of adds join the first batch.
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.flushOnce())
      .finally(() => {
        this.flushing = null;
        this.kick();
      });
  }

  private async flushOnce(): Promise<void> {
    const batch = this.queue.splice(0, this.maxBatch);
    try {
      await this.flush(batch.map((w) => w.item));
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    for (const w of batch) w.resolve();
  }
}
