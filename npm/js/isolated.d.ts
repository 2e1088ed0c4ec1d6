// The types of token-keeper/isolated: the main entry's, less what would hand the token to the
// page (no `accessToken()`), with `setToken` answered by the worker (a promise).

import type {
  TokenKeeper as MainTokenKeeper,
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
 * dedicated worker) that the page's scripts cannot read: the token never enters the page. The
 * main entry's keeper, less `accessToken()`, with `setToken` answered by the worker.
 */
export interface TokenKeeper extends Omit<MainTokenKeeper, "accessToken" | "setToken"> {
  setToken(token: string): Promise<Claims>;
}

export const TokenKeeper: {
  /** Throws `config` for options JSON cannot carry; the core's checks answer in the first call. */
  new (options: TokenKeeperOptions): TokenKeeper;
};
