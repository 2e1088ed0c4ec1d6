// The types of token-keeper/react, written by hand (see react.js for how it works).

import type { ReactElement, ReactNode } from "react";
import type {
  Claims, InitInput, TokenKeeper, TokenKeeperError, TokenKeeperOptions,
} from "./token-keeper.js";

/**
 * Where the session stands. `initializing`: on the server, and in the browser until `restore()`
 * answered — show neither the sign-in form nor the app. `failed`: the session could not be
 * restored (`network`, `timeout`, a server error) or the keeper could not be made (the wasm did
 * not load, a bad option): `error` says why; the user may still have a session, so offer
 * `restore()` again.
 */
export type AuthStatus = "initializing" | "signedIn" | "signedOut" | "failed";

/**
 * The signed-in user's claims: the token's claims without `exp`, `iat`, `nbf` and `jti`, which
 * every new token has its own (so a refresh changes nothing here). The keeper has them all:
 * `keeper.claims()`, `keeper.expiresAt()`.
 */
export interface SessionClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: never;
  nbf?: never;
  iat?: never;
  jti?: never;
  [claim: string]: unknown;
}

/** What `useAuth()` gives besides the state: the same functions at every render. */
export interface AuthActions {
  /** `keeper.login(body, init)`, once the keeper is made. Resolves to the new token's claims. */
  login(body: unknown, init?: { headers?: Record<string, string> }): Promise<Claims>;
  /** `keeper.logout()`, once the keeper is made. */
  logout(): Promise<void>;
  /**
   * `keeper.fetch(input, init)`. Called while the status is `initializing`, the request (taken
   * as it is at the call) waits until the session is restored, so it leaves with the bearer when
   * there is a session. Rejects with the keeper's error when no keeper could be made.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** `keeper.restore()` again (after `failed`), moving the status with its answer. */
  restore(): Promise<boolean>;
}

/**
 * The snapshot `useAuth()` returns. The same object at every render until the status or the
 * error changes, or the claims change in something other than `exp`, `iat`, `nbf`, `jti`: a
 * refresh renders nothing.
 */
export type Auth = AuthActions & (
  | { status: "initializing"; claims: undefined; error: undefined; keeper: undefined }
  | { status: "signedIn"; claims: SessionClaims; error: undefined; keeper: TokenKeeper }
  | { status: "signedOut"; claims: undefined; error: undefined; keeper: TokenKeeper }
  | {
    status: "failed";
    claims: undefined;
    /** A `TokenKeeperError`; when the wasm could not be loaded, the loader's own error. */
    error: TokenKeeperError | Error;
    /** `undefined` when the keeper could not be made. */
    keeper: TokenKeeper | undefined;
  }
);

/** The props of `TokenKeeperProvider`. */
export interface TokenKeeperProviderProps {
  /** The keeper's options, read once: when the provider first renders. */
  options: TokenKeeperOptions;
  /** What `init()` loads the wasm from. Default: `token-keeper.wasm` next to the module. */
  wasm?: InitInput | Promise<InitInput>;
  children?: ReactNode;
}

/**
 * Makes one keeper for the tree below it, in the browser only (in an effect, after `init()`),
 * and restores the session. Renders on a server without touching the keeper or the wasm. On
 * unmount the keeper is disposed.
 */
export function TokenKeeperProvider(props: TokenKeeperProviderProps): ReactElement;

/** The nearest `TokenKeeperProvider`'s auth state. Throws without a provider above. */
export function useAuth(): Auth;
