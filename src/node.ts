/**
 * recurrent-ts/node: model files on disk. The one module of the package that uses a Node built-in; the main entry
 * stays browser-safe and reads and writes bytes only (saveModel / loadModel).
 *
 *   import { saveModelFile, loadModelFile } from "recurrent-ts/node";
 *   await saveModelFile("char-lstm.rtsm", { format: "recurrent-ts", version: 1, config, weights: store.stateDict() });
 *   const { config, weights } = await loadModelFile("char-lstm.rtsm");
 *
 * node:fs/promises is loaded with a dynamic import of a name held in a constant. The core's tsconfig has no Node
 * types (types: [], so nothing in src/ can use a Node or DOM global by accident), and a static import would need
 * them for the whole of src/; instead the three functions used are typed here and checked when loaded.
 */
import type { ModelFileContent, ModelFileFormat, ModelFileInput } from "./io/model-file.js";
import { ModelFileError, loadModel, saveModel } from "./io/model-file.js";
import { TrainingPool } from "./parallel/pool.js";
import type { TrainingWorker } from "./parallel/protocol.js";
import type { Trainer } from "./train/trainer.js";

export { ModelFileError, loadModel, saveModel } from "./io/model-file.js";
export { TrainingPool } from "./parallel/pool.js";
export type { ModelFileContent, ModelFileInput, ModelFileFormat, SaveModelOptions, JSONValue } from "./io/model-file.js";

export interface SaveModelFileOptions {
  /** Overrides the choice by extension: ".json" (any case) is "json", anything else "binary". */
  readonly format?: ModelFileFormat;
}

/** The format saveModelFile uses for `path` when none is given: "json" for a .json file, "binary" otherwise. */
export function modelFileFormat(path: string): ModelFileFormat {
  return /\.json$/i.test(path) ? "json" : "binary";
}

/**
 * Writes `content` to `path` (see saveModel; the content is checked before anything touches the disk). The file is
 * written next to `path` as `path + ".tmp"` and then renamed over it, so a crash mid-write never leaves a cut-off
 * model where a good one was.
 */
export async function saveModelFile(path: string, content: ModelFileInput, options: SaveModelFileOptions = {}): Promise<void> {
  if (typeof path !== "string" || path === "") throw new TypeError(`saveModelFile: path must be a non-empty string, got ${JSON.stringify(path)}`);
  const data = saveModel(content, { format: options.format ?? modelFileFormat(path) });
  const fs = await nodeFs("saveModelFile");
  const tmp = `${path}.tmp`;
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** Reads the model file at `path`, in either format (told apart by its content, not its name); see loadModel. */
export async function loadModelFile(path: string): Promise<ModelFileContent> {
  if (typeof path !== "string" || path === "") throw new TypeError(`loadModelFile: path must be a non-empty string, got ${JSON.stringify(path)}`);
  const fs = await nodeFs("loadModelFile");
  const bytes = await fs.readFile(path);
  try {
    return loadModel(bytes);
  } catch (e) {
    if (e instanceof ModelFileError) throw new ModelFileError(`${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

export interface NodeTrainingPoolOptions {
  /** Threads that compute gradients, this one included (threads − 1 worker threads start). Default: os.availableParallelism(). */
  readonly threads?: number;
  /** Node options for the worker threads (e.g. ["--max-old-space-size=4096"]). */
  readonly execArgv?: readonly string[];
}

/**
 * A TrainingPool of Node worker threads for `trainer`: data-parallel training on more than one core.
 *
 *   const pool = await createTrainingPool(trainer, { threads: 2 });
 *   try { await trainer.fitAsync(examples, { epochs: 10, batchSize: 64, pool }); } finally { await pool.close(); }
 */
export async function createTrainingPool(trainer: Trainer, options: NodeTrainingPoolOptions = {}): Promise<TrainingPool> {
  const where = "createTrainingPool";
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be { threads, execArgv }, got ${options === null ? "null" : typeof options}`);
  const wt = await nodeModule<NodeWorkerThreads>(where, WORKER_THREADS, ["Worker"]);
  const threads = options.threads ?? (await nodeModule<NodeOs>(where, NODE_OS, ["availableParallelism"])).availableParallelism();
  // the worker script sits next to this module, in the same build format (node-worker.js / .cjs)
  const here = (import.meta as unknown as { url: string }).url;
  const Url = (globalThis as unknown as { URL: new (url: string, base?: string) => WorkerScript }).URL;
  const ext = /\.(c|m)?[jt]s$/.exec(new Url(here).pathname)?.[0] ?? ".js";
  const script = new Url(`./node-worker${ext}`, here);
  return TrainingPool.create(trainer, {
    threads,
    spawn: () => nodeWorker(new wt.Worker(script, { execArgv: [...(options.execArgv ?? [])] })),
  });
}

/** A Node Worker (node:worker_threads) as a TrainingWorker, for TrainingPool.create with a custom worker script. */
export function nodeWorker(worker: NodeWorker): TrainingWorker {
  return {
    postMessage: (m) => worker.postMessage(m),
    onMessage: (listener) => worker.on("message", listener),
    onError: (listener) => worker.on("error", listener),
    terminate: () => worker.terminate(),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
  };
}

/** The parts of a node:worker_threads Worker used here. */
export interface NodeWorker {
  postMessage(message: unknown): void;
  on(event: "message" | "error", listener: (value: unknown) => void): unknown;
  terminate(): Promise<number>;
  ref(): void;
  unref(): void;
}

interface WorkerScript {
  readonly href: string;
  readonly pathname: string;
}

interface NodeWorkerThreads {
  Worker: new (script: WorkerScript | string, options: { execArgv?: string[]; eval?: boolean }) => NodeWorker;
}

interface NodeOs {
  availableParallelism(): number;
}

const WORKER_THREADS = "node:worker_threads";
const NODE_OS = "node:os";

async function nodeModule<M>(where: string, name: string, members: readonly string[]): Promise<M> {
  let m: unknown;
  try {
    m = await import(name);
  } catch (e) {
    throw new Error(`${where}: needs Node.js (${name} could not be loaded: ${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  const rec = m as Record<string, unknown> | null;
  if (rec === null || typeof rec !== "object" || !members.every((k) => typeof rec[k] === "function")) throw new Error(`${where}: ${name} does not have ${members.join(", ")}`);
  return m as M;
}

/** The parts of node:fs/promises used here. */
interface NodeFs {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: boolean }): Promise<void>;
}

const NODE_FS = "node:fs/promises";

async function nodeFs(where: string): Promise<NodeFs> {
  let fs: unknown;
  try {
    fs = await import(NODE_FS);
  } catch (e) {
    throw new Error(`${where}: needs Node.js (${NODE_FS} could not be loaded: ${e instanceof Error ? e.message : String(e)}); elsewhere use saveModel / loadModel with your own storage`, { cause: e });
  }
  if (!isNodeFs(fs)) throw new Error(`${where}: ${NODE_FS} does not have readFile, writeFile, rename and rm`);
  return fs;
}

function isNodeFs(m: unknown): m is NodeFs {
  if (m === null || typeof m !== "object") return false;
  const f = m as Record<string, unknown>;
  return ["readFile", "writeFile", "rename", "rm"].every((k) => typeof f[k] === "function");
}
