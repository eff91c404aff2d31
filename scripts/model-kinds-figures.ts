// Draws the pictures of docs/model-kinds.md, one per model kind, with camkit itself (explain() and the
// overlay kernels) on the wasm backend. Inputs, all offline:
//   classifier  camkit's default model (models/default) on a generated shapes image (src/cli/shapes.ts)
//   detector    @vladmandic/human's CenterNet on its assets/samples.jpg (dev dependency)
//   segmenter   the golden v2 segmentation net seg_s3 (../shared/golden/golden-v2-public.json)
//   keypoints   @vladmandic/human's MoveNet on samples.jpg
//   vit         the golden v2 vision transformer vit_s5, rebuilt by src/conformance/vit.ts
//   grayscale   @vladmandic/human's emotion model on a face from samples.jpg
// Run: npx tsx scripts/model-kinds-figures.ts   (writes docs/model-kinds/*.png)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import jpeg from 'jpeg-js';
import { explain } from '../src/capture/index.js';
import { loadModelFromDisk, defaultModelDir } from '../src/cli/io.js';
import { makeShapeImage } from '../src/cli/shapes.js';
import { loadModel } from '../src/conformance/e2e.js';
import { parseGolden } from '../src/conformance/golden.js';
import { buildVit, vitHooks } from '../src/conformance/vit.js';
import { renderOverlaySync } from '../src/render/overlay.js';
import { encodePng } from '../src/render/png.js';
import { init, runtimeSync } from '../src/runtime/init.js';

const root = join(import.meta.dirname, '..');
const out = join(root, 'docs', 'model-kinds');
mkdirSync(out, { recursive: true });
const human = join(root, 'node_modules', '@vladmandic', 'human');

await init();
await tf.setBackend('wasm');
await tf.ready();

interface Panel {
  rgb: Float32Array; // HWC in [0, 1]
  width: number;
  height: number;
  map?: Float32Array; // [height][width] in [0, 1]
  /** Colormap gamma (< 1 lifts the low values of very peaked maps). */
  gamma?: number;
  marks?: { x: number; y: number }[];
  boxes?: [number, number, number, number][];
}

/** Panels side by side, each scaled to `size` px high (nearest), 4 px white gaps. */
async function figure(name: string, panels: Panel[], size = 192): Promise<void> {
  const rt = runtimeSync();
  const imgs = panels.map((p) => {
    const rgba = new Uint8Array(p.width * p.height * 4);
    for (let i = 0; i < p.width * p.height; i++) {
      for (let k = 0; k < 3; k++) rgba[i * 4 + k] = Math.round(Math.min(1, Math.max(0, p.rgb[i * 3 + k])) * 255);
      rgba[i * 4 + 3] = 255;
    }
    const o = p.map ? renderOverlaySync({ width: p.width, height: p.height, values: p.map }, { width: p.width, height: p.height, data: rgba }, { colormap: 'jet', opacity: 0.5, gamma: p.gamma ?? 1 }, rt).data : rgba;
    return { p, data: Uint8Array.from(o) };
  });
  const widths = imgs.map(({ p }) => Math.round((p.width * size) / p.height));
  const W = widths.reduce((a, b) => a + b, 0) + 4 * (panels.length - 1);
  const data = new Uint8Array(W * size * 4).fill(255);
  let x0 = 0;
  imgs.forEach(({ p, data: src }, k) => {
    const w = widths[k];
    const put = (x: number, y: number, c: [number, number, number]) => {
      if (x < 0 || y < 0 || x >= w || y >= size) return;
      const o = (y * W + x0 + x) * 4;
      data[o] = c[0];
      data[o + 1] = c[1];
      data[o + 2] = c[2];
    };
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < w; x++) {
        const sx = Math.min(p.width - 1, Math.floor((x * p.width) / w)), sy = Math.min(p.height - 1, Math.floor((y * p.height) / size));
        const s = (sy * p.width + sx) * 4;
        put(x, y, [src[s], src[s + 1], src[s + 2]]);
      }
    }
    const sc = size / p.height;
    for (const [bx0, by0, bx1, by1] of p.boxes ?? []) {
      for (let t = 0; t < 2; t++) {
        for (let x = Math.round(bx0 * sc); x <= Math.round(bx1 * sc); x++) (put(x, Math.round(by0 * sc) + t, [255, 255, 255]), put(x, Math.round(by1 * sc) - t, [255, 255, 255]));
        for (let y = Math.round(by0 * sc); y <= Math.round(by1 * sc); y++) (put(Math.round(bx0 * sc) + t, y, [255, 255, 255]), put(Math.round(bx1 * sc) - t, y, [255, 255, 255]));
      }
    }
    // Marks are rings, so what is under them stays visible.
    for (const m of p.marks ?? []) {
      const cx = m.x * sc, cy = m.y * sc;
      for (let a = 0; a < 360; a += 2) for (const r of [9, 10]) put(Math.round(cx + r * Math.cos((a * Math.PI) / 180)), Math.round(cy + r * Math.sin((a * Math.PI) / 180)), [255, 255, 255]);
    }
    x0 += w + 4;
  });
  writeFileSync(join(out, `${name}.png`), await encodePng({ width: W, height: size, color: 'rgba', bitDepth: 8, data }));
  console.log(`docs/model-kinds/${name}.png ${W}×${size}`);
}

