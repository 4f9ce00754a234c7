import { describe, expect, it } from "vitest";
import { appearedLinks, createInterfaceRenamer } from "../../src/linux/interface-renamer.js";
import { IpBatchError, type IpRunner } from "../../src/linux/ip.js";
import type { LinkState } from "../../src/linux/link-state.js";
import { captureLogs } from "../support/capture-logs.js";

const PCI_A = "/devices/pci0000:00/0000:00:10.0/virtio1";

const state = (ifname: string, ifindex: number, extra: Partial<LinkState> = {}): LinkState => ({
  ifname,
  ifindex,
  adminUp: false,
  lowerUp: false,
  macAddress: null,
  hwPath: PCI_A,
  addresses: [],
  ...extra,
});
const links = (...states: LinkState[]) => new Map(states.map((link) => [link.ifname, link]));

/** An ip runner that records batch lines and fails those `fails` names. */
function fakeIp(fails: (line: string) => boolean = () => false) {
  const lines: string[] = [];
  const ip: IpRunner = {
    netns: "sn-test",
    json: () => Promise.reject(new Error("not used")),
    batch: async (batch) => {
      for (const line of batch) {
        lines.push(line);
        if (fails(line))
          throw new IpBatchError([{ line: 1, command: line, message: "File exists" }]);
      }
    },
  };
  return { ip, lines };
}

const RULES = [{ hwPath: PCI_A, ifname: "lanA" }];

describe("the interface renamer", () => {
  it("counts a new name, or a new ifindex under an old one, as appeared", () => {
    const before = links(state("eth0", 2), state("eth1", 3));
    const after = links(state("eth0", 2), state("eth1", 9), state("eth2", 4));
    expect(appearedLinks(before, after).map((link) => link.ifname)).toEqual(["eth1", "eth2"]);
  });

  it("renames a link that is down with one command, and logs it", async () => {
    const { ip, lines } = fakeIp();
    const logs = captureLogs("info");
    const renamer = createInterfaceRenamer({ rules: RULES, ip, logger: logs.logger });
    expect(await renamer.renameAppeared(new Map(), links(state("eth0", 2)))).toBe(true);
    expect(lines).toEqual(["link set dev eth0 name lanA"]);
    expect(logs.lines.at(-1)).toMatchObject({ from: "eth0", to: "lanA", hwPath: PCI_A });
  });

  it("takes a link that is up down, renames it, and brings it up again", async () => {
    const { ip, lines } = fakeIp();
    const renamer = createInterfaceRenamer({ rules: RULES, ip, logger: captureLogs().logger });
    await renamer.renameAppeared(new Map(), links(state("eth0", 2, { adminUp: true })));
    expect(lines).toEqual([
      "link set dev eth0 down",
      "link set dev eth0 name lanA",
      "link set dev lanA up",
    ]);
  });

  it("brings a link up again under its old name when the rename fails, and does not retry", async () => {
    const { ip, lines } = fakeIp((line) => line.includes(" name "));
    const logs = captureLogs("info");
    const renamer = createInterfaceRenamer({ rules: RULES, ip, logger: logs.logger });
    const eth0 = links(state("eth0", 2, { adminUp: true }));
    expect(await renamer.renameAppeared(new Map(), eth0)).toBe(true);
    expect(lines).toEqual([
      "link set dev eth0 down",
      "link set dev eth0 name lanA",
      "link set dev eth0 up",
    ]);
    expect(logs.lines.some((line) => line.level === 50 && line.from === "eth0")).toBe(true);
    // Seen again (say after someone else's change): it was tried once, it stays as it is.
    lines.length = 0;
    expect(await renamer.renameAppeared(new Map(), eth0)).toBe(false);
    expect(lines).toEqual([]);
    expect(logs.lines.at(-1)).toMatchObject({ reason: "already-renamed", ifname: "eth0" });
  });

  it("logs a failure to bring a link up again", async () => {
    const { ip } = fakeIp((line) => line.endsWith(" up"));
    const logs = captureLogs("info");
    const renamer = createInterfaceRenamer({ rules: RULES, ip, logger: logs.logger });
    await renamer.renameAppeared(new Map(), links(state("eth0", 2, { adminUp: true })));
    expect(logs.lines.at(-1)).toMatchObject({ ifname: "lanA", level: 50 });
  });

  it("logs refusals with their reason, and tries nothing", async () => {
    const { ip, lines } = fakeIp();
    const logs = captureLogs("info");
    const renamer = createInterfaceRenamer({ rules: RULES, ip, logger: logs.logger });
    const present = links(
      state("veth0", 2, { hwPath: "/devices/virtual" }),
      state("lanA", 3, { hwPath: "/devices/virtual" }),
      state("eth0", 4),
    );
    expect(await renamer.renameAppeared(new Map(), present)).toBe(false);
    expect(lines).toEqual([]);
    expect(logs.lines.map((line) => [line.ifname, line.reason, line.level])).toEqual([
      ["veth0", "virtual", 30],
      ["lanA", "virtual", 30],
      ["eth0", "name-taken", 40],
    ]);
    // Nothing new appeared: nothing to say.
    expect(await renamer.renameAppeared(present, present)).toBe(false);
    expect(logs.lines).toHaveLength(3);
  });

  it("forgets a renamed link once it is gone, so a new one on its ifindex is renamed", async () => {
    const { ip, lines } = fakeIp();
    const renamer = createInterfaceRenamer({ rules: RULES, ip, logger: captureLogs().logger });
    await renamer.renameAppeared(new Map(), links(state("eth0", 2)));
    await renamer.renameAppeared(links(state("eth0", 2)), new Map());
    await renamer.renameAppeared(new Map(), links(state("eth1", 2)));
    expect(lines).toEqual(["link set dev eth0 name lanA", "link set dev eth1 name lanA"]);
  });
});
