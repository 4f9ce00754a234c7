import { expect, it } from "vitest";
import { createIpRunner } from "../../src/linux/ip.js";
import {
  InitialNamespaceRefusedError,
  inInitialNetworkNamespace,
} from "../../src/linux/network-namespace.js";

it.runIf(inInitialNetworkNamespace())(
  "refuses to run a batch in the machine's own namespace while tests run",
  async () => {
    // A harmless line: were the guard broken, ip would fail with its own error instead.
    await expect(createIpRunner().batch(["link show dev sn-no-such-link"])).rejects.toBeInstanceOf(
      InitialNamespaceRefusedError,
    );
  },
);
