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
