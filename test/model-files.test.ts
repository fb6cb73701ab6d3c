import { describe, expect, it } from "vitest";
import { Adam, ModelFileError, SGD, Seq2Seq, SequenceModel, Trainer, Vocab, deserializeModel, seededRng, serializeModel } from "../src/index.js";
import type { Rng, SequenceExample } from "../src/index.js";

const text = "the cat sat on the mat. the dog sat on the log. a cat and a dog met on a mat.";

function examples(vocab: Vocab, rng: Rng, n: number): SequenceExample[] {
  const ids = vocab.encode(text);
  return Array.from({ length: n }, () => {
    const at = rng.int(ids.length - 9);
    return { input: Array.from(ids.slice(at, at + 8)), target: Array.from(ids.slice(at + 1, at + 9)) };
  });
}

describe("serializeModel / deserializeModel", () => {
  const vocab = Vocab.fromText(text);
  const make = (): SequenceModel => new SequenceModel({
    input: { vocabSize: vocab.size, embeddingDim: 8 }, cell: "lstm", hiddenSize: 16, numLayers: 2, dropout: 0.3,
    output: { size: vocab.size, per: "step" },
  }, 5);

  for (const format of ["json", "binary"] as const) {
    it(`${format}: save → load → predict is bit-identical, and the vocabulary comes back`, () => {
      const model = make();
      const trainer = new Trainer({ model, optimizer: new Adam({ lr: 0.01 }) });
      trainer.fit(examples(vocab, seededRng(1), 64), { epochs: 2, batchSize: 16 });
      const file = serializeModel(model, { format, vocab });
      expect(typeof file === "string").toBe(format === "json");
      const loaded = deserializeModel(file);
      expect(loaded.model).toBeInstanceOf(SequenceModel);
      const probe = { tokens: { data: vocab.encode("the cat sat on"), shape: [14, 1] } };
      expect((loaded.model as SequenceModel).forward(probe).data).toEqual(model.forward(probe).data);
      expect(loaded.model.store.values).toEqual(model.store.values);
      expect((loaded.vocab as Vocab).encode(text)).toEqual(vocab.encode(text));
      expect(loaded.optimizer).toBeNull();
    });
  }

  it("save → load → continue training gives the same next loss and weights as never having stopped (Adam state and dropout masks included)", () => {
    const model = make();
    const optimizer = new Adam({ lr: 0.01 });
    const trainer = new Trainer({ model, optimizer, clipNorm: 1 });
    trainer.fit(examples(vocab, seededRng(2), 48), { epochs: 1, batchSize: 16 });
    const file = serializeModel(model, { format: "binary", vocab, optimizer });
    const loaded = deserializeModel(file);
    const resumed = new Trainer({ model: loaded.model as SequenceModel, optimizer: loaded.optimizer!, clipNorm: 1 });
    const batch = trainer.collate(examples(vocab, seededRng(3), 16));
    const a = trainer.step(batch), b = resumed.step(batch);
    expect(b.loss).toBe(a.loss);
    expect(b.gradNorm).toBe(a.gradNorm);
    expect(b.step).toBe(a.step);
    expect(loaded.model.store.values).toEqual(model.store.values);
    const c = trainer.step(batch), d = resumed.step(batch);   // and the dropout masks keep agreeing
    expect(d.loss).toBe(c.loss);
  });

  it("Seq2Seq with source and target vocabularies and an SGD optimizer", () => {
    const src = Vocab.fromText("abc"), tgt = Vocab.fromText("xyz");
    const model = new Seq2Seq({ sourceVocab: src.size, targetVocab: tgt.size, embeddingDim: 4, hiddenSize: 6, cell: "gru", bidirectionalEncoder: true }, 3);
    const optimizer = new SGD({ lr: 0.1, momentum: 0.9 });
    const loaded = deserializeModel(serializeModel(model, { format: "json", vocab: { source: src, target: tgt }, optimizer }));
    const source = { data: [4, 5, 6], shape: [3, 1] };
    const opts = { bos: tgt.bosId, eos: tgt.eosId, maxLength: 5 };
    expect((loaded.model as Seq2Seq).greedy(source, opts)).toEqual(model.greedy(source, opts));
    expect(loaded.optimizer!.getState()).toEqual(optimizer.getState());
    expect((loaded.vocab as { target: Vocab }).target.decode(tgt.encode("zyx"))).toBe("zyx");
  });

  it("keeps the caller's metadata (json and binary), and refuses metadata that is not JSON, naming it", () => {
    const model = make();
    const metadata = { description: "a toy LM", epochs: 2, scores: { bpc: 1.25, accuracy: [0.5, 0.61] }, tags: ["toy", null, true] };
    for (const format of ["json", "binary"] as const) {
      const loaded = deserializeModel(serializeModel(model, { format, metadata }));
      expect(loaded.metadata).toEqual(metadata);
    }
    expect(deserializeModel(serializeModel(model, { format: "json" })).metadata).toBeNull();
    expect(() => serializeModel(model, { format: "json", metadata: [1, 2] as never })).toThrow("serializeModel: metadata must be an object of JSON values, got array");
    expect(() => serializeModel(model, { format: "json", metadata: { when: new Date(0) } })).toThrow(/metadata/);
    expect(() => serializeModel(model, { format: "json", metadata: { loss: NaN } })).toThrow(/metadata/);
    const file = JSON.parse(serializeModel(model, { format: "json" }) as string) as { extra: Record<string, unknown> };
    expect(() => deserializeModel(JSON.stringify({ ...file, extra: { ...file.extra, metadata: "x" } }))).toThrow("deserializeModel: extra.metadata must be an object, got string");
  });

  it("rejects files it did not write, naming what is wrong, and builds nothing", () => {
    const model = make();
    const file = JSON.parse(serializeModel(model, { format: "json" }) as string) as Record<string, unknown>;
    expect(() => deserializeModel(JSON.stringify({ ...file, config: { kind: "Transformer", config: {} } }))).toThrow(/unknown model kind "Transformer"/);
    expect(() => deserializeModel(JSON.stringify({ ...file, config: { kind: "SequenceModel", config: { ...(file.config as { config: object }).config, hiddenSize: 32 } } })))
      .toThrow(/the file's model does not build: .*weight_hh_l0 must be \[128, 32\], got \[64, 16\]/);
    expect(() => deserializeModel(JSON.stringify({ ...file, config: [] }))).toThrow(ModelFileError);
  });
});
