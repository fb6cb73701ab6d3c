import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = join(dirname(fileURLToPath(import.meta.url)), "..", "src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("the core runs in a browser", () => {
  it("no file under src/ imports a Node built-in, uses require, process, Buffer or Math.random", () => {
    const offenders: string[] = [];
    for (const f of files(src)) {
      // code only: block comments, then line comments (not "//" inside a string such as a URL, which src has none of)
      const text = readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'])\/\/.*$/gm, "$1");
      for (const [re, what] of [
        // src/node.ts is the package's Node-only entry ("recurrent-ts/node") and src/node-worker.ts the script of the
        // worker threads it starts: the two files allowed to load a built-in
        ...(["node.ts", "node-worker.ts"].includes(relative(src, f)) ? [] : [
          [/from\s+["'](node:|fs|path|os|crypto|worker_threads|util)["'/]/, "Node import"],
          [/["'`]node:/, "Node import"], // import("node:…"), or the name kept in a string for a dynamic import
        ] as const),
        [/\brequire\(/, "require"],
        [/\bprocess\./, "process"],
        [/\bBuffer\b/, "Buffer"],
        [/Math\.random/, "Math.random"],
      ] as const) {
        if (re.test(text)) offenders.push(`${relative(src, f)}: ${what}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
