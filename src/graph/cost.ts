/**
 * Parameter count and FLOPs of any network description, read off the graph: what the params and
 * flops proxies report, and a check on the analytic cost models (src/models/nb201-cost.ts,
 * nb101-cost.ts), which give the same numbers without building a graph.
 *
 * Parameters: every trainable parameter the graph reads (PyTorch's `parameters()`, TF's
 * trainable variables; BN running statistics are buffers and do not count). A parameter read
 * through a block (the NB101 supernet's channel slicing) counts the block.
 * FLOPs, the benchmarks' convention (xautodl `get_model_infos` for NB201): per image, the
 * multiply-adds of every conv (k·k·in·out per output position, + out per position with a bias)
 * and of every linear layer (in·out, + out for the bias); pools, BN, ReLU and sums are free.
 */
import type { NetworkGraph, ParamRef } from './network-graph.ts';

/** Output height (= width) of every node for a square input of `size`. */
export function spatialSizes(graph: NetworkGraph, size: number): Int32Array {
  const out = new Int32Array(graph.nodes.length);
  out[0] = size;
  for (const node of graph.nodes.slice(1)) {
    const h = out[node.inputs[0]!]!;
    switch (node.op) {
      case 'conv':
        out[node.id] = Math.floor((h + 2 * node.pad - node.kernel) / node.stride) + 1;
        break;
      case 'avgpool2x2':
        out[node.id] = Math.floor(h / 2);
        break;
      case 'maxpool':
        out[node.id] = Math.ceil(h / node.stride); // TF 'same'
        break;
      case 'gap':
      case 'linear':
        out[node.id] = 1;
        break;
      default:
        out[node.id] = h;
    }
  }
  return out;
}

function refSize(graph: NetworkGraph, ref: ParamRef): number {
  const shape = ref.block ?? graph.params.find((p) => p.name === ref.name)!.shape;
  return shape.reduce((a, b) => a * b, 1);
}

/** Trainable parameters the graph reads (each parameter counted once). */
export function graphParams(graph: NetworkGraph): number {
  const seen = new Map<string, number>();
  for (const node of graph.nodes) {
    const refs: (ParamRef | undefined)[] =
      node.op === 'conv' || node.op === 'linear' ? [node.weight, node.bias] : node.op === 'bn' ? [node.gamma, node.beta] : [];
    for (const r of refs) if (r) seen.set(r.name, Math.max(seen.get(r.name) ?? 0, refSize(graph, r)));
  }
  let total = 0;
  for (const v of seen.values()) total += v;
  return total;
}

/** Multiply-adds per image at input size `size` (see the file comment). */
export function graphFlops(graph: NetworkGraph, size: number): number {
  const sizes = spatialSizes(graph, size);
  let flops = 0;
  for (const node of graph.nodes) {
    if (node.op === 'conv') {
      const inC = graph.nodes[node.inputs[0]!]!.channels;
      const positions = sizes[node.id]! ** 2;
      flops += node.kernel * node.kernel * inC * node.channels * positions + (node.bias ? node.channels * positions : 0);
    } else if (node.op === 'linear') {
      const inF = graph.nodes[node.inputs[0]!]!.channels;
      flops += inF * node.channels + (node.bias ? node.channels : 0);
    }
  }
  return flops;
}
