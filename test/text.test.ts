import { describe, expect, it } from "vitest";
import { Vocab, lmBatches, timeSeriesWindows } from "../src/index.js";

const sonnet = "Shall I compare thee to a summer's day?\nThou art more lovely and more temperate:";

describe("Vocab", () => {
  it("char level: specials 0..3, then symbols by descending count, ties by code point", () => {
    const v = Vocab.fromText("abracadabra!");
    expect(v.size).toBe(4 + 6);
    expect([0, 1, 2, 3].map((i) => v.tokenOf(i))).toEqual(["<pad>", "<unk>", "<bos>", "<eos>"]);
    expect([v.padId, v.unkId, v.bosId, v.eosId]).toEqual([0, 1, 2, 3]);
    // a×5, b×2, r×2, c×1, d×1, !×1 → a, b, r, then !, c, d by code point
    expect(Array.from({ length: 6 }, (_, i) => v.tokenOf(4 + i))).toEqual(["a", "b", "r", "!", "c", "d"]);
    expect(v.idOf("a")).toBe(4);
    expect(v.idOf("<unk>")).toBe(1);
    expect(v.idOf("z")).toBeUndefined();
  });

  it("ids are stable: the same text gives the same ids however it was built, and code point order beats UTF-16 order", () => {
    const text = "zyx😀\uFF61😀\uFF61 zz";
    const a = Vocab.fromText(text), b = Vocab.fromText([...text].reverse().join(""));
    expect(a.toJSON()).toEqual(b.toJSON());
    // "😀" (U+1F600) and "｡" (U+FF61) each appear twice; by code point U+FF61 comes first, though its UTF-16 unit is larger than 0xD83D
    expect(a.tokenOf(4)).toBe("z");
    expect(a.tokenOf(5)).toBe("\uFF61");
    expect(a.tokenOf(6)).toBe("😀");
    expect(a.encode("😀")).toEqual(Int32Array.of(6)); // one code point, one id
  });

  it("encode maps unseen symbols to unk and never throws; bos/eos on request; decode drops specials by default", () => {
    const v = Vocab.fromText(sonnet);
    const ids = v.encode("Thou Zebra", { addBos: true, addEos: true });
    expect(ids).toBeInstanceOf(Int32Array);
    expect(ids[0]).toBe(2);
    expect(ids[ids.length - 1]).toBe(3);
    expect(Array.from(ids).filter((id) => id === 1).length).toBe(2); // "Z" and "b" were never seen
    expect(v.decode(ids)).toBe("Thou era");
    expect(v.decode(ids, { skipSpecials: false })).toBe("<bos>Thou <unk>e<unk>ra<eos>");
    expect(v.encode("")).toEqual(new Int32Array(0));
    expect(v.decode([])).toBe("");
  });

  it("round trips every text made of its symbols (char level)", () => {
    const v = Vocab.fromText(sonnet);
    expect(v.decode(v.encode(sonnet))).toBe(sonnet);
    expect(v.decode(v.encode(sonnet, { addBos: true, addEos: true }))).toBe(sonnet);
  });

  it("word level: whitespace splits, punctuation is its own token, apostrophes stay inside words, words joined by spaces", () => {
    const v = Vocab.fromText(sonnet, { level: "word" });
    expect(v.tokenize("Shall I compare thee, my dear?")).toEqual(["Shall", "I", "compare", "thee", ",", "my", "dear", "?"]);
    expect(v.tokenize("summer's day... o'er-- 3.5 snake_case")).toEqual(["summer's", "day", ".", ".", ".", "o'er", "-", "-", "3", ".", "5", "snake_case"]);
    expect(v.tokenize("  \n\t ")).toEqual([]);
    expect(v.idOf("summer's")).toBeDefined();
    expect(v.decode(v.encode(sonnet))).toBe(v.tokenize(sonnet).join(" "));
    expect(v.decode(v.encode("Thou art a zebra!"))).toBe("Thou art a");
    expect(v.decode(v.encode("Thou art a zebra!"), { skipSpecials: false })).toBe("Thou art a <unk> <unk>");
    // "more" appears twice; every other word once, in code point order (capitals first)
    expect(v.tokenOf(4)).toBe("more");
    expect(v.tokenOf(5)).toBe(":");
    expect(v.tokenOf(6)).toBe("?");
    expect(v.tokenOf(7)).toBe("I");
  });

  it("minCount and maxSize keep the most frequent symbols; the rest become unk", () => {
    const text = "aaaa bbb cc d";
    expect(Vocab.fromText(text, { minCount: 2 }).size).toBe(4 + 4); // a, b, c, " " (3 spaces)
    const small = Vocab.fromText(text, { maxSize: 6 });
    expect(small.size).toBe(6);
    expect([small.tokenOf(4), small.tokenOf(5)]).toEqual(["a", " "]);
    expect(Array.from(small.encode("abcd"))).toEqual([4, 1, 1, 1]);
    expect(Vocab.fromText(text, { maxSize: 4 }).size).toBe(4);
  });

  it("a one-symbol text and an empty text", () => {
    const one = Vocab.fromText("x");
    expect(one.size).toBe(5);
    expect(Array.from(one.encode("xxy"))).toEqual([4, 4, 1]);
    expect(one.decode(one.encode("x"))).toBe("x");
    const w = Vocab.fromText("  word ", { level: "word" });
    expect(w.size).toBe(5);
    expect(w.decode(w.encode("word word"))).toBe("word word");
    expect(Vocab.fromText("").size).toBe(4);
  });

  it("__proto__, constructor and toString are ordinary tokens (Map lookups, JSON arrays)", () => {
    const text = "__proto__ constructor __proto__ toString hasOwnProperty";
    const v = Vocab.fromText(text, { level: "word" });
    expect(v.tokenOf(4)).toBe("__proto__");
    expect(v.size).toBe(8);
    expect(v.idOf("constructor")).toBe(5);
    expect(v.idOf("valueOf")).toBeUndefined();
    expect(v.decode(v.encode(text))).toBe(text);
    expect(Array.from(v.encode("valueOf __proto__"))).toEqual([1, 4]);
    const back = Vocab.fromJSON(JSON.parse(JSON.stringify(v)));
    expect(back.decode(back.encode(text))).toBe(text);
    expect(back.toJSON()).toEqual(v.toJSON());
    const c = Vocab.fromText("_proto", { specials: { unk: "__proto__!" } });
    expect(c.tokenOf(1)).toBe("__proto__!");
  });

  it("JSON round trip gives the same vocabulary (both levels, custom specials)", () => {
    for (const v of [Vocab.fromText(sonnet), Vocab.fromText(sonnet, { level: "word", specials: { pad: "[PAD]", eos: "</s>" } })]) {
      const json = JSON.parse(JSON.stringify(v)) as unknown;
      expect(json).toEqual(v.toJSON());
      const back = Vocab.fromJSON(json);
      expect(back.toJSON()).toEqual(v.toJSON());
      expect(Array.from(back.encode(sonnet))).toEqual(Array.from(v.encode(sonnet)));
      expect(back.level).toBe(v.level);
      expect(back.specials).toEqual(v.specials);
    }
    expect(Vocab.fromText(sonnet, { level: "word", specials: { pad: "[PAD]" } }).tokenOf(0)).toBe("[PAD]");
  });

  it("fromJSON rejects unknown versions, duplicates, missing specials and wrong kinds with clear messages", () => {
    const good = Vocab.fromText("abc").toJSON();
    const bad = (patch: object): unknown => ({ ...good, ...patch });
    expect(() => Vocab.fromJSON(bad({ version: 2 }))).toThrow(/Vocab\.fromJSON: unsupported version 2 \(this build reads version 1\)/);
    expect(() => Vocab.fromJSON({ level: "char", specials: good.specials, tokens: good.tokens })).toThrow(/version is missing/);
    expect(() => Vocab.fromJSON(bad({ tokens: [...good.tokens, "a"] }))).toThrow(/tokens\[7\] "a" duplicates tokens\[4\]/);
    expect(() => Vocab.fromJSON(bad({ tokens: ["<pad>", "<unk>", "<eos>", "<bos>", "a"] }))).toThrow(/tokens\[2\] must be the bos special "<bos>", got "<eos>"/);
    expect(() => Vocab.fromJSON(bad({ tokens: ["<pad>", "<unk>"] }))).toThrow(/tokens must start with the 4 specials, got 2 tokens/);
    expect(() => Vocab.fromJSON(bad({ specials: { pad: "<pad>", unk: "<unk>", bos: "<bos>" } }))).toThrow(/specials\.eos is missing/);
    expect(() => Vocab.fromJSON(bad({ specials: undefined }))).toThrow(/specials is missing/);
    expect(() => Vocab.fromJSON(bad({ tokens: [...good.tokens, 7] }))).toThrow(/tokens\[7\] must be a string, got number/);
    expect(() => Vocab.fromJSON(bad({ tokens: "abc" }))).toThrow(/tokens must be an array of strings, got string/);
    expect(() => Vocab.fromJSON(bad({ tokens: [...good.tokens, "ab"] }))).toThrow(/tokens\[7\] "ab" is not a char-level symbol \(one code point\)/);
    expect(() => Vocab.fromJSON(bad({ level: "word", tokens: [...good.tokens, "a b"] }))).toThrow(/tokens\[7\] "a b" is not a word-level symbol/);
    expect(() => Vocab.fromJSON(bad({ level: "byte" }))).toThrow(/level must be "char" or "word", got "byte"/);
    expect(() => Vocab.fromJSON(bad({ extra: 1 }))).toThrow(/unknown key "extra" in the vocabulary \(known: version, level, specials, tokens\)/);
    expect(() => Vocab.fromJSON(JSON.parse('{"__proto__": {"version": 1}}'))).toThrow(/unknown key "__proto__"/);
    expect(() => Vocab.fromJSON(bad({ specials: { ...good.specials, sep: "<sep>" } }))).toThrow(/unknown key "sep" in specials/);
    expect(() => Vocab.fromJSON([good])).toThrow(/expected an object .* got array/);
    expect(() => Vocab.fromJSON(null)).toThrow(/got null/);
  });

  it("specials must be distinct and must not be something the text could spell as one symbol", () => {
    expect(() => Vocab.fromText("abc", { specials: { unk: "?" } })).toThrow(/specials\.unk "\?" is a char-level symbol/);
    expect(() => Vocab.fromText("abc", { level: "word", specials: { unk: "UNK" } })).toThrow(/specials\.unk "UNK" is a word-level symbol/);
    expect(() => Vocab.fromText("abc", { specials: { bos: "<s>", eos: "<s>" } })).toThrow(/specials\.eos "<s>" is also specials\.bos/);
    expect(() => Vocab.fromText("abc", { specials: { pad: "" } })).toThrow(/specials\.pad must be a non-empty string, got ""/);
    // so text that spells a special is just text
    const v = Vocab.fromText("<unk> x", { level: "word" });
    expect(Array.from(v.encode("<unk>")).every((id) => id >= 4)).toBe(true);
    expect(v.decode(v.encode("<unk>"))).toBe("< unk >");
  });

  it("bad arguments", () => {
    const v = Vocab.fromText("abc");
    expect(() => v.decode([0, 7])).toThrow(/Vocab\.decode: ids\[1\] must be an id in \[0, 7\), got 7/);
    expect(() => v.decode([1.5])).toThrow(/ids\[0\] must be an id in \[0, 7\), got 1.5/);
    expect(() => v.tokenOf(-1)).toThrow(/tokenOf: id must be an integer in \[0, 7\), got -1/);
    expect(() => v.encode(42 as never)).toThrow(/encode: text must be a string, got number/);
    expect(() => v.encode("a", { addBOS: true } as never)).toThrow(/unknown option 'addBOS'/);
    expect(() => Vocab.fromText("abc", { level: "byte" } as never)).toThrow(/level must be "char" or "word", got "byte"/);
    expect(() => Vocab.fromText("abc", { minCount: 0 })).toThrow(/minCount must be an integer ≥ 1, got 0/);
    expect(() => Vocab.fromText("abc", { maxSize: 3 })).toThrow(/maxSize must be an integer ≥ 4 \(the specials\), got 3/);
  });
});

