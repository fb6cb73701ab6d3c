import { SequenceModel } from "../sequence/sequence-model.js";
import type { BatchLossOptions } from "../train/batch-loss.js";
import type { FromWorker, ToWorker, TrainingWorker } from "./protocol.js";
import { shardGradient } from "./shard.js";

/**
 * The worker's side of a TrainingPool: builds a replica of the model on the shared values, then computes the
 * gradient of every shard it is sent into its own slice of the shared gradients. recurrent-ts/node's worker and
 * recurrent-ts/worker (for browsers) call this; a custom worker script can too.
 */
export function serveTrainingWorker(port: TrainingWorker): void {
  let model: SequenceModel | null = null;
  let loss: BatchLossOptions | null = null;
  const send = (m: FromWorker): void => port.postMessage(m);
  port.onMessage((raw) => {
    const m = raw as ToWorker;
    try {
      if (m.type === "init") {
        const replica = new SequenceModel(m.config);
        if (replica.store.size !== m.size) throw new RangeError(`model has ${replica.store.size} parameters, the pool ${m.size}`);
        const values = new Float32Array(m.values, 0, m.size);
        replica.store.values.set(values);  // so bind writes the shared values back unchanged
        replica.store.bind(values, new Float32Array(m.grads, m.offset * 4, m.size));
        replica.setRandomState(m.randomState);
        model = replica;
        loss = m.loss;
        send({ type: "ready" });
      } else if (m.type === "step") {
        if (model === null || loss === null) throw new Error("step before init");
        send({ type: "done", id: m.id, result: shardGradient(model, m.batch, loss) });
      }
    } catch (e) {
      send({ type: "error", id: m?.type === "step" ? m.id : null, message: e instanceof Error ? e.message : String(e) });
    }
  });
}
