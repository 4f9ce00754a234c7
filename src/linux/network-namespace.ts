import { readdirSync, readlinkSync, statSync } from "node:fs";

const NAMED_NAMESPACES = "/run/netns";

/** Whether this process runs in a namespace made with `ip netns add` (bind-mounted under /run/netns). */
function inNamedNetworkNamespace(): boolean {
  try {
    const own = statSync("/proc/self/ns/net").ino;
    return readdirSync(NAMED_NAMESPACES).some((name) => {
      try {
        return statSync(`${NAMED_NAMESPACES}/${name}`).ino === own;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/** Whether this process lives in the machine's initial network namespace (that of pid 1). */
export function inInitialNetworkNamespace(): boolean {
  try {
    return readlinkSync("/proc/self/ns/net") === readlinkSync("/proc/1/ns/net");
  } catch {
    // `ip netns exec` may deny reading pid 1's namespace; a named namespace is certainly not
    // the initial one. Otherwise assume the worst.
    return !inNamedNetworkNamespace();
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
