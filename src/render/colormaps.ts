// 256-entry colour tables. Four are computed (small code beats shipping bytes), two are data:
// - jet: OpenCV COLORMAP_JET exactly: the MATLAB jet(256) keys clamp(1.5 − |4x − c|), x = k/255, through
//   cv::applyColorMap's own table construction (float32 interp1 at linspace points, round half to even).
// - parula: OpenCV COLORMAP_PARULA: its 9 MATLAB parula keys through the same construction.
// - turbo: the degree-5 polynomial approximation published with Google's Turbo (Apache-2.0) at k/255
//   (it departs from the Turbo table near the ends). gray: k.
// - viridis, inferno: matplotlib's tables (CC0), 8-bit, delta-coded below.
import { NameError, OptionError } from '../errors.js';

export const COLORMAPS = ['jet', 'turbo', 'viridis', 'inferno', 'parula', 'gray'] as const;
export type ColormapName = (typeof COLORMAPS)[number];

// viridis then inferno, channel-planar (R, G, B): the first value of each channel, then 255 steps
// k−1 → k stored as one character each (code − 80). Smooth maps have steps of −2…5, so this
// compresses to ~0.3 KB against ~1.6 KB for the raw bytes.
const MPL_FIRST = [68, 1, 84, 0, 0, 4];
const MPL_STEPS =
  "PQPQPPPQPPPPQPPPPPPPPPPPPPPPPOPPPPOPPPOPPOPPOPOPPOPOPOPOPPOPOPOPOPOPOPOPOPOPOPOPOPOPPOPOPOPPOPOPPOPO" +
  "PPOPPOPOPPOPPOPPOPOPPOPPOPPPOPPOPPPPPPOPPQPPPPPQPQPQPQQQPQQQQQRQQQRQRQRQRQRRQRRRRRRRRRRRRRRRRSRRRSRR" +
  "SRRSRSRSRSRSRSRSSRSRSSRSSRSSRSSRSSRSSRSSRSRSSRSRSRSRRSRQRQRQRQRQRQRQRQQRQQQRQQRQQQRQQRQQQQRQQQRQQQQR" +
  "QQQQQRQQQQQQRQQQQQQQQQQRQQQQQQQQQQQQQQQQQQQQQQQQQPQQQQQQQQQQQQQQQQQPQQQQQQQQQQQQQQQQPQQQQQQQQQQQQQQQ" +
  "PQQQQQQQQQQQQPQQQQQQQQQPQQQQQQPQQQQQPQQQQPQQQPQQQPQQPQQQPQPQQPQQPQPQPQPQPQPQPQPQPQPPQPPQPQPPQPPQPPQP" +
  "PQPPPQPPQPRQRQRQQRQRQQRQQQRQQQQQRQQQQQQQPQQQQPQQQPQQPQPQPQPQPQPPQPPQPPPQPPPQPPPPPQPPPPPPPPQPPPPPPPPP" +
  "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPOPPPPPPOPPPPOPPPOPPOPPOPPOPOPOPPOOPOPOPOOPOOOPOOOPOOOOOOOOOOOOOOOOOONO" +
  "OONOONOONOONONONONNONONNONNONNONNNONNNONONNOONOOOOPOPPQPQQQQQRQRRQPPQPPQQPQQQQQQQQQQRQQRQQRQRQRQRRQR" +
  "RQRRRRQRRRQRRQRRRQRRQRQRRQRQRRQRQRRQRQRRQRQRRQRQRQRRQRQRRQRQRRQRQRQRRQRQRRQRQRQRQRRQRQRQRQRQRQRQQRQR" +
  "QQRQQRQQRQQQRQQQQRQQQQQQQQQQQQQQPQQQQPQQPQQPQQPQPQPQPPQPPQPPQPPPPQPPPPPPPPPPPOPPPPOPPPOPPOPOPOPOPOPP" +
  "OPOPPOPPPQPQPQQQRQQRPQPPQPPQPQPQPQQPQPQPQPQPPQPPPPPPPPPOPPPOPPPOPPPPPQPPPQPQPQPQPQPQPQQPQPQQPQPQQPQP" +
  "QPQQPQPQPQQPQPQPQPQQPQPQPQQPQPQQPQQPQQPQQPQQQPQQQQQPQQQQQQQQQQQQQQRQQQQRQQQRQQRQRQQRQRQRQRQRRQRRQRRQ" +
  "RRQRRRQRRRQRRRRRQRRRRRRRQRRRRRRRRRRRRRRRRQRRRRRRRRRRRRRRRQRRRQRRQRQQRQQQQQRQQRRRRRRRSRRRRSRRSRRSRRSR" +
  "SRSRRSRRSRRRRRRQRQRQQQQQQQPQQPQPQPPQPPQPPPPPPPPPPPPPPPPPPPOPPPPOPPOPPOPOPPOPOPOPOOPOPOOOPOOPOOOOPOOO" +
  "OOOOOOOOOOOOOOOOOOOOOONOOOOONOOOOONOOOONOOONOOONOONOONOONOOONOONOOOOOPOPPPQPQQQRQRRQRRRRSRRRSRRSRSSR" +
  "SSSSSSSSTSTSTTTTTTTTUTTTTTTSTS";

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
    const m = name === 'viridis' ? 0 : 3;
    for (let c = 0; c < 3; c++) {
      let v = MPL_FIRST[m + c];
      t[c] = v;
      for (let k = 1; k < 256; k++) t[k * 4 + c] = v += MPL_STEPS.charCodeAt((m + c) * 255 + k - 1) - 80;
    }
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
  if (!(gamma > 0) || !Number.isFinite(gamma)) throw new OptionError(`gamma must be a finite number > 0, got ${gamma}.`);
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
