// @vitest-environment happy-dom
// <cam-heatmap> sizes like an image (the layout itself is checked in real engines, test/browser/sizing.test.ts):
// the fit and backing-store arithmetic, the element's own size rules, controls, and a resize that redraws
// without rendering the overlay again.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CamHeatmap, MAX_BACKING_PIXELS, MAX_DPR, backingSize, fitRect } from '../../src/widget/cam-heatmap.js';
import '../../src/widget/index.js';
import { init } from '../../src/runtime/init.js';

const once = (el: EventTarget, type: string) => new Promise((r) => el.addEventListener(type, r, { once: true }));
const img = { width: 64, height: 48, data: new Uint8ClampedArray(64 * 48 * 4).fill(200) };
const map = { width: 2, height: 1, values: Float32Array.from([0, 1]) };
const ownCss = (el: CamHeatmap) => {
  const sheets = el.shadowRoot!.adoptedStyleSheets ?? [];
  return sheets.length > 1 ? Array.from(sheets[sheets.length - 1].cssRules, (r) => r.cssText).join('') : el.shadowRoot!.querySelectorAll('style')[1]?.textContent ?? '';
};

afterEach(() => {
  document.body.innerHTML = '';
  vi.unstubAllGlobals();
});

describe('fit and backing store', () => {
  it('fitRect: contain letterboxes, cover crops, fill stretches (centred, as object-fit)', () => {
    expect(fitRect(64, 48, 256, 192, 'contain')).toEqual({ x: 0, y: 0, width: 256, height: 192 });
    expect(fitRect(64, 48, 256, 96, 'contain')).toEqual({ x: 64, y: 0, width: 128, height: 96 });
    expect(fitRect(64, 48, 256, 96, 'cover')).toEqual({ x: 0, y: -48, width: 256, height: 192 });
    expect(fitRect(64, 48, 256, 96, 'fill')).toEqual({ x: 0, y: 0, width: 256, height: 96 });
  });

  it('backingSize follows devicePixelRatio, at least 1, capped by MAX_DPR and MAX_BACKING_PIXELS', () => {
    expect(backingSize(256, 192, 1)).toEqual({ width: 256, height: 192 });
    expect(backingSize(256, 192, 2)).toEqual({ width: 512, height: 384 });
    expect(backingSize(256, 192, 0.5)).toEqual({ width: 256, height: 192 });
    expect(backingSize(100, 100, 10)).toEqual({ width: 100 * MAX_DPR, height: 100 * MAX_DPR });
    const big = backingSize(4000, 3000, 3);
    expect(big.width * big.height).toBeLessThanOrEqual(MAX_BACKING_PIXELS * 1.001);
    expect(big.width / big.height).toBeCloseTo(4 / 3, 2);
  });
});

describe('<cam-heatmap> size rules in happy-dom', () => {
  it('no size: the picture\'s own size and aspect ratio; width/height attributes as on <img>, below page CSS', async () => {
    await init();
    const el = document.createElement('cam-heatmap') as CamHeatmap;
    el.image = img;
    el.map = map;
    document.body.append(el);
    await once(el, 'load');
    expect(ownCss(el).replace(/\s/g, '')).toMatch(/contain-intrinsic-size:64px48px;aspect-ratio:64\/48/);
    el.setAttribute('width', '128');
    expect(el.width).toBe(128);
    expect(ownCss(el).replace(/\s/g, '')).toContain('width:128px');
    el.setAttribute('height', '50%');
    expect(ownCss(el).replace(/\s/g, '')).toContain('height:50%');
    el.setAttribute('width', 'nonsense');
    expect(el.width).toBe(0);
    expect(ownCss(el)).not.toMatch(/(^|[^-])width:/);
    // The element's rules live in its shadow root (:host), which page CSS for the element overrides.
    expect(ownCss(el)).toMatch(/^:host/);
    // The canvas backing store: the picture's size when there is no layout (happy-dom).
    const c = el.shadowRoot!.querySelector('canvas.view') as HTMLCanvasElement;
    expect([c.width, c.height]).toEqual([64, 48]);
  });

  it('fit defaults to contain; controls shows the opacity slider only when present', async () => {
    await init();
    const el = document.createElement('cam-heatmap') as CamHeatmap;
    expect(el.fit).toBe('contain');
    el.setAttribute('fit', 'cover');
    expect(el.fit).toBe('cover');
    el.setAttribute('fit', 'bogus');
    expect(el.fit).toBe('contain');
    el.image = img;
    el.map = map;
    document.body.append(el);
    await once(el, 'load');
    const controls = el.shadowRoot!.querySelector('[part="controls"]') as HTMLElement;
    expect(controls.hidden).toBe(true);
    el.controls = true;
    expect(controls.hidden).toBe(false);
    el.removeAttribute('controls');
    expect(controls.hidden).toBe(true);
  });

  it('a resize redraws into the new box without rendering the overlay again', async () => {
    const observers: ((e: unknown[]) => void)[] = [];
    vi.stubGlobal('ResizeObserver', class {
      constructor(cb: (e: unknown[]) => void) { observers.push(cb); }
      observe() {}
      disconnect() {}
    });
    await init();
    const el = document.createElement('cam-heatmap') as CamHeatmap;
    el.image = img;
    el.map = map;
    let loads = 0;
    el.addEventListener('load', () => loads++);
    document.body.append(el);
    await once(el, 'load');
    const pixels = el.pixels;
    const frame = el.shadowRoot!.querySelector('[part="frame"]') as HTMLElement;
    Object.defineProperty(frame, 'clientWidth', { value: 200, configurable: true });
    Object.defineProperty(frame, 'clientHeight', { value: 150, configurable: true });
    vi.stubGlobal('devicePixelRatio', 2);
    expect(observers).toHaveLength(1);
    observers[0]([]);
    const c = el.shadowRoot!.querySelector('canvas.view') as HTMLCanvasElement;
    expect([c.width, c.height]).toEqual([400, 300]);
    expect(el.pixels).toBe(pixels);
    await new Promise((r) => setTimeout(r, 20));
    expect(loads).toBe(1);
  });
});
