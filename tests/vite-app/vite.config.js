import { defineConfig } from "vite";

// Nothing to set for the package: Vite 7+ builds for browsers that run top-level await, and
// finds the wasm through the package's `new URL("token-keeper.wasm", import.meta.url)`.
export default defineConfig({});
