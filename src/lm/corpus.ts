/**
 * A seeded template grammar of short music recommendations in three writing styles (formal,
 * casual, poetic) about five genres, the pre-training text of the persona language model.
 *
 * Every style x genre pair appears (15 in all, also the 8 that no persona wants), so a model
 * pre-trained on the corpus can write every persona's text but is not told which one to write.
 * A share of documents mixes two genres or two styles, which earns partial persona rewards.
 */
import type { Genre, Style } from '../data/personas';
import { Rng } from '../random';
import { detokenize, tokenizeText } from './vocabulary';

/** One generated document and how it was made. */
export interface CorpusDocument {
  /** The text: lower case, punctuation attached to the word before it, as `detokenize` writes it. */
  text: string;
  /** Style of the first sentence or line. */
  style: Style;
  /** Genre whose words fill the template (a `two-genres` document takes its artist from another genre, so may name only that one). */
  genre: Genre;
  /** `pure` (one style, one genre), `two-genres` or `two-styles`. */
  kind: 'pure' | 'two-genres' | 'two-styles';
}

/** Options of {@link personaCorpus}. */
export interface PersonaCorpusOptions {
  /** Number of documents (default 600). */
  count?: number;
  /** Seed of the grammar's choices (default 0). */
  seed?: number;
  /** Share of documents that mix two genres or two styles (default 0.25). */
  mixed_share?: number;
}

/** The three writing styles and five genres of the grammar. */
export const CORPUS_STYLES: readonly Style[] = ['formal', 'casual', 'poetic'];
export const CORPUS_GENRES: readonly Genre[] = ['jazz', 'rock', 'classical', 'hiphop', 'country'];

/** Words that fill a genre's slots; each is one of that genre's reward keywords and no other genre's. */
interface GenreFill {
  label: readonly string[];
  artist: readonly string[];
  instrument: readonly string[];
}

const FILLS: Record<Genre, GenreFill> = {
  jazz: { label: ['jazz', 'bebop', 'swing'], artist: ['miles davis', 'coltrane'], instrument: ['saxophone', 'sax'] },
  rock: { label: ['rock'], artist: ['led zeppelin', 'queen'], instrument: ['electric guitar', 'riffs'] },
  classical: { label: ['classical'], artist: ['beethoven', 'mozart', 'bach'], instrument: ['orchestra', 'symphony', 'sonata'] },
  hiphop: { label: ['hip hop', 'rap'], artist: ['kendrick lamar'], instrument: ['beats'] },
  country: { label: ['country'], artist: ['dolly parton', 'johnny cash'], instrument: ['banjo', 'fiddle'] },
};

type Slots = { label: string; artist: string; instrument: string };
type Template = (s: Slots, pick: (words: readonly string[]) => string) => string;

/** Formal sentences: no `!`, no contractions, at least 12 words, formal vocabulary. */
const FORMAL: readonly Template[] = [
  (s, p) => `i would ${p(['recommend', 'particularly recommend'])} ${s.artist} , whose ${s.label} recordings reward careful and ${p(['attentive', 'patient'])} listening .`,
  (s, p) => `furthermore , the ${s.instrument} passages in ${s.label} music are particularly ${p(['refined', 'elegant'])} and worth your consideration .`,
  (s, p) => `i recommend that you consider an ${p(['evening', 'afternoon'])} of ${s.label} , particularly the work of ${s.artist} .`,
  (s, p) => `indeed , the ${s.label} tradition offers a great deal to the ${p(['attentive', 'thoughtful'])} listener , and ${s.artist} is a fine example .`,
  (s, p) => `therefore , i would recommend that you begin with ${s.artist} and the ${p(['finest', 'most celebrated'])} ${s.label} recordings .`,
];

/** Casual openers: an exclamation and casual vocabulary. */
const CASUAL_OPEN: readonly Template[] = [
  (s, p) => `${p(['hey', 'yo'])} , you gotta try ${s.artist} !`,
  (s, p) => `yeah , ${s.label} is ${p(['totally', 'super'])} cool !`,
  (s, p) => `${s.artist} is ${p(['awesome', 'totally awesome'])} , trust me !`,
];
/** Casual follow-ups, each with a contraction. */
const CASUAL_MORE: readonly Template[] = [
  (_s, p) => `it's so ${p(['good', 'fun'])} !`,
  (s, p) => `you're gonna ${p(['love', 'dig'])} the ${s.instrument} !`,
  (s, p) => `don't skip the ${s.instrument} , it's ${p(['super', 'really'])} fun .`,
  (s, p) => `that ${s.label} stuff is ${p(['awesome', 'wild'])} , i can't stop .`,
];

/** Rhyming line ends (same last two letters) and imagery. */
const RHYMES: readonly (readonly [string, string])[] = [
  ['night', 'light'],
  ['dreams', 'streams'],
  ['heart', 'art'],
  ['glow', 'slow'],
  ['fire', 'desire'],
];
/** Poetic lines ending in a given word. */
const POETIC_LINES: readonly ((s: Slots, end: string, p: (w: readonly string[]) => string) => string)[] = [
  (s, end) => `let ${s.artist} play into the ${end}`,
  (s, end, p) => `a ${s.label} song of ${p(['silver', 'golden'])} ${end}`,
  (s, end, p) => `the ${s.instrument} ${p(['whispers', 'sings'])} to my ${end}`,
  (s, end) => `my soul drifts on ${s.label} ${end}`,
  (s, end, p) => `beneath the ${p(['moon', 'stars'])} , the ${s.instrument} and ${end}`,
];

