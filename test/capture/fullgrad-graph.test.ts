// FullGrad on GraphModels: the bias sites a converted graph has (fused conv nodes, BiasAdd / Add of a
// constant after a conv, FusedBatchNorm, an unfolded BatchNorm's Mul + Add), checked against the
// golden maps through the LayersModel → GraphModel rewrite the converter makes (test/helpers/graphify.ts),
// and what folding BatchNorm into the conv changes: nothing when the conv has no bias, one combined
// bias map instead of two when it has one.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { explain } from '../../src/capture/explain.js';
import { graphBiasSites } from '../../src/capture/fullgrad.js';
import { createAdapter } from '../../src/capture/adapter.js';
import { createRuntime } from '../../src/runtime/init.js';
import { absErr, rand } from '../helpers/flavors.js';
import { graphify } from '../helpers/graphify.js';
import { GOLDEN_V2_PATH, goldenImage, goldenModel, loadGolden } from '../helpers/golden.js';
import { BACKENDS, noLeak, seedWeights, useBackend } from '../helpers/tfmodels.js';
import { artifacts, conv, dtype, shapeAttr, type W } from '../helpers/tinygraph.js';
import tol from '../tolerances.json';

const g = loadGolden(GOLDEN_V2_PATH);
const cnn = g.cases.filter((c) => c.methods.FullGrad);
const input = (seed: number, shape: [number, number, number] = [10, 12, 3]) => tf.tensor4d(rand(shape[0] * shape[1] * shape[2], seed, 0, 1), [1, ...shape]);

async function fullGrad(model: tf.LayersModel | tf.GraphModel, x: tf.Tensor4D, target = 1) {
  const { value, error, leaked } = await noLeak(() => explain(model, x, { method: 'FullGrad', target }));
  expect(error).toBeUndefined();
  expect(leaked).toBe(0);
  return value!;
}

for (const backend of BACKENDS) {
  describe(`FullGrad on GraphModels (${backend})`, () => {
    beforeAll(() => useBackend(backend));

    it('every golden v2 CNN case, rewritten as the converter would: map within e2e tolerance, sites = the stored bias layers', async () => {
      const rt = await createRuntime('simd');
      expect(cnn.length).toBeGreaterThan(0);
      for (const c of cnn) {
        const gm = await graphify(await goldenModel(g, c.model));
        const x = goldenImage(g, c.image);
        const r = await noLeak(() => explain(gm, x, { method: 'FullGrad', target: c.target_class, runtime: rt }));
        x.dispose();
        expect(r.error, c.id).toBeUndefined();
        expect(r.leaked, c.id).toBe(0);
        expect(absErr(r.value!.map, c.methods.FullGrad.grayscale_cam.values), c.id).toBeLessThan(tol.e2e_map_abs);
        const bl = (c.methods.FullGrad.extra as { bias_layers?: string[] } | undefined)?.bias_layers;
        if (Array.isArray(bl)) expect(r.value!.layers, c.id).toEqual(bl);
        gm.dispose();
      }
    });
  });
}

/** conv(bias?) → BatchNorm → ReLU → conv(bias, relu) → pool → GAP → dense, with non-trivial BatchNorm statistics. */
function bnModel(convBias: boolean): tf.LayersModel {
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [10, 12, 3], filters: 4, kernelSize: 3, padding: 'same', useBias: convBias, name: 'c1' }),
      tf.layers.batchNormalization({ name: 'bn1', epsilon: 0.01 }),
      tf.layers.activation({ activation: 'relu', name: 'r1' }),
      tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c2' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'p2' }),
      tf.layers.globalAveragePooling2d({ name: 'gap' }),
      tf.layers.dense({ units: 3, name: 'fc' }),
    ],
  });
  seedWeights(m, convBias ? 5 : 6);
  const bn = m.getLayer('bn1');
  bn.setWeights([tf.tensor1d([1.5, 0.7, -0.8, 1.1]), tf.tensor1d([0.2, -0.3, 0.1, 0.4]), tf.tensor1d([0.05, -0.1, 0.2, 0]), tf.tensor1d([0.5, 1.3, 0.8, 2])]);
  return m;
}

