import { describeKind } from "../errors.js";
import { checkBool, checkKeys } from "../layers/config.js";

/** "char": one symbol per Unicode code point. "word": see Vocab.tokenize. */
export type VocabLevel = "char" | "word";

/** The spellings of the four special tokens; their ids are always pad 0, unk 1, bos 2, eos 3. */
export interface VocabSpecials {
  readonly pad: string;
  readonly unk: string;
  readonly bos: string;
  readonly eos: string;
}

export interface VocabOptions {
  /** Default "char". */
  readonly level?: VocabLevel;
  /** Symbols seen fewer times than this are left out (and encode as unk). Default 1. */
  readonly minCount?: number;
  /** The largest vocabulary, the four specials included: the most frequent symbols are kept. Default: no limit. */
  readonly maxSize?: number;
  /** Other spellings for the specials. Default "<pad>", "<unk>", "<bos>", "<eos>". */
  readonly specials?: Partial<VocabSpecials>;
}

export interface VocabEncodeOptions {
  /** Start with the bos id. Default false. */
  readonly addBos?: boolean;
  /** End with the eos id. Default false. */
  readonly addEos?: boolean;
}

export interface VocabDecodeOptions {
  /** Leave out pad, unk, bos and eos. Default true: special tokens never reach the text unless asked for. */
  readonly skipSpecials?: boolean;
}

/** A vocabulary as plain JSON: `tokens[id]` is the token of each id, the four specials first. */
export interface VocabJSON {
  readonly version: 1;
  readonly level: VocabLevel;
  readonly specials: VocabSpecials;
  readonly tokens: readonly string[];
}

const DEFAULT_SPECIALS: VocabSpecials = { pad: "<pad>", unk: "<unk>", bos: "<bos>", eos: "<eos>" };
const SPECIAL_NAMES = ["pad", "unk", "bos", "eos"] as const;
/** A word: letters, combining marks, digits, underscores, apostrophes inside; or any one other non-space character. */
const WORD_TOKEN = /[\p{L}\p{M}\p{N}\p{Pc}]+(?:['’][\p{L}\p{M}\p{N}\p{Pc}]+)*|[^\s\p{L}\p{M}\p{N}\p{Pc}]/gu;

function wordTokens(text: string): string[] {
  return text.match(WORD_TOKEN) ?? []; // match with a /g pattern starts at 0 and leaves lastIndex at 0
}

/** Whether `s` is exactly one symbol at this level (so a text could produce it as a token). */
function isSymbol(level: VocabLevel, s: string): boolean {
  if (level === "char") return s.length > 0 && s.length === String.fromCodePoint(s.codePointAt(0)!).length;
  const t = wordTokens(s);
  return t.length === 1 && t[0] === s;
}

/** Orders strings by Unicode code point (JavaScript's `<` compares UTF-16 units, which differs above U+FFFF). */
function compareCodePoints(a: string, b: string): number {
  let i = 0, j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i)!, y = b.codePointAt(j)!;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return (a.length - i) - (b.length - j);
}

function show(s: string): string {
  return JSON.stringify(s);
}

/** Rejects keys of a JSON object that the reader does not know. */
function checkJsonKeys(where: string, what: string, obj: object, known: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) throw new TypeError(`${where}: unknown key ${JSON.stringify(k)} in ${what} (known: ${known.join(", ")})`);
  }
}

/** `partial`: options for fromText (missing names take the defaults); otherwise JSON, where all four are required. */
function checkSpecials(where: string, level: VocabLevel, specials: unknown, partial: boolean): VocabSpecials {
  if (specials === null || typeof specials !== "object" || Array.isArray(specials)) throw new TypeError(`${where}: specials must be an object with pad, unk, bos and eos, got ${describeKind(specials)}`);
  if (partial) checkKeys(where, specials, SPECIAL_NAMES);
  else checkJsonKeys(where, "specials", specials, SPECIAL_NAMES);
  const out: Record<string, string> = {};
  const byToken = new Map<string, string>();
  for (const name of SPECIAL_NAMES) {
    const v = (specials as Record<string, unknown>)[name] ?? (partial ? DEFAULT_SPECIALS[name] : undefined);
    if (v === undefined) throw new TypeError(`${where}: specials.${name} is missing`);
    if (typeof v !== "string" || v === "") throw new TypeError(`${where}: specials.${name} must be a non-empty string, got ${typeof v === "string" ? '""' : describeKind(v)}`);
    if (isSymbol(level, v)) throw new RangeError(`${where}: specials.${name} ${show(v)} is a ${level}-level symbol, so a text could spell it; use a spelling the tokenizer splits, such as "<${name}>"`);
    const other = byToken.get(v);
    if (other !== undefined) throw new RangeError(`${where}: specials.${name} ${show(v)} is also specials.${other}`);
    byToken.set(v, name);
    out[name] = v;
  }
  return { pad: out.pad!, unk: out.unk!, bos: out.bos!, eos: out.eos! };
}

