// The status line of a long run: on a terminal's stderr only, shown once the run has
// taken about two seconds, redrawn at most every 100 ms, and erased before any other
// output and at the end, so stdout (tables, JSON, race reports) never carries it.

/** Where the line goes: a terminal's stderr in the CLI, a recorder in tests. */
export interface StatusSink {
  write(text: string): unknown;
  /** The terminal's width; the line is cut to fit so it never wraps. */
  readonly columns?: number;
  /** How long a run must have taken before the line shows (default 2000 ms; tests set 0). */
  readonly delayMs?: number;
}

export class StatusLine {
  private shown = false;
  private last = 0;
  private text = '';
  private readonly started = Date.now();

  private readonly afterMs: number;

  constructor(
    private readonly sink: StatusSink | undefined,
    afterMs?: number,
    private readonly everyMs = 100,
  ) {
    this.afterMs = afterMs ?? sink?.delayMs ?? 2000;
  }

  /** Milliseconds since the run began. */
  get elapsedMs(): number {
    return Date.now() - this.started;
  }

  /** The line to show now (drawn if the run is old enough and the last draw not too recent). */
  set(text: string): void {
    this.text = text;
    if (this.sink === undefined) return;
    const now = Date.now();
    if (now - this.started < this.afterMs || now - this.last < this.everyMs) return;
    this.last = now;
    this.draw();
  }

  /** Erase the line (if shown) before other output; the next `set` draws it again. */
  clear(): void {
    if (!this.shown) return;
    this.sink?.write('\r\x1b[K');
    this.shown = false;
  }

  /** Redraw the last line at once, after other output. */
  redraw(): void {
    if (this.sink !== undefined && this.text !== '' && this.elapsedMs >= this.afterMs) this.draw();
  }

  private draw(): void {
    // a terminal that does not say its width (0) gets a common one
    const width = Math.max(20, (this.sink?.columns || 100) - 1);
    const line = this.text.length > width ? `${this.text.slice(0, width - 1)}…` : this.text;
    this.sink?.write(`\r\x1b[K${line}`);
    this.shown = true;
  }
}

/** 42 s, 3:07, 1:02:03. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** Time left at the rate so far, or null when too little is done to say. */
export function estimateLeft(done: number, total: number, elapsedMs: number): number | null {
  if (done <= 0 || total <= 0 || done > total || elapsedMs < 500) return null;
  return (elapsedMs * (total - done)) / done;
}

/** 12,345 */
export const count = (n: number): string => Math.round(n).toLocaleString('en-US');
