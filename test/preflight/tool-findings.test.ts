import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/validate.js";
import {
  appletFinding,
  type CommandOutcome,
  daemonUsers,
  fileFindings,
  flockFinding,
  ipFinding,
  policyRoutingFinding,
  resolvConfFinding,
  wpaSupplicantFinding,
} from "../../src/preflight/tool-findings.js";
import { builtinPlanner } from "../../src/technologies/builtin.js";

const exited = (code: number, stdout: string, stderr = ""): CommandOutcome => ({
  kind: "exited",
  code,
  stdout,
  stderr,
});

/** What BusyBox 1.35's ip prints for any option it does not know (-V, -j, -batch). */
const BUSYBOX_USAGE = `BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.

Usage: ip [OPTIONS] address|route|link|tunnel|neigh|rule [ARGS]

OPTIONS := -f[amily] inet|inet6|link | -o[neline]
`;

const IPROUTE2_VERSION = exited(0, "ip utility, iproute2-6.1.0, libbpf 1.1.2\n");
const LO_JSON = exited(0, '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP"]}]\n');
const LO_TEXT = exited(0, "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue\n");

describe("ip", () => {
  it("accepts iproute2 with -json and -batch, naming its version", () => {
    expect(ipFinding({ version: IPROUTE2_VERSION, json: LO_JSON, batch: LO_TEXT })).toEqual({
      level: "ok",
      check: "ip",
      message: "ip is iproute2 6.1.0 (-json, -batch)",
    });
  });

  it("recognizes BusyBox's ip by its usage text, wherever it printed it", () => {
    const usage = exited(1, "", BUSYBOX_USAGE);
    expect(ipFinding({ version: usage, json: usage, batch: usage })).toEqual({
      level: "error",
      check: "ip",
      message: "ip is BusyBox's, statenet needs iproute2's (-json, -batch): install iproute2",
    });
    // A BusyBox built with `ip -V`-like output on stdout still says so.
    expect(
      ipFinding({ version: exited(0, BUSYBOX_USAGE), json: exited(1, ""), batch: LO_TEXT }).message,
    ).toMatch(/^ip is BusyBox's/);
  });

  it("says what an old iproute2 lacks", () => {
    const finding = ipFinding({
      version: exited(0, "ip utility, iproute2-ss161212\n"),
      json: exited(0, "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536\n"),
      batch: LO_TEXT,
    });
    expect(finding).toEqual({
      level: "error",
      check: "ip",
      message:
        "iproute2 ss161212 fails with -json (1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536): install a newer iproute2",
    });
  });

  it("says when there is no ip at all", () => {
    const missing: CommandOutcome = { kind: "missing" };
    expect(ipFinding({ version: missing, json: missing, batch: missing }).message).toBe(
      "ip is not on PATH: statenet needs iproute2's (-json, -batch): install iproute2",
    );
  });
});

describe("policy routing", () => {
  const DEFAULT_RULES = [
    { priority: 0, src: "all", table: "local", protocol: "kernel" },
    { priority: 32766, src: "all", table: "main", protocol: "kernel" },
    { priority: 32767, src: "all", table: "default", protocol: "kernel" },
  ];

  it("accepts a kernel that lists its default rules with their protocol", () => {
    expect(policyRoutingFinding(exited(0, JSON.stringify(DEFAULT_RULES)))).toEqual({
      level: "ok",
      check: "policy-routing",
      message: "policy routing: 3 rules, protocol 222 usable",
    });
  });

  it("blames CONFIG_IP_MULTIPLE_TABLES when ip rule fails", () => {
    const finding = policyRoutingFinding(
      exited(
        2,
        "",
        "RTNETLINK answers: Address family not supported by protocol\nDump terminated\n",
      ),
    );
    expect(finding).toEqual({
      level: "error",
      check: "policy-routing",
      message:
        'policy routing: "ip -4 rule show" fails (RTNETLINK answers: Address family not supported by protocol): the kernel needs CONFIG_IP_MULTIPLE_TABLES',
    });
  });

  it("refuses rules without protocol numbers: statenet could not find its own", () => {
    const old = DEFAULT_RULES.map(({ protocol: _, ...rule }) => rule);
    const finding = policyRoutingFinding(exited(0, JSON.stringify(old)));
    expect(finding.level).toBe("error");
    expect(finding.message).toContain("rules carry no protocol");
  });

  it("warns when someone removed a default rule", () => {
    const finding = policyRoutingFinding(exited(0, JSON.stringify(DEFAULT_RULES.slice(0, 2))));
    expect(finding).toEqual({
      level: "warning",
      check: "policy-routing",
      message: "policy routing: the kernel's default rule(s) 32767: lookup default are gone",
    });
  });
});

const config = parseConfig({
  interfaces: {
    eth0: {
      type: "ethernet",
      ipv4: { method: "dhcp" },
      ieee8021x: { eap: "md5", identity: "device", password: "secret" },
    },
    wlan0: {
      type: "ethernet",
      ipv4: { method: "static", address: "198.51.100.10", prefixLength: 24 },
    },
    wwan0: { type: "ethernet", ipv4: { method: "dhcp" } },
    usb0: { type: "null" },
    wlan1: {
      type: "wifi",
      wifi: { networks: [{ ssid: "shop", keyMgmt: "wpa_psk", psk: "correct horse" }] },
      ipv4: { method: "dhcp" },
    },
    eth1: {
      type: "ethernet",
      ipv4: { method: "static", address: "192.0.2.1", prefixLength: 24 },
      dhcpd: { start: "192.0.2.100", end: "192.0.2.150" },
    },
  },
});

describe("what the configuration needs installed, from its plans", () => {
  it("names the interfaces of each daemon kind, whatever the technology", () => {
    const users = daemonUsers(config, builtinPlanner);
    expect(users.get("udhcpc")).toEqual(["eth0", "wwan0", "wlan1"]);
    expect(users.get("udhcpd")).toEqual(["eth1"]);
    expect(users.get("wpa_supplicant")).toEqual(["eth0"]);
    expect(users.get("wifi")).toEqual(["wlan1"]);
  });
});

describe("udhcpc and udhcpd", () => {
  it("are needed by the interfaces whose plans run them only", () => {
    expect(appletFinding("udhcpc", [], { busybox: undefined, applets: undefined })).toBeUndefined();
  });

  it("are a hard failure when busybox is not on PATH", () => {
    expect(
      appletFinding("udhcpc", ["eth0", "wwan0"], { busybox: undefined, applets: undefined }),
    ).toEqual({
      level: "error",
      check: "udhcpc",
      message:
        'udhcpc: eth0, wwan0 use DHCP, but busybox is not on PATH (statenet runs "busybox udhcpc"): install busybox',
    });
  });

  it("are a hard failure when busybox was built without them", () => {
    const finding = appletFinding("udhcpc", ["eth0"], {
      busybox: "/bin/busybox",
      applets: exited(0, "ash\nip\nsh\nudhcpd\n"),
    });
    expect(finding).toEqual({
      level: "error",
      check: "udhcpc",
      message: "udhcpc: eth0 uses DHCP, but /bin/busybox has no udhcpc applet (CONFIG_UDHCPC)",
    });
    expect(
      appletFinding("udhcpd", ["eth1"], {
        busybox: "/bin/busybox",
        applets: exited(0, "ash\nudhcpc\n"),
      }),
    ).toEqual({
      level: "error",
      check: "udhcpd",
      message:
        "udhcpd: eth1 uses a DHCP server, but /bin/busybox has no udhcpd applet (CONFIG_UDHCPD)",
    });
  });

  it("names the busybox that will run it", () => {
    const finding = appletFinding("udhcpc", ["eth0"], {
      busybox: "/usr/bin/busybox",
      applets: exited(0, "ash\nudhcpc\nudhcpd\n"),
    });
    expect(finding).toEqual({
      level: "ok",
      check: "udhcpc",
      message: "udhcpc: busybox udhcpc (/usr/bin/busybox) for eth0",
    });
  });
});

describe("flock", () => {
  const busybox = (applets: string) => ({
    busybox: "/bin/busybox",
    applets: exited(0, applets),
  });

  it("takes util-linux's flock, or else busybox's applet", () => {
    expect(flockFinding("/usr/bin/flock", busybox("ash\n")).level).toBe("ok");
    expect(flockFinding(undefined, busybox("ash\nflock\nudhcpc\n"))).toEqual({
      level: "ok",
      check: "flock",
      message: "busybox flock (/bin/busybox) for the instance lock",
    });
  });

  it("is a hard failure without either: the instance lock needs one", () => {
    for (const probe of [busybox("ash\nudhcpc\n"), { busybox: undefined, applets: undefined }]) {
      expect(flockFinding(undefined, probe)).toEqual({
        level: "error",
        check: "flock",
        message:
          "flock: neither flock nor busybox's flock applet is on PATH (the instance lock needs one): install util-linux",
      });
    }
  });
});

describe("wpa_supplicant", () => {
  const HELP = `wpa_supplicant v2.10
Copyright (c) 2003-2022, Jouni Malinen <j@w1.fi> and contributors

usage:
drivers:
  nl80211 = Linux nl80211/cfg80211
  wired = Wired Ethernet driver
options:
`;

  const wired = { wired: ["eth0"], nl80211: [] };
  const both = { wired: ["eth0"], nl80211: ["wlan1"] };

  it("is needed for 802.1X and WiFi only", () => {
    expect(wpaSupplicantFinding({ wired: [], nl80211: [] }, { kind: "missing" })).toBeUndefined();
  });

  it("is a hard failure when missing or without a driver its users need", () => {
    expect(wpaSupplicantFinding(both, { kind: "missing" })).toEqual({
      level: "error",
      check: "wpa_supplicant",
      message:
        "wpa_supplicant: eth0 uses 802.1X, wlan1 uses WiFi, but it is not on PATH: install wpa_supplicant",
    });
    const wireless = wpaSupplicantFinding(
      wired,
      exited(0, HELP.replace("  wired = Wired Ethernet driver\n", "")),
    );
    expect(wireless?.message).toBe(
      "wpa_supplicant v2.10 has no wired driver (CONFIG_DRIVER_WIRED), eth0 uses 802.1X",
    );
    const wiredOnly = wpaSupplicantFinding(
      both,
      exited(0, HELP.replace("  nl80211 = Linux nl80211/cfg80211\n", "")),
    );
    expect(wiredOnly?.message).toBe(
      "wpa_supplicant v2.10 has no nl80211 driver (CONFIG_DRIVER_NL80211), wlan1 uses WiFi",
    );
  });

  it("names its version and the drivers used", () => {
    expect(wpaSupplicantFinding(wired, exited(0, HELP))).toEqual({
      level: "ok",
      check: "wpa_supplicant",
      message: "wpa_supplicant v2.10 (wired driver) for eth0",
    });
    expect(wpaSupplicantFinding(both, exited(0, HELP))?.message).toBe(
      "wpa_supplicant v2.10 (wired and nl80211 drivers) for eth0, wlan1",
    );
  });
});

describe("resolv.conf", () => {
  const resolvConf = "/var/run/statenet/resolv.conf";

  it("is fine when /etc/resolv.conf leads to statenet's file, however it gets there", () => {
    const linked = resolvConfFinding(resolvConf, {
      system: {
        kind: "link",
        target: "../run/statenet/resolv.conf",
        canonical: "/run/statenet/resolv.conf",
      },
      configured: "/run/statenet/resolv.conf",
      sameFile: false,
    });
    expect(linked).toEqual({
      level: "ok",
      check: "resolv.conf",
      message: "/etc/resolv.conf links to /var/run/statenet/resolv.conf",
    });
    const bound = resolvConfFinding(resolvConf, {
      system: { kind: "file", canonical: "/etc/resolv.conf" },
      configured: "/run/statenet/resolv.conf",
      sameFile: true,
    });
    expect(bound.level).toBe("ok");
  });

  it("warns when the name servers statenet writes go nowhere", () => {
    const elsewhere = resolvConfFinding(resolvConf, {
      system: {
        kind: "link",
        target: "../run/systemd/resolve/stub-resolv.conf",
        canonical: "/run/systemd/resolve/stub-resolv.conf",
      },
      configured: "/run/statenet/resolv.conf",
      sameFile: false,
    });
    expect(elsewhere).toEqual({
      level: "warning",
      check: "resolv.conf",
      message:
        "name servers statenet writes go to /var/run/statenet/resolv.conf, but /etc/resolv.conf links to ../run/systemd/resolve/stub-resolv.conf: ln -sf /var/run/statenet/resolv.conf /etc/resolv.conf",
    });
    const own = resolvConfFinding(resolvConf, {
      system: { kind: "file", canonical: "/etc/resolv.conf" },
      configured: "/run/statenet/resolv.conf",
      sameFile: false,
    });
    expect(own.message).toContain("but /etc/resolv.conf is a file of its own");
    const none = resolvConfFinding(resolvConf, {
      system: { kind: "missing" },
      configured: "/run/statenet/resolv.conf",
      sameFile: false,
    });
    expect(none.message).toContain("but /etc/resolv.conf does not exist");
  });
});

it("turns unreadable certificates into warnings naming the field", () => {
  expect(
    fileFindings([{ path: "interfaces.eth0.ieee8021x.caCert", message: "/ca.pem does not exist" }]),
  ).toEqual([
    {
      level: "warning",
      check: "files",
      message:
        "interfaces.eth0.ieee8021x.caCert: /ca.pem does not exist (802.1X fails until it can be read)",
    },
  ]);
});
