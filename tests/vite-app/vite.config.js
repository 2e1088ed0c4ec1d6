import { defineConfig } from "vite";

// Top-level await in main.js needs a modern target; nothing else is needed for the wasm:
// the package's `--target web` glue loads it with `new URL(..., import.meta.url)`.
export default defineConfig({ build: { target: "es2022" } });
