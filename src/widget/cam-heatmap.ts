// <cam-heatmap>: an image with its class activation map on top. Attributes are the API (mirrored to
// properties); rendering goes through camkit's kernels, so no tfjs is needed for precomputed maps.
// Live mode (a `model`) loads the capture entry on demand and uses the page's tfjs.
import { CamkitError } from '../errors.js';
import { init } from '../runtime/init.js';
import { COLORMAPS, type ColormapName } from '../render/colormaps.js';
import { renderHeatmap, renderOverlay, type RGBAOutput } from '../render/overlay.js';
import { drawToCanvas, imageToRGBA, toImageData } from '../render/canvas.js';
import { legend as legendPixels } from '../render/legend.js';
import { loadMap, parseMapJson } from '../render/mapfile.js';
import type { CamMap, RGBAImage } from '../render/types.js';
import { loadCapture } from './capture-loader.js';
import { runLive, type TfLike } from './live.js';

export interface CamHeatmapLoadDetail {
  width: number;
  height: number;
  /** 'map' for a precomputed map, 'live' when computed in the page. */
  source: 'map' | 'live' | 'image';
  kernels: string;
}
export interface CamHeatmapErrorDetail {
  error: Error;
  code: string;
}
export interface CamHeatmapProgressDetail {
  done: number;
  total: number;
}
/** The element's own events (detail types). */
export interface CamHeatmapEventMap {
  load: CustomEvent<CamHeatmapLoadDetail>;
  error: CustomEvent<CamHeatmapErrorDetail>;
  progress: CustomEvent<CamHeatmapProgressDetail>;
}

declare global {
  interface HTMLElementTagNameMap {
    'cam-heatmap': CamHeatmap;
  }
}

const ATTRS = ['src', 'alt', 'map', 'colormap', 'opacity', 'legend', 'loading', 'model', 'layer', 'method', 'target', 'gamma', 'overlay-style', 'map-width', 'map-height', 'width', 'height', 'fit', 'controls'] as const;

/** How the picture fills the element's box when both sizes are set (as CSS object-fit). */
export type CamHeatmapFit = 'contain' | 'cover' | 'fill';
const FITS: readonly CamHeatmapFit[] = ['contain', 'cover', 'fill'];
/** The canvas backing store follows devicePixelRatio up to this ratio … */
export const MAX_DPR = 3;
/** … and up to this many pixels (16 MB of RGBA: iOS caps the total canvas memory of a page). */
export const MAX_BACKING_PIXELS = 4096 * 1024;

/** Backing-store size for a CSS box of w×h at device pixel ratio dpr (capped by MAX_DPR and MAX_BACKING_PIXELS). */
export function backingSize(w: number, h: number, dpr: number): { width: number; height: number } {
  let s = Math.min(Math.max(dpr || 1, 1), MAX_DPR);
  if (w * h * s * s > MAX_BACKING_PIXELS) s = Math.sqrt(MAX_BACKING_PIXELS / (w * h));
  return { width: Math.max(1, Math.round(w * s)), height: Math.max(1, Math.round(h * s)) };
}

/** Where a w×h picture goes in a bw×bh box (object-fit semantics, centred). */
export function fitRect(w: number, h: number, bw: number, bh: number, fit: CamHeatmapFit): { x: number; y: number; width: number; height: number } {
  if (fit === 'fill') return { x: 0, y: 0, width: bw, height: bh };
  const s = fit === 'cover' ? Math.max(bw / w, bh / h) : Math.min(bw / w, bh / h);
  return { x: (bw - w * s) / 2, y: (bh - h * s) / 2, width: w * s, height: h * s };
}

// width/height attributes as on <img>: a non-negative number of CSS pixels (or a percentage).
function dimension(v: string | null): string | null {
  const m = v === null ? null : /^\s*(\d+(?:\.\d+)?)(%?)\s*$/.exec(v);
  return m ? m[1] + (m[2] || 'px') : null;
}

