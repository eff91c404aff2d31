// Token models (vision transformers): a layer whose output is [N, T, C] is read as an [N, h, w, C]
// feature map exactly as pytorch-grad-cam's reshape_transform does: the leading non-patch tokens
// (CLS, distillation, registers) are dropped and the rest laid out row-major on the patch grid
// (token prefix + y·w + x is cell (y, x)). The grid and the number of leading tokens come from the
// `tokens` option, or are inferred from the input size when only one patch grid fits.
import * as tf from '@tensorflow/tfjs-core';
import { ModelError, OptionError } from '../errors.js';
import type { CaptureResult, Edit, HeadOp, ModelAdapter, ScoreFn } from './adapter.js';

export interface TokenOptions {
  /** [h, w] of the patch grid. */
  grid?: readonly [number, number];
  /** Leading tokens that are not patches (1 for a CLS token, 2 with a distillation token). */
  prefix?: number;
}

export interface TokenLayout {
  prefix: number;
  h: number;
  w: number;
}

/** Inference considers at most this many leading tokens (CLS + distillation + 4 registers fit). */
export const MAX_INFERRED_PREFIX = 8;

const posInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Validates the `tokens` option's shape (no model needed). */
export function checkTokenOptions(o: TokenOptions | undefined): void {
  if (o === undefined) return;
  if (o === null || typeof o !== 'object') throw new OptionError(`tokens must be { grid?: [h, w], prefix?: k }, got ${String(o)}.`);
  if (o.grid !== undefined && !(Array.isArray(o.grid) && o.grid.length === 2 && o.grid.every(posInt))) {
    throw new OptionError(`tokens.grid must be [h, w] of positive integers, got ${JSON.stringify(o.grid)}.`);
  }
  if (o.prefix !== undefined && !(Number.isInteger(o.prefix) && o.prefix >= 0)) throw new OptionError(`tokens.prefix must be an integer ≥ 0, got ${String(o.prefix)}.`);
}

/**
 * The token layout of a layer with `tokens` tokens for an input of size [H, W]: from `opts`, or the
 * only patch grid of two cells or more (square patches dividing H and W) that leaves
 * 0…MAX_INFERRED_PREFIX leading tokens.
 * OptionError when nothing fits or several grids do.
 */
export function tokenLayout(tokens: number, input: readonly [number, number], opts: TokenOptions = {}, layer = 'the layer'): TokenLayout {
  checkTokenOptions(opts);
  if (opts.grid) {
    const [h, w] = opts.grid;
    const prefix = opts.prefix ?? tokens - h * w;
    if (prefix < 0 || prefix + h * w !== tokens) {
      throw new OptionError(`tokens: ${layer} has ${tokens} tokens; a ${h}×${w} grid${opts.prefix !== undefined ? ` after ${opts.prefix} leading tokens` : ''} needs ${h * w + Math.max(prefix, 0)}.`);
    }
    return { prefix, h, w };
  }
  const [H, W] = input;
  const found: TokenLayout[] = [];
  for (let p = 1; p <= Math.min(H, W); p++) {
    if (H % p || W % p) continue;
    const h = H / p, w = W / p, k = tokens - h * w;
    if (h * w < 2) continue; // a one-cell grid explains nothing
    const ok = opts.prefix !== undefined ? k === opts.prefix : k >= 0 && k <= MAX_INFERRED_PREFIX;
    if (ok) found.push({ prefix: k, h, w });
  }
  if (found.length === 1) return found[0];
  const how = 'pass tokens: { grid: [h, w], prefix: k }';
  if (!found.length) {
    throw new OptionError(`${layer} outputs ${tokens} tokens, which fit no patch grid of the ${H}×${W} input${opts.prefix !== undefined ? ` after ${opts.prefix} leading tokens` : ` with at most ${MAX_INFERRED_PREFIX} leading tokens`}: ${how}.`);
  }
  const list = found.map((l) => `${l.h}×${l.w} after ${l.prefix}`).join(', ');
  throw new OptionError(`${layer} outputs ${tokens} tokens, which fit several patch grids of the ${H}×${W} input (${list}): ${how}.`);
}

/** [N, T, C] → [N, h, w, C]: leading tokens dropped, the rest row-major on the grid (call inside a tidy). */
export function tokensToMap(t: tf.Tensor, l: TokenLayout): tf.Tensor4D {
  const [n, , c] = t.shape as [number, number, number];
  const patches = l.prefix ? tf.slice(t, [0, l.prefix, 0], [-1, l.h * l.w, -1]) : t;
  return tf.reshape(patches, [n, l.h, l.w, c]);
}

