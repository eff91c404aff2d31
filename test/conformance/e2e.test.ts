// End-to-end conformance: the golden file's models rebuilt in TF.js, on the cpu and wasm backends.
import { METHODS } from '../../src/methods/registry.js';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { conformanceCli } from '../../src/conformance/cli.js';
import { E2E_TOLERANCES, e2eChecks } from '../../src/conformance/e2e.js';
import { parseGolden, type GoldenFile } from '../../src/conformance/golden.js';
import type { CheckLine } from '../../src/conformance/runner.js';
import { createRuntime } from '../../src/runtime/init.js';
import { GOLDEN_PATH, GOLDEN_V2_PATH } from '../helpers/golden.js';
import tol from '../tolerances.json';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FILE = '../shared/golden/golden-public.json';

/** What a full run must contain: every e2e quantity of every case, and only the 4 quirk SKIPs. */
function checkRun(lines: string[]): void {
  const rows = lines.filter((l) => /^(PASS|FAIL|SKIP)\t/.test(l)).map((l) => l.split('\t'));
  const count = (method: string, quantity: string, status = 'PASS') => rows.filter((r) => r[0] === status && r[2] === method && r[3] === quantity).length;
  expect(rows.filter((r) => r[0] === 'FAIL')).toEqual([]);
  expect(count('-', 'logits')).toBe(20);
  expect(count('-', 'activations')).toBe(20);
  expect(count('-', 'gradients')).toBe(20);
  expect(count('ScoreCAM', 'scores')).toBe(20);
  // Stored-data and end-to-end checks each give one grayscale_cam line per method and case.
  expect(count('ScoreCAM', 'grayscale_cam')).toBe(40);
  expect(count('AblationCAM', 'scores')).toBe(18);
  expect(count('GuidedBackprop', 'guided_backprop')).toBe(16);
  expect(count('GuidedGradCAM', 'guided_gradcam')).toBe(32);
  // Every layer method of the registry that the file stores.
  const layerMethods = METHODS.filter((m) => m.explain.via === 'layer' && rows.some((r) => r[2] === m.name)).map((m) => m.name);
  expect(layerMethods.length).toBeGreaterThanOrEqual(8);
  for (const m of layerMethods) {
    expect(count(m, 'grayscale_cam'), m).toBe(40);
  }
  const skips = rows.filter((r) => r[0] === 'SKIP');
  expect(skips).toHaveLength(4);
  expect(skips.every((r) => r[1].includes('/add/') && r[2] === 'AblationCAM' && /quirk/.test(r[4]))).toBe(true);
  expect(lines.at(-1)).toMatch(/^\d+ passed, 0 failed, 4 skipped$/);
}

