import { describe, expect, it } from "vitest";
import { GRU, LSTM, RNN } from "../src/index.js";
import type { ForwardOptions, LSTMInputGrads, LSTMOutput, RecurrentConfig, Tensor } from "../src/index.js";
import { expectClose, expectStateDictClose, readFixture, toTensor } from "./helpers.js";
import type { FixtureTensor } from "./helpers.js";

/** Written by test/fixtures/gen_rnn_fixtures.py: PyTorch float64 forward/backward from float32 weights and inputs. */
interface RnnFixture {
  case: string;
  mode: "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";
  config: Required<Pick<RecurrentConfig, "inputSize" | "hiddenSize" | "numLayers" | "bidirectional" | "batchFirst" | "bias">>;
  T: number;
  B: number;
  lengths: number[] | null;
  state_dict: Record<string, FixtureTensor>;
  input: FixtureTensor;
  h0: FixtureTensor;
  c0?: FixtureTensor;
  output: FixtureTensor;
  h_n: FixtureTensor;
  c_n?: FixtureTensor;
  grad_output: FixtureTensor;
  grad_h_n: FixtureTensor;
  grad_c_n?: FixtureTensor;
  grad_input: FixtureTensor;
  grad_h0: FixtureTensor;
  grad_c0?: FixtureTensor;
  grads: Record<string, FixtureTensor>;
}

function build(f: RnnFixture): RNN | LSTM | GRU {
  switch (f.mode) {
    case "LSTM": return new LSTM(f.config);
    case "GRU": return new GRU(f.config);
    case "RNN_TANH": return new RNN({ ...f.config, nonlinearity: "tanh" });
    case "RNN_RELU": return new RNN({ ...f.config, nonlinearity: "relu" });
  }
}

const cases = readFixture<string[]>("rnn/index.json");

// PyTorch's own float32 run needs atol ≈ 2.4e-7 against these float64 references; 1e-6 leaves room for a different
// summation order while staying far below any real error.
const RTOL = 1e-4, ATOL = 1e-6;

describe("PyTorch parity (outputs, final states and every gradient)", () => {
  it("covers every cell, uni/bi, 1/2 layers, T=1, B=1, H=1, saturated gates, batch-first, no bias and padded batches", () => {
    expect(cases.length).toBeGreaterThanOrEqual(35);
  });

  for (const name of cases) {
    it(name, () => {
      const f = readFixture<RnnFixture>(`rnn/${name}.json`);
      const layer = build(f);
      layer.loadStateDict(f.state_dict);
      const opts: { -readonly [K in keyof ForwardOptions]: ForwardOptions[K] } = { h0: toTensor(f.h0) };
      if (f.c0) opts.c0 = toTensor(f.c0);
      if (f.lengths) opts.lengths = f.lengths;
      const out = layer.forward(toTensor(f.input), opts);
      expect(out.output.shape).toEqual(f.output.shape);
      expectClose("output", out.output.data, f.output.data, RTOL, ATOL);
      expectClose("h_n", out.h.data, f.h_n.data, RTOL, ATOL);
      if (f.c_n) expectClose("c_n", (out as LSTMOutput).c.data, f.c_n.data, RTOL, ATOL);

      const final: { dh: Tensor; dc?: Tensor } = { dh: toTensor(f.grad_h_n) };
      if (f.grad_c_n) final.dc = toTensor(f.grad_c_n);
      const g = layer.backward(toTensor(f.grad_output), final);
      expectClose("grad_input", g.dInput.data, f.grad_input.data, RTOL, ATOL);
      expectClose("grad_h0", g.dh0.data, f.grad_h0.data, RTOL, ATOL);
      if (f.grad_c0) expectClose("grad_c0", (g as LSTMInputGrads).dc0.data, f.grad_c0.data, RTOL, ATOL);
      expectStateDictClose("grads", layer.gradDict(), f.grads, RTOL, ATOL);
    });
  }
});
