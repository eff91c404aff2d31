// Conformance of the golden v2 targets and of the seg_s3 segmentation model: the stored-data checks
// (each target as a case `<id>#<target>`), the end-to-end checks on cpu (through the CLI, in process)
// and on wasm (the checks themselves), FAIL on nudged references, and the target table of
// docs/targets.md covering every target name the file stores.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conformanceCli } from '../../src/conformance/cli.js';
import { loadModel } from '../../src/conformance/e2e.js';
import type { GoldenCase, GoldenFile } from '../../src/conformance/golden.js';
import { runConformance, type CheckLine } from '../../src/conformance/runner.js';
import { segmentationE2EChecks, targetE2EChecks, V2_TARGETS } from '../../src/conformance/targets-e2e.js';
import { targetGradients } from '../../src/conformance/targets.js';
import { findMethod } from '../../src/methods/registry.js';
import { createRuntime } from '../../src/runtime/init.js';
import { GOLDEN_V2_PATH, loadGolden } from '../helpers/golden.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const g = loadGolden(GOLDEN_V2_PATH) as unknown as GoldenFile;
const targetCases = g.cases.filter((c) => c.targets);
const segCases = g.cases.filter((c) => c.task === 'segmentation');
const load = (f: GoldenFile, name: string, be: string) => loadModel(f, name, be);

/** Reference quantities each stored target with methods of its own has (weights, cam_lowres, grayscale_cam). */
function storedTargetRefs(): { checks: number; skips: number } {
  let checks = 0, skips = 0;
  for (const c of targetCases) {
    for (const t of Object.values(c.targets!)) {
      for (const [k, m] of Object.entries(t.methods ?? {})) {
        if (!findMethod(k)) skips++;
        else checks += +(m.weights != null) + +(m.cam_lowres != null) + +(m.grayscale_cam != null);
      }
    }
  }
  return { checks, skips };
}

async function collect(gen: AsyncIterable<CheckLine>): Promise<CheckLine[]> {
  const out: CheckLine[] = [];
  for await (const l of gen) out.push(l);
  return out;
}

describe('golden v2 targets: stored data', () => {
  it('every target reference PASSes; unregistered methods SKIP with the reason', async () => {
    const rt = await createRuntime('js');
    const lines = (await collect(runConformance(g, { runtime: rt }))).filter((l) => l.caseId.includes('#'));
    const { checks, skips } = storedTargetRefs();
    expect(lines.filter((l) => l.status === 'PASS').length).toBe(checks);
    expect(checks).toBeGreaterThanOrEqual(6 * 4 * 3 * 2);
    expect(lines.filter((l) => l.status === 'FAIL')).toEqual([]);
    const sk = lines.filter((l) => l.status === 'SKIP');
    expect(sk.length).toBe(skips);
    for (const l of sk) expect(findMethod(l.method)).toBeNull();
    expect(sk.every((l) => l.reason === 'method not supported by camkit')).toBe(true);
  });

  it('resolves {equals} gradients (negated bitwise) and fails on nudged references', async () => {
    const c = structuredClone(targetCases[0]);
    const neg = targetGradients(c, c.targets!['BinaryClassifierOutputTarget(0)']);
    expect(typeof neg).not.toBe('string');
    expect((neg as { values: number[] }).values).toEqual(c.gradients!.values.map((v) => -v));
    expect(targetGradients(c, { gradients: { equals: 'something.else' } })).toMatch(/unknown gradients reference/);
    // A softmax-target gradient 1 % off: its weights fail, the baseline target's do not.
    c.targets!.ClassifierOutputSoftmaxTarget.gradients = structuredClone(c.targets!.ClassifierOutputSoftmaxTarget.gradients);
    const gv = (c.targets!.ClassifierOutputSoftmaxTarget.gradients as { values: number[] }).values;
    for (let i = 0; i < gv.length; i += 7) gv[i] *= 1.05;
    c.targets!['BinaryClassifierOutputTarget(0)'].gradients = { equals: 'case.gradients' }; // wrong sign
    const rt = await createRuntime('js');
    const lines = (await collect(runConformance({ ...g, cases: [c] }, { runtime: rt }))).filter((l) => l.caseId.includes('#'));
    const failed = new Set(lines.filter((l) => l.status === 'FAIL').map((l) => l.caseId.split('#')[1]));
    expect([...failed].sort()).toEqual(['BinaryClassifierOutputTarget(0)', 'ClassifierOutputSoftmaxTarget']);
  });
});

