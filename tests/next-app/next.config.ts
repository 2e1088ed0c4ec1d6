import type { NextConfig } from "next";
import { PHASE_PRODUCTION_SERVER } from "next/constants";

// The keeper's auth calls and the app's API calls go to the page's own origin, and Next passes
// them on to the backend: here the mock server (its test controls too, so that the test needs
// one URL), whose URL scripts/next-app.sh gives to `next build` — rewrites are fixed when the
// app is built. One origin for the page and the API is what the refresh cookie wants (HttpOnly,
// SameSite=Strict, Path=/auth), and it lets the keeper's defaults stand: relative URLs, the
// page's origin as the one origin that gets the bearer, no CORS.
export default function config(phase: string): NextConfig {
  const backend = process.env.TOKEN_KEEPER_BACKEND;
  // `next start` serves what the build fixed, and needs no backend URL of its own.
  if (!backend && phase != PHASE_PRODUCTION_SERVER) {
    throw new Error("set TOKEN_KEEPER_BACKEND to the backend's URL (scripts/next-app.sh does)");
  }
  return {
    cacheComponents: true,
    partialPrefetching: true,
    async rewrites() {
      return ["/auth/:path*", "/api/:path*", "/__mock/:path*"].map((source) => ({
        source,
        destination: backend + source,
      }));
    },
  };
}
