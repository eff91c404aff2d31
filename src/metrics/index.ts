/**
 * camkit/metrics: faithfulness and localisation metrics for CAM maps, run through your own tfjs
 * model on any backend (tfjs is a peer dependency here).
 * @module camkit/metrics
 */
export { confidenceChange, camMultImageConfidenceChange } from './confidence.js';
export type { ConfidenceOptions, ConfidenceResult, ConfidenceVariant, ConfidenceChangeResult } from './confidence.js';
export { deletionInsertion } from './deletion.js';
export type { DeletionInsertionOptions, DeletionInsertionResult } from './deletion.js';
export { road, imputeLinear, percentile, otsuThreshold, roadKeep, toUint8 } from './road.js';
export type { RoadOptions, RoadResult, RoadPercentile } from './road.js';
export { arcc, arccScore, complexity, pearson } from './arcc.js';
export type { ArccOptions, ArccResult } from './arcc.js';
export { pointingGame, energyPointingGame } from './pointing.js';
export type { Box, PointingOptions, PointingResult, EnergyResult } from './pointing.js';
export { trapezoid } from './common.js';
export type { MetricModel, ScoreMode, MapLike, MapsInput, ScoreOptions } from './common.js';
