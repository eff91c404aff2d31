// The golden README's recommended tolerances for checks fed stored arrays. The same numbers are data
// in test/tolerances.json (a test keeps the two in step); the runner cannot read test/ at run time.
export const CONFORMANCE_TOLERANCES = {
  /** weights: max |ours − ref| / max |ref|. */
  weights: 1e-5,
  /** cam_lowres (before ReLU): max |ours − ref| / max |ref|. */
  cam_lowres: 1e-5,
  /** Eigen methods' cam_lowres after sign alignment (power iteration vs LAPACK SVD). */
  eigen_cam_lowres: 1e-4,
  /** grayscale_cam (final map in [0, 1]): max |ours − ref|. */
  grayscale_cam: 1e-4,
  /** guided_gradcam = map × guided backprop: relative, as guided backprop. */
  guided_gradcam: 1e-5,
  /** deprocessed uint8: ±1 (truncation at bin edges). */
  guided_gradcam_deprocessed_uint8: 1,
} as const;

/**
 * Target and segmentation checks (golden README v2): target values, ∂T/∂z and gradients of each
 * target, the segmentation output and mask. test/tolerances.json target_* hold the same numbers.
 */
export const TARGET_TOLERANCES = {
  /** Target value: |ours − ref|. */
  value: 1e-4,
  /** ∂T/∂z at the logits against the float64 reference: max |ours − ref| / max |ref|. */
  dtarget_dlogits: 1e-5,
  /** Gradients at the target layer: relative, as the end-to-end gradients. */
  gradients: 1e-5,
  /** Value, gradients and maps of cases flagged precision_sensitive / gradients_precision_sensitive. */
  precision_sensitive: 1e-3,
  /** Segmentation output (per-position logits): max |ours − ref|. */
  output: 1e-4,
  /** Segmentation mask from the model's own arg-max: positions that differ (must match exactly). */
  mask: 0,
  /** Maps: max |ours − ref|. */
  grayscale_cam: 1e-4,
  /** The second-order term hvp = H·A (ShapleyCAM's extra.hvp): relative (golden README, v2). */
  hvp: 1e-3,
} as const;
