// Progress of a run on stderr: on a terminal one line redrawn in place (bar, count, rate, ETA), at most
// ten times a second; otherwise (a pipe, a log file, CI) one plain line per image × method.
export interface ProgressLine {
  stem: string;
  method: string;
  className: string;
  score: number;
  ms: number;
}

export class Progress {
  private done = 0;
  private t0 = performance.now();
  private last = 0;
  private drawn = false;
  private lines = 0;
  /** `total` images, `lineTotal` image × method lines (less than images × methods when some are kept). */
  constructor(
    private readonly total: number,
    private readonly lineTotal: number,
    private readonly opts: { quiet: boolean; tty: boolean; write?: (s: string) => void },
  ) {}

  /** Starts the clock of the rate and ETA (after the models are loaded). */
  start(): void {
    this.t0 = performance.now();
  }

  private write(s: string): void {
    (this.opts.write ?? ((x: string) => process.stderr.write(x)))(s);
  }

  /** One image finished (its lines: one per method). */
  image(lines: readonly ProgressLine[]): void {
    this.done++;
    if (this.opts.quiet) return;
    if (!this.opts.tty) {
      for (const l of lines) this.write(`[${++this.lines}/${this.lineTotal}] ${l.stem} ${l.method} → ${l.className} (${l.score.toFixed(3)}) ${l.ms.toFixed(0)} ms\n`);
      return;
    }
    const now = performance.now();
    if (now - this.last < 100 && this.done < this.total) return;
    this.last = now;
    this.draw(now);
  }

  private draw(now: number): void {
    const width = 24;
    const f = this.total ? this.done / this.total : 1;
    const bar = '█'.repeat(Math.round(f * width)).padEnd(width, '░');
    const rate = this.rate(now);
    const eta = rate > 0 ? (this.total - this.done) / rate : NaN;
    this.write(`\r\x1b[K${bar} ${this.done}/${this.total} images · ${rate.toFixed(2)} images/s · ETA ${fmtTime(eta)}`);
    this.drawn = true;
  }

  rate(now = performance.now()): number {
    const s = (now - this.t0) / 1000;
    return s > 0 ? this.done / s : 0;
  }

  seconds(): number {
    return (performance.now() - this.t0) / 1000;
  }

  /** Ends the redrawn line (before any other message). */
  end(): void {
    if (this.drawn) this.write('\n');
    this.drawn = false;
  }
}

export function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
