// One kernel per file; this file only re-exports. Every export takes raw byte pointers into the
// imported memory (owned by src/runtime/memory.ts), element counts, and returns nothing.
export * from "./heap_base";
export * from "./pool_mean";
export * from "./scorecam_masks";
export * from "./colormap";
export * from "./overlay";
