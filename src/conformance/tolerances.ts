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