const rgbOf = async (x: tf.Tensor, scale = 1): Promise<Float32Array> => Float32Array.from(await x.data(), (v) => v / scale);
const mapOf = (r: { map: Float32Array; width: number; height: number }, i = 0) => r.map.slice(i * r.width * r.height, (i + 1) * r.width * r.height);

// The photo of @vladmandic/human and crops of it (0–255).
const photo = jpeg.decode(readFileSync(join(human, 'assets', 'samples.jpg')), { useTArray: true, formatAsRGBA: false });
function crop(y0: number, x0: number, h: number, w: number, H: number, W: number): tf.Tensor4D {
  const px = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < 3; k++) px[(y * w + x) * 3 + k] = photo.data[((y0 + y) * photo.width + x0 + x) * 3 + k];
  return tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(px, [1, h, w, 3]), [H, W], false, true));
}
function humanModel(name: string): Promise<tf.GraphModel> {
  const json = JSON.parse(readFileSync(join(human, 'models', `${name}.json`), 'utf8'));
  const bin = readFileSync(join(human, 'models', `${name}.bin`));
  return tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, signature: json.signature, weightSpecs: json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights), weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) } as tf.io.ModelArtifacts));
}
const peak = (c: number) => (o: tf.Tensor) => tf.max(tf.reshape(tf.slice(o, [0, 0, 0, c], [-1, -1, -1, 1]), [o.shape[0]!, -1]), 1);

// 1. Classifier: the default model, Grad-CAM of each shape class present.
{
  const loaded = await loadModelFromDisk(defaultModelDir());
  const img = makeShapeImage(12, { minObjects: 3, maxObjects: 3 });
  const x = tf.tensor4d(img.pixels, [1, 64, 64, 3]);
  const classes = [...new Set(img.objects.map((o) => o.classIndex))];
  const panels: Panel[] = [{ rgb: img.pixels, width: 64, height: 64 }];
  for (const c of classes) panels.push({ rgb: img.pixels, width: 64, height: 64, map: (await explain(loaded.model, x, { target: c })).map });
  await figure('classifier', panels);
  x.dispose();
}

// 2. Detector: CenterNet's class heatmaps, person and cup, with the model's own boxes.
{
  const m = await humanModel('centernet');
  const x = crop(0, 324, 160, 216, 512, 512);
  const det = ((await (m.execute(x, 'tower_0/detections') as tf.Tensor).array()) as number[][][])[0].filter((r) => r[4] > 0.3);
  const rgb = await rgbOf(x, 255);
  const panels: Panel[] = [];
  for (const c of [0, 41]) {
    const r = await explain(m, x, { output: 'tower_0/keypoints', target: peak(c) });
    panels.push({ rgb, width: 512, height: 512, map: r.map, boxes: det.filter((d) => d[5] === c).map((d) => [d[0], d[1], d[2], d[3]]) });
  }
  await figure('detector', panels, 256);
  x.dispose();
}

