/**
 * The NAS-Bench-201 network as a graph (src/graph/network-graph.ts): the one place its layout and
 * its state-dict names are written. It serves the stand-alone cell network
 * (nb201-network.ts), the supernet's single path and its alpha-mixed form
 * (src/supernet/nb201-supernet.ts), and through them every executor.
 *
 * Layout (C channels, N cells per stage), following xautodl's TinyNetwork / InferCell /
 * ResNetBasicblock and the zero-cost reference's NAS201Model:
 *   stem: conv3x3(3 -> C, pad 1) + BN
 *   N cells at C; reduction block C -> 2C; N cells at 2C; reduction block 2C -> 4C; N cells at 4C
 *   lastact: BN, ReLU; global average pool; linear 4C -> numClasses
 * Reduction block (ResNetBasicblock, stride 2):
 *   a = BN(conv3x3 s2 p1(ReLU(x))); b = BN(conv3x3 s1 p1(ReLU(a))); out = b + conv1x1(avgpool2x2 s2(x))
 *   The shortcut has no BN and no ReLU, and there is no ReLU after the sum (as in the reference;
 *   the parameter count test against the official params column confirms the missing BN).
 * Cell: node0 = input; node j = sum of op(node i) over its incoming edges i -> j; output = node 3.
 *   none = zeros; skip_connect = identity; avg_pool_3x3 = 3x3 s1 p1 count_include_pad=False;
 *   nor_conv_kxk = ReLU -> conv kxk (pad (k-1)/2) -> BN.
 *
 * Every op of the cell is built and run, `none` edges and ops on dead paths included: the
 * reference does the same, and it matters for proxies (a ReLU on a branch that ends in a `none`
 * edge still feeds NASWOT's K, its conv weights still count for synflow/snip).
 *
 * BN variants (`bn`), where BN sits in each:
 *   location                 standard        no-affine       none-in-cells
 *   stem                     affine+running  affine+running  absent
 *   cell conv ops            affine+running  plain (1)       absent
 *   reduction blocks         affine+running  affine+running  affine+running
 *   lastact (before pool)    affine+running  affine+running  absent (ReLU only)
 *   (1) no affine parameters and no running statistics (batch statistics in eval mode too): the
 *       zero-cost reference's cells (`affine=False, track_running_stats=False`).
 * Cell convs carry a bias exactly when their cell BN is not affine (`bias = not affine` in both
 * references' ReLUConvBN): none for 'standard', a bias for 'no-affine' and 'none-in-cells'.
 * 'standard' is NB201's own training network (its parameter count is the official `params`).
 *
 * `fair`: also put a BN (of the cell kind above) after every skip_connect and avg_pool_3x3 op, so
 * every op except `none` ends in a BN with its own gamma (the "fair" space of Zhu et al.). `none`
 * stays exactly zero: a BN on zeros would output beta, turning `none` into a learnable constant.
 *
 * Parameter names are the PyTorch state-dict names of the reference (`stem.0.weight`,
 * `cells.3.layers.2.op.1.weight`, `cells.5.conv_a.op.2.bias`, `lastact.0.weight`,
 * `classifier.weight`, ...; the fair BNs, which the reference lacks, are `cells.k.layers.e.bn.*`).
 * `cells.k` counts the reduction blocks as the reference's `cells` list does. The supernet inserts
 * the op after the edge (`cells.3.layers.2.nor_conv_3x3.op.1.weight`) and draws each op's weights
 * from the SAME stream as the stand-alone network's op on that edge (init key
 * `cells.3.layers.2.op.1.weight|nor_conv_3x3`), so at initialisation a supernet path computes
 * exactly the stand-alone network of that cell.
 *
 * Stages (what the staged executors differentiate one at a time): the stem, each cell, each
 * reduction block, and the head (lastact, pool, classifier).
 */
import { GraphBuilder, type NetworkGraph, type ParamRef } from '../graph/network-graph.ts';
import { asNB201Cell, convKernelSize, isConvOp, NB201_EDGES, NB201_OPS, type NB201Cell, type NB201Op } from './nb201-cell.ts';

export type BnVariant = 'standard' | 'no-affine' | 'none-in-cells';

/** Bumped whenever the graph this file builds changes (part of every score cache key). */
export const NB201_GRAPH_VERSION = 2;