describe("lmBatches", () => {
  const stream = Int32Array.from({ length: 23 }, (_, i) => 100 + i);

  it("splits the stream into B contiguous tracks, time-major [T, B] chunks, targets shifted by one", () => {
    const chunks = lmBatches(stream, 3, 4); // L = ⌊22/4⌋ = 5 steps per track: chunks of 3 and 2
    expect(chunks.map((c) => [c.T, c.B, c.start, ...c.shape])).toEqual([[3, 4, 0, 3, 4], [2, 4, 3, 2, 4]]);
    // step t, track b: input ids[b·5 + start + t]
    expect(Array.from(chunks[0]!.input)).toEqual([100, 105, 110, 115, 101, 106, 111, 116, 102, 107, 112, 117]);
    expect(Array.from(chunks[0]!.target)).toEqual([101, 106, 111, 116, 102, 107, 112, 117, 103, 108, 113, 118]);
    expect(Array.from(chunks[1]!.input)).toEqual([103, 108, 113, 118, 104, 109, 114, 119]);
    expect(Array.from(chunks[1]!.target)).toEqual([104, 109, 114, 119, 105, 110, 115, 120]);
  });

  it("covers the stream exactly once: ids[0, B·L) as inputs and ids[1, B·L] as targets, each pair (x, next x)", () => {
    for (const [n, T, B] of [[23, 3, 4], [100, 7, 3], [50, 50, 1], [9, 1, 8], [31, 4, 5]] as const) {
      const ids = Int32Array.from({ length: n }, (_, i) => i);
      const L = Math.floor((n - 1) / B);
      const inputs: number[] = [], targets: number[] = [];
      for (const c of lmBatches(ids, T, B)) {
        expect(c.input.length).toBe(c.T * B);
        for (let i = 0; i < c.input.length; i++) {
          expect(c.target[i]).toBe(c.input[i]! + 1);
          inputs.push(c.input[i]!);
          targets.push(c.target[i]!);
        }
      }
      expect(inputs.sort((a, b) => a - b)).toEqual(Array.from({ length: B * L }, (_, i) => i));
      expect(targets.sort((a, b) => a - b)).toEqual(Array.from({ length: B * L }, (_, i) => i + 1));
    }
  });

  it("consecutive chunks continue each track where the last one stopped (state can be carried)", () => {
    const ids = Int32Array.from({ length: 61 }, (_, i) => i);
    const chunks = lmBatches(ids, 4, 3);
    for (let k = 1; k < chunks.length; k++) {
      const prev = chunks[k - 1]!, cur = chunks[k]!;
      for (let b = 0; b < 3; b++) expect(cur.input[b]).toBe(prev.target[(prev.T - 1) * 3 + b]);
    }
  });

  it("errors: too short a stream, bad sizes, bad ids", () => {
    expect(() => lmBatches(Int32Array.of(1, 2, 3), 2, 3)).toThrow(/lmBatches: ids must hold at least B \+ 1 = 4 tokens to give each of the B=3 tracks one step, got 3/);
    expect(lmBatches(Int32Array.of(1, 2, 3, 4), 2, 3).map((c) => c.T)).toEqual([1]);
    expect(() => lmBatches(Int32Array.of(1, 2, 3), 0, 1)).toThrow(/T must be a positive integer, got 0/);
    expect(() => lmBatches([1, -2, 3], 1, 1)).toThrow(/ids\[1\] must be a non-negative integer, got -2/);
    expect(() => lmBatches("abc" as never, 1, 1)).toThrow(/ids must be an array of token ids/);
  });
});

