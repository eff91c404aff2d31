// One kernel per file; this file only re-exports. Every export takes raw byte pointers into the
// imported memory (owned by src/runtime/memory.ts), element counts, and returns nothing.
// The second-wave methods' kernels are in extension.ts (a separate module, loaded on demand).
export * from "./heap_base";
export * from "./pool_mean";
export * from "./scorecam_masks";
export * from "./colormap";
export * from "./overlay";
export * from "./channel_wsum";
export * from "./channel_reduce";
export * from "./gradcampp_weights";
export * from "./xgrad_weights";
export * from "./eigen_pc";
export * from "./relu";
export * from "./minmax_normalize";
export * from "./resize_bilinear";
export * from "./resize_nearest";
export * from "./fuse_guided";
export * from "./first_nonfinite";
export * from "./resize_bilinear_minmax";
