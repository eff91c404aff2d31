// The error measures every comparison in camkit uses (conformance, tests, benchmarks): one copy.

/** max |a − b| / max |b| (absolute when b is all zero); Infinity on a length mismatch or NaN. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, sign = 1): number {
  if (a.length !== b.length) return Infinity;
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - sign * b[i]);
    d = e > d || Number.isNaN(e) ? e : d;
    m = Math.max(m, Math.abs(b[i]));
  }
  return Number.isNaN(d) ? Infinity : m > 0 ? d / m : d;
}

/** max |a − b|; Infinity on a length mismatch or NaN. */
export function absErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    if (!(e <= d)) d = Number.isNaN(e) ? Infinity : e;
  }
  return d;
}
