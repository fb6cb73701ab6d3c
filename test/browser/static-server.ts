/**
 * A small static file server for the browser demo: the project root, read-only, on 127.0.0.1 at a port the system
 * picks. It serves only the folders it is told to (examples/ and dist/ for the demo), answers GET and HEAD, and
 * closes itself after `lifetimeMs` however its caller ends. Pages are cross-origin isolated (COOP/COEP headers), so
 * they have SharedArrayBuffer, which a TrainingPool of Web Workers needs.
 *
 *   const server = await startStaticServer(root, { allow: ["/examples/", "/dist/"], lifetimeMs: 120_000 });
 *   await page.goto(`${server.url}/examples/browser/`);
 *   await server.close();
 *
 * Run directly, it serves the demo for a person for up to 30 minutes (Ctrl-C stops it sooner):
 *
 *   npm run build && npx tsx test/browser/static-server.ts
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export interface StaticServerOptions {
  /** URL path prefixes that may be served, each starting and ending with "/", e.g. "/dist/". */
  readonly allow: readonly string[];
  /** The server closes itself this long after it starts. */
  readonly lifetimeMs: number;
}

export interface StaticServer {
  /** "http://127.0.0.1:PORT", no trailing slash. */
  readonly url: string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

// Module scripts and workers load only with a JavaScript MIME type.
const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

export async function startStaticServer(root: string, options: StaticServerOptions): Promise<StaticServer> {
  const base = resolve(root);
  const { allow, lifetimeMs } = options;
  if (!allow.every((p) => p.startsWith("/") && p.endsWith("/") && !p.includes(".."))) {
    throw new RangeError(`startStaticServer: allow must hold path prefixes like "/dist/", got ${JSON.stringify(allow)}`);
  }
  if (!(Number.isFinite(lifetimeMs) && lifetimeMs > 0)) throw new RangeError(`startStaticServer: lifetimeMs must be > 0, got ${lifetimeMs}`);

  const server = createServer((req, res) => {
    const send = (status: number, text: string): void => {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(req.method === "HEAD" ? undefined : text);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "GET or HEAD only\n");
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    } catch {
      return send(400, "bad path\n");
    }
    if (path.endsWith("/")) path += "index.html";
    // No "..", no dot files, and only under an allowed prefix; the resolved file must still be inside the root.
    const file = resolve(base, `.${path}`);
    if (path.split("/").some((part) => part.startsWith(".")) || !allow.some((p) => path.startsWith(p)) || !file.startsWith(base + sep)) {
      return send(404, "not found\n");
    }
    stat(file).then((st) => {
      if (!st.isFile()) return send(404, "not found\n");
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "content-length": st.size,
        "cache-control": "no-store",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-embedder-policy": "require-corp",
      });
      if (req.method === "HEAD") return res.end();
      createReadStream(file).on("error", () => res.destroy()).pipe(res);
    }, () => send(404, "not found\n"));
  });
  server.keepAliveTimeout = 1000;

  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => ok());
  });
  const close = (): Promise<void> => new Promise((ok) => {
    clearTimeout(timer);
    if (!server.listening) return ok();
    server.close(() => ok());
    server.closeAllConnections();
  });
  const timer = setTimeout(() => void close(), lifetimeMs);
  timer.unref();   // the lifetime never keeps a finished process alive
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error(`startStaticServer: expected a TCP address, got ${String(address)}`);
  return { url: `http://127.0.0.1:${address.port}`, close };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const server = await startStaticServer(root, { allow: ["/examples/", "/dist/"], lifetimeMs: 30 * 60_000 });
  console.log(`the browser demo: ${server.url}/examples/browser/  (served for 30 minutes; Ctrl-C stops it sooner)`);
}
