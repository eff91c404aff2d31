// `npm run bench [-- --json FILE] [--budget SECONDS] [--only REGEX] [--samples N]`
// Runs every workload × implementation in this one process (medians after warm-up) and prints a table.
// Env: CAMKIT_BENCH_BUDGET (seconds per row, default 20), CAMKIT_BENCH_ONLY (regex on "workload impl").
// Fails loudly: a row whose preparation, check or sampling throws is reported as FAILED and the run
// exits 1 after the remaining rows; invalid rows (duplicates, unknown impls) and an --only that matches
// nothing stop the run before anything is measured.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmtBytes, fmtMs, gbps, now, Sampler, selectCases, type Case, type Prepared, type Row } from './harness.js';
import { allCases } from './workloads.js';

export interface Args {
  json?: string;
  budgetS: number;
  only?: RegExp;
  maxSamples: number;
  list: boolean;
}

export function parseArgs(argv: string[]): Args {
  const a: Args = { budgetS: Number(process.env.CAMKIT_BENCH_BUDGET ?? 20), maxSamples: 31, list: false };
  const only = process.env.CAMKIT_BENCH_ONLY;
  if (only) a.only = new RegExp(only);
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--json') a.json = v();
    else if (k === '--budget') a.budgetS = Number(v());
    else if (k === '--only') a.only = new RegExp(v());
    else if (k === '--samples') a.maxSamples = Number(v());
    else if (k === '--list') a.list = true;
    else if (k === '--help' || k === '-h') {
      console.log('usage: npm run bench -- [--json FILE] [--budget SECONDS] [--only REGEX] [--samples N] [--list]');
      process.exit(0);
    } else throw new Error(`unknown argument ${k}`);
  }
  if (!(a.budgetS > 0)) throw new Error('--budget must be a positive number of seconds');
  if (!(a.maxSamples >= 5)) throw new Error('--samples must be ≥ 5');
  return a;
}

/** What a run measured, and the rows that failed (`workload impl: message`). */
export interface BenchResult {
  rows: Row[];
  failed: string[];
}

export async function runBench(
  cases: Case[], a: Pick<Args, 'budgetS' | 'maxSamples'>, log: (s: string) => void = (s) => void process.stdout.write(s), onRow?: (rows: Row[]) => void,
): Promise<BenchResult> {
  const rows: Row[] = [];
  const failures: string[] = [];
  const budgetMs = a.budgetS * 1000;
  const opts = {
    budgetMs,
    // Short budgets (smoke runs) shrink the warm-up too; full runs warm up ≥ 150 ms for TurboFan tier-up.
    warmupMs: Math.min(300, budgetMs / 4),
    minSamples: 5,
    maxSamples: a.maxSamples,
    sampleMs: Math.min(4, budgetMs / 50),
  };
  log(`${'workload'.padEnd(46)} ${'impl'.padEnd(15)} ${'median'.padStart(10)} ${'p10'.padStart(10)} ${'p90'.padStart(10)} ${'GB/s'.padStart(7)} ${'n'.padStart(3)}  wasm mem\n`);
  // Groups in order of first appearance; within a group, rows are prepared and warmed in order, then
  // sampled round-robin, so the ratios between them see the same machine (budget: per row).
  const groups = new Map<string, Case[]>();
  for (const c of cases) {
    // tfjs has one active backend: cpu rows get their own group so wasm rows never run on cpu.
    const g = (c.group ?? c.workload) + (c.impl === 'tfjs-cpu' ? ' #cpu' : '');
    groups.set(g, [...(groups.get(g) ?? []), c]);
  }
  for (const group of groups.values()) {
    const live: { c: Case; p: Prepared; m: Sampler }[] = [];
    const label = (c: Case) => `${c.workload.padEnd(46)} ${c.impl.padEnd(15)}`;
    const fail = (c: Case, e: unknown) => {
      const msg = e instanceof Error ? e.message : String(e);
      failures.push(`${c.workload} ${c.impl}: ${msg}`);
      log(`${label(c)} FAILED: ${msg}\n`);
    };
    try {
      for (const c of group) {
        let p: Prepared;
        try {
          p = await c.prepare();
        } catch (e) {
          fail(c, e);
          continue;
        }
        const m = new Sampler(p, opts);
        try {
          await m.warm();
          live.push({ c, p, m });
        } catch (e) {
          fail(c, e);
          p.dispose?.();
        }
      }
      const start = now();
      const budget = budgetMs * live.length;
      const failed = new Set<number>();
      for (;;) {
        const active = live.filter((r, i) => !failed.has(i) && (r.m.samples.length < opts.minSamples || (r.m.samples.length < opts.maxSamples && now() - start < budget)));
        if (!active.length) break;
        for (const r of active) {
          try {
            await r.m.sample();
          } catch (e) {
            failed.add(live.indexOf(r));
            fail(r.c, e);
          }
        }
      }
      for (const [i, { c, p, m: s }] of live.entries()) {
        if (failed.has(i)) continue;
        const m = s.result();
        const kernel = p.kernelMs?.();
        const row: Row = {
          workload: c.workload,
          impl: c.impl,
          median_ms: m.median_ms,
          p10_ms: m.p10_ms,
          p90_ms: m.p90_ms,
          bytes: c.bytes,
          peak_wasm_bytes: p.wasmBytes?.() ?? 0,
          peak_heap_bytes: m.peak_heap_bytes,
          ...(kernel !== undefined ? { kernel_ms: kernel } : {}),
          samples: m.samples,
          ...(p.note ? { note: p.note } : {}),
        };
        rows.push(row);
        onRow?.(rows);
        const bw = c.bytes > 0 ? gbps(row).toFixed(1) : '';
        log(
          `${label(c)} ${fmtMs(m.median_ms).padStart(10)} ${fmtMs(m.p10_ms).padStart(10)} ${fmtMs(m.p90_ms).padStart(10)} ` +
            `${bw.padStart(7)} ${String(m.samples).padStart(3)}  ${fmtBytes(row.peak_wasm_bytes)}` +
            `${kernel !== undefined ? `  kernels ${fmtMs(kernel)}` : ''}${p.note ? `  (${p.note})` : ''}\n`,
        );
      }
    } finally {
      // Last prepared, first disposed: each row's tensor-leak check then sees only what it made.
      for (const { p } of live.reverse()) p.dispose?.();
    }
  }
  return { rows, failed: failures };
}

/** The whole command; resolves to the exit code (1 when any row failed). */
export async function main(argv: string[], cases: () => Case[] = allCases): Promise<number> {
  const a = parseArgs(argv);
  const picked = selectCases(cases(), a.only);
  if (a.list) {
    for (const c of picked) console.log(`${c.workload} ${c.impl}`);
    return 0;
  }
  // The JSON is rewritten after every row, so a run stopped part-way still leaves its rows.
  const save = (rows: Row[]) => a.json && writeFileSync(a.json, JSON.stringify(rows, null, 1) + '\n');
  const { rows, failed } = await runBench(picked, a, undefined, save);
  if (a.json) {
    save(rows);
    console.log(`wrote ${rows.length} rows to ${a.json}`);
  }
  if (failed.length) {
    console.error(`${failed.length} of ${picked.length} bench rows failed:\n  ${failed.join('\n  ')}`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