/** The inverse: `map` [N, h, w, C] written over the patch tokens of `tokens` [N, T, C], the leading ones kept (call inside a tidy). */
export function mapToTokens(map: tf.Tensor, tokens: tf.Tensor, l: TokenLayout): tf.Tensor3D {
  const [n, , , c] = map.shape as [number, number, number, number];
  const patches = tf.reshape(map, [n, l.h * l.w, c]);
  if (!l.prefix) return patches as tf.Tensor3D;
  const lead = tf.slice(tokens, [0, 0, 0], [-1, l.prefix, -1]);
  return tf.concat([lead.shape[0] === n ? lead : tf.tile(lead, [n / lead.shape[0]!, 1, 1]), patches], 1) as tf.Tensor3D;
}

const tokenDefaults = new WeakMap<ModelAdapter, Map<string, string>>();

/** What the token view adds to an adapter (the perturbation code asks for it). */
export interface TokenAware {
  /** The layer's token layout for input x, or null when its output is not [N, T, C]. */
  tokenLayout(x: tf.Tensor, layer: string): TokenLayout | null;
  /** The layer's raw [N, T, C] output. */
  rawActivations(x: tf.Tensor, layer: string): tf.Tensor;
}

export function isTokenAware(m: unknown): m is TokenAware {
  return !!m && typeof (m as Partial<TokenAware>).tokenLayout === 'function' && typeof (m as Partial<TokenAware>).rawActivations === 'function';
}

/**
 * An adapter view in which token layers are [N, h, w, C] maps: activations and gradients are
 * reshaped, and maps given to forwardFrom are written back over the patch tokens (the leading
 * tokens keep their clean values; an [N, T, C] tensor is passed through as is). Other layers are
 * untouched, so every method runs on token layers as on CNN feature maps.
 */
export class TokenAdapter implements ModelAdapter, TokenAware {
  readonly kind: ModelAdapter['kind'];
  private readonly layouts = new Map<string, TokenLayout | null>();
  constructor(
    readonly inner: ModelAdapter,
    private readonly opts: TokenOptions = {},
  ) {
    checkTokenOptions(opts);
    this.kind = inner.kind;
  }

  layersModel(): ReturnType<NonNullable<ModelAdapter['layersModel']>> | undefined {
    return this.inner.layersModel?.();
  }

  graphModel(): ReturnType<NonNullable<ModelAdapter['graphModel']>> | undefined {
    return this.inner.graphModel?.();
  }

  headOps(layer: string): HeadOp[] | null {
    return this.inner.headOps?.(layer) ?? null;
  }

  private key(x: tf.Tensor, layer: string): string {
    return `${layer}|${x.shape.join('x')}`;
  }

  private layoutOf(x: tf.Tensor, layer: string, t: tf.Tensor): TokenLayout | null {
    const k = this.key(x, layer);
    if (this.layouts.has(k)) return this.layouts.get(k)!;
    const l = t.rank === 3 ? tokenLayout(t.shape[1]!, [x.shape[1]!, x.shape[2]!], this.opts, `Layer '${layer}'`) : null;
    this.layouts.set(k, l);
    return l;
  }

  tokenLayout(x: tf.Tensor, layer: string): TokenLayout | null {
    const k = this.key(x, layer);
    if (this.layouts.has(k)) return this.layouts.get(k)!;
    const t = this.inner.activations(x, layer);
    try {
      return this.layoutOf(x, layer, t);
    } finally {
      t.dispose();
    }
  }

  rawActivations(x: tf.Tensor, layer: string): tf.Tensor {
    return this.inner.activations(x, layer);
  }

  /** Replaces a token tensor by its map view; disposes `t` when it does. */
  private view(x: tf.Tensor, layer: string, t: tf.Tensor): tf.Tensor {
    let l: TokenLayout | null;
    try {
      l = this.layoutOf(x, layer, t);
    } catch (e) {
      t.dispose();
      throw e;
    }
    if (!l) return t;
    const m = tf.tidy(() => tokensToMap(t, l));
    t.dispose();
    return m;
  }

  outputName(): string {
    return this.inner.outputName();
  }

  outputNames(): string[] {
    return this.inner.outputNames();
  }

  predict(x: tf.Tensor): tf.Tensor {
    return this.inner.predict(x);
  }

