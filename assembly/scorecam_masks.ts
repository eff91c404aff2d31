// Score-CAM masked inputs, fused: for channel k = k0 … k0+count−1 of one NHWC activation map a[h][w][c],
//   up   = bilinear(a[:, :, k]) to H×W          (align corners, or half-pixel centres clamped at 0)
//   mask = (up − min up) / (max up − min up + 1e-8), times `scale`
//   out[k − k0][y][x][q] = input[y][x][q] · mask[y][x]   for the ci input channels q
// Only one mask exists at a time, in the scratch `tmp` (h·W + H·W floats): the masks of a batch are
// never materialised. The separable order (rows first, then columns) and the per-element formulas
// follow torch's upsample_bilinear2d so the masks match the reference to float rounding.
export function scorecam_masks(
  out: usize, input: usize, a: usize, tmp: usize,
  h: i32, w: i32, c: i32, k0: i32, count: i32,
  H: i32, W: i32, ci: i32, alignCorners: i32, scale: f32,
): void {
  const rows = tmp; // [h][W]: each source row resampled to W columns
  const plane = tmp + (<usize>h * <usize>W << 2); // [H][W]: the current mask
  const hw = H * W;
  const sx = srcScale(w, W, alignCorners);
  const sy = srcScale(h, H, alignCorners);
  for (let i = 0; i < count; i++) {
    const k = k0 + i;
    horizontal(rows, a + (<usize>k << 2), h, w, c, W, sx, alignCorners);
    vertical(plane, rows, h, H, W, sy, alignCorners); // sets rangeMin / rangeMax
    // (up − min)/(max − min + 1e-8): division, not a reciprocal, as torch computes it.
    const den: f32 = (rangeMax - rangeMin) + <f32>1e-8;
    broadcast(out + (<usize>i * <usize>hw * <usize>ci << 2), input, plane, hw, ci, rangeMin, den, scale);
  }
}

// Source step per output step, computed in f32 like torch's area_pixel_compute_scale.
function srcScale(inSize: i32, outSize: i32, alignCorners: i32): f32 {
  if (alignCorners) return outSize > 1 ? <f32>(inSize - 1) / <f32>(outSize - 1) : <f32>0;
  return <f32>inSize / <f32>outSize;
}

// @inline so the index arithmetic folds into both loops.
@inline function srcIndex(i: i32, s: f32, alignCorners: i32): f32 {
  if (alignCorners) return s * <f32>i;
  const r = s * (<f32>i + <f32>0.5) - <f32>0.5;
  return r < 0 ? <f32>0 : r;
}

function horizontal(rows: usize, a: usize, h: i32, w: i32, c: i32, W: i32, sx: f32, alignCorners: i32): void {
  const cs = <usize>c << 2;
  for (let x = 0; x < W; x++) {
    const r = srcIndex(x, sx, alignCorners);
    const x0 = <i32>r; // r ≥ 0, so truncation is floor
    const x1 = x0 < w - 1 ? x0 + 1 : x0;
    const l1 = r - <f32>x0;
    const l0 = <f32>1 - l1;
    let p0 = a + <usize>x0 * cs;
    let p1 = a + <usize>x1 * cs;
    let o = rows + (<usize>x << 2);
    for (let y = 0; y < h; y++) {
      store<f32>(o, l0 * load<f32>(p0) + l1 * load<f32>(p1));
      p0 += <usize>w * cs;
      p1 += <usize>w * cs;
      o += <usize>W << 2;
    }
  }
}

// Range of the current mask, found while it is written (one pass fewer over the plane).
let rangeMin: f32 = 0;
let rangeMax: f32 = 0;

