/** Every proxy by name. The CLI and the experiments look proxies up here; adding a proxy is its file plus one line below. */
import { DataError } from '../util/errors.ts';
import { fisher } from './fisher.ts';
import { flops } from './flops.ts';
import { gradNorm } from './grad-norm.ts';
import { grasp } from './grasp.ts';
import { jacobCov } from './jacob-cov.ts';
import { jacobianIsometry } from './jacobian-isometry.ts';
import { naswot } from './naswot.ts';
import { params } from './params.ts';
import { snip } from './snip.ts';
import { synflow } from './synflow.ts';
import type { ProxyDefinition, ProxySettings } from './types.ts';
// issue 11, group A (proxies-a)
import { l2Norm } from './l2-norm.ts';
import { plain } from './plain.ts';
import { zen } from './zen.ts';
import { zico } from './zico.ts';
import { meco } from './meco.ts';
import { epeNas } from './epe-nas.ts';
// group B (issue 11)
import { swap } from './swap.ts';
import { regSwap } from './reg-swap.ts';
import { teNas } from './te-nas.ts';
import { azNas } from './az-nas.ts';

/**
 * The proxies of the zero-cost paper's tables (Abdelfattah et al., ICLR 2021), in its order: the
 * NB201 and NB101 zero-cost experiments both score them.
 */
export const ZERO_COST_PROXIES = ['grad_norm', 'snip', 'grasp', 'fisher', 'synflow', 'jacob_cov', 'params', 'flops'] as const;

const PROXIES: readonly ProxyDefinition<ProxySettings>[] = [
  naswot,
  gradNorm,
  snip,
  fisher,
  params,
  flops,
  synflow,
  jacobCov,
  grasp,
  // issue 11, group A (proxies-a)
  l2Norm,
  plain,
  zen,
  zico,
  meco,
  epeNas,
  // group B (issue 11)
  swap,
  regSwap,
  teNas,
  azNas,
  jacobianIsometry,
];

export function proxyNames(): string[] {
  return PROXIES.map((p) => p.name);
}

export function getProxy(name: string): ProxyDefinition<ProxySettings> {
  const p = PROXIES.find((x) => x.name === name);
  if (!p) throw new DataError(`unknown proxy '${name}' (known: ${proxyNames().join(', ')})`);
  return p;
}