describe('FullGrad on GraphModels: BatchNorm folding', () => {
  beforeAll(() => useBackend('cpu'));

  it('conv without bias + BatchNorm: the folded graph gives the LayersModel FullGrad (folding changes nothing)', async () => {
    const m = bnModel(false);
    const gm = await graphify(m);
    const x = input(3);
    const [a, b] = [await fullGrad(m, x), await fullGrad(gm, x)];
    expect(a.layers).toEqual(['bn1', 'c2']);
    expect(b.layers).toEqual(['r1', 'c2']); // the fused conv + BatchNorm + ReLU node, named after its output
    expect(absErr(a.map, b.map)).toBeLessThan(1e-5);
    x.dispose();
  });

  it('conv with bias + BatchNorm: one folded bias b\' = (b − μ)γ/√(σ²+ε) + β instead of two maps; = FullGrad of the folded LayersModel', async () => {
    const m = bnModel(true);
    const gm = await graphify(m);
    const x = input(4);
    const [a, b] = [await fullGrad(m, x), await fullGrad(gm, x)];
    expect(a.layers).toEqual(['c1', 'bn1', 'c2']);
    expect(b.layers).toEqual(['r1', 'c2']);
    // The unfolded network sums |b·∂T/∂z_conv| and |b_BN·∂T/∂z_BN|: a different map.
    expect(absErr(a.map, b.map)).toBeGreaterThan(1e-2);
    // The LayersModel with the same folding (conv weights and bias rescaled, BatchNorm removed) agrees.
    const folded = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [10, 12, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1' }),
        tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c2' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 3 }),
      ],
    });
    const [gamma, beta, mean, variance] = m.getLayer('bn1').getWeights().map((t) => t.dataSync());
    const s = Float32Array.from(mean, (_, k) => gamma[k] / Math.sqrt(variance[k] + 0.01));
    const [k1, b1] = m.getLayer('c1').getWeights();
    const kf = Float32Array.from(k1.dataSync(), (v, i) => v * s[i % 4]);
    const bf = Float32Array.from(b1.dataSync(), (v, k) => (v - mean[k]) * s[k] + beta[k]);
    folded.layers[0].setWeights([tf.tensor4d(kf, k1.shape as [number, number, number, number]), tf.tensor1d(bf)]);
    folded.layers[1].setWeights(m.getLayer('c2').getWeights());
    folded.layers[4].setWeights(m.getLayer('fc').getWeights());
    const c = await fullGrad(folded, x);
    expect(absErr(c.map, b.map)).toBeLessThan(1e-5);
    x.dispose();
  });

  it('unfolded BatchNorm (FusedBatchNormV3, or Mul + AddV2 by constants) gives the LayersModel FullGrad', async () => {
    const m = bnModel(true);
    const x = input(5);
    const a = await fullGrad(m, x);
    for (const opts of [{ foldBatchNorm: false }, { foldBatchNorm: false, bnAsAffine: true }]) {
      const gm = await graphify(m, opts);
      const b = await fullGrad(gm, x);
      expect(b.layers, JSON.stringify(opts)).toEqual(['c1', 'bn1', 'c2']);
      expect(absErr(a.map, b.map), JSON.stringify(opts)).toBeLessThan(1e-5);
    }
    x.dispose();
  });
});

