/**
 * camkit core public API: runtime, kernels, methods, post-processing. No tfjs import here.
 * @module camkit
 */
export { init, createRuntime, getRuntime, runtimeSync, activeKernels, KERNEL_CHOICES } from './runtime/init.js';
export type { InitOptions, InitInfo, Runtime, KernelsChoice } from './runtime/init.js';
export { loadExtension, extensionKernels } from './runtime/extension.js';
export type { ExtensionKernels, ExtensionKernelName } from './runtime/extension.js';
export type { F32, U8, KernelDescriptor, KernelFlavor } from './kernels/types.js';
export { CamkitError, InputError, OptionError, NameError, MemoryLimitError, ModelError, FileError, AbortError } from './errors.js';
export type { ErrorCode } from './errors.js';

// methods
export { computeCam, computeCamSync, camSample } from './compute.js';
export type { CamInputs, CamArrays, CamOptions, CamResult } from './compute.js';
export {
  METHODS,
  METHOD_NAMES,
  METHOD_KINDS,
  DEFAULT_METHOD,
  CAM_METHODS,
  camMethods,
  methodName,
  methodDescriptor,
  findMethod,
  getMethod,
  isCamMethod,
} from './methods/registry.js';
export type { CamMethod, CamKernels, ExplainPlan, MethodDescriptor, MethodKind, MethodNeed, MethodName, MethodDims, MethodBuffers, MethodParams } from './methods/types.js';
export { guidedGradCam, guidedGradCamSync, deprocessImage } from './methods/guided.js';
export { postProcess, postBuffers, resolvePost, fuseMaps, resizeMapsSync, CAM_EPS } from './core/post.js';
export type { PostOptions, OutputMode, Normalisation, ResizeMode, ResolvedPost, FuseMode } from './core/post.js';
export { readInput, describeInput, isTensorLike } from './core/inputs.js';
export type { TensorLike, ArrayInput, InputLike, NonFinitePolicy } from './core/inputs.js';

// rendering
export { COLORMAPS, colormapLut } from './render/colormaps.js';
export type { ColormapName } from './render/colormaps.js';
export { renderOverlay, renderOverlaySync, renderHeatmap, renderHeatmapSync } from './render/overlay.js';
export type { OverlayOptions, HeatmapOptions, RGBAOutput } from './render/overlay.js';
export type { CamMap, RGBAImage } from './render/types.js';
export { toImageData, drawToCanvas, imageToRGBA } from './render/canvas.js';
export { legend, drawLegend } from './render/legend.js';
export type { LegendOptions } from './render/legend.js';
// Map files (camkit-map/1 JSON and grayscale PNG) live in the `camkit/mapfile` entry (src/mapfile.ts).
export { resolvePreprocess, toModelInput, PREPROCESS_PRESETS, PREPROCESS_NAMES, LUMA_601, IMAGENET_MEAN, IMAGENET_STD, CAFFE_MEAN_RGB } from './core/preprocess.js';
export type { Preprocess, PreprocessPreset, PreprocessOverrides } from './core/preprocess.js';
// Types that exported signatures mention (for the API reference and for users' annotations).
export type { KernelSet, KernelName } from './kernels/registry.js';
export type { ModelRequirement, MethodExtra } from './methods/types.js';
export type { Arena, ArenaViews } from './runtime/memory.js';
export type { Canvas2D } from './render/canvas.js';
export type { WasmAbi } from './kernels/abi.js';
