import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createCommandRunner } from "../../src/linux/command-runner.js";
import {
  addressChanges,
  bringDown,
  bringUp,
  describeCommand,
} from "../../src/linux/interface-commands.js";
import { createIpRunner } from "../../src/linux/ip.js";
import type { TechnologyPlan } from "../../src/technologies/types.js";

const A = { address: "192.0.2.10", prefixLength: 24 };
const B = { address: "192.0.2.20", prefixLength: 24 };

describe("converging an interface's IPv4 addresses", () => {
  it("changes nothing when the addresses are already right", () => {
    expect(addressChanges("eth0", [A], [A])).toEqual([]);
  });

  it("adds the new address before removing the old one", () => {
    expect(addressChanges("eth0", [A], [B])).toEqual([
      "addr replace 192.0.2.20/24 dev eth0 noprefixroute",
      "addr del 192.0.2.10/24 dev eth0",
    ]);
  });

  it("treats a new prefix length as a new address", () => {
    expect(addressChanges("eth0", [A], [{ ...A, prefixLength: 25 }])).toEqual([
      "addr replace 192.0.2.10/25 dev eth0 noprefixroute",
      "addr del 192.0.2.10/24 dev eth0",
    ]);
  });

  it("removes everything for an empty list", () => {
    expect(addressChanges("eth0", [A, B], [])).toEqual([
      "addr del 192.0.2.10/24 dev eth0",
      "addr del 192.0.2.20/24 dev eth0",
    ]);
  });

  it("gives a lease's addresses its lifetime, again on every renewal", () => {
    expect(addressChanges("eth0", [], [A], 600)).toEqual([
      "addr replace 192.0.2.10/24 dev eth0 noprefixroute valid_lft 600 preferred_lft 600",
    ]);
    // Present already: replaced all the same, which restarts the kernel's countdown.
    expect(addressChanges("eth0", [A, B], [A], 600)).toEqual([
      "addr replace 192.0.2.10/24 dev eth0 noprefixroute valid_lft 600 preferred_lft 600",
      "addr del 192.0.2.20/24 dev eth0",
    ]);
  });

  it("leaves an infinite lease's address without an end, as a static one", () => {
    expect(addressChanges("eth0", [], [A], 0xffff_ffff)).toEqual([
      "addr replace 192.0.2.10/24 dev eth0 noprefixroute",
    ]);
    expect(addressChanges("eth0", [A], [A], 0xffff_ffff)).toEqual([
      "addr replace 192.0.2.10/24 dev eth0 noprefixroute",
    ]);
  });

  it("describes commands for logs", () => {
    expect(
      describeCommand({
        kind: "ipv4_addresses",
        ifname: "eth0",
        addresses: [A],
        lifetimeSeconds: 30,
      }),
    ).toBe("set eth0 IPv4 addresses to [192.0.2.10/24] for 30 s");
    expect(describeCommand({ kind: "ipv4_addresses", ifname: "eth0", addresses: [A] })).toBe(
      "set eth0 IPv4 addresses to [192.0.2.10/24]",
    );
    expect(describeCommand({ kind: "sysctl", path: "net/ipv4/ip_forward", value: "1" })).toBe(
      "sysctl net/ipv4/ip_forward=1",
    );
  });
});

describe("a plan's files", () => {
  it("are written with their mode before the up commands and removed after the down ones", async () => {
    const dir = await mkdtemp(join(tmpdir(), "statenet-plan-files-"));
    try {
      const path = join(dir, "wpa_supplicant", "wlan0.conf");
      const plan: TechnologyPlan = {
        up: [],
        down: [],
        files: [{ path, content: "network={}\n", mode: 0o600 }],
        daemons: [],
        reaches: "lan",
        routeClass: "ethernet",
      };
      const context = { ip: createIpRunner(), runner: createCommandRunner() };
      await bringUp(context, plan, new AbortController().signal, 1_000);
      expect(await readFile(path, "utf8")).toBe("network={}\n");
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      await bringDown(context, plan, new AbortController().signal, 1_000);
      await expect(stat(path)).rejects.toMatchObject({ code: "ENOENT" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