/**
 * A vocabulary of characters or words with stable ids:
 *
 *   ids 0..3   the specials pad, unk, bos, eos
 *   ids 4..    the symbols of the text, by descending count, ties by code point
 *
 * so the same text gives the same ids on every run and platform. Encoding never throws on unseen text (unseen
 * symbols become unk), and decoding leaves the specials out unless asked. Lookups use a Map, so any string, including
 * "__proto__" and "constructor", is an ordinary token.
 *
 *   const vocab = Vocab.fromText(corpus, { level: "char" });
 *   const ids = vocab.encode("Shall I");        // Int32Array
 *   vocab.decode(ids) === "Shall I"
 *   writeFileSync("vocab.json", JSON.stringify(vocab));   // Vocab.fromJSON(JSON.parse(…)) restores it
 */
export class Vocab {
  readonly level: VocabLevel;
  readonly specials: VocabSpecials;
  /** Ids in [0, size), the specials included: the Embedding's numEmbeddings and the head's outputSize. */
  readonly size: number;
  readonly padId: number = 0;
  readonly unkId: number = 1;
  readonly bosId: number = 2;
  readonly eosId: number = 3;
  private readonly tokens: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;

  /** Use Vocab.fromText or Vocab.fromJSON; `tokens` are checked by them. */
  private constructor(level: VocabLevel, specials: VocabSpecials, tokens: readonly string[]) {
    this.level = level;
    this.specials = specials;
    this.tokens = tokens;
    this.size = tokens.length;
    this.ids = new Map(tokens.map((t, i) => [t, i]));
  }

