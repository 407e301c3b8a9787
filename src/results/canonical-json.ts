/**
 * Canonical JSON: object keys sorted at every level, so that two configs that are equal as data
 * hash the same whatever order their keys were written in. Values JSON cannot hold exactly
 * (NaN, ±Infinity, undefined inside arrays, functions, bigint, symbols) are refused instead of
 * being turned into null silently: a config that hashes like another must be the same config.
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalize(value, '$'));
}

/** First 16 hex digits of the SHA-256 of the canonical JSON. */
export function configHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

function canonicalize(v: unknown, where: string): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`config ${where}: ${v} cannot be stored as JSON`);
    return v;
  }
  if (Array.isArray(v)) return v.map((e, i) => canonicalize(e, `${where}[${i}]`));
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`config ${where}: only plain objects, arrays and primitives are allowed`);
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) {
      const e = (v as Record<string, unknown>)[key];
      if (e === undefined) continue; // as JSON.stringify: an absent key and an undefined one are the same
      out[key] = canonicalize(e, `${where}.${key}`);
    }
    return out;
  }
  throw new TypeError(`config ${where}: a ${typeof v} cannot be stored as JSON`);
}
