/**
 * Checkpoints and saved models as JSON files. Writing refuses non-finite numbers (JSON would store
 * them as null) and goes through a temporary file, so a crash never leaves half a file; reading
 * names the file in every error: unreadable, not JSON, or failing its format's validation.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeValue } from './fields';

/**
 * Writes `value` to `path` as JSON (creating the folder). A NaN or infinite number anywhere in
 * `value` is an error naming its key, and nothing is written. `what` prefixes every message.
 */
export function writeJsonFile(path: string, value: unknown, what: string): void {
  let text: string;
  try {
    text = JSON.stringify(value, function (this: unknown, key: string, item: unknown) {
      if (typeof item === 'number' && !Number.isFinite(item)) {
        throw new Error(`the value at key '${key}' is ${item}; JSON cannot hold non-finite numbers (it would write null)`);
      }
      return item;
    });
  } catch (err) {
    throw new Error(`${what}: cannot write ${path}: ${messageOf(err)}`);
  }
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw new Error(`${what}: cannot write ${path}: ${messageOf(err)}`);
  }
}

/** Reads and parses a JSON file; a missing file, a folder, or invalid JSON is an error naming `path`. */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${what}: cannot read ${path}: ${messageOf(err)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${what}: ${path} is not valid JSON: ${messageOf(err)}`);
  }
}

/** A checkpoint or saved model: a JSON object tagged with its format and version. */
export interface SavedCheckpoint {
  format: string;
  version: number;
  [key: string]: unknown;
}

/** Validates a parsed checkpoint of one format; throws naming the first bad field. */
export type CheckpointValidator = (value: unknown) => void;

const validators = new Map<string, CheckpointValidator>();

/**
 * Registers the validation of a checkpoint format, used by {@link saveCheckpoint} and
 * {@link loadCheckpoint}. The kit's trainers register theirs when their module loads.
 */
export function registerCheckpointFormat(format: string, validate: CheckpointValidator): void {
  validators.set(format, validate);
}

/** The registered formats, sorted. */
export function checkpointFormats(): string[] {
  return [...validators.keys()].sort();
}

function validatorOf(value: unknown): CheckpointValidator {
  const format = value !== null && typeof value === 'object' ? (value as { format?: unknown }).format : undefined;
  if (typeof format !== 'string') {
    throw new Error(`checkpoint.format must be a string naming the format, got ${describeValue(format)}`);
  }
  const validate = validators.get(format);
  if (validate === undefined) throw new Error(`unknown checkpoint format '${format}' (known: ${checkpointFormats().join(', ')})`);
  return validate;
}

/**
 * Validates `checkpoint` by its format (e.g. a GRPO trainer's `checkpoint()`), then writes it to
 * `path` as JSON. A non-finite or malformed value is an error naming the file and the field.
 */
export function saveCheckpoint(path: string, checkpoint: SavedCheckpoint | object): void {
  try {
    validatorOf(checkpoint)(checkpoint);
  } catch (err) {
    throw new Error(`saveCheckpoint: ${path}: ${messageOf(err)}`);
  }
  writeJsonFile(path, checkpoint, 'saveCheckpoint');
}

/**
 * Reads a checkpoint written by {@link saveCheckpoint} and validates it by its format: errors
 * name the file and the field (a NaN saved as null, a missing or mistyped field, a bad RNG state).
 * Pass the result to the trainer's `resume`.
 */
export function loadCheckpoint(path: string): SavedCheckpoint {
  const value = readJsonFile(path, 'loadCheckpoint');
  try {
    validatorOf(value)(value);
  } catch (err) {
    throw new Error(`loadCheckpoint: ${path}: ${messageOf(err)}`);
  }
  return value as SavedCheckpoint;
}

/** The message of a thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
