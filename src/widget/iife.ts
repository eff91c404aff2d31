// Entry of dist/camkit.widget.js: the element plus what a page needs around it (runtime, rendering,
// map files, errors) as the `camkit` global. CAM computation from tensors lives in camkit.capture.js
// (live mode) and the npm entries, which keeps the script-tag bundle within its size budget.
// getRuntime, runtimeSync and createRuntime are also what camkit.capture.js (live mode) uses from this global.
export { init, activeKernels, KERNEL_CHOICES, getRuntime, runtimeSync, createRuntime } from '../runtime/init.js';
export type { InitOptions, InitInfo, KernelsChoice } from '../runtime/init.js';
export { CamkitError, InputError, NameError, MemoryLimitError, ModelError, FileError, AbortError, closest } from '../errors.js';
export { COLORMAPS, colormapLut } from '../render/colormaps.js';
export { renderOverlay, renderOverlaySync, renderHeatmap, renderHeatmapSync } from '../render/overlay.js';
export { toImageData, drawToCanvas, imageToRGBA } from '../render/canvas.js';
export { legend, drawLegend } from '../render/legend.js';
export { encodePng, decodePng, isPng } from '../render/png.js';
export { MAP_FORMAT, mapToJson, parseMapJson, encodeMapPng, decodeMapPng, readMap, loadMap } from '../render/mapfile.js';
export * from './index.js';
