import { pollUntil } from "../../lab/poll.js";

/** Polls `check` until it returns something other than undefined/false; fails with `what` after `timeoutMs`. */
export function waitUntil<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5_000,
  intervalMs = 10,
): Promise<T> {
  return pollUntil(what, check, { timeoutMs, intervalMs });
}