/** input → [Mul·c + c: in-model preprocessing] → conv (fused as asked, or Conv2D + BiasAdd + activation op) → GAP → MatMul. */
async function actGraph(act: 'LeakyRelu' | 'Prelu' | 'Relu', fused: boolean, alpha: number[], preprocess = false): Promise<tf.GraphModel> {
  const [H, Wd, C, F] = [8, 10, 3, 4];
  const wts: W[] = [
    { name: 'k', shape: [3, 3, C, F], values: rand(9 * C * F, 21, -0.5, 0.5), dtype: 'float32' },
    { name: 'b', shape: [F], values: Float32Array.from([0.3, -0.2, 0.1, -0.4]), dtype: 'float32' },
    { name: 'alpha', shape: [F], values: Float32Array.from(alpha), dtype: 'float32' },
    { name: 'axes', shape: [2], values: Int32Array.from([1, 2]), dtype: 'int32' },
    { name: 'fc', shape: [F, 3], values: rand(F * 3, 22, -1, 1), dtype: 'float32' },
    { name: 'ps', shape: [C], values: Float32Array.from([2, 2, 2]), dtype: 'float32' },
    { name: 'po', shape: [C], values: Float32Array.from([-1, -1, -1]), dtype: 'float32' },
  ];
  const src = preprocess ? 'pre/add' : 'input';
  const nodes: object[] = [{ name: 'input', op: 'Placeholder', attr: { dtype, shape: shapeAttr([-1, H, Wd, C]) } }];
  if (preprocess) {
    nodes.push({ name: 'pre/mul', op: 'Mul', input: ['input', 'ps'], attr: { T: dtype } });
    nodes.push({ name: 'pre/add', op: 'AddV2', input: ['pre/mul', 'po'], attr: { T: dtype } });
  }
  const actAttr = act === 'LeakyRelu' ? { alpha: { f: alpha[0] } } : {};
  if (fused) {
    const n = conv('conv', '_FusedConv2D', [src, 'k', 'b', ...(act === 'Prelu' ? ['alpha'] : [])], ['BiasAdd', act]) as { attr: Record<string, unknown> };
    if (act === 'LeakyRelu') n.attr.leakyrelu_alpha = { f: alpha[0] };
    nodes.push(n);
  } else {
    nodes.push(conv('conv/raw', 'Conv2D', [src, 'k'], []));
    nodes.push({ name: 'conv/bias', op: 'BiasAdd', input: ['conv/raw', 'b'], attr: { T: dtype } });
    nodes.push({ name: 'conv', op: act, input: ['conv/bias', ...(act === 'Prelu' ? ['alpha'] : [])], attr: { T: dtype, ...actAttr } });
  }
  nodes.push({ name: 'gap', op: 'Mean', input: ['conv', 'axes'], attr: { T: dtype, Tidx: { type: 'DT_INT32' }, keep_dims: { b: false } } });
  nodes.push({ name: 'logits', op: 'MatMul', input: ['gap', 'fc'], attr: { T: dtype, transpose_a: { b: false }, transpose_b: { b: false } } });
  // An unused constant would count as a second output.
  const used = new Set(nodes.flatMap((n) => (n as { input?: string[] }).input ?? []));
  return tf.loadGraphModel(tf.io.fromMemory(artifacts(nodes, wts.filter((w) => used.has(w.name)))));
}

describe('FullGrad on GraphModels: fused activations and what is not a bias', () => {
  beforeAll(() => useBackend('cpu'));

  it('fused LeakyReLU (α from the node) and PReLU (α per channel) = the same graph unfused (Conv2D + BiasAdd + activation)', async () => {
    const x = input(6, [8, 10, 3]);
    for (const [act, alpha] of [['LeakyRelu', [0.3, 0.3, 0.3, 0.3]], ['Prelu', [0.05, 0.4, 0, 0.9]], ['Relu', [0, 0, 0, 0]]] as const) {
      const [f, u] = [await fullGrad(await actGraph(act, true, [...alpha]), x, 2), await fullGrad(await actGraph(act, false, [...alpha]), x, 2)];
      expect(f.layers).toEqual(['conv']);
      expect(u.layers).toEqual(['conv/bias']);
      expect(absErr(f.map, u.map), act).toBeLessThan(1e-6);
      // The activation matters: ∂T/∂z is not ∂T/∂y where the slope is not 1 (the map moves when α is ignored).
      if (act !== 'Relu') {
        const r = await fullGrad(await actGraph('Relu', true, [0, 0, 0, 0]), x, 2);
        expect(absErr(f.map, r.map), act).toBeGreaterThan(1e-3);
      }
    }
    x.dispose();
  });

  it('a negative PReLU slope is refused (E_MODEL, no leak); in-model preprocessing (Mul + Add on the input) is not a bias site', async () => {
    const x = input(7, [8, 10, 3]);
    const neg = await actGraph('Prelu', true, [0.1, -0.2, 0.1, 0.1]);
    const r = await noLeak(() => explain(neg, x, { method: 'FullGrad', target: 0 }));
    expect(r.error).toMatchObject({ code: 'E_MODEL' });
    expect(String((r.error as Error).message)).toMatch(/'conv'.*negative slope/);
    expect(r.leaked).toBe(0);
    const pre = await actGraph('Relu', true, [0, 0, 0, 0], true);
    expect((await fullGrad(pre, x)).layers).toEqual(['conv']);
    const ad = createAdapter(pre);
    const all = await graphBiasSites(pre, new Set(ad.layerShapes(x).keys()));
    expect(all.map((s) => s.name)).toEqual(['conv']);
    expect(Array.from(all[0].bias)).toEqual(Array.from(Float32Array.from([0.3, -0.2, 0.1, -0.4])));
    x.dispose();
  });
});
