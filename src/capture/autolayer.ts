// The automatic target layer, from the model's graph: among the nodes the explained output depends
// on, the deepest 4-D feature map that another output also uses (where the heads split off a shared
// trunk); without such a node, the deepest 4-D map that is not just the output passed through an
// activation. Depth is the longest path from the inputs, so parallel branches compare fairly.

/** The model's graph as far as choosing a layer goes (node ids are the names the adapter accepts). */
export interface GraphView {
  /** Every node, in a stable order (the model's own order breaks depth ties: later wins). */
  nodes: readonly string[];
  /** The nodes a node reads (constants and weights left out). */
  inputsOf(node: string): readonly string[];
  /** The model's outputs (their producing nodes). */
  outputs: readonly string[];
  /** Whether a node computes an element-wise function of its one input (an activation, a bias). */
  isUnary(node: string): boolean;
}

/** Every node `target` depends on, itself excluded. */
export function ancestors(g: GraphView, target: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...g.inputsOf(target)];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...g.inputsOf(n));
  }
  return seen;
}

/**
 * The automatic layer for `target`, given each candidate's shape (null when unknown or not a
 * candidate). Returns null when no node is a 4-D map with more than one position.
 */
export function autoLayer(g: GraphView, target: string, shapeOf: (node: string) => readonly (number | null)[] | null): string | null {
  const anc = ancestors(g, target);
  const order = new Map(g.nodes.map((n, i) => [n, i]));
  const isMap = (n: string) => {
    const s = shapeOf(n);
    return !!s && s.length === 4 && !(s[1] === 1 && s[2] === 1);
  };
  // Nodes that lead to a model output: what another head uses.
  const useful = new Set<string>();
  for (const o of g.outputs) {
    useful.add(o);
    for (const a of ancestors(g, o)) useful.add(a);
  }
  const consumers = new Map<string, string[]>();
  for (const n of g.nodes) for (const i of g.inputsOf(n)) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push(n);
  const depth = new Map<string, number>();
  const depthOf = (n: string): number => {
    // Iterative longest path from the inputs: recursion would overflow on deep graphs.
    const stack: string[] = [n];
    while (stack.length) {
      const cur = stack[stack.length - 1];
      if (depth.has(cur)) {
        stack.pop();
        continue;
      }
      const ins = g.inputsOf(cur).filter((i) => !depth.has(i));
      if (ins.length) {
        stack.push(...ins);
        continue;
      }
      depth.set(cur, 1 + Math.max(-1, ...g.inputsOf(cur).map((i) => depth.get(i)!)));
      stack.pop();
    }
    return depth.get(n)!;
  };
  const deepest = (cands: string[]): string | null => {
    let best: string | null = null;
    for (const c of cands) {
      if (best === null) best = c;
      else {
        const d = depthOf(c) - depthOf(best);
        if (d > 0 || (d === 0 && (order.get(c) ?? 0) > (order.get(best) ?? 0))) best = c;
      }
    }
    return best;
  };
  const maps = [...anc].filter(isMap);
  const shared = maps.filter((n) => (consumers.get(n) ?? []).some((c) => c !== target && !anc.has(c) && useful.has(c)));
  const s = deepest(shared);
  if (s) return s;
  // One head: leave out the output's own activation chain (e.g. Sigmoid(BiasAdd(conv))).
  const tail = new Set<string>();
  let cur = target;
  while (g.isUnary(cur)) {
    const ins = g.inputsOf(cur);
    if (ins.length !== 1) break;
    cur = ins[0];
    tail.add(cur);
  }
  return deepest(maps.filter((n) => !tail.has(n)));
}
