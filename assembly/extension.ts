// The extension module: kernels of the second-wave methods only. Built SIMD and scalar like index.ts,
// inlined in its own chunk (src/generated/wasm-ext.ts) and instantiated on the core module's memory,
// so the script-tag widget does not carry them. No static data here: the core module's data segments
// (colormap LUTs) live in the same memory, below heap_base.
export * from "./fem_weights";
export * from "./fullgrad_map";
export * from "./kpca_sigmoid";
export * from "./nmf_mu";