/** Which cell edge a parameter belongs to (`cell` is the index in the reference's `cells` list). */
export interface EdgeRef {
  cell: number;
  from: number;
  to: number;
  op: NB201Op;
}

export interface NB201GraphOptions {
  /** Channels of the first stage (16 in NB201). */
  C?: number;
  /** Cells per stage (5 in NB201). */
  N?: number;
  numClasses: number;
  bn?: BnVariant;
  fair?: boolean;
}

/** What runs on the cells' edges: one op per edge (a cell or a supernet path), or every op mixed by alpha. */
export type NB201Edges =
  | { kind: 'cell'; cell: readonly string[] }
  | { kind: 'supernet-path'; path: readonly string[] }
  /** `active[e][o]` false leaves op o of edge e out of the mix (not run); default all in. */
  | { kind: 'supernet-mixed'; active?: readonly (readonly boolean[])[] };

/** Name of the mixed supernet's external [6, 5] tensor of mixing weights (NB201_OPS order). */
export const NB201_ALPHA = 'alpha';

interface BnKind {
  affine: boolean;
  track: boolean;
}
const AFFINE_BN: BnKind = { affine: true, track: true };
const PLAIN_BN: BnKind = { affine: false, track: false };

export function resolveNB201Options(opts: NB201GraphOptions): Required<NB201GraphOptions> {
  const resolved = { C: 16, N: 5, bn: 'standard' as BnVariant, fair: false, ...opts };
  const { C, N, numClasses, bn, fair } = resolved;
  if (!Number.isInteger(C) || C < 1) throw new RangeError(`C must be a positive integer, got ${C}`);
  if (!Number.isInteger(N) || N < 0) throw new RangeError(`N must be a non-negative integer, got ${N}`);
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
  if (!['standard', 'no-affine', 'none-in-cells'].includes(bn)) throw new RangeError(`unknown BN variant '${bn}'`);
  if (fair && bn === 'none-in-cells') {
    throw new RangeError("fair (a BN after every op) contradicts bn 'none-in-cells' (no BN in the cells)");
  }
  return resolved;
}

/** The stand-alone network's init key of a cell-op parameter: its stand-alone name plus the op. */
function cellInitKey(standaloneName: string, op: NB201Op): string {
  return `${standaloneName}|${op}`;
}

class NB201GraphWriter {
  readonly g = new GraphBuilder<EdgeRef>();
  constructor(private readonly o: Required<NB201GraphOptions>) {}

  private bn(x: number, prefix: string, kind: BnKind, edge?: EdgeRef, initPrefix = prefix): number {
    const c = this.g.channelsOf(x);
    let gamma: ParamRef | undefined;
    let beta: ParamRef | undefined;
    if (kind.affine) {
      gamma = this.g.param({ name: `${prefix}.weight`, kind: 'bn-gamma', shape: [c], init: { kind: 'constant', value: 1 }, initKey: `${initPrefix}.weight`, label: edge });
      beta = this.g.param({ name: `${prefix}.bias`, kind: 'bn-beta', shape: [c], init: { kind: 'constant', value: 0 }, initKey: `${initPrefix}.bias`, label: edge });
    }
    const running = kind.track
      ? {
          mean: this.g.buffer({ name: `${prefix}.running_mean`, kind: 'bn-running-mean', shape: [c], label: edge }),
          variance: this.g.buffer({ name: `${prefix}.running_var`, kind: 'bn-running-var', shape: [c], label: edge }),
        }
      : undefined;
    return this.g.add({ op: 'bn', ...(gamma ? { gamma } : {}), ...(beta ? { beta } : {}), ...(running ? { running } : {}) }, [x], c);
  }

  /** conv (no padding choice: (k-1)/2), optional bias; `initName` is the stand-alone name its stream is keyed by. */
  private conv(x: number, name: string, k: number, stride: number, outC: number, bias: boolean, edge?: EdgeRef, initName = name): number {
    const inC = this.g.channelsOf(x);
    const key = (n: string) => (edge ? cellInitKey(n, edge.op) : n);
    const weight = this.g.param({ name: `${name}.weight`, kind: 'conv', shape: [k, k, inC, outC], init: { kind: 'torch-default', fanIn: inC * k * k }, initKey: key(`${initName}.weight`), label: edge });
    const b = bias
      ? this.g.param({ name: `${name}.bias`, kind: 'conv-bias', shape: [outC], init: { kind: 'torch-default', fanIn: inC * k * k }, initKey: key(`${initName}.bias`), label: edge })
      : undefined;
    return this.g.add({ op: 'conv', weight, ...(b ? { bias: b } : {}), stride, pad: (k - 1) / 2, kernel: k }, [x], outC);
  }

