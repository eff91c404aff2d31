// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CamHeatmap, defineCamHeatmap } from '../../src/widget/index.js';
import { init } from '../../src/runtime/init.js';
import { renderHeatmapSync, renderOverlaySync } from '../../src/render/overlay.js';
import { mapToJson } from '../../src/render/mapfile.js';
import type { CamHeatmapLoadDetail } from '../../src/widget/cam-heatmap.js';

let next = 0;
const tag = () => `cam-heatmap-t${next++}`;
const make = (name = 'cam-heatmap') => document.createElement(name) as CamHeatmap;
const once = <T = unknown>(el: EventTarget, type: string) => new Promise<CustomEvent<T>>((r) => el.addEventListener(type, (e) => r(e as CustomEvent<T>), { once: true }));

const img = { width: 4, height: 2, data: Uint8ClampedArray.from({ length: 32 }, (_, i) => (i * 37) % 256) };
const map = { width: 2, height: 1, values: Float32Array.from([0, 1]) };

afterEach(() => {
  document.body.innerHTML = '';
});

describe('<cam-heatmap> in happy-dom', () => {
  it('is defined once, guarded, and defines extra tags on request', () => {
    expect(customElements.get('cam-heatmap')).toBe(CamHeatmap);
    expect(defineCamHeatmap()).toBe(CamHeatmap); // a second bundle copy: no throw
    const t = tag();
    const C = defineCamHeatmap(t)!;
    expect(customElements.get(t)).toBe(C);
    expect(document.createElement(t)).toBeInstanceOf(CamHeatmap);
  });

  it('mirrors attributes to properties with defaults and clamping', () => {
    const el = make();
    expect([el.src, el.alt, el.colormap, el.opacity, el.legend, el.loading, el.method, el.target, el.overlayStyle, el.gamma]).toEqual(['', '', 'jet', 0.5, false, 'eager', null, undefined, 'alpha', 1]);
    el.setAttribute('opacity', '7');
    el.setAttribute('colormap', 'viridis');
    el.setAttribute('target', '3');
    el.setAttribute('legend', '');
    expect([el.opacity, el.colormap, el.target, el.legend]).toEqual([1, 'viridis', 3, true]);
    el.colormap = 'nonsense' as never;
    expect(el.colormap).toBe('jet');
    el.opacity = 0.25;
    el.loading = 'lazy';
    el.legend = false;
    el.src = 'a.png';
    el.map = 'm.json';
    expect([el.getAttribute('opacity'), el.getAttribute('loading'), el.hasAttribute('legend'), el.getAttribute('src'), el.getAttribute('map')]).toEqual(['0.25', 'lazy', false, 'a.png', 'm.json']);
  });

  it('renders a map property over an image property; load event with typed detail; pixels = renderOverlay', async () => {
    await init();
    const el = make();
    el.alt = 'A cat, hot on the face';
    el.image = img;
    el.map = map;
    const loaded = once<CamHeatmapLoadDetail>(el, 'load');
    document.body.append(el);
    const ev = await loaded;
    expect(ev.detail).toMatchObject({ width: 4, height: 2, source: 'map' });
    expect(['simd', 'scalar', 'js']).toContain(ev.detail.kernels);
    expect(Array.from(el.pixels!.data)).toEqual(Array.from(renderOverlaySync(map, img, { opacity: 0.5 }).data));
    // Accessibility: role=img labelled by alt, labelled keyboard range input.
    const frame = el.shadowRoot!.querySelector('[part="frame"]')!;
    expect(frame.getAttribute('role')).toBe('img');
    expect(frame.getAttribute('aria-label')).toBe('A cat, hot on the face');
    const range = el.shadowRoot!.querySelector('input[type="range"]') as HTMLInputElement;
    expect(range.getAttribute('aria-label')).toBe('Heatmap opacity');
    expect(el.shadowRoot!.querySelector('label')!.getAttribute('for')).toBe(range.id);
    expect(range.value).toBe('0.5');
    expect(CamHeatmap.styles).toMatch(/@media \(prefers-reduced-motion: reduce\)\{canvas\.view\{transition:none\}\}/);
    const sheets = el.shadowRoot!.adoptedStyleSheets ?? [];
    const css = sheets.length ? sheets.map((s) => Array.from(s.cssRules, (r) => r.cssText).join('\n')).join('\n') : el.shadowRoot!.innerHTML;
    expect(css).toContain('prefers-reduced-motion');
    for (const p of ['frame', 'canvas', 'controls', 'opacity', 'legend', 'status', 'progress']) expect(el.shadowRoot!.querySelector(`[part="${p}"]`), p).not.toBeNull();
  });

  it('the opacity slider re-renders while connected; listeners are gone after disconnect', async () => {
    await init();
    const el = make();
    el.image = img;
    el.map = mapToJson(map) as never; // the JSON object form
    document.body.append(el);
    await once(el, 'load');
    const range = el.shadowRoot!.querySelector('input') as HTMLInputElement;
    range.value = '1';
    range.dispatchEvent(new Event('input'));
    expect(el.opacity).toBe(1);
    await vi.waitFor(() => expect(Array.from(el.pixels!.data)).toEqual(Array.from(renderOverlaySync(map, img, { opacity: 1 }).data)));
    el.remove();
    range.value = '0.2';
    range.dispatchEvent(new Event('input'));
    expect(el.opacity).toBe(1);
  });

  it('loading="lazy" waits (happy-dom IntersectionObserver never fires) until load() is called', async () => {
    await init();
    const el = make();
    el.loading = 'lazy';
    el.map = Float32Array.from([0.2, 0.4, 0.6, 0.8]);
    el.setAttribute('map-width', '2');
    el.setAttribute('map-height', '2');
    let loads = 0;
    el.addEventListener('load', () => loads++);
    document.body.append(el);
    await new Promise((r) => setTimeout(r, 30));
    expect(loads).toBe(0);
    expect(el.pixels).toBeNull();
    await el.load();
    expect(loads).toBe(1);
    const want = renderHeatmapSync({ width: 2, height: 2, values: Float32Array.from([0.2, 0.4, 0.6, 0.8]) });
    expect(Array.from(el.pixels!.data)).toEqual(Array.from(want.data));
  });

  it('error events carry a stable code: bad map URL, bad Float32Array size, live mode without tfjs', async () => {
    await init();
    const a = make();
    a.setAttribute('map', 'data:application/json,{"format":"nope"}');
    const ea = once<{ code: string; error: Error }>(a, 'error');
    document.body.append(a);
    expect((await ea).detail.code).toBe('E_FILE');
    expect(a.shadowRoot!.querySelector('[role="status"]')!.textContent).toMatch(/camkit map/);

    const b = make();
    b.map = new Float32Array(5);
    b.setAttribute('map-width', '2');
    b.setAttribute('map-height', '2');
    const eb = once<{ code: string }>(b, 'error');
    document.body.append(b);
    expect((await eb).detail.code).toBe('E_SHAPE');

    const c = make();
    c.image = img;
    c.setAttribute('model', 'model.json');
    const ec = once<{ code: string; error: Error }>(c, 'error');
    document.body.append(c);
    const d = (await ec).detail;
    expect([d.code, d.error.message]).toEqual(['E_INIT', expect.stringMatching(/tfjs/)]);
  });

  it('a map given as a data: URL PNG renders (JSON and PNG readers shared with Node)', async () => {
    const { encodeMapPng } = await import('../../src/render/mapfile.js');
    const png = await encodeMapPng({ width: 2, height: 1, values: Float32Array.from([0, 1]) });
    const el = make();
    el.image = img;
    el.map = `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
    const loaded = once(el, 'load');
    document.body.append(el);
    await loaded;
    expect(Array.from(el.pixels!.data)).toEqual(Array.from(renderOverlaySync(map, img).data));
  });
});