describe("timeSeriesWindows", () => {
  it("inputs [N, window, F] and the horizon right after each window as targets; N counts the complete windows", () => {
    const series = Float32Array.from({ length: 10 }, (_, i) => i);
    const w = timeSeriesWindows(series, { window: 3, horizon: 2 });
    expect(w.count).toBe(6);
    expect(w.inputs.shape).toEqual([6, 3, 1]);
    expect(w.targets.shape).toEqual([6, 2, 1]);
    expect(Array.from(w.inputs.data.subarray(0, 3))).toEqual([0, 1, 2]);
    expect(Array.from(w.targets.data.subarray(0, 2))).toEqual([3, 4]);
    expect(Array.from(w.inputs.data.subarray(15, 18))).toEqual([5, 6, 7]);   // the last window ends at the series' end
    expect(Array.from(w.targets.data.subarray(10, 12))).toEqual([8, 9]);
  });

  it("stride and features: steps are rows of F values; leftover steps that cannot complete a window are unused", () => {
    const S = 11, F = 2;
    const series = Float32Array.from({ length: S * F }, (_, i) => (i % 2 === 0 ? i / 2 : -i));
    const w = timeSeriesWindows(series, { window: 4, horizon: 1, stride: 3, features: F });
    expect(w.count).toBe(3); // starts 0, 3, 6 (start 9 would need steps up to 13)
    expect(w.inputs.shape).toEqual([3, 4, 2]);
    expect(w.targets.shape).toEqual([3, 1, 2]);
    const step = (s: number): number[] => [s, -(2 * s + 1)];
    for (let n = 0; n < 3; n++) {
      const s = 3 * n;
      expect(Array.from(w.inputs.data.subarray(n * 8, n * 8 + 8))).toEqual([0, 1, 2, 3].flatMap((t) => step(s + t)));
      expect(Array.from(w.targets.data.subarray(n * 2, n * 2 + 2))).toEqual(step(s + 4));
    }
  });

  it("exactly window + horizon steps give one window; fewer are an error", () => {
    const w = timeSeriesWindows(Float32Array.of(1, 2, 3), { window: 2, horizon: 1 });
    expect(w.count).toBe(1);
    expect(Array.from(w.targets.data)).toEqual([3]);
    expect(() => timeSeriesWindows(Float32Array.of(1, 2), { window: 2, horizon: 1 })).toThrow(/series is too short: 2 steps, need at least window \+ horizon = 2 \+ 1 = 3/);
    expect(() => timeSeriesWindows(Float32Array.of(1, 2, 3), { window: 1, horizon: 1, features: 2 })).toThrow(/series must hold whole steps of features=2 values, got 3 values/);
    expect(() => timeSeriesWindows(Float32Array.of(1, 2, 3), { window: 0, horizon: 1 })).toThrow(/window must be a positive integer, got 0/);
    expect(() => timeSeriesWindows(Float32Array.of(1, 2, 3), { window: 1, horizon: 1, stride: 1.5 })).toThrow(/stride must be a positive integer, got 1.5/);
    expect(() => timeSeriesWindows([1, 2, 3] as never, { window: 1, horizon: 1 })).toThrow(/series must be a Float32Array, got array/);
    expect(() => timeSeriesWindows(Float32Array.of(1, 2, 3), { window: 1, horizon: 1, lag: 2 } as never)).toThrow(/unknown option 'lag'/);
  });
});