describe('conformance --backend', () => {
  it('uses the tolerances of test/tolerances.json', () => {
    expect(E2E_TOLERANCES).toMatchObject({
      logits: tol.e2e_logits_abs,
      activations: tol.e2e_activations_rel,
      gradients: tol.e2e_gradients_rel,
      scores: tol.e2e_scores_rel,
      guided_backprop: tol.e2e_guided_rel,
      grayscale_cam: tol.e2e_map_abs,
      guided_gradcam_deprocessed_uint8: tol.deprocessed_uint8_abs,
    });
  });

  it('npm run conformance -- FILE --backend wasm exits 0 with every e2e quantity checked', () => {
    const r = spawnSync('npm', ['run', '--silent', 'conformance', '--', FILE, '--backend', 'wasm'], { cwd: root, encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    checkRun(r.stdout.trim().split('\n'));
  });

  it('--backend cpu (in-process) exits 0 with every e2e quantity checked', async () => {
    const out: string[] = [], err: string[] = [];
    const code = await conformanceCli([join(root, FILE), '--backend', 'cpu'], { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code, err.join('\n')).toBe(0);
    checkRun(out);
  });

  it('--model-format graph: the same checks through the GraphModel the converter would make of each model', async () => {
    const out: string[] = [], err: string[] = [];
    const code = await conformanceCli([join(root, FILE), '--backend', 'cpu', '--model-format', 'graph'], { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code, err.join('\n')).toBe(0);
    checkRun(out);
    // v2: FullGrad's bias sites read from the graph's fused conv nodes, every CNN case.
    const v2: string[] = [];
    expect(await conformanceCli([GOLDEN_V2_PATH, '--backend', 'cpu', '--model-format', 'graph', '--methods', 'FullGrad'], { out: (l) => v2.push(l), err: (l) => v2.push(l) })).toBe(0);
    const rows = v2.map((l) => l.split('\t'));
    expect(rows.filter((r) => r[0] === 'PASS' && r[2] === 'FullGrad' && r[3] === 'grayscale_cam').length).toBeGreaterThanOrEqual(20);
    expect(rows.filter((r) => r[0] === 'FAIL')).toEqual([]);
    // Argument errors: a format needs --backend; unknown formats are named.
    const e: string[] = [];
    expect(await conformanceCli([join(root, FILE), '--model-format', 'graph'], { out: () => {}, err: (l) => e.push(l) })).toBe(2);
    expect(await conformanceCli([join(root, FILE), '--backend', 'cpu', '--model-format', 'onnx'], { out: () => {}, err: (l) => e.push(l) })).toBe(2);
    expect(e[0]).toMatch(/--backend/);
    expect(e[1]).toMatch(/onnx.*layers.*graph/);
  }, 300_000);

  it('reports FAIL when the model, the logits or the stored scores are off', async () => {
    const g = parseGolden(readFileSync(GOLDEN_PATH, 'utf8')) as GoldenFile & {
      models: Record<string, { weights: { name: string; values: number[] }[] }>;
    };
    const rt = await createRuntime('js');
    const c = g.cases.find((k) => k.id === 'res_s1/img1/block_out/c0')!;
    const collect = async (file: GoldenFile, k = c) => {
      const lines: CheckLine[] = [];
      for await (const l of e2eChecks(file, k, { backend: 'cpu', runtime: rt })) lines.push(l);
      return lines;
    };
    const status = (lines: CheckLine[], method: string, q: string) => lines.find((l) => l.method === method && l.quantity === q)?.status;
    const before = tf.memory().numTensors;
    const clean = await collect(g);
    expect(clean.filter((l) => l.status !== 'PASS')).toEqual([]);

    // Stored references nudged: exactly the nudged quantities fail.
    const bent = structuredClone(c);
    (bent.logits as number[])[0] += 1e-3;
    (bent.methods.ScoreCAM.extra as { scores: number[] }).scores[3] *= 1.001;
    (bent.methods.AblationCAM.extra as { ablated_scores: number[] }).ablated_scores[5] += 0.01;
    bent.guided_backprop!.values[100] += 0.01;
    const lines = await collect(g, bent);
    expect(status(lines, '-', 'logits')).toBe('FAIL');
    expect(status(lines, 'ScoreCAM', 'scores')).toBe('FAIL');
    expect(status(lines, 'AblationCAM', 'scores')).toBe('FAIL');
    expect(status(lines, 'GuidedBackprop', 'guided_backprop')).toBe('FAIL');
    expect(status(lines, '-', 'activations')).toBe('PASS');
    expect(status(lines, 'GradCAM', 'grayscale_cam')).toBe('PASS');

    // A model weight changed (a fresh file object, so the model is rebuilt): everything downstream fails.
    const g2 = structuredClone(g);
    const bias = g2.models.res_s1.weights.find((w) => w.name.startsWith('conv_a') && w.name.endsWith('bias'))!;
    bias.values = bias.values.map((v) => v + 0.05);
    const broken = await collect(g2, g2.cases.find((k) => k.id === c.id)!);
    for (const [m, q] of [['-', 'logits'], ['-', 'activations'], ['ScoreCAM', 'scores'], ['GradCAM', 'grayscale_cam']]) expect(status(broken, m, q), `${m} ${q}`).toBe('FAIL');
    // Nothing but the cached models (1 file × 2 model copies × their weights) stays behind.
    const kept = tf.memory().numTensors - before;
    expect(kept).toBeLessThanOrEqual(2 * g.models.res_s1.weights.length);
  });
});
