// Method lookups (src/methods/registry.ts): names and aliases whatever the case and separators,
// NameErrors with suggestions, the computeCam subset, and why explain() cannot give a method.
// registry.test.ts checks the registry against the source files; this file reads no source text, so
// `npm run mutate` runs it (vitest.stryker.config.ts).
import { describe, expect, it } from 'vitest';
import { NameError } from '../../src/errors.js';
import {
  CAM_METHODS,
  DEFAULT_METHOD,
  METHODS,
  METHOD_KINDS,
  METHOD_NAMES,
  camMethods,
  findMethod,
  findMethodName,
  getMethod,
  isCamMethod,
  methodDescriptor,
  methodKey,
  methodName,
  unsupportedReason,
} from '../../src/methods/registry.js';
import type { MethodDescriptor } from '../../src/methods/types.js';

function thrown(f: () => unknown): NameError {
  try {
    f();
  } catch (e) {
    return e as NameError;
  }
  throw new Error('no error thrown');
}

describe('method registry lookups', () => {
  it('names and aliases are unique and resolve to their descriptor, whatever the case and separators', () => {
    const seen = new Map<string, string>();
    for (const m of METHODS) {
      expect(METHOD_KINDS).toContain(m.kind);
      expect(m.summary.length).toBeGreaterThan(10);
      expect(m.paper.length).toBeGreaterThan(3);
      for (const n of [m.name, ...m.aliases]) {
        const k = methodKey(n);
        expect(seen.get(k) ?? m.name, `${n} names two methods`).toBe(m.name);
        seen.set(k, m.name);
        expect(findMethod(n)).toBe(m);
        expect(findMethod(n.toUpperCase())).toBe(m);
        expect(findMethod(n.toLowerCase().replace(/-/g, '_'))).toBe(m);
      }
    }
    expect(METHODS).toContain(DEFAULT_METHOD);
  });

  it('unknown names are NameErrors with a suggestion; explain-only methods are NameErrors for computeCam', () => {
    const e = (() => {
      try {
        methodDescriptor('GradCAMM');
      } catch (err) {
        return err;
      }
    })() as NameError;
    expect(e).toBeInstanceOf(NameError);
    expect(e.code).toBe('E_UNKNOWN_NAME');
    expect(e.suggestions).toContain('GradCAM');
    for (const m of METHODS) {
      if (m.cam) expect(getMethod(m.name)).toBe(m);
      else expect(() => getMethod(m.name)).toThrow(NameError);
    }
    expect(Object.keys(camMethods)).toEqual(CAM_METHODS.map((m) => m.name));
  });

  it('every method has a way through explain() or says why not; needs are consistent with the plan', () => {
    for (const m of METHODS) {
      const p = m.explain;
      if (p.via === 'layer') {
        expect(m.cam, `${m.name}: a layer method computes its own map`).toBeDefined();
        expect(m.needs.includes('gradients')).toBe(p.capture === 'gradients');
      }
      if (p.via === 'none') expect(unsupportedReason(m)).toBe(p.reason);
      if (m.cam) expect(m.needs).toContain('activations');
    }
  });

  it('the lookup key: lower case, ++ as plusplus, no spaces, hyphens or underscores', () => {
    expect(methodKey('Grad-CAM++')).toBe('gradcamplusplus');
    expect(methodKey(' Layer_CAM \t-x ')).toBe('layercamx');
    expect(methodKey('A++B++')).toBe('aplusplusbplusplus');
    expect(methodKey('C+D')).toBe('c+d');
  });

  it('unknown names and non-strings: null from the find functions, NameError from the others', () => {
    expect(findMethod('nope')).toBeNull();
    expect(findMethod(42 as unknown as string)).toBeNull();
    expect(findMethod(null as unknown as string)).toBeNull();
    expect(findMethodName('nope')).toBeNull();
    for (const m of METHODS) {
      expect(findMethodName(m.name.toLowerCase())).toBe(m.name);
      expect(methodName(m.name.toUpperCase())).toBe(m.name);
      expect(methodDescriptor(m.name)).toBe(m);
    }
    expect(METHOD_NAMES).toEqual(METHODS.map((m) => m.name));
    const e = thrown(() => methodName('nope'));
    expect(e).toBeInstanceOf(NameError);
    expect(e.message).toMatch(/^Unknown method 'nope'\./);
    expect(e.message).toContain(`Valid: ${METHOD_NAMES.join(', ')}.`);
    expect(thrown(() => methodDescriptor(7 as unknown as string)).message).toMatch(/^Unknown method '7'\./);
  });

  it('getMethod takes a name or a descriptor; explain-only methods are refused with the computeCam list', () => {
    const camNames = CAM_METHODS.map((m) => m.name);
    expect(camNames.length).toBeGreaterThan(0);
    expect(camNames.length).toBeLessThan(METHODS.length);
    for (const m of METHODS) {
      expect(isCamMethod(m)).toBe(m.cam !== undefined);
      if (!m.cam) {
        const e = thrown(() => getMethod(m));
        expect(e).toBeInstanceOf(NameError);
        expect(e.code).toBe('E_UNKNOWN_NAME');
        expect(e.message).toBe(`${m.name} is not computed from arrays: run it with explain() from camkit/capture. computeCam methods: ${camNames.join(', ')}.`);
        expect(thrown(() => getMethod(m.name.toLowerCase())).message).toBe(e.message);
        continue;
      }
      expect(getMethod(m)).toBe(m);
      expect(getMethod(m.name.toLowerCase())).toBe(m);
      expect(camMethods[m.name]).toBe(m);
    }
    expect(isCamMethod(null)).toBe(false);
    expect(isCamMethod(undefined)).toBe(false);
    expect(CAM_METHODS).toEqual(METHODS.filter((m) => m.cam !== undefined));
  });

  it('unsupportedReason: explain-only, image output, missing model capabilities, else null', () => {
    const base = DEFAULT_METHOD;
    expect(unsupportedReason(base)).toBeNull();
    expect(unsupportedReason(base, { attention: true })).toBeNull();
    const none: MethodDescriptor = { ...base, explain: { via: 'none', reason: 'because' } };
    expect(unsupportedReason(none)).toBe('because');
    const image: MethodDescriptor = { ...base, output: 'image' };
    expect(unsupportedReason(image)).toBe("it gives an attribution image with the input's channels, not a heatmap");
    const att: MethodDescriptor = { ...base, requires: ['attention'] };
    expect(unsupportedReason(att)).toBe('it needs a token model that exposes its attention probabilities');
    expect(unsupportedReason(att, { attention: false })).toBe('it needs a token model that exposes its attention probabilities');
    expect(unsupportedReason(att, { attention: true })).toBeNull();
    const cls: MethodDescriptor = { ...base, requires: ['attention', 'classifier'] };
    expect(unsupportedReason(cls, { attention: true })).toBe('it needs a dense classifier after global average pooling');
    expect(unsupportedReason(cls, { attention: true, classifier: true })).toBeNull();
    // The registry's own methods: each one that needs attention says so, until the model has it.
    for (const m of METHODS.filter((m) => m.requires?.includes('attention') && m.explain.via !== 'none' && m.output !== 'image')) {
      expect(unsupportedReason(m), m.name).toMatch(/token model/);
      expect(unsupportedReason(m, { attention: true, classifier: true }), m.name).toBeNull();
    }
  });
});
