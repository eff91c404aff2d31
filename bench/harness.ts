// Timing core of `npm run bench`: warm-up, adaptive repetitions, medians, and the JSON row shape.
// One process runs every row, so ratios between rows of one run are what the results are about
// (the machine is shared and noisy; absolute times drift between runs).

export const IMPLS = ['simd', 'scalar', 'js', 'tfjs-wasm', 'tfjs-wasm-best', 'tfjs-cpu', 'limit'] as const;
export type Impl = (typeof IMPLS)[number];

/** One JSON row of bench/results.json. */
export interface Row {
  workload: string;
  impl: Impl;
  median_ms: number;
  p10_ms: number;
  p90_ms: number;
  /** Compulsory traffic: every input read once plus every output written once (same for every impl of a workload). */
  bytes: number;
  /**
   * Size of the WebAssembly memories the impl ran in after the row (memories only grow, so this is
   * their peak): camkit rows get a fresh runtime each; tfjs-wasm's heap is process-wide and keeps the
   * largest size any earlier row needed.
   */
  peak_wasm_bytes: number;
  /** Highest V8 heapUsed seen between samples (process-wide, so it includes what earlier rows left behind). */
  peak_heap_bytes: number;
  /** explain rows: median time spent in camkit kernels and the copies in and out of them. */
  kernel_ms?: number;
  samples: number;
  /** What exactly ran, when the impl name alone does not say it (e.g. the tfjs-wasm-best formulation). */
  note?: string;
}

/** A prepared benchmark: `run` is the timed call; everything else happens outside the clock. */
export interface Prepared {
  run: () => unknown;
  /**
   * A cheaper call that warms the same code paths (tfjs kernels, wasm tier-up) for rows where one
   * `run` takes many seconds; when given it replaces the warm-up runs and `check` follows the first sample.
   */
  warmup?: () => unknown;
  /** Bytes of WebAssembly memory in use, read after sampling. */
  wasmBytes?: () => number;
  /** Called once after a warm-up call; throws when the result is wrong (a fast wrong kernel is no result). */
  check?: () => void;
  kernelMs?: () => number | undefined;
  dispose?: () => void;
  note?: string;
}

export interface Case {
  workload: string;
  /** Rows of one group are sampled round-robin (default: the workload); compared rows share a group. */
  group?: string;
  impl: Impl;
  bytes: number;
  /** Builds the row's inputs and its timed call; a throw fails the row (and the run). */
  prepare: () => Promise<Prepared>;
}

/** `<workload>/<shape…>`: lower-case name segments, then shape or variant segments. */
const WORKLOAD_NAME = /^[a-z][a-zA-Z0-9_-]*(\/[\w.+-]+)+$/;

/**
 * The row list as `npm run bench` takes it: throws on a duplicate row name (`workload impl`), an impl
 * that is not one of IMPLS or a malformed workload name, so no row is dropped or mislabelled silently.
 */
export function validateCases(cases: Case[]): Case[] {
  const seen = new Set<string>();
  const errors: string[] = [];
  for (const c of cases) {
    const key = `${c.workload} ${c.impl}`;
    if (seen.has(key)) errors.push(`duplicate row ${key}`);
    seen.add(key);
    if (!(IMPLS as readonly string[]).includes(c.impl)) errors.push(`row ${key}: unknown impl ${c.impl} (known: ${IMPLS.join(', ')})`);
    if (!WORKLOAD_NAME.test(c.workload)) errors.push(`row ${key}: workload name must look like name/shape`);
  }
  if (errors.length) throw new Error(`bench rows are invalid:\n  ${errors.join('\n  ')}`);
  return cases;
}

/** The rows whose `workload impl` matches `only` (all rows without it); an error when it matches none. */
export function selectCases(cases: Case[], only?: RegExp): Case[] {
  const picked = only ? cases.filter((c) => only.test(`${c.workload} ${c.impl}`)) : cases;
  if (!picked.length) throw new Error(`--only ${only}: no bench row matches (see npm run bench -- --list)`);
  return picked;
}

export interface MeasureOptions {
  /** Stop taking samples after this many ms (still at least `minSamples`). */
  budgetMs: number;
  warmupMs: number;
  minSamples: number;
  maxSamples: number;
  /** Each sample repeats the call until it lasts at least this long, so timer resolution never matters. */
  sampleMs: number;
}

