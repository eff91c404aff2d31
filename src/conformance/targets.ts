// Conformance for the golden v2 `targets` of a case (stored-data part; the end-to-end part is
// ./targets-e2e.ts). Each stored target has its own gradients (or `{equals: "case.gradients"}`, or
// their bitwise negation) and its own method references: they are checked as a case of their own,
// `<case id>#<target name>`, by the runner's per-case checks, so every method the registry gains
// (and every stored input it learns to read) applies to targets too. No TF.js here.
import type { Runtime } from '../runtime/init.js';
import type { MethodDescriptor } from '../methods/types.js';
import { findMethod } from '../methods/registry.js';
import type { GoldenArray, GoldenCase, GoldenFile, GoldenTargetRef } from './golden.js';
import type { CheckLine } from './runner.js';

/** The runner's checks of one case from its stored arrays. */
export type CaseChecks = (g: GoldenFile, c: GoldenCase, rt: Runtime, wanted?: MethodDescriptor[]) => Generator<CheckLine>;

/** The id printed for a target's checks. */
export const targetCaseId = (c: GoldenCase, key: string): string => `${c.id}#${key}`;

type Grad = GoldenArray & { shape: number[] };

/**
 * A target's gradients at the case's layer: stored, or the case's own (bitwise negated for
 * "-case.gradients (bitwise)"); a string says why they cannot be had.
 */
export function targetGradients(c: GoldenCase, t: GoldenTargetRef): Grad | string {
  const g = t.gradients;
  if (g == null) return 'no stored gradients for this target';
  if ('equals' in g) {
    const eq = String(g.equals).trim();
    if (!c.gradients) return `gradients equal ${eq}, but the case stores none`;
    if (/^case\.gradients\b/.test(eq)) return c.gradients;
    if (/^-\s*case\.gradients\b/.test(eq)) return { ...c.gradients, values: c.gradients.values.map((v) => -v) };
    return `unknown gradients reference ${JSON.stringify(eq)}`;
  }
  if (!Array.isArray(g.values) || !Array.isArray(g.shape)) return 'the target gradients have no values/shape';
  return g;
}

/**
 * The stored-data checks of every target of the case with method references of its own (targets
 * whose maps are identical to another's by construction, `methods_identical_to`, are checked end to end).
 */
export function* storedTargetChecks(g: GoldenFile, c: GoldenCase, rt: Runtime, wanted: MethodDescriptor[] | undefined, caseChecks: CaseChecks): Generator<CheckLine> {
  for (const [key, t] of Object.entries(c.targets ?? {})) {
    if (!t || !t.methods) continue;
    const id = targetCaseId(c, key);
    const grad = targetGradients(c, t);
    if (typeof grad === 'string') {
      yield { status: 'SKIP', caseId: id, method: '-', quantity: '*', reason: grad };
      continue;
    }
    const derived: GoldenCase = {
      ...c,
      id,
      gradients: grad,
      methods: t.methods,
      targets: null,
      guided_backprop: null,
      guided_gradcam: null,
      guided_gradcam_deprocessed_uint8: null,
    };
    // --methods: only the wanted methods this target has references for (no "no reference" lines).
    const mine = wanted?.filter((m) => Object.keys(t.methods!).some((k) => findMethod(k) === m));
    yield* caseChecks(g, derived, rt, mine);
  }
}
