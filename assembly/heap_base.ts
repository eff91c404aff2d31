// First byte the JS arena may use: everything below holds static data (colormap LUTs).
export function heap_base(): usize {
  return (__heap_base + 63) & ~63;
}
