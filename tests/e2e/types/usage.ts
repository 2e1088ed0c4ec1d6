// Compiled by `tsc --noEmit` against the package's hand-written .d.ts: every option, method and
// event must type-check, and each misuse below must be an error (tsc fails on an unused
// expect-error directive, so a misuse that slipped through would fail the build).


import init, {
  TokenKeeper, decodeJwt,
  type Claims, type JwtHeader, type TokenKeeperError, type TokenKeeperErrorCode,
  type TokenKeeperOptions, type RefreshTrigger, type LogoutReason,
} from "token-keeper";
import initIsolated, { TokenKeeper as IsolatedKeeper } from "token-keeper/isolated";

await init();
await init(new URL("/assets/token-keeper.wasm", location.href));

const options: TokenKeeperOptions = {
  refreshUrl: "/auth/refresh",
  loginUrl: "/auth/login",
  logoutUrl: "/auth/logout",
  tokenField: "access_token",
  refreshLeadMs: 60000,
  refreshLeadRatio: 0.25,
  jitterRatio: 0.1,
  allowedOrigins: ["https://api.example"],
  csrf: { headerName: "X-CSRF-Token", cookieName: "csrf_token", responseField: "csrf_token" },
  timeoutMs: 10000,
  retry: { attempts: 3, baseDelayMs: 250, maxDelayMs: 5000 },
  crossTab: true,
  channelName: "token-keeper",
};
const keeper = new TokenKeeper(options);
new TokenKeeper({ refreshUrl: "/r", csrf: false });

const restored: boolean = await keeper.restore();
const claims: Claims = await keeper.login({ username: "alice", password: "wonderland" });
const sub: string | undefined = claims.sub;
const aud: string | string[] | undefined = claims.aud;
await keeper.refresh();
const response: Response = await keeper.fetch("/api/me");
await keeper.fetch(new URL("https://api.example/x"), { method: "POST", body: "{}" });
await keeper.fetch(new Request("/api/me"));
await keeper.logout();
const set: Claims = keeper.setToken("a.b.c");
const token: string | undefined = keeper.accessToken();
const held: Claims | undefined = keeper.claims();
const expiresAt: number | undefined = keeper.expiresAt();
const signedIn: boolean = keeper.isAuthenticated;

const stop: () => void = keeper.on("token", ({ claims, expiresAt }) => {
  const c: Claims = claims;
  const e: number | undefined = expiresAt;
  void c; void e;
});
keeper.on("refresh", ({ trigger }) => { const t: RefreshTrigger = trigger; void t; });
keeper.on("logout", ({ reason }) => { const r: LogoutReason = reason; void r; });
keeper.on("error", (error) => {
  const e: TokenKeeperError = error;
  const code: TokenKeeperErrorCode = e.code;
  const name: "TokenKeeperError" = e.name;
  const status: number | undefined = e.status;
  void code; void name; void status;
});
stop();
keeper.dispose();

const payload: Claims = decodeJwt("a.b.c");
const header: JwtHeader = decodeJwt("a.b.c", { header: true });

// Misuses: each must be a type error.
// @ts-expect-error refreshUrl is required
new TokenKeeper({});
// @ts-expect-error refreshLeadMs is a number
new TokenKeeper({ refreshUrl: "/r", refreshLeadMs: "60000" });
// @ts-expect-error csrf is false or an object, never true
new TokenKeeper({ refreshUrl: "/r", csrf: true });
// @ts-expect-error no such option
new TokenKeeper({ refreshUrl: "/r", refreshURL: "/x" });
// @ts-expect-error no such event
keeper.on("tokens", () => {});
// @ts-expect-error the refresh event's detail has no reason
keeper.on("refresh", ({ reason }) => reason);
// @ts-expect-error isAuthenticated is read-only
keeper.isAuthenticated = true;

void restored; void sub; void aud; void response; void set; void token; void held;
void expiresAt; void signedIn; void payload; void header;

// token-keeper/isolated: the same options and events; no accessToken(), and setToken answers
// from the worker.
await initIsolated();
const isolated = new IsolatedKeeper(options);
const isolatedClaims: Promise<Claims> = isolated.setToken("a.b.c");
const isolatedFetch: typeof fetch = isolated.fetch;
isolated.on("error", (e: TokenKeeperError) => e.code);
void isolatedClaims, isolatedFetch;
// @ts-expect-error the isolated entry never hands the token to the page
isolated.accessToken();
