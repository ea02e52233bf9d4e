/**
 * Reading saved JSON (checkpoints, saved policies) field by field. A missing or mistyped field is
 * an error naming its path and what it holds instead; a number that is NaN, infinite, or JSON
 * `null` (what `JSON.stringify` writes for NaN and ±Infinity) is an error naming its path and
 * index. Every restore path of the kit reads its input through {@link FieldReader}, so they all
 * report problems the same way.
 */

/**
 * What a value is, for error messages: its type with the value where short (`a string ("1")`,
 * `a number (NaN)`, `null`, `undefined`, `an array of length 3`, `an object`).
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  switch (typeof value) {
    case 'string': {
      const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
      return `a string (${JSON.stringify(shown)})`;
    }
    case 'number':
      return `a number (${value})`;
    case 'boolean':
      return `a boolean (${value})`;
    case 'bigint':
      return `a bigint (${value})`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      return ArrayBuffer.isView(value) ? `a ${value.constructor.name}` : 'an object';
  }
}

/** The message for a number array entry that is not a finite number (null explained as JSON's NaN). */
function badNumberMessage(path: string, value: unknown): string {
  if (value === null) return `${path} is null: JSON writes NaN and ±Infinity as null, so the saved value was not a finite number`;
  if (typeof value === 'number') return `${path} is ${value}; it must be a finite number`;
  return `${path} must be a finite number, got ${describeValue(value)}`;
}

/**
 * Throws, naming `path[index]` and the value, at the first entry of `values` that is not a finite
 * number (NaN, ±Infinity, null, or another type). One branch-free pass when all are finite.
 */
export function requireFiniteNumbers(values: ArrayLike<unknown>, path: string): void {
  // `x - x` is 0 for a finite number and NaN for NaN and ±Infinity; null and booleans coerce to
  // finite numbers, so a non-number is caught by the type test of the slow pass below.
  let sum = 0;
  let numbers = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (typeof v !== 'number') {
      numbers = false;
      break;
    }
    sum += v - v;
  }
  if (numbers && sum === 0) return;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(badNumberMessage(`${path}[${i}]`, v));
  }
}

/** Largest magnitude a float32 holds (3.4028234663852886e38); beyond it a value becomes ±Infinity on the device. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * {@link requireFiniteNumbers}, and also every value within float32 range (±{@link FLOAT32_MAX}):
 * for saved weights and optimiser moments, which are loaded into float32 tensors where a larger
 * value would silently become ±Infinity.
 */
export function requireFloat32Numbers(values: ArrayLike<unknown>, path: string): void {
  requireFiniteNumbers(values, path);
  let largest = 0;
  for (let i = 0; i < values.length; i++) {
    const magnitude = Math.abs(values[i] as number);
    if (magnitude > largest) largest = magnitude;
  }
  if (largest <= FLOAT32_MAX) return;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Math.abs(v) > FLOAT32_MAX) throw new Error(`${path}[${i}] is ${v}, beyond float32 range (±${FLOAT32_MAX}); it would load as ${v > 0 ? '' : '-'}Infinity`);
  }
}

/**
 * The path of the first number in a JSON-like value (objects, arrays, typed arrays, numbers) that
 * is NaN or infinite, or null when there is none. For estimator states and other opaque parts of
 * a checkpoint, which are refused when they hold a non-finite number.
 */
export function findNonFinite(value: unknown, path: string): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = value as ArrayLike<unknown>;
    for (let i = 0; i < items.length; i++) {
      const found = findNonFinite(items[i], `${path}[${i}]`);
      if (found !== null) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const found = findNonFinite(item, `${path}.${key}`);
    if (found !== null) return found;
  }
  return null;
}

/** Throws when a JSON-like value holds a non-finite number, naming where (see {@link findNonFinite}). */
export function requireFiniteTree(value: unknown, path: string): void {
  const found = findNonFinite(value, path);
  if (found !== null) throw new Error(badNumberMessage(found, valueAt(value, path, found)));
}

