/**
 * A training worker that runs the TypeScript sources (src/node-worker.ts) through tsx, for the tests and the
 * benchmark, which run on the sources too. (Node 20 does not pass tsx's loader on to worker threads, so the worker
 * loads tsx itself; the built package's createTrainingPool starts dist/node-worker.js instead.)
 */
import { Worker } from "node:worker_threads";
import type { TrainingWorker } from "../src/index.js";
import { nodeWorker } from "../src/node.js";

const SCRIPT = JSON.stringify(new URL("../src/node-worker.ts", import.meta.url).href);

export function spawnSourceWorker(): TrainingWorker {
  return nodeWorker(new Worker(`import("tsx/esm/api").then(({ tsImport }) => tsImport(${SCRIPT}, ${SCRIPT}))`, { eval: true }) as never);
}
