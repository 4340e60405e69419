// Progress lines on the terminal (stderr, so stdout carries only the final table).

export class Progress {
  private readonly startedAt = Date.now();
  private section = '';

  /** Names what is running now; every later line carries it. */
  enter(section: string): void {
    this.section = section;
    this.line('start');
  }

  line(text: string): void {
    const seconds = ((Date.now() - this.startedAt) / 1000).toFixed(1).padStart(6);
    process.stderr.write(
      `[bench ${seconds}s] ${this.section ? `${this.section} · ` : ''}${text}\n`,
    );
  }

  elapsedSeconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }
}
