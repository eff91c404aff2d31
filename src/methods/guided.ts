// Guided Grad-CAM (Selvaraju et al. 2017): the guided-backprop input gradient (Springenberg et al.
// 2015, computed by camkit/capture) times the Grad-CAM map at input size, broadcast over the input's
// channels; and pytorch-grad-cam's deprocess_image to view either as an 8-bit image.
import { InputError } from '../errors.js';
import { getRuntime, type Runtime } from '../runtime/init.js';
import { describeInput, readInput, checkFinite, type ArrayInput, type InputLike } from '../core/inputs.js';
import type { CamResult } from '../compute.js';

function guidedDims(gbShape: readonly number[], camLen: number): [number, number, number] {
  const s = gbShape.length === 3 ? [1, ...gbShape] : gbShape;
  if (s.length !== 4 || !(s[3] >= 1)) {
    throw new InputError('E_SHAPE', `guided backprop must be [N, H, W, C] or [H, W, C], got [${gbShape.join(', ')}].`);
  }
  const n = s[0], hw = s[1] * s[2];
  if (camLen !== n * hw) {
    throw new InputError('E_SHAPE', `the CAM map has ${camLen} values; guided backprop [${gbShape.join(', ')}] needs ${n}×${s[1]}×${s[2]} = ${n * hw} (a map at input size).`);
  }
  return [n, hw, s[3]];
}

function camValues(cam: Float32Array | CamResult): Float32Array {
  const v = cam instanceof Float32Array ? cam : (cam as CamResult | undefined)?.map;
  if (!(v instanceof Float32Array)) throw new InputError('E_DTYPE', 'the CAM map must be a Float32Array or a CamResult.');
  return v;
}

/** gb [N,H,W,C] × cam [N,H,W] → [N,H,W,C], synchronously on a given runtime. */
export function guidedGradCamSync(rt: Runtime, gb: ArrayInput, cam: Float32Array | CamResult): Float32Array {
  const map = camValues(cam);
  const [n, hw, ch] = guidedDims(describeInput(gb, 'guided backprop'), map.length);
  checkFinite(gb.data, 'guided backprop', 'error');
  checkFinite(map, 'CAM map', 'error');
  if (ch !== 3) {
    // The kernel is specialised for interleaved RGB; other inputs (grayscale, RGBA) are one multiply per value.
    const out = new Float32Array(n * hw * ch);
    for (let p = 0; p < n * hw; p++) for (let k = 0; k < ch; k++) out[p * ch + k] = gb.data[p * ch + k] * map[p];
    return out;
  }
  // take() checks the memory limit before it allocates.
  const { f: [out, g, c] } = rt.arena.take([n * hw * 3, n * hw * 3, n * hw]);
  g.set(gb.data);
  c.set(map);
  rt.kernels.fuse_guided(out, g, c, n, hw);
  return Float32Array.from(out);
}

/** Guided Grad-CAM: guided backprop (tensor or {data, shape}) × the CAM map at input size. */
export async function guidedGradCam(gb: InputLike, cam: Float32Array | CamResult): Promise<Float32Array> {
  const rt = await getRuntime();
  guidedDims(describeInput(gb, 'guided backprop'), camValues(cam).length);
  return guidedGradCamSync(rt, await readInput(gb, 'guided backprop'), cam);
}

/**
 * pytorch-grad-cam's deprocess_image: (x − mean)/(std + 1e-5)·0.1 + 0.5, clipped to [0, 1], then
 * uint8(x·255), which truncates. Mean and std (ddof 0) over all values. Each step is rounded to
 * float32 as numpy does on float32 arrays, so truncation lands in the same bin as often as possible.
 */
export function deprocessImage(x: ArrayLike<number>): Uint8Array {
  const len = x.length;
  if (!len) throw new InputError('E_EMPTY', 'deprocessImage: the image is empty.');
  checkFinite(x, 'deprocessImage input', 'error');
  let s = 0;
  for (let i = 0; i < len; i++) s += x[i];
  const mean = Math.fround(s / len);
  let v = 0;
  for (let i = 0; i < len; i++) {
    const d = Math.fround(x[i] - mean);
    v += d * d;
  }
  const den = Math.fround(Math.fround(Math.sqrt(v / len)) + 1e-5);
  const out = new Uint8Array(len);
  const f = Math.fround;
  for (let i = 0; i < len; i++) {
    let y = f(f(f(f(x[i] - mean) / den) * f(0.1)) + 0.5);
    y = y < 0 ? 0 : y > 1 ? 1 : y;
    out[i] = Math.trunc(f(y * 255));
  }
  return out;
}
