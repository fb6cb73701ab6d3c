import { describeKind } from "../errors.js";
import { checkKeys } from "../layers/config.js";
import { Adagrad } from "../optim/adagrad.js";
import { Adam, AdamW } from "../optim/adam.js";
import type { Optimizer, OptimizerState } from "../optim/optimizer.js";
import { RMSprop } from "../optim/rmsprop.js";
import { SGD } from "../optim/sgd.js";
import { Seq2Seq } from "../sequence/seq2seq.js";
import type { Seq2SeqConfig } from "../sequence/seq2seq.js";
import { SequenceModel } from "../sequence/sequence-model.js";
import type { SequenceModelConfig } from "../sequence/sequence-model.js";
import type { RngState } from "../tensor/random.js";
import { Vocab } from "../text/vocab.js";
import type { JSONValue, ModelFileContent, ModelFileFormat } from "./model-file.js";
import { ModelFileError, loadModel, saveModel } from "./model-file.js";

/** The vocabulary saved with a model: one, or a source and a target one (Seq2Seq). */
export type ModelVocab = Vocab | { readonly source: Vocab; readonly target: Vocab };

export interface SerializeOptions {
  readonly format: ModelFileFormat;
  readonly vocab?: ModelVocab;
  /** Include the optimizer's state, to resume training exactly. */
  readonly optimizer?: Optimizer;
  /** Your own JSON data to keep with the model (a description, the data set, epochs trained, scores). */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** What deserializeModel gives back: the model, and the vocabulary and optimizer if the file had them. */
export interface LoadedModel {
  readonly model: SequenceModel | Seq2Seq;
  readonly vocab: ModelVocab | null;
  readonly optimizer: Optimizer | null;
  /** The `metadata` given to serializeModel, or null. */
  readonly metadata: Record<string, JSONValue> | null;
}

type RandomState = Record<string, RngState | null>;

/**
 * A whole model as a model file (see saveModel): its architecture, weights, the state of its dropout generators, and
 * optionally its vocabulary and optimizer state. deserializeModel(serializeModel(m, …)) predicts bit for bit as m,
 * and with the optimizer continues training exactly as m would have.
 */
export function serializeModel(model: SequenceModel | Seq2Seq, options: SerializeOptions): string | Uint8Array {
  const where = "serializeModel";
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be { format, vocab?, optimizer?, metadata? }, got ${describeKind(options)}`);
  checkKeys(where, options, ["format", "vocab", "optimizer", "metadata"]);
  const { metadata } = options;
  if (metadata !== undefined && (metadata === null || typeof metadata !== "object" || Array.isArray(metadata) || ArrayBuffer.isView(metadata))) {
    throw new TypeError(`${where}: metadata must be an object of JSON values, got ${describeKind(metadata)}`);
  }
  let config: { kind: string; config: unknown }, random: RandomState;
  if (model instanceof SequenceModel) {
    config = { kind: "SequenceModel", config: model.config };
    random = model.getRandomState();
  } else if (model instanceof Seq2Seq) {
    config = { kind: "Seq2Seq", config: model.config };
    random = { encoder: model.encoder.getDropoutState(), decoder: model.decoder.getDropoutState() };
  } else {
    throw new TypeError(`${where}: model must be a SequenceModel or a Seq2Seq, got ${describeKind(model)}`);
  }
  const v = options.vocab;
  const vocab = v === undefined ? undefined : v instanceof Vocab ? { kind: "single", vocab: v.toJSON() } : { kind: "pair", source: v.source.toJSON(), target: v.target.toJSON() };
  return saveModel({
    format: "recurrent-ts", version: 1, config, weights: model.store.stateDict(),
    ...(vocab === undefined ? {} : { vocab }),
    ...(options.optimizer === undefined ? {} : { optimizer: options.optimizer.getState() }),
    extra: metadata === undefined ? { random } : { random, metadata },
  }, { format: options.format });
}

/** Rebuilds a model (and its vocabulary and optimizer) from a file written by serializeModel; checks all of it first. */
export function deserializeModel(data: string | Uint8Array | ArrayBuffer): LoadedModel {
  const where = "deserializeModel";
  const file: ModelFileContent = loadModel(data);
  const cfg = file.config;
  if (cfg === null || typeof cfg !== "object" || Array.isArray(cfg) || typeof cfg["kind"] !== "string") {
    throw new ModelFileError(`${where}: config must be { kind, config } as serializeModel writes it, got ${describeKind(cfg)}`);
  }
  const kind = cfg["kind"];
  let model: SequenceModel | Seq2Seq;
  try {
    if (kind === "SequenceModel") model = new SequenceModel(cfg["config"] as unknown as SequenceModelConfig);
    else if (kind === "Seq2Seq") model = new Seq2Seq(cfg["config"] as unknown as Seq2SeqConfig);
    else throw new ModelFileError(`${where}: unknown model kind ${JSON.stringify(kind)} (known: SequenceModel, Seq2Seq)`);
    model.store.loadStateDict(file.weights);
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(`${where}: the file's model does not build: ${(e as Error).message}`, { cause: e });
  }
  const random = file.extra?.["random"];
  try {
    if (random !== undefined && random !== null && typeof random === "object" && !Array.isArray(random)) {
      const r = random as unknown as RandomState;
      if (model instanceof SequenceModel) model.setRandomState({ input: r["input"] ?? null, rnn: r["rnn"] ?? null, output: r["output"] ?? null });
      else {
        if (r["encoder"]) model.encoder.setDropoutState(r["encoder"]);
        if (r["decoder"]) model.decoder.setDropoutState(r["decoder"]);
      }
    }
  } catch (e) {
    throw new ModelFileError(`${where}: extra.random does not fit the model: ${(e as Error).message}`, { cause: e });
  }
  let vocab: ModelVocab | null = null;
  const fv = file.vocab;
  if (fv !== undefined) {
    try {
      const o = fv as { kind?: unknown; vocab?: unknown; source?: unknown; target?: unknown };
      if (o.kind === "single") vocab = Vocab.fromJSON(o.vocab);
      else if (o.kind === "pair") vocab = { source: Vocab.fromJSON(o.source), target: Vocab.fromJSON(o.target) };
      else throw new Error(`kind must be "single" or "pair", got ${JSON.stringify(o.kind)}`);
    } catch (e) {
      throw new ModelFileError(`${where}: vocab: ${(e as Error).message}`, { cause: e });
    }
  }
  let optimizer: Optimizer | null = null;
  if (file.optimizer !== undefined) {
    try {
      optimizer = optimizerFromState(file.optimizer);
    } catch (e) {
      throw new ModelFileError(`${where}: optimizer: ${(e as Error).message}`, { cause: e });
    }
  }
  const meta = file.extra?.["metadata"];
  if (meta !== undefined && (meta === null || typeof meta !== "object" || Array.isArray(meta))) {
    throw new ModelFileError(`${where}: extra.metadata must be an object, got ${describeKind(meta)}`);
  }
  return { model, vocab, optimizer, metadata: meta ?? null };
}

/** A new optimizer of the state's kind, holding that state (options, step count and buffers). */
export function optimizerFromState(state: OptimizerState): Optimizer {
  const opt: Optimizer = state.kind === "SGD" ? new SGD({ lr: 1 }) : state.kind === "RMSprop" ? new RMSprop()
    : state.kind === "Adagrad" ? new Adagrad() : state.kind === "Adam" ? new Adam() : state.kind === "AdamW" ? new AdamW()
    : unknownKind(state.kind);
  opt.setState(state);
  return opt;
}

function unknownKind(kind: unknown): never {
  throw new TypeError(`optimizer kind must be SGD, RMSprop, Adagrad, Adam or AdamW, got ${JSON.stringify(kind)}`);
}
