// The conformance runner on the public file and on a derived file written here (a subset of cases
// with renamed and perturbed entries), through the real CLI entry, plus in-process argument cases.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import tol from '../tolerances.json';
import { GOLDEN_PATH, loadGolden } from './load.js';
import { conformanceCli } from '../../src/conformance/cli.js';
import { CONFORMANCE_TOLERANCES } from '../../src/conformance/tolerances.js';
import type { GoldenFile } from '../../src/conformance/golden.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsx = join(root, 'node_modules', '.bin', 'tsx');

function cli(args: string[]) {
  const p = spawnSync(tsx, ['src/cli/conformance-main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: p.status, out: p.stdout.trim().split('\n').filter(Boolean), err: p.stderr.trim() };
}

async function inProcess(args: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await conformanceCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const LINE = /^(PASS|FAIL)\t[^\t]+\t[^\t]+\t[a-z_0-9]+\terr=[^\t]+\ttol=[^\t]+$|^SKIP\t[^\t]+\t[^\t]+\t[^\t]+\t[^\t]+$/;
const SUMMARY = /^(\d+) passed, (\d+) failed, (\d+) skipped$/;

/** How many quantities a file has references for (what the runner must print for it). */
function expectedChecks(g: GoldenFile): number {
  let n = 0;
  for (const c of g.cases) {
    for (const m of Object.values(c.methods)) n += +(m.weights != null) + +(m.cam_lowres != null) + +(m.grayscale_cam != null);
    if (c.guided_gradcam) n += 1 + +(c.guided_gradcam_deprocessed_uint8 != null);
  }
  return n;
}

describe('conformance runner', () => {
  const g = loadGolden();

  it('keeps its tolerances equal to test/tolerances.json', () => {
    expect(CONFORMANCE_TOLERANCES.weights).toBe(tol.golden_weights_rel);
    expect(CONFORMANCE_TOLERANCES.cam_lowres).toBe(tol.golden_cam_lowres_rel);
    expect(CONFORMANCE_TOLERANCES.eigen_cam_lowres).toBe(tol.golden_eigen_cam_lowres_rel);
    expect(CONFORMANCE_TOLERANCES.grayscale_cam).toBe(tol.golden_grayscale_abs);
    expect(CONFORMANCE_TOLERANCES.guided_gradcam).toBe(tol.e2e_guided_rel);
    expect(CONFORMANCE_TOLERANCES.guided_gradcam_deprocessed_uint8).toBe(tol.deprocessed_uint8_abs);
  });

  it('passes every quantity of the public file (CLI, exit 0)', () => {
    const r = cli([GOLDEN_PATH]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.slice(0, -1);
    for (const l of lines) expect(l).toMatch(LINE);
    expect(lines.filter((l) => l.startsWith('PASS')).length).toBe(expectedChecks(g));
    expect(lines.length).toBe(expectedChecks(g));
    const [, p, f, s] = r.out.at(-1)!.match(SUMMARY)!.map(Number);
    expect([p, f, s]).toEqual([lines.length, 0, 0]);
  });

  it('reports FAIL, SKIP and exit 1 on a derived file with perturbed values and names', () => {
    const d = structuredClone(g) as GoldenFile;
    d.cases = [d.cases[0], d.cases[16], d.cases[18]]; // seq_s0 conv3, res_s1 conv_c, res_s1 add
    const [c0, c1, c2] = d.cases;
    // A weight 1 % off: weights FAIL, the map still within tolerance of its own reference.
    c0.methods.GradCAM.weights![3] *= 1.01;
    // A map value off by 1e-3 (tolerance 1e-4).
    c1.methods.LayerCAM.grayscale_cam!.values[100] += 1e-3;
    // Names in other spellings are matched case-insensitively.
    c1.methods['gradcam++'] = c1.methods.GradCAMPlusPlus;
    delete c1.methods.GradCAMPlusPlus;
    // An unknown method: one SKIP line for the case.
    c2.methods.FullGrad = structuredClone(c2.methods.GradCAM);
    // No reference → nothing printed for that quantity.
    c2.methods.XGradCAM.weights = null;
    // A perturbed stored score (of the dominant channel: the softmax is peaked) fails the ScoreCAM weights.
    const sc = (c2.methods.ScoreCAM.extra as { scores: number[] }).scores;
    sc[sc.indexOf(Math.max(...sc))] -= 0.5;
    const dir = mkdtempSync(join(tmpdir(), 'camkit-conf-'));
    try {
      const file = join(dir, 'derived.json');
      writeFileSync(file, JSON.stringify(d));
      const r = cli([file]);
      expect(r.code).toBe(1);
      const lines = r.out.slice(0, -1);
      for (const l of lines) expect(l).toMatch(LINE);
      const fails = lines.filter((l) => l.startsWith('FAIL')).map((l) => l.split('\t').slice(1, 4).join(' '));
      expect(fails).toContain(`${c0.id} GradCAM weights`);
      expect(fails).toContain(`${c1.id} LayerCAM grayscale_cam`);
      expect(fails).toContain(`${c2.id} ScoreCAM weights`);
      expect(fails).not.toContain(`${c0.id} GradCAM grayscale_cam`);
      expect(lines).toContain(`SKIP\t${c2.id}\tFullGrad\t*\tmethod not supported by camkit`);
      expect(lines.filter((l) => l.includes(`\t${c1.id}\tgradcam++\t`) && l.startsWith('PASS')).length).toBe(3);
      expect(lines.some((l) => l.includes(`\t${c2.id}\tXGradCAM\tweights\t`))).toBe(false);
      const [, p, f, s] = r.out.at(-1)!.match(SUMMARY)!.map(Number);
      expect(f).toBe(fails.length);
      expect(s).toBe(1);
      expect(p + f + s).toBe(lines.length);
      // FullGrad is a skip, not a check: everything else is one printed line per reference.
      expect(p + f).toBe(expectedChecks(d) - 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--methods filters (case-insensitive) and GuidedBackprop is a SKIP without a backend', async () => {
    const r = await inProcess([GOLDEN_PATH, '--methods', 'gradcam,guidedbackprop', '--kernels', 'js']);
    expect(r.code).toBe(0);
    const methods = new Set(r.out.slice(0, -1).map((l) => l.split('\t')[2]));
    expect([...methods].sort()).toEqual(['GradCAM', 'GuidedBackprop']);
    expect(r.out.filter((l) => l.startsWith('SKIP')).length).toBe(g.cases.length);
  });

  it('rejects bad input with one line on stderr and a non-zero exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camkit-conf-'));
    try {
      writeFileSync(join(dir, 'bad.json'), '{"schema": "gradcam-golden/1", "cases": [');
      writeFileSync(join(dir, 'other.json'), '{"schema": "something-else/2", "cases": []}');
      const short = structuredClone(g.cases[0]);
      short.activations.values.pop();
      writeFileSync(join(dir, 'short.json'), JSON.stringify({ schema: 'gradcam-golden/1', cases: [short] }));
      for (const args of [
        [join(dir, 'bad.json')],
        [join(dir, 'other.json')],
        [join(dir, 'short.json')],
        [join(dir, 'missing.json')],
        [GOLDEN_PATH, '--methods', 'GradCAMM'],
        [GOLDEN_PATH, '--frobnicate'],
        [GOLDEN_PATH, '--kernels', 'gpu'],
        [],
      ]) {
        const r = await inProcess(args);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.out).toEqual([]);
        expect(r.err.length).toBe(1);
        expect(r.err[0]).not.toMatch(/\n| {4}at /);
      }
      expect((await inProcess([GOLDEN_PATH, '--methods', 'GradCAMM'])).err[0]).toMatch(/Did you mean 'GradCAM'/);
      expect((await inProcess([join(dir, 'short.json')])).err[0]).toMatch(/activations has 3071 values|values for shape/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--backend loads src/conformance/e2e.ts, or says clearly that it is missing', async () => {
    const bad = await inProcess([GOLDEN_PATH, '--backend', 'webgl']);
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toMatch(/Unknown backend 'webgl'/);
    if (!existsSync(join(root, 'src/conformance/e2e.ts'))) {
      const r = await inProcess([GOLDEN_PATH, '--backend', 'cpu']);
      expect(r.code).toBe(2);
      expect(r.err[0]).toMatch(/e2e\.ts/);
    }
  });
});
