import { describe, expect, it } from "vitest";
import { assertInterfaceName, InvalidInterfaceNameError } from "../../src/linux/interface-name.js";
import { parseBatchErrors } from "../../src/linux/ip.js";

const LINES = [
  "route add default via 192.0.2.1 dev eth0 metric 10 table main proto 222",
  "route del 192.0.2.0/24 dev eth0 src 192.0.2.10 scope link metric 10 table main",
  "route add default via 192.0.2.1 dev nosuchdev metric 10 table 100 proto 222",
];

describe("parseBatchErrors", () => {
  it("names every failed line with its command and message", () => {
    const stderr =
      "RTNETLINK answers: File exists\nCommand failed -:1\nRTNETLINK answers: No such process\nCommand failed -:2\n";
    expect(parseBatchErrors(stderr, LINES)).toEqual([
      { line: 1, command: LINES[0], message: "RTNETLINK answers: File exists" },
      { line: 2, command: LINES[1], message: "RTNETLINK answers: No such process" },
    ]);
  });

  it("reads a failure on a later line after successful ones", () => {
    const stderr = 'Cannot find device "nosuchdev"\nCommand failed -:3\n';
    expect(parseBatchErrors(stderr, LINES)).toEqual([
      { line: 3, command: LINES[2], message: 'Cannot find device "nosuchdev"' },
    ]);
  });

  it("joins several messages printed for one line", () => {
    const stderr =
      "Error: Nexthop has invalid gateway.\nRTNETLINK answers: Invalid argument\nCommand failed -:1\n";
    expect(parseBatchErrors(stderr, LINES)).toEqual([
      {
        line: 1,
        command: LINES[0],
        message: "Error: Nexthop has invalid gateway.; RTNETLINK answers: Invalid argument",
      },
    ]);
  });

  it("returns nothing for empty stderr or messages without a failed line", () => {
    expect(parseBatchErrors("", LINES)).toEqual([]);
    expect(parseBatchErrors("Warning: something odd\n", LINES)).toEqual([]);
  });

  it("gives an empty command for a line number outside the batch", () => {
    expect(parseBatchErrors("RTNETLINK answers: File exists\nCommand failed -:9\n", LINES)).toEqual(
      [{ line: 9, command: "", message: "RTNETLINK answers: File exists" }],
    );
  });
});

describe("assertInterfaceName", () => {
  it.each(["eth0", "wlan0", "enp0s3", "br-lan", "wwan0.1", "a", "abcdefghijklmno"])(
    "accepts %j",
    (ifname) => {
      expect(() => assertInterfaceName(ifname)).not.toThrow();
    },
  );

  it.each([
    "",
    "abcdefghijklmnop",
    "eth 0",
    "eth0/x",
    ".",
    "..",
    "__proto__",
    "a\nb",
    "eth0\n",
    "eth0;ls",
  ])("rejects %j", (ifname) => {
    expect(() => assertInterfaceName(ifname)).toThrow(InvalidInterfaceNameError);
    expect(() => assertInterfaceName(ifname)).toThrow(TypeError);
  });
});

describe("assertInterfaceName against the kernel's rules", () => {
  // Linux's dev_valid_name (net/core/dev.c) refuses '/', ':' and whitespace;
  // ':' is how `ip` writes address labels (eth0:1), which are not interfaces.
  it.each(["eth0:1", ":"])("rejects %j, which Linux does not accept as a name", (ifname) => {
    expect(() => assertInterfaceName(ifname)).toThrow(InvalidInterfaceNameError);
  });
});
