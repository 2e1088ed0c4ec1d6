import { resolve } from "node:path";
import { defineConfig } from "vite";

// Nothing to set for the package: Vite 7+ builds for browsers that run top-level await, and
// finds the wasm through the package's `new URL("token-keeper.wasm", import.meta.url)`. Three
// pages: index.html uses the package itself, react.html token-keeper/react (its JSX compiled by
// Vite alone, no plugin), isolated.html token-keeper/isolated (its worker found by Vite through
// `new SharedWorker(new URL(…, import.meta.url))`).
export default defineConfig({
  define: { "process.env.NODE_ENV": JSON.stringify("development") },
  build: {
    rolldownOptions: {
      input: {
        main: resolve(import.meta.dirname, "index.html"),
        react: resolve(import.meta.dirname, "react.html"),
        isolated: resolve(import.meta.dirname, "isolated.html"),
      },
      // token-keeper/react starts with "use client" (so that a Next.js server component can
      // render its provider), which a bundle for the browser drops, saying so; as
      // @vitejs/plugin-react does, say nothing about that one.
      onwarn(warning, warn) {
        if (warning.code == "MODULE_LEVEL_DIRECTIVE" && warning.message.includes("use client")) return;
        warn(warning);
      },
    },
  },
});
