// The types of token-keeper/isolated: the main entry's, less what would hand the token to the
// page (no `accessToken()`), with `setToken` answered by the worker (a promise).

import type {
  Claims, TokenKeeperOptions, TokenKeeperEvents, TokenKeeperError, TokenKeeperErrorCode,
  RefreshTrigger, LogoutReason, CsrfOptions, RetryOptions,
} from "./token-keeper.js";

export type {
  Claims, TokenKeeperOptions, TokenKeeperEvents, TokenKeeperError, TokenKeeperErrorCode,
  RefreshTrigger, LogoutReason, CsrfOptions, RetryOptions,
};

/** Resolves at once: the worker loads the wasm. Kept so `await init()` runs unchanged. */
export default function init(input?: unknown): Promise<void>;

/**
 * Keeps an API access token fresh and attached, in a SharedWorker (or, where there is none, a
 * dedicated worker) that the page's scripts cannot read: the token never enters the page.
 */
export class TokenKeeper {
  /** Throws `config` for options JSON cannot carry; the core's checks answer in the first call. */
  constructor(options: TokenKeeperOptions);
  restore(): Promise<boolean>;
  login(body: unknown, init?: { headers?: Record<string, string> }): Promise<Claims>;
  refresh(): Promise<void>;
  /** `window.fetch`'s arguments and result; a function value. The answer is rebuilt in the page. */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  logout(): Promise<void>;
  setToken(token: string): Promise<Claims>;
  claims(): Claims | undefined;
  expiresAt(): number | undefined;
  readonly isAuthenticated: boolean;
  on<E extends keyof TokenKeeperEvents>(event: E, listener: (detail: TokenKeeperEvents[E]) => void): () => void;
  dispose(): void;
}