function vertical(plane: usize, rows: usize, h: i32, H: i32, W: i32, sy: f32, alignCorners: i32): void {
  let mn = f32.MAX_VALUE, mx = -f32.MAX_VALUE;
  if (ASC_FEATURE_SIMD) {
    let vmn = f32x4.splat(f32.MAX_VALUE), vmx = f32x4.splat(-f32.MAX_VALUE);
    for (let y = 0; y < H; y++) {
      const r = srcIndex(y, sy, alignCorners);
      const y0 = <i32>r;
      const y1 = y0 < h - 1 ? y0 + 1 : y0;
      const l1 = r - <f32>y0;
      const l0 = <f32>1 - l1;
      const r0 = rows + (<usize>y0 * <usize>W << 2);
      const r1 = rows + (<usize>y1 * <usize>W << 2);
      const o = plane + (<usize>y * <usize>W << 2);
      const v0 = f32x4.splat(l0), v1 = f32x4.splat(l1);
      let x = 0;
      for (; x + 4 <= W; x += 4) {
        const b = <usize>x << 2;
        const v = f32x4.add(f32x4.mul(v0, v128.load(r0 + b)), f32x4.mul(v1, v128.load(r1 + b)));
        v128.store(o + b, v);
        vmn = f32x4.min(vmn, v);
        vmx = f32x4.max(vmx, v);
      }
      for (; x < W; x++) {
        const b = <usize>x << 2;
        const v = l0 * load<f32>(r0 + b) + l1 * load<f32>(r1 + b);
        store<f32>(o + b, v);
        mn = min(mn, v);
        mx = max(mx, v);
      }
    }
    mn = min(mn, min(min(f32x4.extract_lane(vmn, 0), f32x4.extract_lane(vmn, 1)), min(f32x4.extract_lane(vmn, 2), f32x4.extract_lane(vmn, 3))));
    mx = max(mx, max(max(f32x4.extract_lane(vmx, 0), f32x4.extract_lane(vmx, 1)), max(f32x4.extract_lane(vmx, 2), f32x4.extract_lane(vmx, 3))));
  } else {
    for (let y = 0; y < H; y++) {
      const r = srcIndex(y, sy, alignCorners);
      const y0 = <i32>r;
      const y1 = y0 < h - 1 ? y0 + 1 : y0;
      const l1 = r - <f32>y0;
      const l0 = <f32>1 - l1;
      const r0 = rows + (<usize>y0 * <usize>W << 2);
      const r1 = rows + (<usize>y1 * <usize>W << 2);
      const o = plane + (<usize>y * <usize>W << 2);
      for (let x = 0; x < W; x++) {
        const b = <usize>x << 2;
        const v = l0 * load<f32>(r0 + b) + l1 * load<f32>(r1 + b);
        store<f32>(o + b, v);
        mn = min(mn, v);
        mx = max(mx, v);
      }
    }
  }
  rangeMin = mn;
  rangeMax = mx;
}

// out[j][q] = input[j][q] · ((plane[j] − mn)/den · scale), the normalisation fused into the write.
function broadcast(out: usize, input: usize, plane: usize, n: i32, ci: i32, mn: f32, den: f32, scale: f32): void {
  const scaled = scale != <f32>1;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vmn = f32x4.splat(mn), vden = f32x4.splat(den), vs = f32x4.splat(scale);
    if (ci == 1) {
      for (; j + 4 <= n; j += 4) {
        const b = <usize>j << 2;
        let m = f32x4.div(f32x4.sub(v128.load(plane + b), vmn), vden);
        if (scaled) m = f32x4.mul(m, vs);
        v128.store(out + b, f32x4.mul(v128.load(input + b), m));
      }
    } else if (ci == 3) {
      // 4 RGB pixels = 3 vectors; spread 4 mask values over them with shuffles.
      for (; j + 4 <= n; j += 4) {
        let m = f32x4.div(f32x4.sub(v128.load(plane + (<usize>j << 2)), vmn), vden);
        if (scaled) m = f32x4.mul(m, vs);
        const b = <usize>j * 12;
        const m0 = v128.shuffle<f32>(m, m, 0, 0, 0, 1);
        const m1 = v128.shuffle<f32>(m, m, 1, 1, 2, 2);
        const m2 = v128.shuffle<f32>(m, m, 2, 3, 3, 3);
        v128.store(out + b, f32x4.mul(v128.load(input + b), m0));
        v128.store(out + b, f32x4.mul(v128.load(input + b, 16), m1), 16);
        v128.store(out + b, f32x4.mul(v128.load(input + b, 32), m2), 32);
      }
    } else if ((ci & 3) == 0) {
      for (; j < n; j++) {
        let m = (load<f32>(plane + (<usize>j << 2)) - mn) / den;
        if (scaled) m *= scale;
        const v = f32x4.splat(m);
        const b = <usize>j * <usize>ci << 2;
        for (let q = 0; q < ci; q += 4) {
          const p = b + (<usize>q << 2);
          v128.store(out + p, f32x4.mul(v128.load(input + p), v));
        }
      }
    }
  }
  for (; j < n; j++) {
    let m = (load<f32>(plane + (<usize>j << 2)) - mn) / den;
    if (scaled) m *= scale;
    const b = <usize>j * <usize>ci << 2;
    for (let q = 0; q < ci; q++) {
      const p = b + (<usize>q << 2);
      store<f32>(out + p, load<f32>(input + p) * m);
    }
  }
}
