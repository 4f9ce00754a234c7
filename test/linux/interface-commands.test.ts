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
/** As the kernel holds them when statenet put them there. */
const HELD_A = { ...A, broadcast: "192.0.2.255" };
const HELD_B = { ...B, broadcast: "192.0.2.255" };

describe("converging an interface's IPv4 addresses", () => {
  it("changes nothing when the addresses are already right", () => {
    expect(addressChanges("eth0", [HELD_A], [A])).toEqual([]);
  });

  it("adds the new address, with its broadcast address, before removing the old one", () => {
    expect(addressChanges("eth0", [HELD_A], [B])).toEqual([
      "addr replace 192.0.2.20/24 dev eth0 noprefixroute broadcast 192.0.2.255",
      "addr del 192.0.2.10/24 dev eth0",
    ]);
  });

  it("treats a new prefix length as a new address, with the new subnet's broadcast", () => {
    expect(addressChanges("eth0", [HELD_A], [{ ...A, prefixLength: 25 }])).toEqual([
      "addr replace 192.0.2.10/25 dev eth0 noprefixroute broadcast 192.0.2.127",
      "addr del 192.0.2.10/24 dev eth0",
    ]);
  });

  it("gives a /31 and a /32 no broadcast address", () => {
    expect(
      addressChanges(
        "eth0",
        [],
        [
          { address: "198.51.100.4", prefixLength: 31 },
          { address: "203.0.113.9", prefixLength: 32 },
        ],
      ),
    ).toEqual([
      "addr replace 198.51.100.4/31 dev eth0 noprefixroute",
      "addr replace 203.0.113.9/32 dev eth0 noprefixroute",
    ]);
    expect(
      addressChanges(
        "eth0",
        [{ address: "198.51.100.4", prefixLength: 31 }],
        [{ address: "198.51.100.4", prefixLength: 31 }],
      ),
    ).toEqual([]);
  });

  it("removes everything for an empty list", () => {
    expect(addressChanges("eth0", [HELD_A, B], [])).toEqual([
      "addr del 192.0.2.10/24 dev eth0",
      "addr del 192.0.2.20/24 dev eth0",
    ]);
  });

  it("puts the broadcast address on an address that lacks it, while a twin holds the address", () => {
    // `replace` would keep the old broadcast; deleting the only copy would take the
    // routes from this source with it. A /32 twin keeps the address on the interface.
    expect(addressChanges("eth0", [A], [A])).toEqual([
      "addr add 192.0.2.10/32 dev eth0 noprefixroute",
      "addr del 192.0.2.10/24 dev eth0",
      "addr replace 192.0.2.10/24 dev eth0 noprefixroute broadcast 192.0.2.255",
      "addr del 192.0.2.10/32 dev eth0",
    ]);
  });

  it("corrects a wrong broadcast address, and takes one off a /32, the same way", () => {
    expect(addressChanges("eth0", [{ ...A, broadcast: "192.0.2.0" }], [A])).toEqual([
      "addr add 192.0.2.10/32 dev eth0 noprefixroute",
      "addr del 192.0.2.10/24 dev eth0",
      "addr replace 192.0.2.10/24 dev eth0 noprefixroute broadcast 192.0.2.255",
      "addr del 192.0.2.10/32 dev eth0",
    ]);
    const host = { address: "203.0.113.9", prefixLength: 32 };
    expect(addressChanges("eth0", [{ ...host, broadcast: "203.0.113.255" }], [host])).toEqual([
      "addr add 203.0.113.9/31 dev eth0 noprefixroute",
      "addr del 203.0.113.9/32 dev eth0",
      "addr replace 203.0.113.9/32 dev eth0 noprefixroute",
      "addr del 203.0.113.9/31 dev eth0",
    ]);
  });

  it("needs no twin where another prefix of the same address holds it already", () => {
    const old = { ...A, prefixLength: 16, broadcast: "192.0.255.255" };
    expect(addressChanges("eth0", [A, old], [A])).toEqual([
      "addr del 192.0.2.10/24 dev eth0",
      "addr replace 192.0.2.10/24 dev eth0 noprefixroute broadcast 192.0.2.255",
      "addr del 192.0.2.10/16 dev eth0",
    ]);
  });

  it("corrects before it adds, so the corrected address stays its subnet's primary", () => {
    expect(addressChanges("eth0", [A], [A, B])).toEqual([
      "addr add 192.0.2.10/32 dev eth0 noprefixroute",
      "addr del 192.0.2.10/24 dev eth0",
      "addr replace 192.0.2.10/24 dev eth0 noprefixroute broadcast 192.0.2.255",
      "addr del 192.0.2.10/32 dev eth0",
      "addr replace 192.0.2.20/24 dev eth0 noprefixroute broadcast 192.0.2.255",
    ]);
  });

  it("gives a lease's addresses its lifetime, again on every renewal", () => {
    expect(addressChanges("eth0", [], [A], 600)).toEqual([
      "addr replace 192.0.2.10/24 dev eth0 noprefixroute broadcast 192.0.2.255 valid_lft 600 preferred_lft 600",
    ]);
    // Present already: replaced all the same, which restarts the kernel's countdown.
    expect(addressChanges("eth0", [HELD_A, HELD_B], [A], 600)).toEqual([
      "addr replace 192.0.2.10/24 dev eth0 noprefixroute broadcast 192.0.2.255 valid_lft 600 preferred_lft 600",
      "addr del 192.0.2.20/24 dev eth0",
    ]);
    // A correction carries the lifetime too.
    expect(addressChanges("eth0", [A], [A], 600)).toContain(
      "addr replace 192.0.2.10/24 dev eth0 noprefixroute broadcast 192.0.2.255 valid_lft 600 preferred_lft 600",
    );
  });

  it("leaves an infinite lease's address without an end, as a static one", () => {
    expect(addressChanges("eth0", [], [A], 0xffff_ffff)).toEqual([
      "addr replace 192.0.2.10/24 dev eth0 noprefixroute broadcast 192.0.2.255",
    ]);
    expect(addressChanges("eth0", [HELD_A], [A], 0xffff_ffff)).toEqual([]);
  });

  it("makes an address that would run out (a lease's, now static or infinite) last", () => {
    const leased = { ...HELD_A, validLifetime: 500 };
    const lasting = ["addr replace 192.0.2.10/24 dev eth0 noprefixroute broadcast 192.0.2.255"];
    expect(addressChanges("eth0", [leased], [A])).toEqual(lasting);
    expect(addressChanges("eth0", [leased], [A], 0xffff_ffff)).toEqual(lasting);
    expect(addressChanges("eth0", [{ ...HELD_A, validLifetime: 0xffff_ffff }], [A])).toEqual([]);
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