  /**
   * Builds a vocabulary from `text`: every symbol seen at least minCount times, the most frequent first, up to
   * maxSize ids in all.
   */
  static fromText(text: string, options: VocabOptions = {}): Vocab {
    const where = "Vocab.fromText";
    if (typeof text !== "string") throw new TypeError(`${where}: text must be a string, got ${describeKind(text)}`);
    if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object, got ${describeKind(options)}`);
    checkKeys(where, options, ["level", "minCount", "maxSize", "specials"]);
    const level = options.level ?? "char";
    if (level !== "char" && level !== "word") throw new TypeError(`${where}: level must be "char" or "word", got ${JSON.stringify(level)}`);
    const minCount = options.minCount ?? 1;
    if (!(Number.isInteger(minCount) && minCount >= 1)) throw new RangeError(`${where}: minCount must be an integer ≥ 1, got ${minCount}`);
    const maxSize = options.maxSize ?? Infinity;
    if (!(maxSize === Infinity || (Number.isInteger(maxSize) && maxSize >= 4))) throw new RangeError(`${where}: maxSize must be an integer ≥ 4 (the specials), got ${maxSize}`);
    const specials = checkSpecials(where, level, options.specials ?? {}, true);
    const counts = new Map<string, number>();
    const add = (s: string): void => { counts.set(s, (counts.get(s) ?? 0) + 1); };
    if (level === "char") for (const ch of text) add(ch);
    else for (const w of wordTokens(text)) add(w);
    const symbols = [...counts].filter(([, n]) => n >= minCount)
      .sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]))
      .slice(0, maxSize - 4)
      .map(([s]) => s);
    return new Vocab(level, specials, [specials.pad, specials.unk, specials.bos, specials.eos, ...symbols]);
  }

  /** Restores a vocabulary from its toJSON() form, checking everything. */
  static fromJSON(obj: unknown): Vocab {
    const where = "Vocab.fromJSON";
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw new TypeError(`${where}: expected an object { version, level, specials, tokens }, got ${describeKind(obj)}`);
    checkJsonKeys(where, "the vocabulary", obj, ["version", "level", "specials", "tokens"]);
    const { version, level, specials, tokens } = obj as Record<string, unknown>;
    if (version === undefined) throw new TypeError(`${where}: version is missing`);
    if (version !== 1) throw new RangeError(`${where}: unsupported version ${JSON.stringify(version)} (this build reads version 1)`);
    if (level !== "char" && level !== "word") throw new TypeError(`${where}: level must be "char" or "word", got ${level === undefined ? "nothing" : JSON.stringify(level)}`);
    if (specials === undefined) throw new TypeError(`${where}: specials is missing`);
    const sp = checkSpecials(where, level, specials, false);
    if (!Array.isArray(tokens)) throw new TypeError(`${where}: tokens must be an array of strings, got ${tokens === undefined ? "nothing" : describeKind(tokens)}`);
    const list = tokens as unknown[];
    if (list.length < 4) throw new RangeError(`${where}: tokens must start with the 4 specials, got ${list.length} tokens`);
    const seen = new Map<string, number>();
    for (let i = 0; i < list.length; i++) {
      const t = list[i];
      if (typeof t !== "string") throw new TypeError(`${where}: tokens[${i}] must be a string, got ${describeKind(t)}`);
      if (i < 4) {
        const name = SPECIAL_NAMES[i]!;
        if (t !== sp[name]) throw new RangeError(`${where}: tokens[${i}] must be the ${name} special ${show(sp[name])}, got ${show(t)}`);
      } else if (!isSymbol(level, t)) {
        throw new RangeError(`${where}: tokens[${i}] ${show(t)} is not a ${level}-level symbol${level === "char" ? " (one code point)" : " (see Vocab.tokenize)"}`);
      }
      const first = seen.get(t);
      if (first !== undefined) throw new RangeError(`${where}: tokens[${i}] ${show(t)} duplicates tokens[${first}]`);
      seen.set(t, i);
    }
    return new Vocab(level, sp, list as string[]);
  }

  /** Plain JSON (JSON.stringify(vocab) uses it). */
  toJSON(): VocabJSON {
    return { version: 1, level: this.level, specials: { ...this.specials }, tokens: [...this.tokens] };
  }

  /**
   * The symbols of `text` at this vocabulary's level. "char": Unicode code points (no normalisation). "word": split
   * on whitespace, and each punctuation mark or symbol becomes a token of its own; a word is a run of letters,
   * combining marks, digits and underscores, with apostrophes allowed inside ("don't", "o'er"). Case is kept.
   *
   *   tokenize("Shall I compare thee, my dear?") → ["Shall", "I", "compare", "thee", ",", "my", "dear", "?"]
   */
  tokenize(text: string): string[] {
    if (typeof text !== "string") throw new TypeError(`Vocab.tokenize: text must be a string, got ${describeKind(text)}`);
    return this.level === "char" ? [...text] : wordTokens(text);
  }

  /** The ids of `text`'s symbols; a symbol not in the vocabulary becomes unk. */
  encode(text: string, options: VocabEncodeOptions = {}): Int32Array {
    const where = "Vocab.encode";
    if (typeof text !== "string") throw new TypeError(`${where}: text must be a string, got ${describeKind(text)}`);
    if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object, got ${describeKind(options)}`);
    checkKeys(where, options, ["addBos", "addEos"]);
    const addBos = checkBool(where, "addBos", options.addBos, false);
    const addEos = checkBool(where, "addEos", options.addEos, false);
    const symbols = this.tokenize(text);
    const out = new Int32Array(symbols.length + (addBos ? 1 : 0) + (addEos ? 1 : 0));
    let k = 0;
    if (addBos) out[k++] = this.bosId;
    for (const s of symbols) out[k++] = this.ids.get(s) ?? this.unkId;
    if (addEos) out[k++] = this.eosId;
    return out;
  }

  /**
   * The text of `ids`: characters concatenated, or words joined by single spaces (so a word-level round trip gives
   * the tokens, not the original spacing). Specials are left out unless skipSpecials is false.
   */
  decode(ids: ArrayLike<number>, options: VocabDecodeOptions = {}): string {
    const where = "Vocab.decode";
    if (ids === null || typeof ids !== "object" || typeof ids.length !== "number") throw new TypeError(`${where}: ids must be an array of token ids, got ${describeKind(ids)}`);
    if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object, got ${describeKind(options)}`);
    checkKeys(where, options, ["skipSpecials"]);
    const skip = checkBool(where, "skipSpecials", options.skipSpecials, true);
    const parts: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(Number.isInteger(id) && id >= 0 && id < this.size)) throw new RangeError(`${where}: ids[${i}] must be an id in [0, ${this.size}), got ${id}`);
      if (skip && id < 4) continue;
      parts.push(this.tokens[id]!);
    }
    return parts.join(this.level === "char" ? "" : " ");
  }

  /** The id of a token (a special's spelling included), or undefined when it is not in the vocabulary. */
  idOf(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** The token of an id. */
  tokenOf(id: number): string {
    if (!(Number.isInteger(id) && id >= 0 && id < this.size)) throw new RangeError(`Vocab.tokenOf: id must be an integer in [0, ${this.size}), got ${id}`);
    return this.tokens[id]!;
  }
}
