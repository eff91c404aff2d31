// Finer-CAM (Zhang et al. 2025; pytorch-grad-cam's finer_cam.py): the base method (Grad-CAM) on the
// comparison target finerTarget(c): Σ_k p_k (z_c − α·z_k) / Σ_k p_k over the classes nearest in score.
// computeCam is Grad-CAM on the gradients of that target; explain() builds the target.
import type { CamMethod } from './types.js';
import { GradCAM } from './gradcam.js';

export const FinerCAM: CamMethod = {
  name: 'FinerCAM',
  aliases: ['Finer-CAM'],
  kind: 'gradient',
  needs: ['activations', 'gradients'],
  summary: 'Grad-CAM of the class against its nearest classes (finerTarget).',
  paper: 'Zhang et al. 2025',
  explain: { via: 'finer', base: GradCAM },
  cam: GradCAM.cam,
};
