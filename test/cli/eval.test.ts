// `camkit eval` in-process on a handful of images: the table's numbers are present and in range.
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/camkit.js';
import { evalSampling, table } from '../../src/cli/eval.js';
import { METHODS } from '../../src/methods/registry.js';

describe('camkit eval', () => {
  it('prints one row per method with metrics in their ranges (--json), and a markdown table', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    let code: number;
    try {
      code = await main(['eval', '--n', '8', '--method', 'gradcam,EigenCAM', '--json', '--quiet', '--steps', '5']);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    expect(err.join('')).toBe('');
    expect(code).toBe(0);
    const j = JSON.parse(out.join(''));
    expect(j.n).toBe(8);
    expect(j.scores).toBe('sigmoid');
    expect(j.rows.map((r: { method: string }) => r.method)).toEqual(['GradCAM', 'EigenCAM']);
    for (const r of j.rows) {
      for (const k of ['pointing', 'energy', 'increase', 'deletion', 'insertion']) {
        expect(r[k]).toBeGreaterThanOrEqual(0);
        expect(r[k]).toBeLessThanOrEqual(1);
      }
      expect(r.averageDrop).toBeGreaterThanOrEqual(0);
      expect(r.msPerImage).toBeGreaterThan(0);
      // a useful map deletes the evidence faster than it inserts it
      expect(r.insertion).toBeGreaterThan(r.deletion);
    }
    const md = table(j.rows, { model: 'm', n: 8, seed: 1, backend: 'wasm', scores: 'sigmoid', steps: 5, total: 1 });
    expect(md.split('\n')[0]).toMatch(/^\| Method \| Pointing game/);
    expect(md).toMatch(/\| GradCAM \| \d\.\d{3} \|/);
  });

  it('--road adds ROAD MoRF / LeRF / combined columns', async () => {
    const out: string[] = [];
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    try {
      expect(await main(['eval', '--n', '4', '--method', 'gradcam', '--road', '--quiet', '--json', '--steps', '4'])).toBe(0);
    } finally {
      o.mockRestore();
    }
    const row = JSON.parse(out.join('')).rows[0];
    expect(row.road.combined).toBeCloseTo((row.road.lerf - row.road.morf) / 2, 6);
    // removing the most relevant pixels first hurts the target more than removing the least relevant
    expect(row.road.morf).toBeLessThan(row.road.lerf);
  });

  it('attributions are rows; --arcc adds ARCC / complexity / coherency; slow samplers run with fewer samples, said under the table', async () => {
    const out: string[] = [];
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    try {
      expect(await main(['eval', '--n', '3', '--method', 'saliency,rise', '--arcc', '--quiet', '--json', '--steps', '4'])).toBe(0);
    } finally {
      o.mockRestore();
    }
    const j = JSON.parse(out.join(''));
    expect(j.rows.map((r: { method: string }) => r.method)).toEqual(['Saliency', 'RISE']);
    expect(j.sampling).toEqual(['RISE 250 masks (default 1000)']);
    for (const r of j.rows) {
      for (const k of ['arcc', 'complexity', 'coherency']) {
        expect(r.arcc[k]).toBeGreaterThanOrEqual(0);
        expect(r.arcc[k]).toBeLessThanOrEqual(1);
      }
    }
    const md = table(j.rows, { model: 'm', n: 3, seed: 1, backend: 'wasm', scores: 'sigmoid', steps: 4, total: 1, notes: j.sampling });
    expect(md.split('\n')[0]).toMatch(/\| ARCC \(↑\) \| Complexity \(↓\) \| Coherency \(↑\) \|$/);
    expect(md).toContain('RISE 250 masks (default 1000)');
    // every sampling method with a larger default gets a cut, the others none
    const cut = METHODS.map((m) => evalSampling(m.name)).filter((x) => x !== null).map((x) => x!.note);
    expect(cut).toEqual(expect.arrayContaining(['SmoothGrad 8 noisy samples (default 20)', 'IntegratedGradients 16 steps (default 50)', 'SSCAM 5 samples (default 35)', 'ISCAM 5 samples (default 10)']));
    expect(evalSampling('GradCAM')).toBeNull();
  });

  it('rejects an unknown method with a suggestion and a bad --n', async () => {
    const err: string[] = [];
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    try {
      expect(await main(['eval', '--method', 'scorecma'])).toBe(1);
      expect(await main(['eval', '--n', '0'])).toBe(1);
    } finally {
      e.mockRestore();
    }
    expect(err[0]).toMatch(/Did you mean 'ScoreCAM'/);
    expect(err[1]).toMatch(/--n must be an integer ≥ 1/);
  });
});
