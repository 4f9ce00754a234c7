import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/validate.js";

const PCI_A = "/devices/pci0000:00/0000:00:10.0/virtio1";
const USB = "/devices/platform/soc/usb1/1-1/1-1:1.0";

/** The problems parseConfig reports for this `ifnames` value. */
function problems(ifnames: unknown): Array<{ path: string; message: string }> {
  try {
    parseConfig({ ifnames });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe("the ifnames configuration", () => {
  it("is a list of hardware paths and names, empty by default", () => {
    expect(parseConfig({}).ifnames).toEqual([]);
    const rules = [
      { hwPath: PCI_A, ifname: "lan" },
      { hwPath: USB, ifname: "modem" },
    ];
    expect(parseConfig({ ifnames: rules }).ifnames).toEqual(rules);
  });

  it("refuses /devices/virtual, which every virtual interface has", () => {
    expect(problems([{ hwPath: "/devices/virtual", ifname: "lan" }])).toEqual([
      { path: "ifnames.0.hwPath", message: expect.stringContaining("never renamed") },
    ]);
  });

  it("refuses a path that is not a sysfs device path as hw_path shows it", () => {
    for (const hwPath of [
      "pci0000:00/0000:00:10.0",
      "/sys/devices/pci0000:00",
      `${PCI_A}/`,
      "/devices/../x",
    ]) {
      expect(problems([{ hwPath, ifname: "lan" }])).toEqual([
        {
          path: "ifnames.0.hwPath",
          message: expect.stringMatching(/sysfs device path|plain path/),
        },
      ]);
    }
  });

  it("refuses a name Linux would refuse", () => {
    expect(problems([{ hwPath: PCI_A, ifname: "much-too-long-name" }])).toEqual([
      { path: "ifnames.0.ifname", message: expect.stringContaining("1..15 characters") },
    ]);
  });

  it("refuses a path or a name given twice, naming the later rule", () => {
    expect(
      problems([
        { hwPath: PCI_A, ifname: "lan" },
        { hwPath: PCI_A, ifname: "lan2" },
        { hwPath: USB, ifname: "lan" },
      ]),
    ).toEqual([
      { path: "ifnames.1.hwPath", message: expect.stringContaining("earlier rule") },
      { path: "ifnames.2.ifname", message: expect.stringContaining("earlier rule") },
    ]);
  });

  it("refuses unknown keys", () => {
    expect(problems([{ hwPath: PCI_A, ifname: "lan", hw_path: PCI_A }])).toEqual([
      { path: "ifnames.0", message: expect.stringContaining("hw_path") },
    ]);
  });
});
