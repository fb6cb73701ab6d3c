/**
 * Where a training step spends its time: runs benchmark workloads under `node --cpu-prof` and reports, of the CPU
 * samples taken inside the timed steps, the share whose innermost frame is in the GEMM kernel (src/tensor/gemm.ts),
 * and the functions that take the most time.
 *
 *   npm run bench:profile                 # W1 and W4
 *   npm run bench:profile -- W6 W3        # other workloads
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

interface ProfileNode { id: number; callFrame: { functionName: string; url: string }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

const bench = fileURLToPath(new URL("./bench.ts", import.meta.url));
const workloads = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["W1", "W4"];
for (const w of workloads) {
  const dir = mkdtempSync(join(tmpdir(), "recurrent-ts-prof-"));
  try {
    execFileSync(process.execPath, ["--import", "tsx", "--cpu-prof", "--cpu-prof-dir", dir, bench, "--only", w, "--quick", "--peers", "/dev/null"], { stdio: "ignore" });
    // tsx's loader thread writes a profile too: take the one that ran the benchmark's steps
    const profiles = readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Profile);
    const p = profiles.find((q) => q.nodes.some((n) => n.callFrame.functionName === "timeSteps" || n.callFrame.functionName === "timeStepsAsync"));
    if (p === undefined) throw new Error(`${w}: no profile holds the benchmark's timed steps`);
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const inStep = (id: number): boolean => {
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const f = byId.get(at)!.callFrame;
        if (f.url.endsWith("bench.ts") && (f.functionName === "timeSteps" || f.functionName === "timeStepsAsync")) return true;
      }
      return false;
    };
    let total = 0, gemm = 0;
    const self = new Map<string, number>();
    p.samples.forEach((id, i) => {
      if (!inStep(id)) return;
      const dt = p.timeDeltas[i] ?? 0, f = byId.get(id)!.callFrame;
      total += dt;
      if (f.url.endsWith("tensor/gemm.ts")) gemm += dt;
      const key = `${f.functionName || "(anonymous)"} (${f.url.split("/").pop() || "native"})`;
      self.set(key, (self.get(key) ?? 0) + dt);
    });
    const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${(100 * v / total).toFixed(1)}% ${k}`);
    console.log(`${w}: ${(100 * gemm / total).toFixed(1)}% of the step's CPU samples are in the GEMM kernel (src/tensor/gemm.ts)`);
    console.log(`  ${top.join("\n  ")}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