/** The value at `found` (a path that {@link findNonFinite} built from `root` named `rootPath`). */
function valueAt(root: unknown, rootPath: string, found: string): unknown {
  let current: unknown = root;
  for (const part of found.slice(rootPath.length).match(/\[\d+\]|\.[^.[]+/g) ?? []) {
    const key = part.startsWith('[') ? Number(part.slice(1, -1)) : part.slice(1);
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/**
 * Typed access to the fields of one JSON object, each error naming the field's full path
 * (`checkpoint.adam.m[2][17]`). Obtain one with {@link FieldReader.of}.
 */
export class FieldReader {
  private constructor(
    /** The object read. */
    readonly value: Readonly<Record<string, unknown>>,
    /** Its path in messages (`checkpoint`, `checkpoint.adam`). */
    readonly path: string,
  ) {}

  /** A reader of `value`, which must be a plain object (not null, not an array). */
  static of(value: unknown, path: string): FieldReader {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
      throw new Error(`${path} must be an object, got ${describeValue(value)}`);
    }
    return new FieldReader(value as Record<string, unknown>, path);
  }

  /** Full path of a field. */
  pathOf(key: string): string {
    return `${this.path}.${key}`;
  }

  /** The field's value, which must be present (an absent field is an error naming it). */
  required(key: string): unknown {
    if (!Object.prototype.hasOwnProperty.call(this.value, key) || this.value[key] === undefined) {
      throw new Error(`${this.pathOf(key)} is missing`);
    }
    return this.value[key];
  }

  private fail(key: string, rule: string, value: unknown): never {
    throw new Error(`${this.pathOf(key)} must be ${rule}, got ${describeValue(value)}`);
  }

  /** A string field; with `allowed`, one of those values. */
  string<T extends string = string>(key: string, allowed?: readonly T[]): T {
    const v = this.required(key);
    if (typeof v !== 'string') this.fail(key, 'a string', v);
    if (allowed !== undefined && !allowed.includes(v as T)) this.fail(key, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
    return v as T;
  }

  /** A finite number field (null, NaN and ±Infinity are errors). */
  number(key: string): number {
    const v = this.required(key);
    if (typeof v !== 'number') {
      if (v === null) throw new Error(badNumberMessage(this.pathOf(key), v));
      this.fail(key, 'a finite number', v);
    }
    if (!Number.isFinite(v)) throw new Error(badNumberMessage(this.pathOf(key), v));
    return v;
  }

  /** An integer field in [min, max]. */
  integer(key: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.number(key);
    if (!Number.isInteger(v) || v < min || v > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
      this.fail(key, `an integer ${range}`, v);
    }
    return v;
  }

  /** An array field (its items unchecked). */
  array(key: string): unknown[] {
    const v = this.required(key);
    if (!Array.isArray(v)) this.fail(key, 'an array', v);
    return v as unknown[];
  }

  /** An array of finite numbers, of length `length` when given. */
  numbers(key: string, length?: number): number[] {
    const v = this.array(key);
    if (length !== undefined && v.length !== length) {
      throw new Error(`${this.pathOf(key)} has ${v.length} values, expected ${length}`);
    }
    requireFiniteNumbers(v, this.pathOf(key));
    return v as number[];
  }

  /** An object field, as a reader. */
  object(key: string): FieldReader {
    return FieldReader.of(this.required(key), this.pathOf(key));
  }

  /** Like {@link FieldReader.object}, but a null field gives null. */
  objectOrNull(key: string): FieldReader | null {
    const v = this.required(key);
    return v === null ? null : FieldReader.of(v, this.pathOf(key));
  }

  /** Readers of the items of an array field, each an object. */
  objects(key: string): FieldReader[] {
    return this.array(key).map((item, i) => FieldReader.of(item, `${this.pathOf(key)}[${i}]`));
  }
}
