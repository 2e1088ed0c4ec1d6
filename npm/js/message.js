// A tab message's structure, as it travels between tabs (core/src/message.rs, `Wire`): read from
// another tab's structured clone and written from the core's `Post` by token-keeper.js.

/** A tab message's `type`s, by their number in the wasm's calling convention. */
export const KINDS = ["token", "signedIn", "logout", "working"];
/** Its number members, as the wasm's `Post` has them from register 1 on (options.js has the
 * options' NUMBERS). */
export const TIMES = ["at", "lifetime", "for"];
/** Its members: name, type, whether it is required. */
export const SHAPE = [
  ["v", "number", 1], ["type", "string", 1], ["session", "string", 1], ["token", "string"],
  ["at", "number"], ["lifetime", "number"], ["for", "number"],
];
