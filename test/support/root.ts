import { execa } from "execa";
import { describe } from "vitest";

export const isRoot = process.getuid?.() === 0;

const SKIP_REASON = "skipped: needs root to create network namespaces";

/** A describe block for tests on the real kernel; without root it is reported as skipped, with the reason. */
export function describeAsRoot(name: string, body: () => void): void {
  if (isRoot) {
    describe(name, body);
  } else {
    describe.skip(`${name} (${SKIP_REASON})`, body);
  }
}

/** Debian's unprivileged `nobody`: its uid, and the gid of its group `nogroup`. */
export const NOBODY = 65534;

/** `argv` run as `uid`/`gid` with root's supplementary groups dropped (setpriv); never rejects. */
export function asUser(
  uid: number,
  gid: number,
  argv: readonly string[],
  options: { env?: Record<string, string> } = {},
) {
  return execa("setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--", ...argv], {
    reject: false,
    ...options,
  });
}
