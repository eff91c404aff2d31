// 256-entry colour tables. Four are computed (small code beats shipping bytes), two are data:
// - jet: OpenCV COLORMAP_JET exactly: the MATLAB jet(256) keys clamp(1.5 − |4x − c|), x = k/255, through
//   cv::applyColorMap's own table construction (float32 interp1 at linspace points, round half to even).
// - parula: OpenCV COLORMAP_PARULA: its 9 MATLAB parula keys through the same construction.
// - turbo: the degree-5 polynomial approximation published with Google's Turbo (Apache-2.0) at k/255
//   (it departs from the Turbo table near the ends). gray: k.
// - viridis, inferno: matplotlib's tables (CC0), 8-bit, 768 RGB bytes each, base64 below.
import { InputError, NameError } from '../errors.js';

export const COLORMAPS = ['jet', 'turbo', 'viridis', 'inferno', 'parula', 'gray'] as const;
export type ColormapName = (typeof COLORMAPS)[number];

const MPL =
  'RAFURAJWRQRXRQVZRgdaRghcRgpdRgteRw1gRw5hRxBjRxFkRxNlSBRnSBZoSBdpSBhqSBpsSBttSBxuSB1vSB9wSCBxSCFz' +
  'SCN0SCR1SCV2SCZ3SCh4SCl5Ryp6Ryx6Ry17Ry58Ry99RjB+RjJ+RjN/RjSARTWBRTeBRTiCRDmDRDqDRDuEQz2EQz6FQj+F' +
  'QkCGQkGGQUKHQUSHQEWIQEaIP0eIP0iJPkmJPkqJPkyKPU2KPU6KPE+KPFCLO1GLO1KLOlOLOlSMOVWMOVaMOFiMOFmMN1qM' +
  'N1uNNlyNNl2NNV6NNV+NNGCNNGGNM2KNM2ONMmSOMmWOMWaOMWeOMWiOMGmOMGqOL2uOL2yOLm2OLm6OLm+OLXCOLXGOLHGO' +
  'LHKOLHOOK3SOK3WOKnaOKneOKniOKXmOKXqOKXuOKHyOKH2OJ36OJ3+OJ4COJoGOJoKOJoKOJYOOJYSOJYWOJIaOJIeOI4iO' +
  'I4mOI4qNIouNIoyNIo2NIY6NIY+NIZCNIZGMIJKMIJKMIJOMH5SMH5WLH5aLH5eLH5iLH5mKH5qKHpuKHpyJHp2JH56JH5+I' +
  'H6CIH6GIH6GHH6KHIKOGIKSGIaWFIaaFIqeFIqiEI6mDJKqDJauCJayCJq2BJ62BKK6AKa9/KrB/LLF+LbJ9LrN8L7R8MbV7' +
  'MrZ6NLZ5Nbd5N7h4OLl3Orp2O7t1Pbx0P7xzQL1yQr5xRL9wRsBvSMFuSsFtTMJsTsNrUMRqUsVpVMVoVsZnWMdlWshkXMhj' +
  'XsliYMpgY8tfZcteZ8xcac1bbM1abs5YcM9Xc9BWddBUd9FTetFRfNJQf9NOgdNNhNRLhtVJidVIi9ZGjtZFkNdDk9dBldhA' +
  'mNg+m9k8ndk7oNo5oto3pds2qNs0qtwyrdwwsN0vst0ttd4ruN4put4ovd8mwN8lwt8jxeAhyOAgyuEfzeEd0OEc0uIb1eIa' +
  '2OIZ2uMZ3eMY3+MY4uQY5eQZ5+QZ6uUa7OUb7+Uc8eUd9OYe9uYg+OYh++cj/eclAAAEAQAFAQEGAQEIAgEKAgIMAgIOAwIQ' +
  'BAMSBAMUBQQXBgQZBwUbCAUdCQYfCgciCwckDAgmDQgpDgkrEAktEQowEgoyFAs0FQs3Fgs5GAw8GQw+GwxBHAxDHgxFHwxI' +
  'IQxKIwxMJAxPJgxRKAtTKQtVKwtXLQtZLwpbMQpcMgpeNApfNglhOAliOQljOwlkPQllPglmQApnQgpoRApoRQppRwtqSQtq' +
  'SgxrTAxrTQ1sTw1sUQ5sUg5tVA9tVQ9tVxBuWRBuWhFuXBJuXRJuXxNuYRNuYhRuZBVuZRVuZxZuaRZuahdubBhubRhubxlu' +
  'cRluchpudBpudRtudxxteBxteh1tfB1tfR5tfx5sgB9sgiBshCBrhSFrhyFriCJqiiJqjCNpjSNpjyRpkCVokiVokyZnlSZn' +
  'lydmmCdmmihlmylknSlknypjoCpjoitioyxhpSxgpi1gqC5fqS5eqy9erTBdrjBcsDFbsTJaszJatDNZtjRYtzVXuTVWujZV' +
  'vDdUvThTvzlSwDpRwTpQwztPxDxOxj1Nxz5MyD9LykBKy0FJzEJIzkNHz0RG0EVF0kZE00dD1EhC1UpB10s/2Ew+2U092k48' +
  '21A73VE63lI431M34FU24VY14lc041kz5Fox5Vww5l0v514u6GAt6WEr6mMq62Qp62Yo7Gcm7Wkl7mok72wj724h8G8g8XEf' +
  '8XMd8nQc83Yb83gZ9HkY9XsX9X0V9n4U9oAT94IS94QQ+IUP+IcO+IkM+YsL+YwK+Y4J+pAI+pIH+pQH+5YG+5cG+5kG+5sG' +
  '+50H/J8H/KEI/KMJ/KUK/KYM/KgN/KoP/KwR/K4S/LAU/LIW/LQY+7Ya+7gd+7of+7wh+74j+sAm+sIo+sQq+sYt+ccv+cky' +
  '+cs1+M03+M8699E999NA9tVD9tdG9dlJ9dtM9N1P9N9T9OFW8+Na8+Vd8uZh8uhl8upp8ext8e1x8e918fF58vJ98vSC8/WG' +
  '8/aK9PiO9fmS9vqW+Pua+fyd+v2h/P+k';