  /** The reference's ReLUConvBN: op.0 ReLU, op.1 conv, op.2 BN (PyTorch Sequential indices). */
  reluConvBn(x: number, prefix: string, spec: { k: number; stride: number; outC: number; bias: boolean; bn: BnKind | null }, edge?: EdgeRef, initPrefix = prefix): number {
    const r = this.g.add({ op: 'relu', name: `${prefix}.op.0` }, [x], this.g.channelsOf(x));
    const y = this.conv(r, `${prefix}.op.1`, spec.k, spec.stride, spec.outC, spec.bias, edge, `${initPrefix}.op.1`);
    return spec.bn ? this.bn(y, `${prefix}.op.2`, spec.bn, edge, `${initPrefix}.op.2`) : y;
  }

  /** One op on one edge; `prefix` is where its parameters are named, `initPrefix` the stand-alone name. */
  edgeOp(x: number, prefix: string, initPrefix: string, edge: EdgeRef, cell: { convBn: BnKind | null; convBias: boolean; fairBn: BnKind | null }): number {
    const C = this.g.channelsOf(x);
    const { op } = edge;
    if (isConvOp(op)) return this.reluConvBn(x, prefix, { k: convKernelSize(op), stride: 1, outC: C, bias: cell.convBias, bn: cell.convBn }, edge, initPrefix);
    if (op === 'none') return this.g.add({ op: 'zeros' }, [x], C);
    const base = op === 'skip_connect' ? x : this.g.add({ op: 'avgpool3x3' }, [x], C);
    return cell.fairBn ? this.bn(base, `${prefix}.bn`, cell.fairBn, edge, `${initPrefix}.bn`) : base;
  }

  sum(terms: number[]): number {
    return terms.length === 1 ? terms[0]! : this.g.add({ op: 'add' }, terms, this.g.channelsOf(terms[0]!));
  }

  cell(input: number, cellIndex: number, edges: NB201Edges, cellSpec: { convBn: BnKind | null; convBias: boolean; fairBn: BnKind | null }): number {
    const nodes: number[] = [input];
    for (let node = 1; node <= 3; node++) {
      const incoming: number[] = [];
      NB201_EDGES.forEach(({ from, to }, e) => {
        if (to !== node) return;
        const x = nodes[from]!;
        const standalone = `cells.${cellIndex}.layers.${e}`;
        if (edges.kind === 'cell') {
          incoming.push(this.edgeOp(x, standalone, standalone, { cell: cellIndex, from, to, op: edges.cell[e] as NB201Op }, cellSpec));
        } else if (edges.kind === 'supernet-path') {
          const op = edges.path[e] as NB201Op;
          incoming.push(this.edgeOp(x, `${standalone}.${op}`, standalone, { cell: cellIndex, from, to, op }, cellSpec));
        } else {
          incoming.push(this.mixedEdge(x, cellIndex, e, edges.active, cellSpec));
        }
      });
      nodes.push(this.sum(incoming));
    }
    return nodes[3]!;
  }

  /** Σ_o alpha[e][o] · op_o(x) over the ops in the mix; `none` contributes exactly 0 and is not run. */
  private mixedEdge(x: number, cellIndex: number, e: number, active: readonly (readonly boolean[])[] | undefined, cellSpec: { convBn: BnKind | null; convBias: boolean; fairBn: BnKind | null }): number {
    const { from, to } = NB201_EDGES[e]!;
    const standalone = `cells.${cellIndex}.layers.${e}`;
    const terms: number[] = [];
    NB201_OPS.forEach((op, o) => {
      if (op === 'none' || (active && !active[e]![o])) return;
      const y = this.edgeOp(x, `${standalone}.${op}`, standalone, { cell: cellIndex, from, to, op }, cellSpec);
      terms.push(this.g.add({ op: 'scale', factor: { name: NB201_ALPHA, index: [e, o] } }, [y], this.g.channelsOf(y)));
    });
    return terms.length === 0 ? this.g.add({ op: 'zeros' }, [x], this.g.channelsOf(x)) : this.sum(terms);
  }

