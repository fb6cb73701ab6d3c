/**
 * The script of a Node worker thread started by createTrainingPool (recurrent-ts/node): serves one TrainingPool.
 * node:worker_threads is loaded like node:fs in node.ts (see there).
 */
import { serveTrainingWorker } from "./parallel/worker.js";

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: "message", listener: (message: unknown) => void): void;
}

const WORKER_THREADS = "node:worker_threads";

void import(WORKER_THREADS).then(({ parentPort }: { parentPort: ParentPort | null }) => {
  if (parentPort === null) throw new Error("recurrent-ts node worker: run this file as a worker thread (createTrainingPool starts it)");
  serveTrainingWorker({ postMessage: (m) => parentPort.postMessage(m), onMessage: (l) => parentPort.on("message", l) });
});
