import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsx = join(root, "node_modules", ".bin", "tsx");
const run = (args: string[]): string => execFileSync(tsx, args, { cwd: root, encoding: "utf8", timeout: 120_000 });

describe("examples and benchmark run (smoke mode)", () => {
  it("the main demo trains a few steps and writes samples", () => {
    const out = run(["examples/demo.ts", "--steps", "4", "--chars", "40"]);
    expect(out).toMatch(/vocabulary 51/);
    expect(out).toMatch(/step +4\/4 +loss \d+\.\d+/);
    expect(out).toMatch(/--- sample at temperature 0\.9 ---\nShall I .{40}/s);
  });

  it("the ONNX example exports a model, runs it in ONNX Runtime and matches the library", () => {
    const out = run(["examples/onnx-roundtrip.ts"]);
    expect(out).toMatch(/wrote .*\.onnx: \d+ bytes, opset 14/);
    expect(out).toMatch(/largest relative difference from recurrent-ts \d\.\d+e-(?:[6-9]|[1-9]\d)\b/);   // below 1e-5
  });

  it("the benchmark prints one JSON line per workload in the peers' format", () => {
    const out = run(["bench/bench.ts", "--only", "W2,heap", "--quick", "--peers", "none"]);
    const lines = out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.workload)).toEqual(["W2-charlm-online", "heap-growth-W1"]);
    expect(lines[0]).toMatchObject({ peer: "recurrent-ts", metric: "train tokens/s", steps: 50 });
    expect(lines[0]!.value).toBeGreaterThan(0);
  });
});