  reduction(x: number, cellIndex: number, outC: number): number {
    const prefix = `cells.${cellIndex}`;
    const a = this.reluConvBn(x, `${prefix}.conv_a`, { k: 3, stride: 2, outC, bias: false, bn: AFFINE_BN });
    const b = this.reluConvBn(a, `${prefix}.conv_b`, { k: 3, stride: 1, outC, bias: false, bn: AFFINE_BN });
    const pooled = this.g.add({ op: 'avgpool2x2' }, [x], this.g.channelsOf(x));
    const residual = this.conv(pooled, `${prefix}.downsample.1`, 1, 1, outC, false);
    return this.g.add({ op: 'add' }, [residual, b], outC);
  }

  build(edges: NB201Edges): NetworkGraph<EdgeRef> {
    const { C, N, numClasses, bn, fair } = this.o;
    const cellBn: BnKind | null = bn === 'standard' ? AFFINE_BN : bn === 'no-affine' ? PLAIN_BN : null;
    const outerBn: BnKind | null = bn === 'none-in-cells' ? null : AFFINE_BN;
    const cellSpec = { convBn: cellBn, convBias: cellBn === null || !cellBn.affine, fairBn: fair ? cellBn : null };
    const g = this.g;
    if (edges.kind === 'supernet-mixed') g.external(NB201_ALPHA, [NB201_EDGES.length, NB201_OPS.length]);

    g.stage();
    let h = this.conv(0, 'stem.0', 3, 1, C, false);
    if (outerBn) h = this.bn(h, 'stem.1', outerBn);
    let cellIndex = 0;
    let channels = C;
    for (let stage = 0; stage < 3; stage++) {
      if (stage > 0) {
        g.stage();
        h = this.reduction(h, cellIndex++, channels * 2);
        channels *= 2;
      }
      for (let i = 0; i < N; i++) {
        g.stage();
        h = this.cell(h, cellIndex++, edges, cellSpec);
      }
    }
    g.stage();
    if (outerBn) h = this.bn(h, 'lastact.0', outerBn);
    h = g.add({ op: 'relu', name: 'lastact.1' }, [h], channels);
    h = g.add({ op: 'gap' }, [h], channels);
    const weight = g.param({ name: 'classifier.weight', kind: 'linear-weight', shape: [channels, numClasses], init: { kind: 'torch-default', fanIn: channels }, initKey: 'classifier.weight' });
    const bias = g.param({ name: 'classifier.bias', kind: 'linear-bias', shape: [numClasses], init: { kind: 'torch-default', fanIn: channels }, initKey: 'classifier.bias' });
    g.add({ op: 'linear', weight, bias }, [h], numClasses);
    return g.finish('nb201', numClasses);
  }
}

/** The graph of the stand-alone network of one cell (six ops in arch-string edge order). */
export function nb201Graph(cellOps: readonly string[], opts: NB201GraphOptions): NetworkGraph<EdgeRef> {
  const cell: NB201Cell = asNB201Cell(cellOps);
  return new NB201GraphWriter(resolveNB201Options(opts)).build({ kind: 'cell', cell });
}

/**
 * The supernet's graph for one mode: a single path (six ops, the same in every cell) or the
 * alpha-mixed form (ops masked out of the mix are not in the graph). Like every graph it lists
 * the parameters it reads; the mixed graph without a mask reads them all, which is how the
 * supernet learns what it owns.
 */
export function nb201SupernetGraph(opts: NB201GraphOptions, edges: Exclude<NB201Edges, { kind: 'cell' }>): NetworkGraph<EdgeRef> {
  const o = resolveNB201Options(opts);
  if (edges.kind === 'supernet-path') asNB201Cell(edges.path);
  else if (edges.active) checkMask(edges.active);
  return new NB201GraphWriter(o).build(edges);
}

function checkMask(active: readonly (readonly boolean[])[]): void {
  if (active.length !== NB201_EDGES.length || active.some((row) => row.length !== NB201_OPS.length)) {
    throw new RangeError(`active must be a [${NB201_EDGES.length}][${NB201_OPS.length}] mask, got ${active.length} rows of lengths ${active.map((r) => r.length).join(', ')}`);
  }
  active.forEach((row, e) => {
    if (!row.some(Boolean)) throw new RangeError(`active masks out every op of edge ${e}; each edge needs at least one op`);
  });
}