const CSS = `
:host{display:inline-block;position:relative;vertical-align:bottom;contain:strict;contain-intrinsic-size:300px 150px;max-width:100%}
:host([hidden]){display:none}
.frame{position:absolute;inset:0;line-height:0}
canvas.view{display:block;width:100%;height:100%;transition:opacity .2s ease-in}
canvas.view.pending{opacity:.35}
.status{position:absolute;inset:auto 0 0 0;font:12px/1.4 system-ui,sans-serif;color:#fff;background:rgba(0,0,0,.55);padding:2px 6px;line-height:1.4}
.status:empty{display:none}
progress{position:absolute;left:8px;right:8px;top:8px;width:calc(100% - 16px)}
.controls{position:absolute;left:0;right:0;bottom:0;display:flex;align-items:center;gap:6px;font:12px/1.4 system-ui,sans-serif;color:#fff;background:rgba(0,0,0,.5);padding:2px 6px}
.controls input{flex:1;min-width:40px;margin:0}
canvas.legend{position:absolute;left:0;bottom:0;width:100%;height:12px}
.controls:not([hidden])~canvas.legend{bottom:24px}
[hidden]{display:none!important}
@media (prefers-reduced-motion: reduce){canvas.view{transition:none}}
`;

// A constructed stylesheet is not subject to a page's style-src CSP (an inline <style> is), so pages
// with a strict CSP still get the element's styles. Built on first use, shared by every instance.
let sheet: CSSStyleSheet | null = null;
function adoptStyles(root: ShadowRoot): boolean {
  try {
    if (!sheet) {
      const s = new CSSStyleSheet();
      s.replaceSync(CSS);
      sheet = s;
    }
    root.adoptedStyleSheets = [sheet];
    return true;
  } catch {
    return false; // no constructable stylesheets (older WebViews): fall back to a <style> element
  }
}

// Without a DOM (SSR, Node) the class still evaluates; only define() needs customElements.
const Base: typeof HTMLElement = (globalThis as { HTMLElement?: typeof HTMLElement }).HTMLElement ?? (class {} as unknown as typeof HTMLElement);

export class CamHeatmap extends Base {
  /** The element's shadow stylesheet text (for docs and tests). */
  static readonly styles = CSS;

  static get observedAttributes(): readonly string[] {
    return ATTRS;
  }

  /** The tfjs object live mode uses; defaults to the page's global `tf`. */
  tf: TfLike | null = null;
  /** The last rendered pixels (ImageData-shaped), or null before the first render. */
  pixels: RGBAOutput | null = null;

