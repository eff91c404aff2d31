// The text form of a target, for the CLI's `--target` (docs/targets.md, "Target specs"):
//
//   spec  := 'top1' | CLASS | KIND ':' ARGS | 'raw'
//   CLASS := a class index (0, 1, …) | a class name (case-insensitive, needs the class names)
//   class:CLASS        the raw class score (the same as CLASS)
//   softmax:CLASS      its softmax probability              rest:CLASS   ReST (z_c − CE)
//   finer:CLASS        the comparison target of Finer        seg:CLASS    segmentation, the model's own arg-max mask
//   peak:CLASS         a centre heatmap's strongest peak     raw:CLASS,CLASS,…  the summed raw scores
//   raw                the whole output of a one-unit head   binary:1 | binary:0  +y | −y of a one-unit head
//   binary:1@UNIT      +y of unit UNIT of the head            rank:R       each image's R-th class   topk:K   its K best, summed
// softmax, rest and finer also take top1 (each image's best class). Kinds ignore case and spaces
// around the parts. A class name containing ':' is matched whole first.
import { ModelError, NameError, OptionError } from '../errors.js';
import type { Target } from './targets.js';
import {
  binaryTarget, finerTarget, heatmapTarget, rawScoresTarget, restTarget, segmentationTarget, softmaxTarget,
} from './target-library.js';

/** The kinds a spec may name before ':'. */
export const TARGET_SPEC_KINDS = ['class', 'softmax', 'rest', 'finer', 'seg', 'peak', 'raw', 'binary', 'rank', 'topk'] as const;

/** One line per form, for `--help`. */
export const TARGET_SPEC_HELP = [
  'top1 | CLASS          the class score (CLASS: an index, or a name from the class names)',
  'softmax:CLASS         its softmax probability (CLASS may be top1)',
  'rest:CLASS            ReST: z_c - CE(z, c)',
  'finer:CLASS           the class against its three most similar classes',
  'raw:CLASS,CLASS,...   the summed raw scores; raw: the output of a one-unit head',
  'binary:1 | binary:0   +y | -y of a one-unit head (binary:1@UNIT: unit UNIT)',
  'seg:CLASS             segmentation: the class over the model\'s own arg-max mask',
  'peak:CLASS            centre heatmap: the class at its strongest peak',
  'rank:R | topk:K       each image\'s R-th class | its K best classes summed',
] as const;

const INT = /^\d+$/;

function classOf(s: string, classes: readonly string[] | null | undefined, spec: string, allowTop1: boolean): number | 'top1' {
  const v = s.trim();
  if (v === '') throw new OptionError(`--target '${spec}': a class is missing.`);
  if (allowTop1 && v.toLowerCase() === 'top1') return 'top1';
  if (INT.test(v)) {
    const n = Number(v);
    if (classes && n >= classes.length) throw new ModelError('E_TARGET', `--target '${spec}': class ${n} is out of range: the model has ${classes.length} classes (0–${classes.length - 1}).`);
    return n;
  }
  if (/^[-+]?\d/.test(v)) throw new OptionError(`--target '${spec}': '${v}' is not a class index.`);
  if (!classes) throw new OptionError(`--target '${spec}': '${v}' is a class name, but the model has no class names; use a class index.`);
  const i = classes.findIndex((c) => c.toLowerCase() === v.toLowerCase());
  if (i < 0) throw new NameError('class', v, classes);
  return i;
}

function positive(s: string, spec: string, what: string): number {
  const v = s.trim();
  if (!INT.test(v) || Number(v) < 1) throw new OptionError(`--target '${spec}': ${what} must be a positive integer, got '${v}'.`);
  return Number(v);
}

/**
 * A target from its text form (grammar above; default 'top1' when `spec` is undefined or empty).
 * `classes`: the model's class names, for names and range checks. Unknown kinds and class names are
 * NameError (with suggestions), malformed values OptionError, classes out of range ModelError E_TARGET.
 */
export function parseTargetSpec(spec: string | undefined, classes?: readonly string[] | null): Target {
  if (spec === undefined) return 'top1';
  if (typeof spec !== 'string') throw new OptionError(`--target must be text, got ${typeof spec}.`);
  const s = spec.trim();
  if (s === '' || s.toLowerCase() === 'top1') return 'top1';
  if (s.toLowerCase() === 'raw') return rawScoresTarget();
  // A whole class name first (names may contain ':').
  if (classes) {
    const whole = classes.findIndex((c) => c.toLowerCase() === s.toLowerCase());
    if (whole >= 0) return whole;
  }
  const colon = s.indexOf(':');
  if (colon < 0) return classOf(s, classes, spec, false) as number;
  const kind = s.slice(0, colon).trim().toLowerCase();
  const arg = s.slice(colon + 1);
  switch (kind) {
    case 'class':
      return classOf(arg, classes, spec, true);
    case 'softmax':
      return softmaxTarget(classOf(arg, classes, spec, true));
    case 'rest':
      return restTarget(classOf(arg, classes, spec, true));
    case 'finer':
      return finerTarget(classOf(arg, classes, spec, true));
    case 'seg':
      return segmentationTarget(classOf(arg, classes, spec, false) as number);
    case 'peak':
      return heatmapTarget(classOf(arg, classes, spec, false) as number);
    case 'raw':
      return rawScoresTarget(arg.split(',').map((p) => classOf(p, classes, spec, false) as number));
    case 'binary': {
      const [k, unit, extra] = arg.split('@');
      if (extra !== undefined) throw new OptionError(`--target '${spec}': write binary:1@UNIT.`);
      const cat = k.trim();
      if (cat !== '0' && cat !== '1') throw new OptionError(`--target '${spec}': binary takes 1 (+y) or 0 (−y), got '${cat}'.`);
      return binaryTarget(cat === '1' ? 1 : 0, unit === undefined ? undefined : (classOf(unit, classes, spec, false) as number));
    }
    case 'rank':
      return { rank: positive(arg, spec, 'the rank') };
    case 'topk':
      return { topK: positive(arg, spec, 'k') };
    default:
      throw new NameError('target kind', kind, TARGET_SPEC_KINDS);
  }
}