function poeticText(s: Slots, rng: Rng, pick: (w: readonly string[]) => string): string {
  const [a, b] = RHYMES[rng.int(RHYMES.length)]!;
  const i = rng.int(POETIC_LINES.length);
  const j = (i + 1 + rng.int(POETIC_LINES.length - 1)) % POETIC_LINES.length;
  return `${POETIC_LINES[i]!(s, a, pick)} ,\n${POETIC_LINES[j]!(s, b, pick)} .`;
}

function casualText(s: Slots, rng: Rng, pick: (w: readonly string[]) => string): string {
  const parts = [CASUAL_OPEN[rng.int(CASUAL_OPEN.length)]!(s, pick), CASUAL_MORE[rng.int(CASUAL_MORE.length)]!(s, pick)];
  return parts.join(' ');
}

function formalText(s: Slots, rng: Rng, pick: (w: readonly string[]) => string): string {
  return FORMAL[rng.int(FORMAL.length)]!(s, pick);
}

/** One short sentence or line in a style, appended to a document of another style. */
const ASIDES: Record<Style, (s: Slots, pick: (w: readonly string[]) => string) => string> = {
  formal: (s, p) => `furthermore , i ${p(['recommend', 'particularly recommend'])} ${s.artist} .`,
  casual: (s, p) => CASUAL_OPEN[CASUAL_OPEN.length - 1]!(s, p),
  poetic: (s, p) => `the ${s.instrument} ${p(['whispers', 'sings'])} to the ${p(['moon', 'stars'])} .`,
};

const WRITERS: Record<Style, (s: Slots, rng: Rng, pick: (w: readonly string[]) => string) => string> = {
  formal: formalText,
  casual: casualText,
  poetic: poeticText,
};

function slotsOf(genre: Genre, pick: (w: readonly string[]) => string): Slots {
  const f = FILLS[genre];
  return { label: pick(f.label), artist: pick(f.artist), instrument: pick(f.instrument) };
}

/** Templates are written token by token (`word , word`); documents are plain text (`word, word`), as decoded completions are. */
function normalise(raw: string): string {
  return detokenize(tokenizeText(raw));
}

/** One document of a given style and genre, with the grammar's choices drawn from `rng`. */
export function writeDocument(style: Style, genre: Genre, rng: Rng): string {
  const pick = (words: readonly string[]) => words[rng.int(words.length)]!;
  return normalise(WRITERS[style](slotsOf(genre, pick), rng, pick));
}

/**
 * Generates the pre-training corpus: `count` documents, style and genre uniform over all 15 pairs;
 * with probability `mixed_share` a document either names a second genre (its artist slot is filled
 * from another genre) or appends a short sentence in a second style. Equal seeds give equal corpora.
 */
export function personaCorpus(options: PersonaCorpusOptions = {}): CorpusDocument[] {
  const count = options.count ?? 600;
  const mixedShare = options.mixed_share ?? 0.25;
  if (!Number.isInteger(count) || count < 1) throw new Error(`personaCorpus: count must be a positive integer, got ${count}`);
  if (!(mixedShare >= 0 && mixedShare <= 1)) throw new Error(`personaCorpus: mixed_share must be in [0, 1], got ${mixedShare}`);
  const rng = new Rng(options.seed ?? 0);
  const pick = (words: readonly string[]) => words[rng.int(words.length)]!;
  const docs: CorpusDocument[] = [];
  for (let i = 0; i < count; i++) {
    const style = CORPUS_STYLES[rng.int(CORPUS_STYLES.length)]!;
    const genre = CORPUS_GENRES[rng.int(CORPUS_GENRES.length)]!;
    const slots = slotsOf(genre, pick);
    let kind: CorpusDocument['kind'] = 'pure';
    if (rng.uniform() < mixedShare) kind = rng.uniform() < 0.5 ? 'two-genres' : 'two-styles';
    if (kind === 'two-genres') {
      const other = CORPUS_GENRES[(CORPUS_GENRES.indexOf(genre) + 1 + rng.int(CORPUS_GENRES.length - 1)) % CORPUS_GENRES.length]!;
      slots.artist = pick(FILLS[other].artist);
    }
    let text = WRITERS[style](slots, rng, pick);
    if (kind === 'two-styles') {
      const second = CORPUS_STYLES[(CORPUS_STYLES.indexOf(style) + 1 + rng.int(CORPUS_STYLES.length - 1)) % CORPUS_STYLES.length]!;
      // A short aside in the second style keeps documents within ~35 tokens; a poetic one starts a new line.
      text += (second === 'poetic' || style === 'poetic' ? '\n' : ' ') + ASIDES[second](slotsOf(genre, pick), pick);
    }
    docs.push({ text: normalise(text), style, genre, kind });
  }
  return docs;
}