  #root: ShadowRoot | null = null;
  #frame!: HTMLElement;
  #view!: HTMLCanvasElement;
  #legend!: HTMLCanvasElement;
  #status!: HTMLElement;
  #progress!: HTMLProgressElement;
  #slider!: HTMLInputElement;
  #mapData: CamMap | null = null;
  #mapFloat: Float32Array | null = null;
  #imageData: RGBAImage | null = null;
  #modelObj: unknown = null;
  #map: CamMap | null = null;
  #image: RGBAImage | null = null;
  #ctrl: AbortController | null = null;
  #loading: Promise<void> | null = null;
  #dirty = true;
  #io: IntersectionObserver | null = null;
  #ro: ResizeObserver | null = null;
  #dprQuery: MediaQueryList | null = null;
  #sizeSheet: CSSStyleSheet | HTMLStyleElement | null = null;
  #natural: { width: number; height: number } | null = null;
  #scratch: HTMLCanvasElement | OffscreenCanvas | null = null;
  override addEventListener<K extends keyof CamHeatmapEventMap>(type: K, listener: (this: CamHeatmap, ev: CamHeatmapEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: never, options?: boolean | AddEventListenerOptions): void {
    super.addEventListener(type, listener, options);
  }

  #onInput = () => {
    this.opacity = Number(this.#slider.value);
  };

  #ensureShadow(): void {
    if (this.#root) return;
    const root = this.attachShadow({ mode: 'open' });
    this.#root = root;
    const adopted = adoptStyles(root);
    root.innerHTML =
      (adopted ? '' : `<style>${CSS}</style><style></style>`) +
      `<div class="frame" part="frame" role="img"><canvas class="view pending" part="canvas" aria-hidden="true"></canvas>` +
      `<progress part="progress" hidden></progress><div class="status" part="status" role="status" aria-live="polite"></div></div>` +
      `<div class="controls" part="controls" hidden><label part="opacity-label" for="o">Heatmap opacity</label>` +
      `<input id="o" part="opacity" type="range" min="0" max="1" step="0.01" aria-label="Heatmap opacity"></div>` +
      `<canvas class="legend" part="legend" aria-hidden="true" hidden></canvas>`;
    this.#frame = root.querySelector('.frame')!;
    this.#view = root.querySelector('canvas.view')!;
    this.#legend = root.querySelector('canvas.legend')!;
    this.#status = root.querySelector('.status')!;
    this.#progress = root.querySelector('progress')!;
    this.#slider = root.querySelector('input')!;
    if (adopted) {
      // The element's own size rules (natural size, aspect ratio, width/height attributes): a per-instance sheet.
      try {
        const own = new CSSStyleSheet();
        root.adoptedStyleSheets = [...root.adoptedStyleSheets, own];
        this.#sizeSheet = own;
      } catch { /* keep the shared sheet only */ }
    } else this.#sizeSheet = root.querySelectorAll('style')[1] ?? null;
    this.#syncStatic();
    this.#syncSize();
  }

  connectedCallback(): void {
    this.#ensureShadow();
    this.#slider.addEventListener('input', this.#onInput);
    if (this.loading === 'lazy' && typeof IntersectionObserver !== 'undefined') {
      // As model-viewer: a tiny non-zero threshold, so elements merely adjacent to the viewport wait.
      this.#io = new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          this.#io?.disconnect();
          this.#io = null;
          void this.load();
        }
      }, { threshold: 0.00001 });
      this.#io.observe(this);
    }
    if (typeof ResizeObserver !== 'undefined') {
      // A new box only redraws the rendered pixels: no map or overlay is recomputed.
      this.#ro = new ResizeObserver(() => this.#paint());
      this.#ro.observe(this.#frame);
    }
    this.#watchDpr();
    if (this.loading !== 'lazy') queueMicrotask(() => this.isConnected && void this.load());
  }

  disconnectedCallback(): void {
    this.#slider?.removeEventListener('input', this.#onInput);
    this.#io?.disconnect();
    this.#io = null;
    this.#ro?.disconnect();
    this.#ro = null;
    this.#dprQuery?.removeEventListener('change', this.#onDpr);
    this.#dprQuery = null;
    this.#ctrl?.abort();
    this.#ctrl = null;
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (old === value || !this.#root) return;
    if (name === 'alt' || name === 'opacity' || name === 'legend' || name === 'controls') this.#syncStatic();
    if (name === 'width' || name === 'height') this.#syncSize();
    if (name === 'fit') this.#paint();
    if (name === 'width' || name === 'height' || name === 'fit' || name === 'controls') return;
    if (name === 'opacity' || name === 'colormap' || name === 'gamma' || name === 'overlay-style' || name === 'legend') {
      if (this.#map) void this.#render().catch((e) => this.#fail(e));
      return;
    }
    if (name === 'src') this.#image = null;
    if (name === 'map' || name === 'model' || name === 'layer' || name === 'method' || name === 'target' || name === 'src' || name === 'map-width' || name === 'map-height') {
      if (name !== 'src') this.#map = null;
      if (name === 'map') this.#mapData = this.#mapFloat = null;
      this.#dirty = true;
      if (this.isConnected && this.loading !== 'lazy') queueMicrotask(() => this.isConnected && void this.load());
    }
  }

  // ---- attribute-mirrored properties ----
  get src(): string { return this.getAttribute('src') ?? ''; }
  set src(v: string) { this.setAttribute('src', v); }
  get alt(): string { return this.getAttribute('alt') ?? ''; }
  set alt(v: string) { this.setAttribute('alt', v); }
  get colormap(): ColormapName {
    const c = this.getAttribute('colormap') as ColormapName | null;
    return c && (COLORMAPS as readonly string[]).includes(c) ? c : 'jet';
  }
  set colormap(v: ColormapName) { this.setAttribute('colormap', v); }
  get opacity(): number {
    const v = Number(this.getAttribute('opacity') ?? 0.5);
    return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0.5;
  }
  set opacity(v: number) { this.setAttribute('opacity', String(v)); }
  get gamma(): number {
    const v = Number(this.getAttribute('gamma') ?? 1);
    return v > 0 && Number.isFinite(v) ? v : 1;
  }
  set gamma(v: number) { this.setAttribute('gamma', String(v)); }
  get overlayStyle(): 'alpha' | 'show_cam_on_image' {
    return this.getAttribute('overlay-style') === 'show_cam_on_image' ? 'show_cam_on_image' : 'alpha';
  }
  set overlayStyle(v: 'alpha' | 'show_cam_on_image') { this.setAttribute('overlay-style', v); }
  get legend(): boolean { return this.hasAttribute('legend'); }
  set legend(v: boolean) { this.toggleAttribute('legend', !!v); }
  get loading(): 'eager' | 'lazy' { return this.getAttribute('loading') === 'lazy' ? 'lazy' : 'eager'; }
  set loading(v: 'eager' | 'lazy') { this.setAttribute('loading', v); }
  /** Rendered width in CSS pixels as on <img> (attribute `width`); 0 when not set. */
  get width(): number { return Number.parseFloat(this.getAttribute('width') ?? '') || 0; }
  set width(v: number) { this.setAttribute('width', String(v)); }
  get height(): number { return Number.parseFloat(this.getAttribute('height') ?? '') || 0; }
  set height(v: number) { this.setAttribute('height', String(v)); }
  /** How the picture fills a box whose aspect differs from the image's: contain (default), cover, fill. */
  get fit(): CamHeatmapFit {
    const f = this.getAttribute('fit') as CamHeatmapFit | null;
    return f && FITS.includes(f) ? f : 'contain';
  }
  set fit(v: CamHeatmapFit) { this.setAttribute('fit', v); }
  /** Shows the opacity slider (as `controls` on <video>). */
  get controls(): boolean { return this.hasAttribute('controls'); }
  set controls(v: boolean) { this.toggleAttribute('controls', !!v); }
  get layer(): string { return this.getAttribute('layer') ?? ''; }
  set layer(v: string) { this.setAttribute('layer', v); }
  /** Live mode's method (a registry name or alias); null: the registry's default (camkit's DEFAULT_METHOD). */
  get method(): string | null { return this.getAttribute('method'); }
  set method(v: string) { this.setAttribute('method', v); }
  get target(): number | undefined {
    const t = this.getAttribute('target');
    return t === null || t === '' ? undefined : Number(t);
  }
  set target(v: number | undefined) {
    if (v === undefined) this.removeAttribute('target');
    else this.setAttribute('target', String(v));
  }

  /**
   * The map: a URL (attribute `map`: camkit-map/1 JSON or grayscale PNG, data: URLs too), a CamMap
   * {width, height, values}, a camkit-map/1 JSON object, or a Float32Array sized by map-width/map-height.
   */
  get map(): string | CamMap | Float32Array | null {
    return this.#mapData ?? this.#mapFloat ?? this.getAttribute('map');
  }
  set map(v: string | CamMap | Float32Array | Record<string, unknown> | null) {
    if (v === null || typeof v === 'string') {
      this.#mapData = this.#mapFloat = null;
      if (v === null) this.removeAttribute('map');
      else this.setAttribute('map', v);
    } else {
      this.#mapFloat = v instanceof Float32Array ? v : null;
      this.#mapData = v instanceof Float32Array ? null : 'format' in v ? parseMapJson(v) : (v as CamMap);
      this.#invalidate();
    }
  }

  /** Pixels to use instead of `src` (an ImageData or {width, height, data}). */
  get image(): RGBAImage | null { return this.#imageData; }
  set image(v: RGBAImage | null) {
    this.#imageData = v;
    this.#image = null;
    this.#invalidate();
  }

  /** Live mode: a model URL (attribute `model`) or a loaded tfjs model object. */
  get model(): unknown { return this.#modelObj ?? this.getAttribute('model'); }
  set model(v: unknown) {
    if (typeof v === 'string') {
      this.#modelObj = null;
      this.setAttribute('model', v);
    } else {
      this.#modelObj = v;
      this.#invalidate();
    }
  }

  #invalidate(): void {
    this.#map = null;
    this.#dirty = true;
    if (this.isConnected && this.loading !== 'lazy') queueMicrotask(() => this.isConnected && void this.load());
  }

  #syncStatic(): void {
    if (!this.#root) return;
    this.#frame.setAttribute('aria-label', this.alt || 'Class activation heatmap');
    this.#slider.value = String(this.opacity);
    this.#legend.hidden = !this.legend;
    (this.#slider.parentElement as HTMLElement).hidden = !this.controls;
  }

  // Size rules, lower in the cascade than any page CSS for the element (as an <img>'s presentational
  // hints): the picture's natural size (contain-intrinsic-size) and aspect ratio, then width/height attributes.
  #syncSize(): void {
    const sheet = this.#sizeSheet;
    if (!sheet) return;
    const n = this.#natural;
    const w = dimension(this.getAttribute('width')), h = dimension(this.getAttribute('height'));
    let css = '';
    if (n) css += `contain-intrinsic-size:${n.width}px ${n.height}px;aspect-ratio:${n.width}/${n.height};`;
    else if (w?.endsWith('px') && h?.endsWith('px')) css += `aspect-ratio:${parseFloat(w)}/${parseFloat(h)};`;
    if (w) css += `width:${w};`;
    if (h) css += `height:${h};`;
    const text = css ? `:host{${css}}` : '';
    if ('replaceSync' in sheet) sheet.replaceSync(text);
    else sheet.textContent = text;
  }

  #onDpr = () => {
    this.#watchDpr();
    this.#paint();
  };

  // devicePixelRatio changes (zoom, moving to another screen) fire no ResizeObserver entry: watch a media query.
  #watchDpr(): void {
    this.#dprQuery?.removeEventListener('change', this.#onDpr);
    this.#dprQuery = null;
    if (typeof matchMedia !== 'function' || !this.isConnected) return;
    try {
      const q = matchMedia(`(resolution: ${globalThis.devicePixelRatio || 1}dppx)`);
      q.addEventListener?.('change', this.#onDpr);
      this.#dprQuery = q;
    } catch { /* no media queries */ }
  }

  /** Draws the rendered pixels into the element's box: backing store = box × devicePixelRatio (capped), fitted. */
  #paint(): void {
    const px = this.pixels, view = this.#view;
    if (!px || !view) return;
    // No layout (display:none, happy-dom): the picture's own size.
    const bw = this.#frame.clientWidth || px.width, bh = this.#frame.clientHeight || px.height;
    const b = backingSize(bw, bh, globalThis.devicePixelRatio || 1);
    if (view.width !== b.width) view.width = b.width;
    if (view.height !== b.height) view.height = b.height;
    const ctx = view.getContext('2d');
    if (!ctx) return; // happy-dom and some headless setups: the pixels stay readable on .pixels
    const r = fitRect(px.width, px.height, b.width, b.height, this.fit);
    if (r.width === px.width && r.height === px.height && Number.isInteger(r.x) && Number.isInteger(r.y)) {
      ctx.clearRect(0, 0, b.width, b.height);
      ctx.putImageData(toImageData(px), r.x, r.y); // 1:1: exact pixels, no resampling
      return;
    }
    let src = this.#scratch;
    if (!src || src.width !== px.width || src.height !== px.height) {
      src = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(px.width, px.height) : Object.assign(document.createElement('canvas'), { width: px.width, height: px.height });
      this.#scratch = src;
    }
    (src.getContext('2d') as CanvasRenderingContext2D | null)?.putImageData(toImageData(px), 0, 0);
    ctx.clearRect(0, 0, b.width, b.height);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(src, r.x, r.y, r.width, r.height);
  }

  /** Loads everything needed and renders; with loading="lazy" this is what the viewport triggers. */
  load(): Promise<void> {
    this.#ensureShadow();
    if (!this.#dirty && this.#loading) return this.#loading;
    if (!this.#dirty && this.#map) return Promise.resolve();
    this.#dirty = false;
    this.#ctrl?.abort();
    const ctrl = new AbortController();
    this.#ctrl = ctrl;
    const p = this.#load(ctrl.signal).catch((e) => {
      if (!ctrl.signal.aborted) this.#fail(e);
    });
    this.#loading = p;
    return p;
  }

  async #load(signal: AbortSignal): Promise<void> {
    await init();
    const [image, source] = await Promise.all([this.#loadImage(), Promise.resolve(this.#source())]);
    if (signal.aborted) return;
    this.#image = image;
    let map: CamMap | null = null;
    if (source === 'map') map = await this.#loadMapValue();
    else if (source === 'live') map = await this.#runLive(image, signal);
    if (signal.aborted) return;
    this.#map = map;
    await this.#render();
    const px = this.pixels;
    this.dispatchEvent(new CustomEvent<CamHeatmapLoadDetail>('load', {
      detail: { width: px?.width ?? 0, height: px?.height ?? 0, source, kernels: (await init()).kernels },
    }));
  }

  #source(): 'map' | 'live' | 'image' {
    if (this.#mapData || this.#mapFloat || this.getAttribute('map')) return 'map';
    if (this.#modelObj || this.getAttribute('model')) return 'live';
    return 'image';
  }

  async #loadMapValue(): Promise<CamMap> {
    if (this.#mapData) return this.#mapData;
    if (this.#mapFloat) {
      const w = Number(this.getAttribute('map-width')), h = Number(this.getAttribute('map-height'));
      if (!(w * h === this.#mapFloat.length)) {
        throw new CamkitError('E_SHAPE', `A Float32Array map needs map-width × map-height = ${this.#mapFloat.length}, got ${w}×${h}.`);
      }
      return { width: w, height: h, values: this.#mapFloat };
    }
    return loadMap(new URL(this.getAttribute('map')!, document.baseURI).href);
  }

  async #loadImage(): Promise<RGBAImage | null> {
    if (this.#imageData) return this.#imageData;
    if (this.#image) return this.#image;
    if (!this.src) return null;
    const img = new Image();
    img.crossOrigin = 'anonymous';
    img.decoding = 'async';
    img.alt = this.alt;
    img.src = new URL(this.src, document.baseURI).href;
    try {
      await img.decode();
    } catch (cause) {
      throw new CamkitError('E_FILE', `Could not load the image ${this.src}.`, { cause });
    }
    return imageToRGBA(img);
  }

  async #runLive(image: RGBAImage | null, signal: AbortSignal): Promise<CamMap> {
    const tf = this.tf ?? (globalThis as { tf?: TfLike }).tf;
    if (!tf) throw new CamkitError('E_INIT', 'Live mode needs tfjs: load it on the page (global tf) or set the element\'s tf property.');
    if (!image) throw new CamkitError('E_FILE', 'Live mode needs an image (src or the image property).');
    this.#progress.hidden = false;
    this.#progress.removeAttribute('value');
    try {
      return await runLive({
        tf,
        model: this.#modelObj ?? this.getAttribute('model'),
        image,
        method: this.method ?? undefined,
        layer: this.layer || undefined,
        target: this.target,
        signal,
        loadCapture,
        onProgress: (p) => {
          this.#progress.max = p.total;
          this.#progress.value = p.done;
          this.dispatchEvent(new CustomEvent<CamHeatmapProgressDetail>('progress', { detail: { done: p.done, total: p.total } }));
        },
      });
    } finally {
      this.#progress.hidden = true;
    }
  }

  async #render(): Promise<void> {
    const map = this.#map, image = this.#image;
    this.#syncStatic();
    if (map && image) {
      this.pixels = await renderOverlay(map, image, { colormap: this.colormap, opacity: this.opacity, gamma: this.gamma, style: this.overlayStyle });
    } else if (map) {
      this.pixels = await renderHeatmap(map, { colormap: this.colormap, gamma: this.gamma });
    } else if (image) {
      this.pixels = { width: image.width, height: image.height, data: new Uint8ClampedArray(image.data) };
    } else return;
    const n = { width: this.pixels.width, height: this.pixels.height };
    if (n.width !== this.#natural?.width || n.height !== this.#natural?.height) {
      this.#natural = n;
      this.#syncSize();
    }
    this.#paint();
    this.#view.classList.remove('pending');
    this.#status.textContent = '';
    if (this.legend && this.#legend.getContext('2d')) drawToCanvas(this.#legend, legendPixels({ colormap: this.colormap, gamma: this.gamma, width: 256, height: 12 }));
  }

  #fail(e: unknown): void {
    const error = e instanceof Error ? e : new Error(String(e));
    if (this.#status) this.#status.textContent = `Heatmap unavailable: ${error.message}`;
    this.dispatchEvent(new CustomEvent<CamHeatmapErrorDetail>('error', { detail: { error, code: (error as CamkitError).code ?? 'E_UNKNOWN' } }));
  }
}

/** Registers the element (once: a second script or bundle copy is a no-op). Returns the tag's class. */
export function defineCamHeatmap(tag = 'cam-heatmap'): CustomElementConstructor | undefined {
  if (typeof customElements === 'undefined') return undefined;
  const existing = customElements.get(tag);
  if (existing) return existing;
  // A fresh subclass per extra tag: one constructor cannot be defined under two names.
  const C = tag === 'cam-heatmap' ? CamHeatmap : class extends CamHeatmap {};
  customElements.define(tag, C);
  return C;
}
