/**
 * Canonical JSON and content hashes: equal configs give equal cache keys whatever their key order.
 */
import { createHash } from 'node:crypto';
import type { JsonValue } from './types';

/**
 * Throws unless `value` is plain JSON (null, booleans, finite numbers, strings, arrays, plain
 * objects), naming the offending path, e.g. `config.train.learning_rate`.
 */
export function assertJson(value: unknown, path: string): asserts value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${path} must be a finite number to be cached as JSON, got ${value}`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertJson(v, `${path}[${i}]`));
    return;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new Error(`${path} must be a plain object, array or primitive, got an instance of ${proto?.constructor?.name ?? 'unknown'}`);
    }
    for (const [k, v] of Object.entries(value)) assertJson(v, `${path}.${k}`);
    return;
  }
  throw new Error(`${path} must be JSON (null, boolean, number, string, array or plain object), got ${typeof value}`);
}

/** JSON text with object keys sorted at every level and no whitespace. */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
}

/** Hex sha256 of the canonical JSON of `value`. */
export function hashJson(value: JsonValue): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
