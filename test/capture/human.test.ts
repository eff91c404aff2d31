// Real third-party models shipped in @vladmandic/human (a dev dependency, loaded offline) on a real
// photo from the same package (see test/helpers/human.ts for provenance and each model's I/O):
// a multi-head CenterNet detector, the MoveNet keypoint model (int32 input) and a grayscale emotion
// classifier. Explained on wasm, and once on cpu for equality. The maps must be hot where the
// model's own detections and keypoints are, and no call may leave a tensor behind.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createAdapter, explain, heatmapTarget } from '../../src/capture/index.js';
import { NameError } from '../../src/errors.js';
import { init } from '../../src/runtime/init.js';
import { argmax, emotionInput, HUMAN_VERSION, humanModel, MOVENET_KEYPOINTS, photoCrop, SAMPLES } from '../helpers/human.js';
import { noLeak, useBackend } from '../helpers/tfmodels.js';

const KEYPOINTS_OUT = 'tower_0/keypoints';
const TRUNK = 'tower_0/CenternetHead/mul';
const MOVENET_HEATMAP = 'StatefulPartitionedCall/Sigmoid';
const MOVENET_FPN = 'StatefulPartitionedCall/center_net_mobile_net_v2fpn_feature_extractor/model_1/re_lu_2/Relu';

/** The test's own target: class c's heatmap at its strongest position, per image. */
const peak = (c: number) => (out: tf.Tensor) => tf.max(tf.reshape(tf.slice(out, [0, 0, 0, c], [-1, -1, -1, 1]), [out.shape[0]!, -1]), 1);

function maxDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return a.length === b.length ? d : Infinity;
}

