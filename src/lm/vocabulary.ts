/**
 * A word-level vocabulary: lower-case words (contractions and hyphenated words stay whole),
 * the punctuation marks `. , ! ?` and a line-break token, plus three special tokens.
 */

/** Padding token (id 0): fills positions after a sequence's end; never generated. */
export const PAD_TOKEN = '<pad>';
/** End-of-sequence token (id 1): a real token that ends a completion. */
export const EOS_TOKEN = '<eos>';
/** Beginning-of-sequence token (id 2): only ever an input, never generated. */
export const BOS_TOKEN = '<bos>';
/** The token standing for a line break (`\n`) in text. */
export const NEWLINE_TOKEN = '<nl>';

/** Ids of the special tokens, fixed in every vocabulary. */
export const PAD_ID = 0;
export const EOS_ID = 1;
export const BOS_ID = 2;

const SPECIALS = [PAD_TOKEN, EOS_TOKEN, BOS_TOKEN] as const;
const PUNCTUATION = new Set(['.', ',', '!', '?']);
/** Words (letters/digits, inner apostrophes or hyphens), punctuation, line breaks. */
const TOKEN_PATTERN = /[a-z0-9]+(?:['-][a-z0-9]+)*|[.,!?]|\n/g;

/**
 * Splits text into tokens: lower-cased words, punctuation and {@link NEWLINE_TOKEN}. Any other
 * visible character is an error naming it and its position (nothing is silently dropped).
 */
export function tokenizeText(text: string): string[] {
  const lower = text.toLowerCase();
  const tokens: string[] = [];
  let last = 0;
  for (const m of lower.matchAll(TOKEN_PATTERN)) {
    const gap = lower.slice(last, m.index);
    if (/\S/.test(gap)) {
      const bad = gap.match(/\S/)!;
      throw new Error(`tokenizeText: character '${bad[0]}' at position ${last + bad.index!} is not a word, punctuation (. , ! ?) or line break`);
    }
    tokens.push(m[0] === '\n' ? NEWLINE_TOKEN : m[0]);
    last = m.index! + m[0].length;
  }
  const tail = lower.slice(last);
  if (/\S/.test(tail)) {
    const bad = tail.match(/\S/)!;
    throw new Error(`tokenizeText: character '${bad[0]}' at position ${last + bad.index!} is not a word, punctuation (. , ! ?) or line break`);
  }
  return tokens;
}

/**
 * Joins tokens back into text: words separated by spaces, punctuation attached to the word before
 * it, {@link NEWLINE_TOKEN} as a line break. Inverse of {@link tokenizeText} on normalised text.
 */
export function detokenize(tokens: readonly string[]): string {
  let out = '';
  for (const tok of tokens) {
    if (tok === NEWLINE_TOKEN) out += '\n';
    else if (PUNCTUATION.has(tok) || out === '' || out.endsWith('\n')) out += tok;
    else out += ` ${tok}`;
  }
  return out;
}

/** A fixed list of tokens with ids; ids 0, 1, 2 are {@link PAD_TOKEN}, {@link EOS_TOKEN}, {@link BOS_TOKEN}. */
export class WordVocabulary {
  /** Tokens by id. */
  readonly tokens: readonly string[];
  private readonly ids: Map<string, number>;

  /** @param tokens - every token by id; must start with `<pad>`, `<eos>`, `<bos>` and hold no duplicates. */
  constructor(tokens: readonly string[]) {
    if (!Array.isArray(tokens)) throw new Error('WordVocabulary: tokens must be an array of strings');
    SPECIALS.forEach((s, i) => {
      if (tokens[i] !== s) throw new Error(`WordVocabulary: tokens[${i}] must be '${s}', got '${String(tokens[i])}'`);
    });
    this.ids = new Map();
    tokens.forEach((t, i) => {
      if (typeof t !== 'string' || t === '') throw new Error(`WordVocabulary: tokens[${i}] must be a non-empty string`);
      if (this.ids.has(t)) throw new Error(`WordVocabulary: token '${t}' appears twice (ids ${this.ids.get(t)} and ${i})`);
      this.ids.set(t, i);
    });
    this.tokens = [...tokens];
  }

  /** The vocabulary of every token in `texts` (specials first, then tokens sorted, so it does not depend on text order). */
  static fromTexts(texts: readonly string[]): WordVocabulary {
    const seen = new Set<string>();
    texts.forEach((text, i) => {
      if (typeof text !== 'string') throw new Error(`WordVocabulary.fromTexts: texts[${i}] is not a string`);
      for (const t of tokenizeText(text)) seen.add(t);
    });
    return new WordVocabulary([...SPECIALS, ...[...seen].sort()]);
  }

  /** Number of tokens. */
  get size(): number {
    return this.tokens.length;
  }

  /** Id of a token; an unknown token is an error naming it. */
  id(token: string): number {
    const id = this.ids.get(token);
    if (id === undefined) throw new Error(`token '${token}' is not in the vocabulary (${this.size} tokens)`);
    return id;
  }

  /** True when the vocabulary holds `token`. */
  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** Token ids of a text, with {@link EOS_ID} appended unless `appendEos` is false. Unknown words are an error naming them. */
  encode(text: string, appendEos = true): number[] {
    const ids = tokenizeText(text).map((t, i) => {
      const id = this.ids.get(t);
      if (id === undefined) throw new Error(`encode: word '${t}' (token ${i} of "${text.slice(0, 60)}") is not in the vocabulary`);
      return id;
    });
    if (appendEos) ids.push(EOS_ID);
    return ids;
  }

  /** Text of token ids: stops at the first {@link EOS_ID}, skips padding and BOS; an id out of range is an error. */
  decode(ids: ArrayLike<number>): string {
    const words: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.size) throw new Error(`decode: id ${id} at position ${i} is not in [0, ${this.size})`);
      if (id === EOS_ID) break;
      if (id === PAD_ID || id === BOS_ID) continue;
      words.push(this.tokens[id]!);
    }
    return detokenize(words);
  }
}
