// The public types of token-keeper, written by hand: strict, no `any`, checked by
// tests/e2e/types.test.js under `strict`, `"lib": ["es2022", "dom"]`, `skipLibCheck: false`.

/** What `init()` can load the wasm from. Default: `token-keeper.wasm` next to the module. */
export type InitInput = string | URL | Request | Response | BufferSource | WebAssembly.Module;

/**
 * Loads the wasm. Await it once before using `TokenKeeper` or `decodeJwt`; later calls return
 * the same promise. Using the API before it resolves throws a `TokenKeeperError` (`config`).
 */
export default function init(input?: InitInput | Promise<InitInput>): Promise<void>;

/**
 * The stable codes of a `TokenKeeperError`. `csrf`: the server refused a refresh's CSRF header
 * (a 403 whose body names CSRF) — an error of that call, the session goes on.
 * `internal`: the wasm stopped after an internal error (a trap); every later call on the page
 * fails with it until the page is reloaded.
 */
export type TokenKeeperErrorCode =
  | "config" | "network" | "timeout" | "http"
  | "invalid_token" | "unauthenticated" | "rejected" | "aborted" | "csrf" | "internal";

/** Every error token-keeper throws or emits: a plain `Error` with a literal `name` and a `code`. */
export interface TokenKeeperError extends Error {
  name: "TokenKeeperError";
  code: TokenKeeperErrorCode;
  /** The HTTP status, for `http`, `rejected` and `csrf` errors. */
  status?: number;
}

/** The registered claims of RFC 7519, typed; every other claim is kept as the token had it. */
export interface Claims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  /** Seconds since the epoch; may carry a fraction. */
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  [claim: string]: unknown;
}

/** The JOSE header of a JWT. */
export interface JwtHeader {
  alg?: string;
  typ?: string;
  kid?: string;
  [parameter: string]: unknown;
}

/** Options of `decodeJwt`. */
export interface DecodeJwtOptions {
  /** Return the header instead of the claims. Default `false`. */
  header?: boolean;
}

/**
 * Decodes a JWT's claims (or, with `{ header: true }`, its header) **without verifying the
 * signature**: use the result for display and scheduling, never for an access decision.
 * Throws a `TokenKeeperError` with code `invalid_token` naming what is wrong.
 */
export function decodeJwt(token: string, options: { header: true }): JwtHeader;
export function decodeJwt(token: string, options?: DecodeJwtOptions): Claims;

/** Double-submit CSRF settings. */
export interface CsrfOptions {
  /** Header sent on refresh and logout. Default `"X-CSRF-Token"`. */
  headerName?: string;
  /** Readable cookie holding the value. Default `"csrf_token"`. */
  cookieName?: string;
  /** Login/refresh JSON field holding the value, used when the cookie cannot be read. Default `"csrf_token"`. */
  responseField?: string;
}

/** Backoff for transient refresh failures (network, timeout, 5xx, 429). */
export interface RetryOptions {
  /** Further attempts after the first failure. Default `3`. */
  attempts?: number;
  /** First delay, doubled each attempt, with jitter. Default `250`. */
  baseDelayMs?: number;
  /** Largest delay. Default `5000`. */
  maxDelayMs?: number;
}

