/**
 * The network variants proxies score, by name: for each space, the builder options and the
 * initialisation. A proxy declares its variant's name (types.ts); the scoring code builds it
 * (buildVariant) and the score cache records the resolved options, so two variants never share
 * scores.
 *
 * - 'naswot': NB201's own training network (C=16, N=5, affine BN with running statistics) with a
 *   single output, as the NASWOT code builds it (the classifier does not affect K); NB101's
 *   network with a single output. PyTorch default initialisation.
 * - 'zero-cost': the zero-cost reference's networks (SamsungLabs/zero-cost-nas): NB201's
 *   `nasbench2` model (cell BN without affine parameters or running statistics, so cell convs
 *   carry a bias), real class count; NB101's port (foresight/models/nasbench1.py) with its own
 *   `_initialize_weights` ('nb101-reference': conv N(0, √(2/(k²·out))), linear N(0, 0.01)), the
 *   initialisation the reference's NB101 numbers were produced with.
 * - 'zero-cost-no-bn': the reference's `get_prunable_copy(bn=False)` that synflow scores: NB201
 *   without BN in the stem, cells and lastact (reduction blocks keep theirs); NB101 with every BN
 *   dropped. Same initialisation as 'zero-cost' (the reference copies the state dict).
 * - 'standard': the benchmark's own networks with the real class count (params, flops).
 * - 'gaussian' (zen, swap, reg_swap): the benchmark's own networks ('standard': affine BN with
 *   running statistics everywhere, which zen's BN-scaling term reads) with ZenNAS's and SWAP's
 *   `network_weight_gaussian_init`: every conv and linear weight N(0, 1), biases 0, BN γ = 1,
 *   β = 0 (SWAP re-draws it before every repeat: one initialisation per repeat).
 * - 'te-nas': TE-NAS's NB201 network config in prune_tenas.py (C = 3, N = 1, with the
 *   stem, affine BN), real class count, PyTorch default initialisation (the script's --init
 *   default 'kaiming_uniform' matches no branch of its init_model, so the modules keep PyTorch's
 *   own init). NB101: the benchmark's network (bn on), PyTorch default initialisation.
 * - 'az-nas': AZ-NAS's TinyNetwork (NB201's own network, C = 16, N = 5, affine BN),
 *   real class count, its default init_model 'kaiming_norm_fanin' ('kaiming-normal-fanin' scheme).
 *   NB101: the benchmark's network with the same initialisation (az_nas is defined on NB201 only).
 *
 * `initScheme` on a scoring job overrides a variant's initialisation (e.g. PyTorch's default for
 * NB101 zero-cost networks, which is what this harness used before the reference's was offered).
 */
import type { InitScheme } from '../models/init.ts';
import { buildNB101Network, type NB101Network } from '../models/nb101-network.ts';
import { buildNB201Network, type Network } from '../models/nb201-network.ts';
import type { NB201GraphOptions } from '../models/nb201-graph.ts';
import type { ModelSpec } from '../spaces/nb101.ts';

export type NetworkVariantName = 'naswot' | 'zero-cost' | 'zero-cost-no-bn' | 'standard' | 'gaussian' | 'te-nas' | 'az-nas';

export interface NetworkVariant {
  nb201(numClasses: number): NB201GraphOptions & { initScheme: InitScheme };
  nb101(numClasses: number): { numClasses: number; bn: boolean; initScheme: InitScheme };
}

const VARIANTS: Record<NetworkVariantName, NetworkVariant> = {
  naswot: {
    nb201: () => ({ C: 16, N: 5, numClasses: 1, bn: 'standard', initScheme: 'torch-default' }),
    nb101: () => ({ numClasses: 1, bn: true, initScheme: 'torch-default' }),
  },
  'zero-cost': {
    nb201: (numClasses) => ({ C: 16, N: 5, numClasses, bn: 'no-affine', initScheme: 'torch-default' }),
    nb101: (numClasses) => ({ numClasses, bn: true, initScheme: 'nb101-reference' }),
  },
  'zero-cost-no-bn': {
    nb201: (numClasses) => ({ C: 16, N: 5, numClasses, bn: 'none-in-cells', initScheme: 'torch-default' }),
    nb101: (numClasses) => ({ numClasses, bn: false, initScheme: 'nb101-reference' }),
  },
  standard: {
    nb201: (numClasses) => ({ C: 16, N: 5, numClasses, bn: 'standard', initScheme: 'torch-default' }),
    nb101: (numClasses) => ({ numClasses, bn: true, initScheme: 'torch-default' }),
  },
  // zen, swap, reg_swap
  gaussian: {
    nb201: (numClasses) => ({ C: 16, N: 5, numClasses, bn: 'standard', initScheme: 'gaussian' }),
    nb101: (numClasses) => ({ numClasses, bn: true, initScheme: 'gaussian' }),
  },
  'te-nas': {
    nb201: (numClasses) => ({ C: 3, N: 1, numClasses, bn: 'standard', initScheme: 'torch-default' }),
    nb101: (numClasses) => ({ numClasses, bn: true, initScheme: 'torch-default' }),
  },
  'az-nas': {
    nb201: (numClasses) => ({ C: 16, N: 5, numClasses, bn: 'standard', initScheme: 'kaiming-normal-fanin' }),
    nb101: (numClasses) => ({ numClasses, bn: true, initScheme: 'kaiming-normal-fanin' }),
  },
};

export const NETWORK_VARIANTS: Readonly<Record<NetworkVariantName, NetworkVariant>> = Object.freeze(VARIANTS);

/** The cell a network is built from: an NB201 index's ops, or an NB101 spec. */
export type CellRef = { space: 'nb201'; ops: readonly string[] } | { space: 'nb101'; spec: ModelSpec };

export interface VariantBuild {
  variant: NetworkVariantName;
  numClasses: number;
  seed: number;
  /** NB101 stem channels (128 = the benchmark's; 16 = the NASWOT code's, the CPU default). */
  nb101StemChannels: number;
  /** Overrides the variant's initialisation. */
  initScheme?: InitScheme;
}

/** The resolved builder options of a variant in a space (what the cache key records). */
export function variantOptions(space: 'nb201' | 'nb101', b: Omit<VariantBuild, 'seed'>): object {
  const v = NETWORK_VARIANTS[b.variant];
  if (!v) throw new RangeError(`unknown network variant '${b.variant}'`);
  const o = space === 'nb201' ? v.nb201(b.numClasses) : { ...v.nb101(b.numClasses), stemChannels: b.nb101StemChannels };
  return b.initScheme ? { ...o, initScheme: b.initScheme } : o;
}

export function buildVariant(cell: CellRef, b: VariantBuild): Network | NB101Network {
  if (cell.space === 'nb201') {
    const o = variantOptions('nb201', b) as NB201GraphOptions & { initScheme: InitScheme };
    return buildNB201Network(cell.ops, { ...o, seed: b.seed });
  }
  const o = variantOptions('nb101', b) as { numClasses: number; bn: boolean; initScheme: InitScheme; stemChannels: number };
  return buildNB101Network(cell.spec, { ...o, seed: b.seed });
}
