/**
 * recurrent-ts/worker: the script of a browser Web Worker (or any standard worker) in a TrainingPool.
 *
 *   const spawn = () => webWorker(new Worker(new URL("recurrent-ts/worker", import.meta.url), { type: "module" }));
 *   const pool = await TrainingPool.create(trainer, { threads: navigator.hardwareConcurrency, spawn });
 *   await trainer.fitAsync(examples, { epochs: 5, pool });
 */
import { serveTrainingWorker } from "./parallel/worker.js";

interface WorkerScope {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
serveTrainingWorker({ postMessage: (m) => scope.postMessage(m), onMessage: (l) => scope.addEventListener("message", (e) => l(e.data)) });