/** Options of `new TokenKeeper(options)`. Unknown names are refused with a `config` error. */
export interface TokenKeeperOptions {
  /** POSTed with `credentials: "include"`; the JSON answer carries the new access token. Required. Relative URLs resolve against the page. */
  refreshUrl: string;
  /** `login()` POSTs JSON credentials here. Default: none. */
  loginUrl?: string;
  /** `logout()` POSTs here, then forgets the token whatever the answer. Default: none. */
  logoutUrl?: string;
  /** JSON field holding the access token in login and refresh answers. Default `"access_token"`. */
  tokenField?: string;
  /** Refresh when at most this much lifetime remains … Default `60000`. */
  refreshLeadMs?: number;
  /** … capped at this fraction of the token's lifetime, so a short token never loops. Default `0.25`. */
  refreshLeadRatio?: number;
  /** Random spread of the refresh moment, as a fraction of the lead. Default `0.1`. */
  jitterRatio?: number;
  /** Origins that receive the bearer. Default: the page's origin and the origins of the configured URLs. */
  allowedOrigins?: string[];
  /** CSRF header on refresh and logout; `false` disables it. Default: the `CsrfOptions` defaults. */
  csrf?: CsrfOptions | false;
  /** Limit for each auth call. Default `10000`. */
  timeoutMs?: number;
  /** Backoff for transient refresh failures. Default `{ attempts: 3, baseDelayMs: 250, maxDelayMs: 5000 }`. */
  retry?: RetryOptions;
  /** Coordinate tabs of the same origin, when the browser can. Default `true`. */
  crossTab?: boolean;
  /** Lock and channel name. Default `"token-keeper:"` and the resolved `refreshUrl`, so keepers of different backends on one origin keep apart while every tab of one app meets. Tab messages also name their session, so keepers that share a name still ignore each other. */
  channelName?: string;
  /** The reissue flow: the refresh call carries the last access token, expired or not, as `Authorization: Bearer`, for servers that check it belongs to the refresh cookie's user. Default `false`. */
  sendAccessTokenOnRefresh?: boolean;
  /** A response header of the login and refresh answers holding the access token (`Bearer <token>` or the bare token), read when the JSON body has none. The server must expose it over CORS when cross-origin. Default: none. */
  tokenHeader?: string;
  /** The method of refresh calls: `"POST"` (default), or `"GET"` for a token endpoint that takes only that (a session-cookie backend's). With `dpop`, its proof names it. */
  refreshMethod?: "POST" | "GET";
  /** The login answer carries no token (a session-cookie backend's sign-in sets its cookie and answers the user): `login()` succeeds when the server accepts the credentials (2xx), then refreshes for the token and resolves with its claims. Default `false`. */
  refreshAfterLogin?: boolean;
  /** Sender-constrained tokens (DPoP, RFC 9449): the keeper makes a non-extractable P-256 key for this tab, in memory only, and every login, refresh and request carrying the token goes with a proof signed by it; the token goes as `Authorization: DPoP …`. Tabs share the refresh lock but not tokens. The server must support DPoP. Not with `sendAccessTokenOnRefresh`. Default `false`. */
  dpop?: boolean;
}

/** What started a refresh. */
export type RefreshTrigger = "schedule" | "unauthorized" | "restore" | "manual" | "wake" | "tab" | "login";
/** Why the keeper signed out. */
export type LogoutReason = "user" | "rejected" | "expired" | "tab";

/** The events of `keeper.on(name, listener)` and what their listeners receive. */
export interface TokenKeeperEvents {
  token: { claims: Claims; expiresAt: number | undefined };
  refresh: { trigger: RefreshTrigger };
  logout: { reason: LogoutReason };
  error: TokenKeeperError;
}

/** Keeps an API access token in memory, fresh, and attached to the app's requests. */
export class TokenKeeper {
  /** Throws a `TokenKeeperError` with code `config` naming a bad option. */
  constructor(options: TokenKeeperOptions);
  /** Page load: a silent refresh with the cookie. Resolves `true` when signed in, `false` when there is no session. */
  restore(): Promise<boolean>;
  /** POSTs `body` as JSON to `loginUrl`; resolves to the new token's claims. */
  login(body: unknown, init?: { headers?: Record<string, string> }): Promise<Claims>;
  /** Forces a refresh (joining the one in flight). Rejects with `rejected` when the session is over. */
  refresh(): Promise<void>;
  /** `window.fetch` with the bearer attached to allowed origins and one refresh-and-retry on 401. */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** POSTs to `logoutUrl` (when set) and forgets the token whatever the answer. */
  logout(): Promise<void>;
  /** Holds `token` as if the server had sent it. Throws `invalid_token` and keeps the old one when it does not decode. */
  setToken(token: string): Claims;
  /** The access token, when one is held. */
  accessToken(): string | undefined;
  /** The held token's claims. */
  claims(): Claims | undefined;
  /** The held token's expiry on the local clock, in ms since the epoch. */
  expiresAt(): number | undefined;
  /** Whether a token is held. */
  readonly isAuthenticated: boolean;
  /** Listens for an event; returns the function that stops listening. */
  on<E extends keyof TokenKeeperEvents>(event: E, listener: (detail: TokenKeeperEvents[E]) => void): () => void;
  /** Stops timers, listeners and channels and forgets the token. */
  dispose(): void;
}
