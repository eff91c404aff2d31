// SmoothGrad's variants, as captum's NoiseTunnel nt_type names (mean, mean of squares, variance of
// the samples' |gradients|). Kept apart from the descriptor so the core bundle does not carry them.

export const NOISE_VARIANTS = ['smoothgrad', 'smoothgrad_sq', 'vargrad'] as const;
export type NoiseVariant = (typeof NOISE_VARIANTS)[number];
