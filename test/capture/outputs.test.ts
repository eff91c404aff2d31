// Any output of any model: `output` by name or index on LayersModels, GraphModels (also any node) and
// functions; multi-input models with the other inputs held fixed (`inputs`, named or positional, batch
// 1 or per image); the automatic layer among the nodes the explained output depends on; typed errors
// that list what exists; no tensor outlives a call, whether it returns or throws.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createAdapter, explain, type ExplainOptions } from '../../src/capture/index.js';
import { InputError, ModelError, NameError, OptionError } from '../../src/errors.js';
import { init } from '../../src/runtime/init.js';
import { BACKENDS, noLeak, randomInput, useBackend } from '../helpers/tfmodels.js';
import { headOnly, metaInput, multiHeadGraph, multiHeadLayers } from '../helpers/multihead.js';
import { absErr } from '../helpers/flavors.js';
import { GOLDEN_V2_PATH, goldenModel, loadGolden } from '../helpers/golden.js';

/** A heatmap-head score: the sum of channel 2 over positions, per sample. */
const heatScore = (o: tf.Tensor) => tf.sum(tf.reshape(tf.slice(o, [0, 0, 0, 2], [-1, -1, -1, 1]), [o.shape[0]!, -1]), 1);

async function throwsTyped(fn: () => Promise<unknown>, cls: new (...a: never[]) => Error, re?: RegExp): Promise<Error> {
  const r = await noLeak(fn);
  expect(r.leaked).toBe(0);
  expect(r.error).toBeInstanceOf(cls);
  if (re) expect(String((r.error as Error).message)).toMatch(re);
  return r.error as Error;
}

