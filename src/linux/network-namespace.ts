import { readlinkSync } from "node:fs";

/** Whether this process lives in the machine's initial network namespace (that of pid 1). */
export function inInitialNetworkNamespace(): boolean {
  try {
    return readlinkSync("/proc/self/ns/net") === readlinkSync("/proc/1/ns/net");
  } catch {
    // Without permission to read pid 1's namespace we cannot tell: assume the worst.
    return true;
  }
}

export class InitialNamespaceRefusedError extends Error {
  constructor(command: string) {
    super(
      `refusing to change the initial network namespace (${command}): STATENET_REQUIRE_NETNS=1 is set, so statenet may only change networking inside a namespace of its own`,
    );
    this.name = "InitialNamespaceRefusedError";
  }
}

/**
 * Tests, demos and benchmarks set STATENET_REQUIRE_NETNS=1: then nothing may
 * change routes, rules, addresses or links of the machine they run on.
 */
export function assertMayChangeNetwork(netns: string | undefined, command: string): void {
  if (process.env.STATENET_REQUIRE_NETNS !== "1") return;
  if (netns === undefined && inInitialNetworkNamespace()) {
    throw new InitialNamespaceRefusedError(command);
  }
}
