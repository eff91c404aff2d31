// Smoke test of `npm run bench`: one small workload with a 0.1 s budget, then the JSON row shape and
// the markdown table. No timing assertions: only that the harness measures, checks and reports.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { memcpyModuleBytes } from '../bench/memcpy.js';
import { selectCases, validateCases, type Case, type Prepared } from '../bench/harness.js';
import { main, runBench } from '../bench/run.js';
import { allCases } from '../bench/workloads.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const dir = mkdtempSync(join(tmpdir(), 'camkit-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEYS = ['workload', 'impl', 'median_ms', 'p10_ms', 'p90_ms', 'bytes', 'peak_wasm_bytes', 'peak_heap_bytes'];

describe('bench harness', () => {
  it('runs one workload with a 0.1 s budget and writes well-formed JSON rows', () => {
    const json = join(dir, 'rows.json');
    const stdout = execFileSync(process.execPath, [tsx, 'bench/run.ts', '--only', '^pool_mean/14x14x512 (simd|scalar|js)$', '--budget', '0.1', '--json', json], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(stdout).toMatch(/pool_mean\/14x14x512\s+simd/);
    const rows = JSON.parse(readFileSync(json, 'utf8'));
    expect(rows.map((r: { impl: string }) => r.impl)).toEqual(['simd', 'scalar', 'js']);
    for (const r of rows) {
      for (const k of KEYS) expect(r, k).toHaveProperty(k);
      expect(r.workload).toBe('pool_mean/14x14x512');
      // Compulsory traffic: G read once (14·14·512 floats) + the weights written once (512 floats).
      expect(r.bytes).toBe((14 * 14 * 512 + 512) * 4);
      expect(r.samples).toBeGreaterThanOrEqual(5);
      expect(r.median_ms).toBeGreaterThan(0);
      expect(r.p10_ms).toBeLessThanOrEqual(r.median_ms);
      expect(r.median_ms).toBeLessThanOrEqual(r.p90_ms);
      expect(r.peak_heap_bytes).toBeGreaterThan(0);
      if (r.impl === 'js') expect(r.peak_wasm_bytes).toBe(0);
      else expect(r.peak_wasm_bytes).toBeGreaterThanOrEqual(65536);
    }

    const md = execFileSync(process.execPath, [join(root, 'scripts', 'bench-table.mjs'), json], { cwd: root, encoding: 'utf8' });
    expect(md).toMatch(/^Machine: .*Node v\d+/);
    expect(md).toContain('**pool_mean/14x14x512**');
    expect(md).toMatch(/\| simd \| [\d.]+ (µs|ms) \|/);
    // Targets whose rows did not run are listed as such, not as held.
    expect(md).toMatch(/\| explain\/gradcam time vs forward \| not run \| ≤ 1.30× \| – \|/);
  }, 120_000);

  it('the table judges targets from the rows: ratios, bandwidth shares, ≤ goals', () => {
    const row = (workload: string, impl: string, median_ms: number, bytes = 1e6, extra = {}) => ({
      workload, impl, median_ms, p10_ms: median_ms, p90_ms: median_ms, bytes, peak_wasm_bytes: 0, peak_heap_bytes: 1, samples: 5, ...extra,
    });
    const rows = [
      row('limit/memcpy-64MiB', 'limit', 10, 1e8), // 10 GB/s
      row('gradcam-post/7x7x2048', 'simd', 0.1),
      row('gradcam-post/7x7x2048', 'tfjs-wasm', 1.6), // 16×: holds
      row('gradcam-post/7x7x2048', 'tfjs-wasm-best', 0.3), // 3×: missed
      row('upsample/7x7-1024x1024', 'simd', 0.2, 1e6), // 5 GB/s = 50 %: missed
      row('forward/mobilenet_v2/wasm', 'tfjs-wasm', 100),
      row('explain/gradcam/mobilenet_v2/wasm', 'simd', 125, 1, { kernel_ms: 1 }), // 1.25×: holds; 0.8 %: holds
    ];
    const json = join(dir, 'synthetic.json');
    writeFileSync(json, JSON.stringify(rows));
    const md = execFileSync(process.execPath, [join(root, 'scripts', 'bench-table.mjs'), json], { cwd: root, encoding: 'utf8' });
    const line = (name: string) => md.split('\n').find((l) => l.startsWith(`| ${name} |`));
    expect(line('gradcam-post/7x7x2048: simd vs tfjs-wasm')).toMatch(/\| 16\.0× \| ≥ 15\.0× \| holds \|$/);
    expect(line('gradcam-post/7x7x2048: simd vs tfjs-wasm-best')).toMatch(/\| 3\.00× \| ≥ 4\.00× \| missed \|$/);
    expect(line('gradcam-post/7x7x2048: simd vs js')).toMatch(/\| not run \|.*\| – \|$/);
    expect(line('upsample/7x7-1024x1024: simd GB/s vs memcpy GB/s')).toMatch(/\| 50 % \| ≥ 70 % \| missed \|$/);
    expect(line('explain/gradcam time vs forward')).toMatch(/\| 1\.25× \| ≤ 1\.30× \| holds \|$/);
    expect(line('camkit kernels + copies share of explain/gradcam')).toMatch(/\| 0\.80 % \| ≤ 2\.00 % \| holds \|$/);
  });

  it('the memcpy limit module is a valid wasm module that copies', async () => {
    const { instance } = await WebAssembly.instantiate(memcpyModuleBytes(2));
    const x = instance.exports as { copy: (d: number, s: number, n: number) => void; memory: WebAssembly.Memory };
    const u8 = new Uint8Array(x.memory.buffer);
    u8.set([1, 2, 3, 4, 5], 100);
    x.copy(70000, 100, 5);
    expect(Array.from(u8.subarray(70000, 70005))).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('bench rows fail loudly', () => {
  const ok = (workload: string, impl: Case['impl'] = 'js', extra: Partial<Prepared> = {}): Case => ({
    workload, impl, bytes: 4, prepare: async () => ({ run: () => 1, ...extra }),
  });
  const quiet = { budgetS: 0.01, maxSamples: 5 };
  const noLog = () => {};

  it('the real row list is valid: no duplicates, known impls, every kernel family present', () => {
    const rows = allCases().map((c) => `${c.workload} ${c.impl}`);
    expect(new Set(rows).size).toBe(rows.length);
    // The channel_wsum/7x7x2048 rows are defined once, so every one of them runs.
    expect(rows.filter((r) => r.startsWith('channel_wsum/7x7x2048 ')).sort()).toEqual(
      ['channel_wsum/7x7x2048 js', 'channel_wsum/7x7x2048 scalar', 'channel_wsum/7x7x2048 simd', 'channel_wsum/7x7x2048 tfjs-wasm-best'],
    );
    for (const impl of ['simd', 'scalar', 'js']) expect(rows).toContain(`colormap/1024x1024 ${impl}`);
  });

  it('a duplicate row, an unknown impl or a malformed workload name is an error', () => {
    expect(() => validateCases([ok('relu/4'), ok('relu/4')])).toThrow(/duplicate row relu\/4 js/);
    expect(() => validateCases([ok('relu/4', 'wasm' as Case['impl'])])).toThrow(/unknown impl wasm/);
    expect(() => validateCases([ok('relu')])).toThrow(/workload name/);
    expect(() => validateCases([ok('relu/4', 'simd'), ok('relu/4', 'js')])).not.toThrow();
  });

  it('--only that matches no row is an error, in the harness and in the command', async () => {
    const cases = [ok('relu/4'), ok('relu/8')];
    expect(selectCases(cases, /8/).map((c) => c.workload)).toEqual(['relu/8']);
    expect(selectCases(cases).length).toBe(2);
    expect(() => selectCases(cases, /^nothing$/)).toThrow(/no bench row matches/);
    await expect(main(['--only', '^nothing$', '--budget', '0.01'], () => cases)).rejects.toThrow(/no bench row matches/);
  });

  it('a row whose preparation throws (a missing import), whose check or whose run throws fails the run', async () => {
    const cases = [
      ok('relu/1'),
      { workload: 'relu/2', impl: 'js', bytes: 4, prepare: () => Promise.reject(new Error('Cannot find module ../src/gone.js')) } as Case,
      ok('relu/3', 'js', { check: () => { throw new Error('wrong result'); } }),
      ok('relu/4', 'js', { run: () => { throw new Error('kernel trapped'); } }),
    ];
    const { rows, failed } = await runBench(cases, quiet, noLog);
    expect(rows.map((r) => r.workload)).toEqual(['relu/1']);
    expect(failed).toEqual(['relu/2 js: Cannot find module ../src/gone.js', 'relu/3 js: wrong result', 'relu/4 js: kernel trapped']);
    const err = console.error, log = console.log, write = process.stdout.write;
    console.error = console.log = () => {};
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await main(['--budget', '0.01', '--samples', '5'], () => cases)).toBe(1);
      expect(await main(['--budget', '0.01', '--samples', '5', '--only', 'relu/1'], () => cases)).toBe(0);
    } finally {
      console.error = err;
      console.log = log;
      process.stdout.write = write;
    }
  });

  it('a failing row makes `npm run bench` exit non-zero', () => {
    // The real command on one real row that cannot fail, and --only matching nothing: exit 1, one message.
    const r = (() => {
      try {
        execFileSync(process.execPath, [tsx, 'bench/run.ts', '--only', '^no such row$'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
        return null;
      } catch (e) {
        return e as { status: number; stderr: string };
      }
    })();
    expect(r?.status).toBe(1);
    expect(r?.stderr).toMatch(/no bench row matches/);
  });

  it('bench/ has no dynamic-import fallbacks: every module is imported statically', () => {
    for (const f of readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.ts'))) {
      const src = readFileSync(join(root, 'bench', f), 'utf8');
      // bench/tf.ts loads tfjs lazily (camkit-only runs never pay for it); a failure there fails the row.
      const dynamic = src.match(/\bimport\((?!'@tensorflow\/)/g) ?? [];
      expect(dynamic, f).toEqual([]);
      expect(src, f).not.toMatch(/has not landed/);
    }
  });
});
