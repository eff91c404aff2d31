// Builds examples/assets/ from the golden reference data (../shared/golden/golden-public.json):
// two synthetic test images (PNG, upscaled ×4 so the 48×64 maps visibly resize), their Grad-CAM maps
// as computed by pytorch-grad-cam (one as camkit-map/1 JSON, one as a 16-bit PNG), and the seq_s0
// model as a tfjs model.json + weights.bin for the live example. Run: npx tsx scripts/make-examples.ts
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng } from '../src/render/png.js';
import { encodeMapPng, mapToJson } from '../src/render/mapfile.js';

const root = join(import.meta.dirname, '..');
const golden = JSON.parse(readFileSync(join(root, '..', 'shared', 'golden', 'golden-public.json'), 'utf8'));
const out = join(root, 'examples', 'assets');
mkdirSync(out, { recursive: true });

const SCALE = 4;
async function writeImage(id: string): Promise<void> {
  const [, h, w] = golden.images[id].pixels.shape as number[];
  const v = golden.images[id].pixels.values as number[];
  const W = w * SCALE, H = h * SCALE;
  const data = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = (Math.floor(y / SCALE) * w + Math.floor(x / SCALE)) * 3;
      const o = (y * W + x) * 4;
      for (let c = 0; c < 3; c++) data[o + c] = Math.round(v[s + c] * 255);
      data[o + 3] = 255;
    }
  }
  writeFileSync(join(out, `${id}.png`), await encodePng({ width: W, height: H, color: 'rgba', bitDepth: 8, data }));
}

function gradcam(caseId: string) {
  const c = golden.cases.find((k: { id: string }) => k.id === caseId);
  const g = c.methods.GradCAM.grayscale_cam;
  return { width: g.shape[1], height: g.shape[0], values: Float32Array.from(g.values as number[], (x) => Math.min(1, Math.max(0, x))) };
}

await writeImage('img0');
await writeImage('img1');
writeFileSync(join(out, 'img0.gradcam.json'), JSON.stringify(mapToJson(gradcam('seq_s0/img0/conv3/c0'))));
writeFileSync(join(out, 'img1.gradcam.png'), await encodeMapPng(gradcam('seq_s0/img1/conv3/c1')));

// The model in tfjs's own format (tf.loadLayersModel('assets/seq_s0/model.json')).
const m = golden.models.seq_s0;
mkdirSync(join(out, 'seq_s0'), { recursive: true });
const buf = new Float32Array(m.weights.reduce((n: number, w: { values: number[] }) => n + w.values.length, 0));
let o = 0;
for (const w of m.weights) {
  buf.set(w.values, o);
  o += w.values.length;
}
writeFileSync(join(out, 'seq_s0', 'weights.bin'), new Uint8Array(buf.buffer));
writeFileSync(
  join(out, 'seq_s0', 'model.json'),
  JSON.stringify({
    format: 'layers-model',
    generatedBy: 'camkit scripts/make-examples.ts',
    modelTopology: m.tfjs_model_topology,
    weightsManifest: [{ paths: ['weights.bin'], weights: m.weights.map((w: { name: string; shape: number[] }) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }],
  }),
);
console.error(`examples/assets: img0.png, img1.png, img0.gradcam.json, img1.gradcam.png, seq_s0/ (${buf.length} weights)`);
