// Shared by colormap and overlay (not a kernel, so not re-exported from index.ts).
// @ts-ignore: decorator
@inline export function lutIndex(v: f32): i32 {
  const t = v * <f32>255;
  return t >= <f32>255 ? 255 : t > <f32>0 ? <i32>t : 0;
}
