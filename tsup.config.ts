import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/node.ts", "src/worker.ts", "src/node-worker.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  // one shared chunk for code both entries use, so e.g. ModelFileError is one class for "recurrent-ts" and "recurrent-ts/node"
  splitting: true,
  platform: "neutral",
  target: "es2022",
  // import.meta.url in the CommonJS build of node.ts (it locates node-worker next to itself)
  shims: true,
});