export const now = (): number => performance.now();

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 1) return sorted[0];
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export interface Measured {
  median_ms: number;
  p10_ms: number;
  p90_ms: number;
  samples: number;
  peak_heap_bytes: number;
}

/**
 * One row's clock. `warm` runs the first call (then `check`) and the warm-up (≥ warmupMs, so V8 tiers
 * wasm up to TurboFan) and picks how many calls make one sample (≥ sampleMs); `sample` takes one.
 * Separate steps so run.ts can interleave the rows of a workload: on a shared, noisy host a burst of
 * other work then hits every implementation alike instead of whichever row happened to run.
 */
export class Sampler {
  readonly samples: number[] = [];
  peakHeap = process.memoryUsage().heapUsed;
  private reps = 1;
  private isAsync = false;

  constructor(
    private readonly p: Prepared,
    private readonly o: MeasureOptions,
  ) {}

  private call(): unknown {
    return this.p.run();
  }

  async warm(): Promise<void> {
    const { p, o } = this;
    // A call that returns a promise is awaited inside the clock; sync calls are not, to keep µs rows honest.
    if (p.warmup) {
      const w = p.warmup();
      if (w instanceof Promise) await w;
      const s = now();
      const r = p.run();
      this.isAsync = r instanceof Promise;
      if (this.isAsync) await r;
      this.samples.push(now() - s);
      p.check?.();
      return;
    }
    const first = p.run();
    this.isAsync = first instanceof Promise;
    if (this.isAsync) await first;
    p.check?.();
    let calls = 1;
    const t0 = now();
    while (now() - t0 < o.warmupMs) {
      if (this.isAsync) await this.call();
      else this.call();
      calls++;
    }
    const perCall = Math.max((now() - t0) / Math.max(calls - 1, 1), 1e-6);
    this.reps = Math.max(1, Math.ceil(o.sampleMs / perCall));
  }

  async sample(): Promise<void> {
    const reps = this.reps;
    const s = now();
    if (this.isAsync) for (let i = 0; i < reps; i++) await this.call();
    else for (let i = 0; i < reps; i++) this.call();
    this.samples.push((now() - s) / reps);
    this.peakHeap = Math.max(this.peakHeap, process.memoryUsage().heapUsed);
  }

  result(): Measured {
    const sorted = this.samples.slice().sort((a, b) => a - b);
    return {
      median_ms: quantile(sorted, 0.5),
      p10_ms: quantile(sorted, 0.1),
      p90_ms: quantile(sorted, 0.9),
      samples: sorted.length,
      peak_heap_bytes: this.peakHeap,
    };
  }
}

/** One row alone: warm-up, then samples until maxSamples or the budget (at least minSamples). */
export async function measure(p: Prepared, o: MeasureOptions): Promise<Measured> {
  const m = new Sampler(p, o);
  await m.warm();
  const start = now();
  while (m.samples.length < o.minSamples || (m.samples.length < o.maxSamples && now() - start < o.budgetMs)) await m.sample();
  return m.result();
}

export function fmtMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(1)} µs`;
}

export function fmtBytes(b: number): string {
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(1)} MiB`;
  if (b >= 1 << 10) return `${(b / (1 << 10)).toFixed(1)} KiB`;
  return `${b} B`;
}

export const gbps = (r: Pick<Row, 'bytes' | 'median_ms'>): number => r.bytes / (r.median_ms * 1e6);

/** Scale-relative max error, as in the golden README. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0,
    m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m > 0 ? d / m : d;
}

export function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

export function expectClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number, abs = false): void {
  const e = abs ? maxAbs(got, want) : relErr(got, want);
  if (!(e <= tol)) throw new Error(`${what}: result differs from the reference by ${e.toExponential(2)} (> ${tol})`);
}

/** Deterministic pseudo-random floats in [lo, hi) (mulberry32, same as test/helpers/flavors.ts). */
export function rand(n: number, seed = 1, lo = -1, hi = 1): Float32Array {
  let t = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    out[i] = lo + (hi - lo) * (((r ^ (r >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}