describe(`@vladmandic/human ${HUMAN_VERSION} models`, () => {
  let centernet: tf.GraphModel;
  let movenet: tf.GraphModel;
  let emotion: tf.GraphModel;
  beforeAll(async () => {
    await init();
    await useBackend('wasm');
    [centernet, movenet, emotion] = await Promise.all([humanModel('centernet'), humanModel('movenet-lightning'), humanModel('emotion')]);
  });

  describe('CenterNet (multi-head detection GraphModel)', () => {
    let x: tf.Tensor4D;
    let personMap: Float32Array;
    beforeAll(() => {
      x = photoCrop(SAMPLES.dinner, 512, 512);
    });

    it('explain(model, x, {output: class heatmaps, target: function}) at the automatic layer is hot inside the model\'s own detections', async () => {
      expect(HUMAN_VERSION).toBe('3.3.6');
      expect(createAdapter(centernet).outputNames()).toEqual(['tower_0/wh', KEYPOINTS_OUT, 'tower_0/detections']);
      // The trunk both heads read, for the class heads and for the default (box-size) output alike.
      expect(createAdapter(centernet, { output: KEYPOINTS_OUT }).defaultLayer(x)).toBe(TRUNK);
      expect(createAdapter(centernet).defaultLayer(x)).toBe(TRUNK);
      const det = tf.tidy(() => centernet.execute(x, 'tower_0/detections') as tf.Tensor);
      const rows = ((await det.array()) as number[][][])[0].filter((r) => r[4] > 0.3);
      det.dispose();
      // The photo: a man (COCO person, 0) at a table with a cup (41) in front of him.
      const classes = [...new Set(rows.map((r) => r[5]))].sort((a, b) => a - b);
      expect(classes).toEqual([0, 41]);
      for (const c of classes) {
        const r = await noLeak(() => explain(centernet, x, { output: KEYPOINTS_OUT, target: peak(c) }));
        expect(r.error).toBeUndefined();
        expect(r.leaked).toBe(0);
        const v = r.value!;
        expect(v.layer).toBe(TRUNK);
        expect(v.outputShape).toEqual([1, 128, 128, 80]);
        expect(v.score[0]).toBeCloseTo(Math.max(...rows.filter((q) => q[5] === c).map((q) => q[4])), 4);
        const i = argmax(v.map);
        const [px, py] = [i % 512, Math.floor(i / 512)];
        const inside = rows.filter((q) => q[5] === c).some(([x1, y1, x2, y2]) => px >= x1 && px <= x2 && py >= y1 && py <= y2);
        expect(inside, `class ${c}: map max at (${px}, ${py})`).toBe(true);
        if (c === 0) personMap = v.map;
      }
      // The target library's centre-heatmap target is the same score.
      const lib = await noLeak(() => explain(centernet, x, { output: KEYPOINTS_OUT, target: heatmapTarget(0) }));
      expect(lib.error).toBeUndefined();
      expect(lib.leaked).toBe(0);
      expect(maxDiff(lib.value!.map, personMap)).toBeLessThan(1e-6);
    }, 300_000);

    it('an unknown output is a NameError listing the three, with nothing leaked', async () => {
      const r = await noLeak(() => explain(centernet, x, { output: 'tower_0/keypoint', target: peak(0) }));
      expect(r.error).toBeInstanceOf(NameError);
      expect(String((r.error as Error).message)).toMatch(/'tower_0\/wh', 'tower_0\/keypoints', 'tower_0\/detections'/);
      expect(r.leaked).toBe(0);
    });

    it('cpu gives the wasm map within 1e-3', async () => {
      expect(personMap).toBeDefined();
      await useBackend('cpu');
      try {
        const r = await noLeak(() => explain(centernet, x, { output: KEYPOINTS_OUT, target: peak(0) }));
        expect(r.error).toBeUndefined();
        expect(r.leaked).toBe(0);
        expect(maxDiff(r.value!.map, personMap)).toBeLessThan(1e-3);
      } finally {
        await useBackend('wasm');
      }
    }, 300_000);
  });

  it('MoveNet (int32 input): each keypoint heatmap\'s peak, explained at the FPN map the heads share, is hot at the model\'s own keypoint; cpu = wasm', async () => {
    const x = photoCrop(SAMPLES.standing, 192, 192);
    const kp = tf.tidy(() => movenet.execute(tf.cast(x, 'int32')) as tf.Tensor);
    const points = ((await kp.array()) as number[][][][])[0][0];
    kp.dispose();
    expect(createAdapter(movenet, { output: MOVENET_HEATMAP }).defaultLayer(x)).toBe(MOVENET_FPN);
    const confident = points.map((p, j) => [j, ...p]).filter((p) => p[3] > 0.5);
    expect(confident.length).toBeGreaterThanOrEqual(12);
    const maps: Float32Array[] = [];
    for (const [j, ky, kx] of confident) {
      // Element-wise methods keep the heatmap's locality (Grad-CAM's pooled weights do not; docs/model-kinds.md).
      const r = await noLeak(() => explain(movenet, x, { method: 'LayerCAM', output: MOVENET_HEATMAP, target: peak(j) }));
      expect(r.error).toBeUndefined();
      expect(r.leaked).toBe(0);
      const i = argmax(r.value!.map);
      const d = Math.hypot((i % 192) / 192 - kx, Math.floor(i / 192) / 192 - ky);
      expect(d, MOVENET_KEYPOINTS[j]).toBeLessThan(0.06);
      maps.push(r.value!.map);
    }
    await useBackend('cpu');
    try {
      for (const [k, j] of [[0, confident[0][0]], [confident.length - 1, confident[confident.length - 1][0]]]) {
        const r = await explain(movenet, x, { method: 'LayerCAM', output: MOVENET_HEATMAP, target: peak(j) });
        expect(maxDiff(r.map, maps[k])).toBeLessThan(1e-3);
      }
    } finally {
      await useBackend('wasm');
      x.dispose();
    }
  }, 300_000);

  it('emotion (grayscale [-1, 64, 64, 1]): a batch of two faces by gradient, perturbation and guided methods; hotter on the face than the border; cpu = wasm', async () => {
    const rgb = tf.concat([photoCrop(SAMPLES.faceWoman, 64, 64), photoCrop(SAMPLES.faceMan, 64, 64)]) as tf.Tensor4D;
    const x = emotionInput(rgb);
    rgb.dispose();
    expect(x.shape).toEqual([2, 64, 64, 1]);
    const probs = tf.tidy(() => emotion.predict(x) as tf.Tensor);
    const p = (await probs.array()) as number[][];
    probs.dispose();
    const results = new Map<string, Float32Array>();
    for (const method of ['GradCAM', 'LayerCAM', 'ScoreCAM', 'GuidedGradCAM']) {
      const r = await noLeak(() => explain(emotion, x, { method }));
      expect(r.error, method).toBeUndefined();
      expect(r.leaked, method).toBe(0);
      const v = r.value!;
      expect(Array.from(v.classIndex)).toEqual(p.map((row) => argmax(row)));
      expect([v.n, v.height, v.width]).toEqual([2, 64, 64]);
      if (method === 'GuidedGradCAM') expect(v.guidedShape).toEqual([2, 64, 64, 1]);
      results.set(method, v.map);
      if (method === 'GradCAM' || method === 'LayerCAM') {
        for (let n = 0; n < 2; n++) {
          let c = 0, cn = 0, b = 0, bn = 0;
          for (let y = 0; y < 64; y++) {
            for (let xx = 0; xx < 64; xx++) {
              const q = v.map[n * 4096 + y * 64 + xx];
              if (y >= 8 && y < 56 && xx >= 12 && xx < 52) (c += q), cn++;
              else (b += q), bn++;
            }
          }
          expect(c / cn, `${method} image ${n}`).toBeGreaterThan(1.5 * (b / bn));
        }
      }
    }
    await useBackend('cpu');
    try {
      for (const method of ['GradCAM', 'ScoreCAM']) {
        const r = await explain(emotion, x, { method });
        expect(maxDiff(r.map, results.get(method)!), method).toBeLessThan(1e-3);
      }
    } finally {
      await useBackend('wasm');
      x.dispose();
    }
  }, 300_000);
});
