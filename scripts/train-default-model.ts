// Trains camkit's bundled default model on synthetic shapes and writes models/default/.
//   npm run train-default-model [-- --steps N --seconds S --seed K --lr R --resume --from DIR --out DIR]
// Runs on the tfjs wasm backend with a registered Conv2DBackpropFilter (im2col in JS + the
// backend's matmul): wasm 4.22 has no such kernel and the cpu backend's takes ~8 s per batch
// for the first conv alone, which would not fit a few-minute training budget. Multi-label
// (sigmoid per class) so every shape in an image is a valid target for the pointing game.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { SHAPE_CLASSES, makeShapeImage, makeShapeSet, toRGBA8, type ShapeImage } from '../src/cli/shapes.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const STEPS = arg('steps', 3000);
const SECONDS = arg('seconds', 440);
const SEED = arg('seed', 7);
const BATCH = 16;
const SIZE = 64;
const argStr = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const DEFAULT_OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'models', 'default');
// --out writes elsewhere (e.g. to compare a session before replacing the committed model)
const OUT = argStr('out') ?? DEFAULT_OUT;
const FROM = argStr('from') ?? OUT;
// Seeds of the training stream, the held-out set and the samples never overlap.
const TRAIN_SEED = 1_000_000 * SEED;
const HELDOUT_SEED = 900_000_000;
export const SAMPLE_SEED = 500_000_000;

function buildModel(): tf.LayersModel {
  const conv = (name: string, filters: number) =>
    tf.layers.conv2d({ name, filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: 'heNormal' });
  const m = tf.sequential({ name: 'camkit_shapes' });
  // stride 2 first: a quarter of the cost of conv + pool at full size, which matters on the cpu budget
  m.add(tf.layers.conv2d({ name: 'conv1', inputShape: [SIZE, SIZE, 3], filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: 'heNormal' }));
  m.add(conv('conv2', 24));
  m.add(tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }));
  m.add(conv('conv3', 32));
  m.add(conv('last_conv', 32));
  m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tf.layers.dense({ name: 'logits', units: SHAPE_CLASSES.length }));
  return m;
}

function batchTensors(imgs: ShapeImage[]): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const x = new Float32Array(imgs.length * SIZE * SIZE * 3);
  const y = new Float32Array(imgs.length * SHAPE_CLASSES.length);
  imgs.forEach((im, i) => {
    x.set(im.pixels, i * im.pixels.length);
    y.set(im.labels, i * SHAPE_CLASSES.length);
  });
  return { x: tf.tensor4d(x, [imgs.length, SIZE, SIZE, 3]), y: tf.tensor2d(y, [imgs.length, SHAPE_CLASSES.length]) };
}

/** Exact-match and per-label accuracy, and CAM pointing game (the last conv feeds GAP, so Grad-CAM = CAM here). */
function evaluate(model: tf.LayersModel, set: ShapeImage[]): { exact: number; label: number; pointing: number } {
  const feat = tf.model({ inputs: model.inputs, outputs: model.getLayer('last_conv').output as tf.SymbolicTensor });
  const W = (model.getLayer('logits').getWeights()[0].arraySync() as number[][]);
  let exact = 0, label = 0, hits = 0, total = 0;
  for (let s = 0; s < set.length; s += 64) {
    const part = set.slice(s, s + 64);
    const { x, y } = batchTensors(part);
    const logits = (model.predict(x) as tf.Tensor).arraySync() as number[][];
    const acts = feat.predict(x) as tf.Tensor4D;
    const [, h, w, C] = acts.shape;
    const a = acts.dataSync();
    part.forEach((im, i) => {
      let ok = true;
      for (let c = 0; c < SHAPE_CLASSES.length; c++) {
        const good = (logits[i][c] > 0) === (im.labels[c] > 0.5);
        label += good ? 1 : 0;
        ok &&= good;
      }
      exact += ok ? 1 : 0;
      for (let c = 0; c < SHAPE_CLASSES.length; c++) {
        if (!im.labels[c]) continue;
        // arg max of the class map at feature resolution, mapped to the pixel-space cell centre
        let best = -Infinity, by = 0, bx = 0;
        for (let yy = 0; yy < h; yy++)
          for (let xx = 0; xx < w; xx++) {
            let v = 0;
            for (let k = 0; k < C; k++) v += W[k][c] * a[((i * h + yy) * w + xx) * C + k];
            if (v > best) { best = v; by = yy; bx = xx; }
          }
        const px = (bx + 0.5) * (SIZE / w), py = (by + 0.5) * (SIZE / h);
        total++;
        if (im.objects.some((o) => o.classIndex === c && px >= o.box.x0 - 1 && px <= o.box.x1 + 1 && py >= o.box.y0 - 1 && py <= o.box.y1 + 1)) hits++;
      }
    });
    tf.dispose([x, y, acts]);
  }
  return { exact: exact / set.length, label: label / (set.length * SHAPE_CLASSES.length), pointing: hits / total };
}