const f = Math.fround;
const linspace = (n: number): number[] => {
  const step = f(1 / (n - 1));
  return Array.from({ length: n }, (_, i) => f(i * step));
};

/** cv::ColorMap::linear_colormap for 256 samples, in float32 as OpenCV computes it. */
function opencv(keys: number[][], out: Uint8Array): void {
  const X = linspace(keys[0].length);
  const XI = linspace(256);
  keys.forEach((Y, c) => {
    XI.forEach((xi, k) => {
      let lo = 0, hi = X.length - 1;
      while (hi - lo > 1) {
        const m = lo + ((hi - lo) >> 1);
        if (xi > X[m]) lo = m;
        else hi = m;
      }
      const v = f(f(f(Y[lo]) + f(f(f(xi - X[lo]) * f(f(Y[hi]) - f(Y[lo]))) / f(X[hi] - X[lo]))) * 255);
      // cvRound: round half to even.
      out[k * 4 + c] = Math.min(255, Math.max(0, Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v)));
    });
  });
}

function build(name: ColormapName): Uint8Array {
  const t = new Uint8Array(1024).fill(255);
  if (name === 'jet') {
    const key = (c: number) => Array.from({ length: 256 }, (_, k) => Math.min(1, Math.max(0, 1.5 - Math.abs((4 * k) / 255 - c))));
    opencv([key(3), key(2), key(1)], t);
  } else if (name === 'parula') {
    opencv(
      [
        [0.2078, 0.0118, 0.0784, 0.0235, 0.2196, 0.5725, 0.851, 0.9882, 0.9765],
        [0.1647, 0.3882, 0.5216, 0.6549, 0.7255, 0.749, 0.7294, 0.8078, 0.9843],
        [0.5294, 0.8824, 0.8314, 0.7765, 0.6196, 0.451, 0.3373, 0.1804, 0.0549],
      ],
      t,
    );
  } else if (name === 'turbo') {
    const poly = [
      [34.61, 1172.33, -10793.56, 33300.12, -38394.49, 14825.05],
      [23.31, 557.33, 1225.33, -3574.96, 1073.77, 707.56],
      [27.2, 3211.1, -15327.97, 27814, -22569.18, 6838.66],
    ];
    for (let k = 0; k < 256; k++) {
      const x = k / 255;
      for (let c = 0; c < 3; c++) t[k * 4 + c] = Math.max(0, Math.min(255, Math.round(poly[c].reduceRight((a, p) => a * x + p, 0))));
    }
  } else if (name === 'gray') {
    for (let k = 0; k < 256; k++) t[k * 4] = t[k * 4 + 1] = t[k * 4 + 2] = k;
  } else {
    const bin = atob(MPL);
    const o = name === 'viridis' ? 0 : 768;
    for (let k = 0; k < 256; k++) for (let c = 0; c < 3; c++) t[k * 4 + c] = bin.charCodeAt(o + k * 3 + c);
  }
  return t;
}

const cache = new Map<ColormapName, Uint8Array>();

/**
 * The RGBA LUT (256 × 4 bytes, alpha 255) of a named colormap. With gamma ≠ 1 entry k holds the colour
 * of (k/255)^gamma, so the kernels apply torchcam's mask² look (gamma 2) on the quantised map as torchcam does.
 */
export function colormapLut(name: ColormapName | string, gamma = 1): Uint8Array {
  if (!(COLORMAPS as readonly string[]).includes(name)) throw new NameError('colormap', String(name), COLORMAPS);
  if (!(gamma > 0) || !Number.isFinite(gamma)) throw new InputError('E_NONFINITE', `gamma must be a finite number > 0, got ${gamma}.`);
  let base = cache.get(name as ColormapName);
  if (!base) cache.set(name as ColormapName, (base = build(name as ColormapName)));
  if (gamma === 1) return base.slice();
  const out = new Uint8Array(1024);
  for (let k = 0; k < 256; k++) {
    const j = Math.min(255, Math.trunc(f(Math.pow(k / 255, gamma) * 255)));
    out.set(base.subarray(j * 4, j * 4 + 4), k * 4);
  }
  return out;
}
