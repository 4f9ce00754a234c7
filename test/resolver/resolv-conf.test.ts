import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeFileAtomic } from "../../src/linux/atomic-write.js";
import { orderNameServers, resolvConfText, searchDomains } from "../../src/resolver/resolv-conf.js";

const ETH0 = { ifname: "eth0", nameServers: ["192.0.2.1", "192.0.2.2"], domain: "wired.test" };
const WLAN0 = { ifname: "wlan0", nameServers: ["198.51.100.1", "192.0.2.1"], domain: "wifi.test" };
const WWAN0 = { ifname: "wwan0", nameServers: ["198.18.2.1"] };

describe("name server order", () => {
  it("follows the route priority, then the additional servers, each address once", () => {
    expect(
      orderNameServers([WWAN0, ETH0, WLAN0], ["wlan0", "eth0"], ["203.0.113.53", "192.0.2.2"]),
    ).toEqual([
      { address: "198.51.100.1", from: ["wlan0"] },
      { address: "192.0.2.1", from: ["wlan0", "eth0"] },
      { address: "192.0.2.2", from: ["eth0", "additional"] },
      { address: "198.18.2.1", from: ["wwan0"] },
      { address: "203.0.113.53", from: ["additional"] },
    ]);
  });

  it("puts interfaces without a route after those with one, by name", () => {
    expect(orderNameServers([WWAN0, WLAN0, ETH0], [], []).map((server) => server.from[0])).toEqual([
      "eth0",
      "eth0",
      "wlan0",
      "wwan0",
    ]);
  });

  it("search domains in the same order, once each", () => {
    expect(
      searchDomains([WLAN0, ETH0, { ...WWAN0, domain: "wired.test" }], ["eth0", "wlan0"]),
    ).toEqual(["wired.test", "wifi.test"]);
  });

  it("each interface's domain, then its DHCP search list; at most six in all", () => {
    const eth0 = { ...ETH0, search: ["wired.test", "corp.test"] };
    const wlan0 = { ...WLAN0, search: ["a.test", "b.test", "c.test", "d.test"] };
    expect(searchDomains([wlan0, eth0], ["eth0", "wlan0"])).toEqual([
      "wired.test",
      "corp.test",
      "wifi.test",
      "a.test",
      "b.test",
      "c.test",
    ]);
  });

  it("writes resolv.conf lines", () => {
    expect(resolvConfText(orderNameServers([ETH0], ["eth0"], []), ["wired.test"])).toBe(
      "# Written by statenet; local changes are overwritten.\nsearch wired.test\nnameserver 192.0.2.1\nnameserver 192.0.2.2\n",
    );
    expect(resolvConfText([], [])).toBe("# Written by statenet; local changes are overwritten.\n");
  });
});

describe("atomic writes", () => {
  it("replaces the file whole, with the mode asked for, and leaves no temp file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "statenet-atomic-"));
    try {
      const path = join(dir, "sub", "resolv.conf");
      await writeFileAtomic(path, "one\n");
      await writeFileAtomic(path, "two\n", 0o600);
      expect(await readFile(path, "utf8")).toBe("two\n");
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await readdir(join(dir, "sub"))).toEqual(["resolv.conf"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