async function save(model: tf.LayersModel): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (art) => {
      const weightsManifest = [{ paths: ['weights.bin'], weights: art.weightSpecs! }];
      const json = { format: 'layers-model', generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`, convertedBy: null, modelTopology: art.modelTopology, weightsManifest };
      writeFileSync(join(OUT, 'model.json'), JSON.stringify(json));
      writeFileSync(join(OUT, 'weights.bin'), new Uint8Array(art.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

function writeSamples(): void {
  const dir = join(OUT, 'samples');
  mkdirSync(dir, { recursive: true });
  const boxes: Record<string, unknown> = {};
  const names = ['sample-1', 'sample-2', 'sample-3', 'sample-4', 'sample-5', 'sample-6'];
  let seed = SAMPLE_SEED;
  for (const name of names) {
    // at least two shapes per sample, so the gallery shows different targets in one image
    let im = makeShapeImage(seed++, { minObjects: 2, maxObjects: 3 });
    while (im.objects.length < 2) im = makeShapeImage(seed++, { minObjects: 2, maxObjects: 3 });
    const png = new PNG({ width: im.width, height: im.height });
    png.data.set(toRGBA8(im));
    writeFileSync(join(dir, `${name}.png`), PNG.sync.write(png));
    boxes[`${name}.png`] = im.objects.map((o) => ({ class: o.kind, classIndex: o.classIndex, box: [o.box.x0, o.box.y0, o.box.x1, o.box.y1] }));
  }
  writeFileSync(join(dir, 'boxes.json'), JSON.stringify({ format: 'camkit-boxes/1', box: 'x0,y0 inclusive; x1,y1 exclusive; pixels', images: boxes }, null, 1) + '\n');
}

/**
 * Fast conv gradients on wasm. Conv2DBackpropFilter: dW = im2col(x)ᵀ · dy with the backend's matmul
 * (wasm has no such kernel; the cpu one takes ~8 s per batch). Conv2DBackpropInput for stride-1
 * 'same' odd kernels: a forward Conv2D of dy with the flipped, transposed filter (wasm's own
 * backprop-input kernel is several times slower). Checked against the cpu kernels: max error 1e-5.
 */
function registerFastConvGrads(be: string): void {
  const matmul = tf.getKernel('BatchMatMul', be)!.kernelFunc;
  const conv2d = tf.getKernel('Conv2D', be)!.kernelFunc;
  const origInput = tf.getKernel('Conv2DBackpropInput', be)!.kernelFunc;
  if (tf.getKernel('Conv2DBackpropFilter', be)) tf.unregisterKernel('Conv2DBackpropFilter', be);
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: be,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    kernelFunc: ({ inputs, backend, attrs }: any) => {
      const { x, dy } = inputs;
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
      const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(dataFormat));
      const X = backend.readSync(x.dataId) as Float32Array;
      const [N, H, W, Ci] = x.shape as number[];
      const [, Ho, Wo, Co] = dy.shape as number[];
      const [KH, KW] = filterShape as number[];
      const P = N * Ho * Wo, K = KH * KW * Ci;
      const cols = new Float32Array(P * K); // [P, K], zero where the window leaves the image
      for (let n = 0; n < N; n++)
        for (let y = 0; y < Ho; y++)
          for (let xx = 0; xx < Wo; xx++) {
            const r = ((n * Ho + y) * Wo + xx) * K;
            for (let ky = 0; ky < KH; ky++) {
              const iy = y * info.strideHeight + ky - info.padInfo.top;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ix = xx * info.strideWidth + kx - info.padInfo.left;
                if (ix < 0 || ix >= W) continue;
                const xo = ((n * H + iy) * W + ix) * Ci, o = r + (ky * KW + kx) * Ci;
                for (let ci = 0; ci < Ci; ci++) cols[o + ci] = X[xo + ci];
              }
            }
          }
      const a = backend.makeOutput([1, P, K], 'float32', undefined, cols);
      const b = { dataId: dy.dataId, shape: [1, P, Co], dtype: 'float32' };
      const mm = matmul({ inputs: { a, b }, backend, attrs: { transposeA: true, transposeB: false } } as never) as tf.TensorInfo;
      backend.disposeData(a.dataId);
      const out = (backend.readSync(mm.dataId) as Float32Array).slice();
      backend.disposeData(mm.dataId);
      return backend.makeOutput(filterShape, 'float32', undefined, out);
    },
  });
  tf.unregisterKernel('Conv2DBackpropInput', be);
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: be,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    kernelFunc: (args: any) => {
      const { inputs, backend, attrs } = args;
      const { dy, filter } = inputs;
      const [KH, KW, Ci, Co] = filter.shape as number[];
      const s = Array.isArray(attrs.strides) ? attrs.strides : [attrs.strides, attrs.strides];
      if (attrs.pad !== 'same' || s[0] !== 1 || s[1] !== 1 || KH % 2 === 0 || KW % 2 === 0) return origInput(args);
      const Wt = backend.readSync(filter.dataId) as Float32Array;
      const F = new Float32Array(Wt.length); // [KH, KW, Co, Ci], rotated 180°
      for (let ky = 0; ky < KH; ky++)
        for (let kx = 0; kx < KW; kx++)
          for (let ci = 0; ci < Ci; ci++)
            for (let co = 0; co < Co; co++) F[(((KH - 1 - ky) * KW + (KW - 1 - kx)) * Co + co) * Ci + ci] = Wt[((ky * KW + kx) * Ci + ci) * Co + co];
      const f = backend.makeOutput([KH, KW, Co, Ci], 'float32', undefined, F);
      const out = conv2d({ inputs: { x: dy, filter: f }, backend, attrs: { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] } } as never);
      backend.disposeData(f.dataId);
      return out;
    },
  });
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  registerFastConvGrads('wasm');
  const model = buildModel();
  let previousSteps = 0;
  if (args.includes('--resume')) {
    try {
      previousSteps = JSON.parse(readFileSync(join(FROM, 'classes.json'), 'utf8')).training?.steps ?? 0;
    } catch {
      previousSteps = 0;
    }
    // continue from the committed weights (training is CPU-bound; this splits it into sessions)
    const json = JSON.parse(readFileSync(join(FROM, 'model.json'), 'utf8'));
    const prev = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(readFileSync(join(FROM, 'weights.bin'))).buffer }));
    model.setWeights(prev.getWeights());
    process.stderr.write(`resumed from ${FROM}\n`);
  }
  const opt = tf.train.adam(arg('lr', 3e-3));
  let lowered = false;
  const heldout = makeShapeSet(300, HELDOUT_SEED);
  const t0 = Date.now();
  let step = 0;
  for (; step < STEPS && (Date.now() - t0) / 1000 < SECONDS; step++) {
    // lower the rate for the last 30% of the budget (steps or seconds, whichever ends first)
    if (!lowered && (step > STEPS * 0.7 || (Date.now() - t0) / 1000 > SECONDS * 0.7)) {
      (opt as unknown as { learningRate: number }).learningRate = 5e-4;
      lowered = true;
    }
    const { x, y } = batchTensors(makeShapeSet(BATCH, TRAIN_SEED + step * BATCH));
    const loss = opt.minimize(() => tf.losses.sigmoidCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar, true) as tf.Scalar;
    if (step % 25 === 0) process.stderr.write(`step ${step} loss ${loss.dataSync()[0].toFixed(4)} ${((Date.now() - t0) / 1000).toFixed(0)}s\n`);
    tf.dispose([x, y, loss]);
  }
  const res = evaluate(model, heldout);
  process.stderr.write(`steps ${step}, ${((Date.now() - t0) / 1000).toFixed(0)}s; held-out (300 images): exact-match ${res.exact.toFixed(3)}, per-label ${res.label.toFixed(3)}, CAM pointing ${res.pointing.toFixed(3)}\n`);
  await save(model);
  writeFileSync(
    join(OUT, 'classes.json'),
    JSON.stringify({ format: 'camkit-classes/1', classes: SHAPE_CLASSES, output: 'logits', activation: 'sigmoid', inputScale: '0-1', targetLayer: 'last_conv',
      training: { steps: previousSteps + step, batch: BATCH, seed: SEED, heldout: { images: heldout.length, exactMatch: +res.exact.toFixed(4), perLabel: +res.label.toFixed(4), camPointing: +res.pointing.toFixed(4) } } }, null, 1) + '\n',
  );
  writeSamples();
  process.stderr.write(`wrote ${OUT}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
