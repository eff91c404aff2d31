/**
 * camkit/mapfile: reading and writing map files (camkit-map/1 JSON, 8/16-bit grayscale PNG) and the
 * PNG codec behind them. Kept out of the core entry so a page that renders maps it already holds
 * doesn't carry the codec; the widget bundle includes it.
 * @module camkit/mapfile
 */
export { encodePng, decodePng, isPng, crc32 } from './render/png.js';
export type { PngImage, PngColor } from './render/png.js';
export { MAP_FORMAT, mapToJson, parseMapJson, encodeMapPng, decodeMapPng, readMap, loadMap } from './render/mapfile.js';
export type { MapJson } from './render/mapfile.js';