// 3. Segmenter and 5. ViT: the golden v2 models.
const goldenPath = join(root, '..', 'shared', 'golden', 'golden-v2-public.json');
const golden = parseGolden(readFileSync(goldenPath, 'utf8'), goldenPath);
const gimg = (id: string) => {
  const p = golden.images![id].pixels;
  return tf.tensor4d(p.values, p.shape as [number, number, number, number]);
};
{
  const seg = await loadModel(golden, 'seg_s3', 'wasm');
  const x = gimg('img3');
  const out = seg.predict(x) as tf.Tensor4D;
  const [, h, w, k] = out.shape;
  const arg = await tf.argMax(out, 3).data();
  const rgb = await rgbOf(x);
  const panels: Panel[] = [{ rgb, width: 64, height: 48 }];
  const present = [...new Set(arg)].filter((c) => c !== k - 1).slice(0, 2);
  for (const c of present) {
    const mask = tf.tensor4d(Float32Array.from(arg, (v) => (v === c ? 1 : 0)), [1, h, w, 1]);
    const r = await explain(seg, x, { layer: 'block_out', target: (o) => tf.sum(tf.reshape(tf.mul(tf.slice(o, [0, 0, 0, c], [-1, -1, -1, 1]), mask), [o.shape[0]!, -1]), 1) });
    panels.push({ rgb, width: 64, height: 48, map: r.map });
    mask.dispose();
  }
  await figure('segmenter', panels);
  tf.dispose([x, out]);
}

// 4. Keypoints: MoveNet, LayerCAM of three keypoint heatmaps, the model's keypoints marked.
{
  const m = await humanModel('movenet-lightning');
  const x = crop(0, 0, 160, 156, 192, 192);
  const kp = ((await (m.execute(tf.cast(x, 'int32')) as tf.Tensor).array()) as number[][][][])[0][0];
  const rgb = await rgbOf(x, 255);
  const panels: Panel[] = [];
  for (const j of [0, 9, 15]) {
    const r = await explain(m, x, { method: 'LayerCAM', output: 'StatefulPartitionedCall/Sigmoid', target: peak(j) });
    panels.push({ rgb, width: 192, height: 192, map: r.map, gamma: 0.4, marks: [{ x: kp[j][1] * 192, y: kp[j][0] * 192 }] });
  }
  await figure('keypoints', panels);
  x.dispose();
}

{
  const vit = buildVit(golden.models!.vit_s5);
  const x = gimg('img1');
  const rgb = await rgbOf(x);
  const panels: Panel[] = [{ rgb, width: 64, height: 48 }];
  panels.push({ rgb, width: 64, height: 48, map: (await explain(vit.fn, x, { layer: vitHooks.norm1(1), target: 1 })).map });
  for (const method of ['AttentionRollout', 'GradientWeightedRollout']) panels.push({ rgb, width: 64, height: 48, map: (await explain(vit.fn, x, { method, target: 1 })).map });
  await figure('vit', panels);
  vit.dispose();
  x.dispose();
}

// 6. Grayscale: the emotion model on two faces.
{
  const m = await humanModel('emotion');
  const rgb255 = tf.concat([crop(0, 188, 84, 84, 64, 64), crop(0, 405, 84, 84, 64, 64)]);
  const x = tf.tidy(() => tf.mul(tf.sub(tf.sum(tf.mul(tf.div(rgb255, 255), [0.2989, 0.587, 0.114]), 3, true), 0.5), 2));
  const r = await explain(m, x, { method: 'LayerCAM' });
  const g = await x.data();
  const panels: Panel[] = [];
  for (let i = 0; i < 2; i++) {
    const gray = new Float32Array(64 * 64 * 3);
    for (let p = 0; p < 64 * 64; p++) gray.fill((g[i * 4096 + p] + 1) / 2, p * 3, p * 3 + 3);
    panels.push({ rgb: gray, width: 64, height: 64 }, { rgb: gray, width: 64, height: 64, map: mapOf(r, i) });
  }
  await figure('grayscale', panels, 160);
  tf.dispose([rgb255, x]);
}
