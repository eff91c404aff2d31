// <cam-heatmap>: an image with its class activation map on top. Attributes are the API (mirrored to
// properties); rendering goes through camkit's kernels, so no tfjs is needed for precomputed maps.
// Live mode (a `model`) loads the capture entry on demand and uses the page's tfjs.
import { CamkitError } from '../errors.js';
import { init } from '../runtime/init.js';
import { COLORMAPS, type ColormapName } from '../render/colormaps.js';
import { renderHeatmap, renderOverlay, type RGBAOutput } from '../render/overlay.js';
import { drawToCanvas, imageToRGBA } from '../render/canvas.js';
import { legend as legendPixels } from '../render/legend.js';
import { loadMap, parseMapJson } from '../render/mapfile.js';
import type { CamMap, RGBAImage } from '../render/types.js';
import { loadCapture } from './capture-loader.js';
import { runLive, type TfLike } from './live.js';
import { pageTf, runInWorker } from './worker-mode.js';

export interface CamHeatmapLoadDetail {
  width: number;
  height: number;
  /** 'map' for a precomputed map, 'live' when computed in the page. */
  source: 'map' | 'live' | 'image';
  kernels: string;
  /** Live mode: where the explanation ran ('worker' or 'main'), and the worker's tfjs backend. */
  thread?: 'worker' | 'main';
  backend?: string;
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

const ATTRS = ['src', 'alt', 'map', 'colormap', 'opacity', 'legend', 'loading', 'model', 'layer', 'method', 'target', 'gamma', 'overlay-style', 'map-width', 'map-height', 'worker', 'preprocess'] as const;

const CSS = `
:host{display:inline-block;position:relative;contain:content;max-width:100%}
:host([hidden]){display:none}
.frame{position:relative;line-height:0}
canvas.view{max-width:100%;height:auto;image-rendering:auto;transition:opacity .2s ease-in}
canvas.view.pending{opacity:.35}
.status{position:absolute;inset:auto 0 0 0;font:12px/1.4 system-ui,sans-serif;color:#fff;background:rgba(0,0,0,.55);padding:2px 6px;line-height:1.4}
.status:empty{display:none}
progress{position:absolute;left:8px;right:8px;top:8px;width:calc(100% - 16px)}
.controls{display:flex;align-items:center;gap:6px;font:12px system-ui,sans-serif;margin-top:4px}
.controls input{flex:1;min-width:60px}
canvas.legend{display:block;width:100%;height:16px;margin-top:4px}
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
  /** Pixels the worker rendered with the map, and the render options they were made with. */
  #pre: { key: string; px: RGBAOutput } | null = null;
  #live: { thread: 'worker' | 'main'; backend?: string } | null = null;
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
    root.innerHTML =
      (adoptStyles(root) ? '' : `<style>${CSS}</style>`) +
      `<div class="frame" part="frame" role="img"><canvas class="view pending" part="canvas" aria-hidden="true"></canvas>` +
      `<progress part="progress" hidden></progress><div class="status" part="status" role="status" aria-live="polite"></div></div>` +
      `<div class="controls" part="controls"><label part="opacity-label" for="o">Heatmap opacity</label>` +
      `<input id="o" part="opacity" type="range" min="0" max="1" step="0.01" aria-label="Heatmap opacity"></div>` +
      `<canvas class="legend" part="legend" aria-hidden="true" hidden></canvas>`;
    this.#frame = root.querySelector('.frame')!;
    this.#view = root.querySelector('canvas.view')!;
    this.#legend = root.querySelector('canvas.legend')!;
    this.#status = root.querySelector('.status')!;
    this.#progress = root.querySelector('progress')!;
    this.#slider = root.querySelector('input')!;
    this.#syncStatic();
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
    } else if (this.loading !== 'lazy') queueMicrotask(() => this.isConnected && void this.load());
  }

  disconnectedCallback(): void {
    this.#slider?.removeEventListener('input', this.#onInput);
    this.#io?.disconnect();
    this.#io = null;
    this.#ctrl?.abort();
    this.#ctrl = null;
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (old === value || !this.#root) return;
    if (name === 'alt' || name === 'opacity' || name === 'legend') this.#syncStatic();
    if (name === 'opacity' || name === 'colormap' || name === 'gamma' || name === 'overlay-style' || name === 'legend') {
      if (this.#map) void this.#render().catch((e) => this.#fail(e));
      return;
    }
    if (name === 'src') this.#image = null;
    if (name === 'map' || name === 'model' || name === 'layer' || name === 'method' || name === 'target' || name === 'src' || name === 'map-width' || name === 'map-height' || name === 'worker' || name === 'preprocess') {
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

  /** Live mode in a Web Worker: the URL of the tfjs script the worker loads (attribute `worker`, resolved against the page). */
  get worker(): string { return this.getAttribute('worker') ?? ''; }
  set worker(v: string) {
    if (v) this.setAttribute('worker', v);
    else this.removeAttribute('worker');
  }
  /** Live mode's pixel preset (attribute `preprocess`): 0-1 (default, pixels/255), 0-255, -1-1, imagenet, caffe. */
  get preprocess(): string { return this.getAttribute('preprocess') || '0-1'; }
  set preprocess(v: string) { this.setAttribute('preprocess', v); }

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
      detail: { width: px?.width ?? 0, height: px?.height ?? 0, source, kernels: (await init()).kernels, ...(source === 'live' ? this.#live : null) },
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

  #renderKey(): string {
    return [this.colormap, this.opacity, this.gamma, this.overlayStyle].join('|');
  }

  async #runLive(image: RGBAImage | null, signal: AbortSignal): Promise<CamMap> {
    if (!image) throw new CamkitError('E_FILE', 'Live mode needs an image (src or the image property).');
    const model = this.#modelObj ?? this.getAttribute('model');
    const tfjs = this.worker ? new URL(this.worker, document.baseURI).href : '';
    const onProgress = (p: { done: number; total: number }) => {
      this.#progress.max = p.total;
      this.#progress.value = p.done;
      this.dispatchEvent(new CustomEvent<CamHeatmapProgressDetail>('progress', { detail: { done: p.done, total: p.total } }));
    };
    const common = { method: this.method ?? undefined, layer: this.layer || undefined, target: this.target, preprocess: this.preprocess, signal, onProgress };
    this.#progress.hidden = false;
    this.#progress.removeAttribute('value');
    try {
      // A model URL goes to the worker; a model object lives in this thread, so it runs here.
      if (tfjs && typeof model === 'string' && !this.tf) {
        try {
          const key = this.#renderKey();
          const r = await runInWorker({
            ...common,
            tfjs,
            model: new URL(model, document.baseURI).href,
            image,
            render: { colormap: this.colormap, opacity: this.opacity, gamma: this.gamma, style: this.overlayStyle },
          });
          this.#pre = r.pixels ? { key, px: r.pixels } : null;
          this.#live = { thread: 'worker', backend: r.backend };
          return { width: r.width, height: r.height, values: r.map.subarray(0, r.width * r.height) };
        } catch (e) {
          // Only a worker that cannot start falls back; the model's own errors are the answer.
          if (!(e instanceof CamkitError && e.code === 'E_INIT' && !signal.aborted)) throw e;
        }
      }
      const tf = this.tf ?? (globalThis as { tf?: TfLike }).tf ?? (tfjs ? await pageTf(tfjs) : undefined);
      if (!tf) throw new CamkitError('E_INIT', 'Live mode needs tfjs: load it on the page (global tf), set the element\'s tf property, or name the tfjs script in the worker attribute.');
      const map = await runLive({ ...common, tf, model, image, loadCapture });
      this.#live = { thread: 'main', backend: (tf as { getBackend?: () => string }).getBackend?.() };
      return map;
    } finally {
      this.#progress.hidden = true;
    }
  }

  async #render(): Promise<void> {
    const map = this.#map, image = this.#image;
    this.#syncStatic();
    const pre = this.#pre;
    this.#pre = null;
    if (map && image && pre && pre.key === this.#renderKey() && pre.px.width === image.width && pre.px.height === image.height) {
      this.pixels = pre.px; // rendered in the worker with these options
    } else if (map && image) {
      this.pixels = await renderOverlay(map, image, { colormap: this.colormap, opacity: this.opacity, gamma: this.gamma, style: this.overlayStyle });
    } else if (map) {
      this.pixels = await renderHeatmap(map, { colormap: this.colormap, gamma: this.gamma });
    } else if (image) {
      this.pixels = { width: image.width, height: image.height, data: new Uint8ClampedArray(image.data) };
    } else return;
    // happy-dom and some headless setups have no 2D context; the pixels stay readable on .pixels.
    if (this.#view.getContext('2d')) drawToCanvas(this.#view, this.pixels);
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
