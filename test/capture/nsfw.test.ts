// Real pretrained models shipped inside the nsfwjs package, loaded offline, explained on wasm (never
// cpu: a MobileNet forward there takes seconds). Kept to a few calls.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createAdapter, explain } from '../../src/capture/index.js';
import { init } from '../../src/runtime/init.js';
import { noLeak, nsfwModel, useBackend } from '../helpers/tfmodels.js';
import { absErr, rand } from '../helpers/flavors.js';
import { graphify } from '../helpers/graphify.js';

const CONV_1 = 'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/MobilenetV2/Conv_1/Relu6';

function checkMaps(map: Float32Array, n: number): void {
  const hw = map.length / n;
  for (let i = 0; i < n; i++) {
    let lo = Infinity, hi = -Infinity;
    for (let j = i * hw; j < (i + 1) * hw; j++) {
      lo = Math.min(lo, map[j]);
      hi = Math.max(hi, map[j]);
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeGreaterThan(0.99);
    expect(hi).toBeLessThanOrEqual(1);
  }
}

describe('nsfwjs MobileNetV2 on wasm', () => {
  let layers: tf.LayersModel;
  let graph: tf.GraphModel;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    await init();
    await useBackend('wasm');
    layers = (await nsfwModel('mobilenet_v2')) as tf.LayersModel;
    graph = (await nsfwModel('mobilenet_v2_mid')) as tf.GraphModel;
    x = tf.tensor4d(rand(224 * 224 * 3, 3, 0, 1), [1, 224, 224, 3]);
  });

  it('LayersModel: Grad-CAM at the automatic layer (out_relu), Layer-CAM at block_13_expand_relu, no leaks', async () => {
    expect(createAdapter(layers).defaultLayer(x)).toBe('out_relu');
    const a = await noLeak(() => explain(layers, x));
    expect(a.error).toBeUndefined();
    expect(a.leaked).toBe(0);
    const r = a.value!;
    expect(r.layer).toBe('out_relu');
    expect(r.lowresShape).toEqual([7, 7]);
    expect([r.height, r.width]).toEqual([224, 224]);
    const top = Array.from(r.output).indexOf(Math.max(...r.output));
    expect(r.classIndex[0]).toBe(top);
    expect(r.score[0]).toBeCloseTo(r.output[top], 6);
    checkMaps(r.map, 1);

    const b = await noLeak(() => explain(layers, x, { method: 'LayerCAM', layer: 'block_13_expand_relu' }));
    expect(b.error).toBeUndefined();
    expect(b.leaked).toBe(0);
    expect(b.value!.lowresShape).toEqual([14, 14]);
    checkMaps(b.value!.map, 1);
  });

  it('GraphModel mobilenet_v2_mid: Grad-CAM at Conv_1/Relu6 (also the automatic node), no leaks', async () => {
    const ad = createAdapter(graph);
    expect(ad.defaultLayer(x)).toBe(CONV_1);
    const { value: r, error, leaked } = await noLeak(() => explain(graph, x, { layer: CONV_1 }));
    expect(error).toBeUndefined();
    expect(leaked).toBe(0);
    expect(r!.lowresShape).toEqual([7, 7]);
    expect(r!.outputShape).toEqual([1, 5]);
    checkMaps(r!.map, 1);
  });

  it('FullGrad: the converted GraphModel mobilenet_v2_mid (52 fused conv sites), and the LayersModel = its BatchNorm-folded graph', async () => {
    const mid = await noLeak(() => explain(graph, x, { method: 'FullGrad' }));
    expect(mid.error).toBeUndefined();
    expect(mid.leaked).toBe(0);
    expect(mid.value!.layers).toHaveLength(52); // 35 conv + 17 depthwise, BatchNorm folded into each
    checkMaps(mid.value!.map, 1);
    // Keras MobileNetV2's convs have no bias, so folding BatchNorm into them changes no map in exact
    // arithmetic; float32 rounding of the folded weights (then FullGrad's per-channel min–max) leaves 1.2e-3.
    const a = await explain(layers, x, { method: 'FullGrad' });
    expect(a.layers).toHaveLength(52); // the 52 BatchNormalization layers
    const folded = await graphify(layers);
    const b = await explain(folded, x, { method: 'FullGrad' });
    folded.dispose();
    expect(b.layers).toHaveLength(52);
    expect(absErr(a.map, b.map)).toBeLessThan(5e-3);
  }, 300_000);
});