describe.each(BACKENDS)('outputs and inputs on %s', (backend) => {
  let L: tf.LayersModel;
  let G: tf.GraphModel;
  let x: tf.Tensor4D;
  let meta: tf.Tensor2D;
  beforeAll(async () => {
    await init();
    await useBackend(backend);
    L = multiHeadLayers();
    G = await multiHeadGraph();
    x = randomInput(2, 31);
    meta = metaInput(2);
  });

  it('LayersModel: each output by name or index equals the single-output model of that head, inputs by name or position', async () => {
    for (const [out, idx, head, target] of [['cls', 0, 'cls', 1], ['heat', 1, 'heat', heatScore]] as const) {
      const ref = await explain(headOnly(L, head), x, { inputs: { meta }, target, layer: 'trunk' });
      for (const o of [{ output: out, inputs: { meta } }, { output: idx, inputs: [meta] }] as ExplainOptions[]) {
        const r = await noLeak(() => explain(L, x, { ...o, target, layer: 'trunk' }));
        expect(r.error).toBeUndefined();
        expect(r.leaked).toBe(0);
        expect(r.value!.outputShape).toEqual(ref.outputShape);
        expect(absErr(r.value!.map, ref.map)).toBeLessThan(1e-6);
        expect(absErr(r.value!.score, ref.score)).toBeLessThan(1e-6);
      }
    }
    // The default is the first output.
    const d = await explain(L, x, { inputs: { meta }, target: 1 });
    expect(d.outputShape).toEqual([2, 4]);
  });

  it('the score is the explained output\'s: class 1 of cls, the custom score of heat', async () => {
    const [cls, heat] = L.predict([x, meta]) as tf.Tensor[];
    const c = await cls.array() as number[][];
    const h = await heatScore(heat).data();
    tf.dispose([cls, heat]);
    const a = await explain(L, x, { output: 'cls', inputs: { meta }, target: 1 });
    expect(Array.from(a.score)).toEqual(c.map((r) => Math.fround(r[1])));
    const b = await explain(G, x, { output: 'heat', inputs: { meta }, target: heatScore });
    expect(b.outputShape).toEqual([2, 6, 8, 3]);
    const gh = tf.tidy(() => heatScore(G.execute({ image: x, meta }, 'heat') as tf.Tensor));
    expect(absErr(b.score, await gh.data())).toBeLessThan(1e-5);
    gh.dispose();
    void h;
  });

  it('the automatic layer is the trunk both heads share, not the last 4-D map (the heatmap head\'s)', async () => {
    for (const m of [L, G]) {
      for (const out of ['cls', 'heat', 0, 1]) {
        const layer = createAdapter(m, { output: out, inputs: { meta } }).defaultLayer(x);
        expect(layer).toBe(m === L ? 'trunk' : 'm/trunk');
      }
    }
    // The class scores reach the automatic layer, so the default call just works.
    const r = await noLeak(() => explain(G, x, { output: 'cls', inputs: { meta }, target: 2 }));
    expect(r.error).toBeUndefined();
    expect(r.leaked).toBe(0);
    expect(r.value!.layer).toBe('m/trunk');
    expect(Math.max(...r.value!.map)).toBeGreaterThan(0.99);
  });

  it('a one-head segmenter (golden seg_s3): the automatic layer is the map before the classifier conv, not the output layer', async () => {
    const seg = await goldenModel(loadGolden(GOLDEN_V2_PATH), 'seg_s3');
    const xs = tf.zeros([1, 48, 64, 3]);
    expect(createAdapter(seg).defaultLayer(xs)).toBe('block_out');
    xs.dispose();
  });

  it('GraphModel: any node can be the output; cls there equals the output cls', async () => {
    const a = await explain(G, x, { output: 'cls', inputs: { meta }, target: 3, layer: 'm/trunk' });
    const b = await explain(G, x, { output: 'm/cls', inputs: { meta }, target: 3, layer: 'm/trunk' });
    expect(absErr(a.map, b.map)).toBe(0);
    // A single-head graph: the output's own activation chain (Sigmoid ← conv) is not chosen.
    expect(createAdapter(G, { output: 'heat', inputs: { meta } }).defaultLayer(x)).not.toBe('m/heat_conv');
  });

  it('other inputs: batch 1 is shared by every image; per-image rows follow batchSize chunks', async () => {
    const one = tf.slice(meta, [0, 0], [1, -1]);
    const tiled = tf.tile(one, [2, 1]);
    const a = await explain(L, x, { output: 'cls', inputs: { meta: one }, target: 0 });
    const b = await explain(L, x, { output: 'cls', inputs: { meta: tiled }, target: 0 });
    expect(absErr(a.map, b.map)).toBe(0);
    const whole = await explain(G, x, { output: 'cls', inputs: { meta }, target: [1, 2] });
    const r = await noLeak(() => explain(G, x, { output: 'cls', inputs: { meta }, target: [1, 2], batchSize: 1 }));
    expect(r.error).toBeUndefined();
    expect(r.leaked).toBe(0);
    expect(absErr(r.value!.map, whole.map)).toBeLessThan(1e-6);
    expect(absErr(r.value!.output, whole.output)).toBeLessThan(1e-6);
    tf.dispose([one, tiled]);
  });

  it('perturbation methods with per-image inputs run each image with its own rows', async () => {
    for (const method of ['ScoreCAM', 'AblationCAM']) {
      const both = await noLeak(() => explain(L, x, { method, output: 'cls', inputs: { meta }, target: [1, 3], layer: 'trunk' }));
      expect(both.error).toBeUndefined();
      expect(both.leaked).toBe(0);
      for (let i = 0; i < 2; i++) {
        const xi = tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]);
        const mi = tf.slice(meta, [i, 0], [1, -1]);
        const one = await explain(L, xi, { method, output: 'cls', inputs: { meta: mi }, target: [1, 3][i], layer: 'trunk' });
        const hw = one.map.length;
        expect(absErr(both.value!.map.subarray(i * hw, (i + 1) * hw), one.map)).toBeLessThan(1e-6);
        tf.dispose([xi, mi]);
      }
    }
  });

  it('values (the map scaling that was computeCam\'s output) still works', async () => {
    const raw = await explain(L, x, { output: 'cls', inputs: { meta }, target: 1, values: 'raw', layer: 'trunk' });
    const norm = await explain(L, x, { output: 'cls', inputs: { meta }, target: 1, layer: 'trunk' });
    expect(Math.max(...raw.map)).not.toBeCloseTo(1, 3);
    expect(Math.max(...norm.map)).toBeCloseTo(1, 5);
    // The old name of the scaling: a scaling name that is not a model output keeps its first-wave meaning.
    const old = await explain(L, x, { output: 'raw', inputs: { meta }, target: 1, layer: 'trunk' });
    const first = await explain(L, x, { values: 'raw', inputs: { meta }, target: 1, layer: 'trunk' });
    expect(Array.from(old.map)).toEqual(Array.from(first.map));
  });

  it('typed errors that list what exists, with nothing leaked', async () => {
    let e = await throwsTyped(() => explain(L, x, { output: 'hat', inputs: { meta } }), NameError, /Did you mean 'heat'\?.*Outputs: 'cls', 'heat'/);
    expect((e as NameError).code).toBe('E_UNKNOWN_NAME');
    expect((e as NameError).suggestions).toContain('heat');
    await throwsTyped(() => explain(G, x, { output: 'clss', inputs: { meta } }), NameError, /Outputs: 'cls', 'heat'/);
    e = await throwsTyped(() => explain(L, x, { output: 2, inputs: { meta } }), OptionError, /0 'cls', 1 'heat'/);
    expect((e as OptionError).code).toBe('E_OPTION');
    e = await throwsTyped(() => explain(G, x, { output: 'cls' }), InputError, /'meta'/);
    expect((e as InputError).code).toBe('E_MISSING');
    await throwsTyped(() => explain(L, x, { output: 'cls', inputs: { metadata: meta } }), NameError, /meta/);
    await throwsTyped(() => explain(L, x, { output: 'cls', inputs: [meta, meta] }), OptionError);
    await throwsTyped(() => explain(L, x, { output: 'cls', inputs: { image: x } }), OptionError, /explained input/);
    const three = metaInput(3);
    e = await throwsTyped(() => explain(G, x, { output: 'cls', inputs: { meta: three } }), InputError, /batch 3/);
    expect((e as InputError).code).toBe('E_SHAPE');
    three.dispose();
    const gone = metaInput(2);
    gone.dispose();
    e = await throwsTyped(() => explain(L, x, { output: 'cls', inputs: { meta: gone } }), InputError);
    expect((e as InputError).code).toBe('E_DISPOSED');
    // A layer of the other head: the explained output does not depend on it.
    await throwsTyped(() => explain(L, x, { output: 'cls', inputs: { meta }, layer: 'heat_conv' }), ModelError, /'cls' \(the explained output\) does not depend on it/);
    await throwsTyped(() => explain(G, x, { output: 'cls', inputs: { meta }, layer: 'm/heat_conv' }), ModelError, /does not depend on it/);
    await throwsTyped(() => explain(L, x, { output: 'cls', outputName: 'heat', inputs: { meta } }), OptionError);
  });

  it('functions: an array or a record of outputs, by index or name; typed errors; no leaks', async () => {
    const W = tf.tensor4d(Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.sin(i)), [3, 3, 3, 4]);
    const body = (v: tf.Tensor, hook: (n: string, t: tf.Tensor) => tf.Tensor) => hook('conv', tf.relu(tf.conv2d(v as tf.Tensor4D, W, 1, 'same')));
    const rec = (v: tf.Tensor, hook = (_n: string, t: tf.Tensor) => t) => {
      const a = body(v, hook);
      return { logits: tf.mean(a, [1, 2]), map: tf.sigmoid(a) };
    };
    const arr = (v: tf.Tensor, hook = (_n: string, t: tf.Tensor) => t) => {
      const r = rec(v, hook);
      return [r.logits, r.map];
    };
    const single = (v: tf.Tensor, hook = (_n: string, t: tf.Tensor) => t) => tf.mean(body(v, hook), [1, 2]);
    const ref = await explain(single, x, { target: 2 });
    for (const [fn, out] of [[rec, 'logits'], [rec, 0], [arr, 0], [arr, '0']] as const) {
      const r = await noLeak(() => explain(fn, x, { output: out, target: 2 }));
      expect(r.error).toBeUndefined();
      expect(r.leaked).toBe(0);
      expect(absErr(r.value!.map, ref.map)).toBe(0);
    }
    const m = await explain(rec, x, { output: 'map', target: heatScore, layer: 'conv' });
    expect(m.outputShape).toEqual([2, 12, 16, 4]);
    expect(createAdapter(rec, { output: 'map' }).outputName()).toBe('map');
    await throwsTyped(() => explain(rec, x, { output: 'maps', target: heatScore }), NameError, /Outputs: 'logits', 'map'/);
    await throwsTyped(() => explain(arr, x, { output: 5 }), OptionError);
    await throwsTyped(() => explain(single, x, { output: 1 }), OptionError);
    await throwsTyped(() => explain(single, x, { inputs: [meta] }), OptionError, /close over/);
    W.dispose();
  });
});
