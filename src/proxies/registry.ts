/** Every proxy by name. The CLI and the experiments look proxies up here. */
import { DataError } from '../util/errors.ts';
import { naswot } from './naswot.ts';
import type { ProxyDescriptor, ProxySettings } from './types.ts';

const PROXIES: readonly ProxyDescriptor<ProxySettings>[] = [naswot];

export function proxyNames(): string[] {
  return PROXIES.map((p) => p.name);
}

export function getProxy(name: string): ProxyDescriptor<ProxySettings> {
  const p = PROXIES.find((x) => x.name === name);
  if (!p) throw new DataError(`unknown proxy '${name}' (known: ${proxyNames().join(', ')})`);
  return p;
}
