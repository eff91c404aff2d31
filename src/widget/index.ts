/**
 * The `<cam-heatmap>` element. Importing this module defines it (guarded); see cam-heatmap.ts.
 * @module camkit/widget
 */
import { defineCamHeatmap } from './cam-heatmap.js';

export { CamHeatmap, defineCamHeatmap } from './cam-heatmap.js';
export type { CamHeatmapLoadDetail, CamHeatmapErrorDetail, CamHeatmapProgressDetail, CamHeatmapEventMap, CamHeatmapFit } from './cam-heatmap.js';
export type { CaptureModule, TfLike } from './live.js';

defineCamHeatmap();