describe('golden v2 targets and segmentation: end to end', () => {
  it('--backend cpu (CLI, in process): every target and segmentation line PASSes or SKIPs with a reason', async () => {
    const out: string[] = [];
    await conformanceCli([GOLDEN_V2_PATH, '--backend', 'cpu'], { out: (l) => out.push(l), err: (l) => out.push(`ERR ${l}`) });
    const mine = out.map((l) => l.split('\t')).filter((r) => r.length >= 4 && (r[1].includes('#') || r[1].startsWith('seg_s3/')));
    expect(mine.filter((r) => r[0] === 'FAIL')).toEqual([]);
    const count = (q: string, pred: (r: string[]) => boolean = () => true) => mine.filter((r) => r[0] === 'PASS' && r[3] === q && pred(r)).length;
    // 6 cases × (6 stored targets + the FinerCAM target) − the one-logit RawScores… every target has these three.
    expect(count('target_value', (r) => r[1].includes('#'))).toBe(targetCases.length * 7 + (20 - targetCases.length));
    expect(count('dtarget_dlogits')).toBe(targetCases.length * 7 + (20 - targetCases.length));
    expect(count('gradients', (r) => r[1].includes('#'))).toBe(targetCases.length * 7 + (20 - targetCases.length));
    // Segmentation: output, the exact mask, value, activations, gradients per case.
    for (const q of ['output', 'mask', 'target_value', 'activations', 'gradients']) expect(count(q, (r) => r[1].startsWith('seg_s3/') && r[2] === '-'), q).toBe(segCases.length);
    const rawSkips = mine.filter((r) => r[0] === 'SKIP' && r[3] === 'five_logit_model');
    expect(rawSkips.length).toBe(targetCases.length);
    expect(rawSkips[0][4]).toMatch(/pgc fails there.*camkit refuses it too/);
    expect(mine.filter((r) => r[0] === 'SKIP' && r[3] !== 'five_logit_model').every((r) => findMethod(r[2]) === null)).toBe(true);
  }, 240_000);

  it('on wasm: every check PASSes, nudged references FAIL, nothing but the cached models stays', async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    const rt = await createRuntime('simd');
    const opts = { backend: 'wasm', runtime: rt };
    const before = tf.memory().numTensors;
    const lines: CheckLine[] = [];
    for (const c of targetCases) lines.push(...(await collect(targetE2EChecks(g, c, opts, load))));
    for (const c of segCases) lines.push(...(await collect(segmentationE2EChecks(g, c, opts, load))));
    expect(lines.filter((l) => l.status === 'FAIL')).toEqual([]);
    // Per target case: 7 targets × (value, dT/dz, gradients) + 6 targets × 2 maps + ShapleyCAM's map
    // and hvp under Softmax and ReST; per segmentation case: output, mask, value, activations, gradients + 4 maps.
    expect(lines.filter((l) => l.status === 'PASS').length).toBe(targetCases.length * (7 * 3 + 6 * 2 + 2 * 2) + segCases.length * (5 + 4));
    expect(lines.filter((l) => l.status === 'PASS' && l.quantity === 'hvp').length).toBe(targetCases.length * 2);
    const models = new Set([...targetCases, ...segCases].map((c) => c.model));
    const weights = [...models].reduce((a, m) => a + (g.models![m!] as { weights: unknown[] }).weights.length, 0);
    expect(tf.memory().numTensors - before).toBeLessThanOrEqual(weights);

    // Nudged references: exactly those quantities fail.
    const c = structuredClone(targetCases[1]) as GoldenCase;
    c.targets!.ClassifierOutputReST.value = (c.targets!.ClassifierOutputReST.value as number) + 1e-3;
    (c.targets!.ClassifierOutputSoftmaxTarget.dtarget_dlogits_float64 as number[])[0] *= 1.001;
    c.targets!.ClassifierOutputTarget.methods!.GradCAM.grayscale_cam!.values[200] += 1e-3;
    const hv = ((c.targets!.ClassifierOutputReST.methods!.ShapleyCAM.extra as { hvp: { values: number[] } }).hvp = structuredClone((c.targets!.ClassifierOutputReST.methods!.ShapleyCAM.extra as { hvp: { values: number[] } }).hvp));
    hv.values = hv.values.map((v) => v * 1.01);
    const s = structuredClone(segCases[1]) as GoldenCase;
    const mv = (s.target as { mask: { values: number[] } }).mask.values;
    mv[0] = 1 - mv[0];
    s.methods.HiResCAM.grayscale_cam!.values[5] += 1e-3;
    const bent = [...(await collect(targetE2EChecks(g, c, opts, load))), ...(await collect(segmentationE2EChecks(g, s, opts, load)))];
    const failed = bent.filter((l) => l.status === 'FAIL').map((l) => `${l.caseId.split('#')[1] ?? 'seg'} ${l.method} ${l.quantity}`);
    // The targets whose maps are those of ClassifierOutputTarget by construction fail with it.
    const want = ['ClassifierOutputReST - target_value', 'ClassifierOutputReST ShapleyCAM hvp', 'ClassifierOutputSoftmaxTarget - dtarget_dlogits', 'seg - mask', 'seg HiResCAM grayscale_cam'];
    for (const t of ['ClassifierOutputTarget', 'BinaryClassifierOutputTarget(1)', 'RawScoresOutputTarget']) want.push(`${t} GradCAM grayscale_cam`);
    expect(failed.sort()).toEqual(want.sort());
    await tf.setBackend('cpu');
  }, 240_000);
});

describe('the target table', () => {
  it('maps every target name the v2 file stores, in code and in docs/targets.md', () => {
    const names = new Set<string>();
    for (const c of g.cases) {
      for (const k of Object.keys(c.targets ?? {})) names.add(k);
      const t = (c.target as { type?: string } | undefined)?.type;
      if (t) names.add(t);
      if (c.methods.FinerCAM) names.add('FinerWeightedTarget');
    }
    expect(names.size).toBe(8);
    const doc = readFileSync(join(root, 'docs/targets.md'), 'utf8');
    for (const n of names) {
      expect(V2_TARGETS[n], n).toBeDefined();
      const row = doc.split('\n').find((l) => l.startsWith('|') && l.includes(`\`${n}\``));
      expect(row, `docs/targets.md has a row for ${n}`).toBeDefined();
      const helper = V2_TARGETS[n].helper.split('(')[0];
      expect(row, n).toContain(helper);
    }
  });
});
