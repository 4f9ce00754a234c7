import { expect, it } from "vitest";
import {
  type ProcessInfo,
  parseUdhcpcCommand,
  processFindings,
} from "../../src/preflight/process-findings.js";

const context = { managed: ["eth0", "wlan0"], ownHandler: "/run/statenet/dhcp/udhcpc-handler" };

const proc = (
  pid: number,
  argv: string[],
  sameNetns: boolean | undefined,
  comm?: string,
): ProcessInfo => ({
  pid,
  comm: comm ?? (argv[0] ?? "").split("/").at(-1) ?? "",
  argv,
  sameNetns,
});

it("reads the interface and script of udhcpc in every spelling", () => {
  expect(parseUdhcpcCommand(["busybox", "udhcpc", "-f", "-i", "wlan0", "-s", "/x"])).toEqual({
    ifname: "wlan0",
    script: "/x",
  });
  expect(parseUdhcpcCommand(["/sbin/udhcpc", "-ieth1", "--script=/y"])).toEqual({
    ifname: "eth1",
    script: "/y",
  });
  expect(parseUdhcpcCommand(["udhcpc", "--interface", "usb0"])).toEqual({
    ifname: "usb0",
    script: undefined,
  });
  // udhcpc's default interface.
  expect(parseUdhcpcCommand(["udhcpc", "-f"])?.ifname).toBe("eth0");
  expect(parseUdhcpcCommand(["busybox", "udhcpd", "-f"])).toBeUndefined();
  expect(parseUdhcpcCommand([])).toBeUndefined();
});

it("counts a udhcpc only in our network namespace, on a managed interface, and not statenet's own", () => {
  const findings = processFindings(context, [
    // Another lab's (or container's) udhcpc for its own eth0.
    proc(10, ["busybox", "udhcpc", "-f", "-i", "eth0"], false),
    // One we cannot tell: not ours to complain about.
    proc(11, ["busybox", "udhcpc", "-f", "-i", "eth0"], undefined),
    // Not an interface statenet manages.
    proc(12, ["udhcpc", "-i", "usb0"], true),
    // statenet's own, started by a previous run.
    proc(13, ["busybox", "udhcpc", "-f", "-i", "eth0", "-s", context.ownHandler], true),
    proc(14, ["/sbin/udhcpc", "-i", "wlan0", "-s", "/etc/udhcpc/default.script"], true),
  ]);
  expect(findings).toEqual([
    {
      level: "warning",
      check: "processes",
      message:
        "udhcpc (pid 14) already runs on wlan0: two DHCP clients would fight over its address; stop it",
    },
  ]);
});

it("reports network managers wherever they run, and other DHCP clients in our namespace", () => {
  const findings = processFindings(context, [
    proc(1, ["/usr/sbin/NetworkManager", "--no-daemon"], false),
    proc(2, ["/lib/systemd/systemd-networkd"], true, "systemd-network"),
    proc(3, ["/usr/sbin/connmand", "-n"], undefined),
    proc(4, ["dhclient", "-4", "eth0"], true),
    proc(5, ["dhcpcd", "-q"], false),
    proc(6, ["sshd"], true),
  ]);
  expect(findings.map((finding) => [finding.level, finding.message])).toEqual([
    [
      "warning",
      "NetworkManager is running (pid 1) in another network namespace: it may change what statenet sets; stop it or have it leave eth0, wlan0 alone",
    ],
    [
      "warning",
      "systemd-networkd is running (pid 2): it may change what statenet sets; stop it or have it leave eth0, wlan0 alone",
    ],
    [
      "warning",
      "ConnMan (connmand) is running (pid 3): it may change what statenet sets; stop it or have it leave eth0, wlan0 alone",
    ],
    [
      "warning",
      "dhclient is running (pid 4) in this network namespace: it may take eth0, wlan0; stop it",
    ],
  ]);
});

it("says so in one line when nothing is in the way", () => {
  expect(processFindings(context, [proc(6, ["sshd"], true)])).toEqual([
    {
      level: "ok",
      check: "processes",
      message: "no other network manager or DHCP client in the way",
    },
  ]);
});
