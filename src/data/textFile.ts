/**
 * Reading a data file's bytes and decoding them as text, with errors that name the file and line.
 *
 * - A missing path or a directory is a {@link DataError} naming the path (not a bare `ENOENT`/`EISDIR`).
 * - UTF-8 is decoded strictly: an invalid byte sequence is an error naming the file, the line and
 *   the byte offset, never a silent U+FFFD.
 * - A leading UTF-8 byte-order mark is removed.
 * - Line ends may be LF, CRLF or a lone CR (old Mac files); {@link splitLines} and the CSV parser
 *   accept all three, and line numbers count each of them as one line end.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { DataError } from './errors';

/** The bytes of a data file; a missing path or a directory is a {@link DataError} naming it. */
export function readFileBytes(file: string, missingDetail = 'no file at this path'): Buffer {
  if (!existsSync(file)) throw new DataError({ file }, 'missing file', missingDetail);
  if (statSync(file).isDirectory()) throw new DataError({ file }, 'not a file', 'this path is a directory; pass the path of a data file inside it');
  return readFileSync(file);
}

/** What {@link scanUtf8} found in a byte buffer. */
export interface Utf8Scan {
  /** Byte offset where the first invalid UTF-8 sequence starts, or -1 when the bytes are valid UTF-8. */
  invalidAt: number;
  /** Byte offset of the first valid multi-byte sequence (a non-ASCII character), or -1 when there is none. */
  firstMultibyteAt: number;
}

/**
 * Checks bytes against UTF-8 as the WHATWG Encoding standard defines it (the rules of
 * `TextDecoder('utf-8', { fatal: true })`: no overlong forms, no surrogates, nothing above U+10FFFF).
 */
export function scanUtf8(bytes: Uint8Array): Utf8Scan {
  let firstMultibyteAt = -1;
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) { i++; continue; }
    // Allowed range of the second byte and the number of continuation bytes, by lead byte.
    let lo = 0x80;
    let hi = 0xbf;
    let more: number;
    if (b >= 0xc2 && b <= 0xdf) more = 1;
    else if (b >= 0xe0 && b <= 0xef) { more = 2; if (b === 0xe0) lo = 0xa0; if (b === 0xed) hi = 0x9f; }
    else if (b >= 0xf0 && b <= 0xf4) { more = 3; if (b === 0xf0) lo = 0x90; if (b === 0xf4) hi = 0x8f; }
    else return { invalidAt: i, firstMultibyteAt };
    for (let k = 1; k <= more; k++) {
      const c = bytes[i + k];
      const [min, max] = k === 1 ? [lo, hi] : [0x80, 0xbf];
      if (c === undefined || c < min || c > max) return { invalidAt: i, firstMultibyteAt };
    }
    if (firstMultibyteAt < 0) firstMultibyteAt = i;
    i += more + 1;
  }
  return { invalidAt: -1, firstMultibyteAt };
}

/** 1-based line and byte column of a byte offset; LF, CRLF and a lone CR each end a line. */
export function lineOfOffset(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const b = bytes[i]!;
    if (b === 0x0a || (b === 0x0d && bytes[i + 1] !== 0x0a)) { line++; lineStart = i + 1; }
  }
  return { line, column: offset - lineStart + 1 };
}

/** A byte as `0xE9`. */
function hex(byte: number): string {
  return '0x' + byte.toString(16).toUpperCase().padStart(2, '0');
}

/** Decodes UTF-8 strictly, dropping a leading byte-order mark; an invalid sequence is a {@link DataError} naming the line. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  const { invalidAt } = scanUtf8(bytes);
  if (invalidAt >= 0) {
    const { line, column } = lineOfOffset(bytes, invalidAt);
    const next = bytes[invalidAt + 1];
    throw new DataError({ file, line }, 'invalid UTF-8',
      `byte ${hex(bytes[invalidAt]!)}${next === undefined ? ' (last byte of the file)' : ` (followed by ${hex(next)})`} at byte ${column} of the line ` +
      `(byte offset ${invalidAt} in the file) does not start a valid UTF-8 sequence; ` +
      'the file seems to be in another encoding (e.g. latin1 or Windows-1252): re-save it as UTF-8');
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Reads a UTF-8 data file (see the module comment for what is checked). */
export function readUtf8File(file: string, missingDetail?: string): string {
  return decodeUtf8(readFileBytes(file, missingDetail), file);
}

/** Splits text into lines at LF, CRLF or a lone CR. */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}
