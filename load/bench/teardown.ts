// Everything a run starts registers how to stop it here; the stack unwinds in reverse on the way
// out, whether the run ends, fails, hits its time limit or gets SIGINT.

export class Teardown {
  private readonly steps: { what: string; undo: () => Promise<void> }[] = [];

  /** Registers `undo`; returns a function that runs it now (and only once). */
  add(what: string, undo: () => Promise<void>): () => Promise<void> {
    const step = { what, undo };
    this.steps.push(step);
    return async () => {
      const i = this.steps.indexOf(step);
      if (i < 0) return;
      this.steps.splice(i, 1);
      await undo();
    };
  }

  /** Runs every registered step, newest first; a failing step is reported, not fatal. */
  async runAll(report: (line: string) => void): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.undo();
      } catch (err) {
        report(`could not stop ${step.what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