  activations(x: tf.Tensor, layer: string): tf.Tensor {
    return this.view(x, layer, this.inner.activations(x, layer));
  }

  forwardFrom(x: tf.Tensor, layer: string, a: tf.Tensor): tf.Tensor {
    if (a.rank !== 4) return this.inner.forwardFrom(x, layer, a);
    const tokens = this.inner.activations(x, layer);
    try {
      const l = this.layoutOf(x, layer, tokens);
      if (!l) return this.inner.forwardFrom(x, layer, a);
      const [, h, w] = a.shape;
      if (h !== l.h || w !== l.w) throw new ModelError('E_MODEL', `Layer '${layer}' is a ${l.h}×${l.w} token grid; got a ${h}×${w} map.`);
      return tf.tidy(() => this.inner.forwardFrom(x, layer, mapToTokens(a, tokens, l)));
    } finally {
      tokens.dispose();
    }
  }

  capture(x: tf.Tensor, layer: string, score: ScoreFn, edit?: Edit): CaptureResult {
    const r = this.inner.capture(x, layer, score, edit);
    if (r.activations.rank !== 3) return r;
    let l: TokenLayout | null;
    try {
      l = this.layoutOf(x, layer, r.activations);
    } catch (e) {
      tf.dispose([r.activations, r.gradients, r.output]);
      throw e;
    }
    const out = tf.tidy(() => ({ activations: tokensToMap(r.activations, l!), gradients: tokensToMap(r.gradients, l!) }));
    tf.dispose([r.activations, r.gradients]);
    return { ...out, output: r.output };
  }

  inputGradient(x: tf.Tensor, score: ScoreFn): { gradients: tf.Tensor; output: tf.Tensor } {
    return this.inner.inputGradient(x, score);
  }

  layerNames(): string[] {
    return this.inner.layerNames();
  }

  /**
   * Token models: the deepest token layer computed before the last block's attention (the last
   * block's norm1 in a ViT, pytorch-grad-cam's advice: later tokens reach the logits only through
   * the CLS token). Otherwise the model's automatic layer.
   */
  defaultLayer(x: tf.Tensor): string {
    // Per inner adapter (those are cached per model), so each call does not look again.
    let defaults = tokenDefaults.get(this.inner);
    if (!defaults) tokenDefaults.set(this.inner, (defaults = new Map()));
    const key = `${x.shape.join('x')}|${JSON.stringify(this.opts)}`;
    const hit = defaults.get(key);
    if (hit) return hit;
    let shapes: Map<string, number[]>;
    try {
      shapes = this.inner.layerShapes(x);
    } catch {
      return this.inner.defaultLayer(x); // reports the model's own error, or finds a layer without shapes
    }
    const names = this.inner.order([...shapes.keys()]);
    const hw: [number, number] = [x.shape[1]!, x.shape[2]!];
    const tokens = names.filter((n) => {
      const s = shapes.get(n)!;
      if (s.length !== 3 || !(s[1] > 1)) return false;
      try {
        tokenLayout(s[1], hw, this.opts);
        return true;
      } catch {
        return false;
      }
    });
    const counts = new Set(tokens.map((n) => shapes.get(n)![1]));
    const attention = names.filter((n) => {
      const s = shapes.get(n)!;
      return s.length === 4 && s[2] === s[3] && counts.has(s[2]);
    });
    let pick: string | null = null;
    if (tokens.length && attention.length) {
      const last = names.indexOf(attention[attention.length - 1]);
      const before = tokens.filter((n) => names.indexOf(n) < last);
      pick = before.length ? before[before.length - 1] : null;
    }
    pick ??= this.inner.defaultLayer(x);
    defaults.set(key, pick);
    return pick;
  }

  layerShapes(x: tf.Tensor): Map<string, number[]> {
    return this.inner.layerShapes(x);
  }

  describeLayers(x: tf.Tensor): { name: string; shape: (number | null)[] | null; kind: string }[] {
    return this.inner.describeLayers(x);
  }

  layerOp(name: string): string | null {
    return this.inner.layerOp(name);
  }

  order(names: readonly string[]): string[] {
    return this.inner.order(names);
  }
}

/** The token view of an adapter (an adapter that already is one is returned as is). */
export function withTokens(ad: ModelAdapter, opts?: TokenOptions): TokenAdapter {
  return ad instanceof TokenAdapter ? ad : new TokenAdapter(ad, opts);
}
