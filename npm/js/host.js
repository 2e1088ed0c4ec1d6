// What the driver takes from the page it runs in, in one place the isolated entry's worker
// (worker.js) can fill in: a worker has no `document`, so the page hands it the cookie string,
// and its tab messages carry no token (any page script could listen on the channel).

export const host = {
  /** The page's readable cookies (`a=1; b=2`), read when an auth call is sent. */
  cookies: () => globalThis.document?.cookie ?? "",
  /** Whether tab messages may carry the token. */
  tabTokens: true,
};
