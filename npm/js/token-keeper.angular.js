// The main entry as the Angular CLI resolves it: its builders, and no other bundler, ask for the
// "es2020" export condition. Their application builder (esbuild) leaves `new URL(
// "token-keeper.wasm", import.meta.url)` alone and ships no file for it (see issue 22), but ships
// a file imported `with { loader: "file" }` and hands back its URL. All else is the main entry's
// (one module, which token-keeper/react shares).
import init from "./token-keeper.js";

export * from "./token-keeper.js";

// As in the main entry: on a server (SSR, prerendering) `init()` loads nothing.
const server = !globalThis.window && !globalThis.WorkerGlobalScope;

/** The main entry's `init()`; with no argument, it loads the wasm the builder shipped. */
export default function initAngular(input) {
  if (input !== undefined || server) return init(input);
  // Imported when called, not at the top: Angular's Vitest runner resolves this entry too and
  // cannot import a .wasm, so specs that import the package still run (init() fails there with
  // or without this entry); and Angular's older webpack builders, which ask for "es2020" too,
  // leave it alone rather than bundle it as WebAssembly.
  return import(/* webpackIgnore: true */ "./token-keeper.wasm", { with: { loader: "file" } })
    .then((file) => init(new URL(file.default, import.meta.url)));
}
