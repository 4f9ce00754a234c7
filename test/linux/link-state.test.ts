import { describe, expect, it } from "vitest";
import {
  hardwarePath,
  KernelDumpError,
  type LinkState,
  linkChanges,
  linkProperties,
  parseLinkStates,
  VIRTUAL_HW_PATH,
} from "../../src/linux/link-state.js";
import { PropertyTable } from "../../src/properties/property-table.js";
import { CONNECTED_ADDRS, CONNECTED_LINKS } from "../support/ip-dumps.js";

// The same lab after `lab.unplug("eth0")` (peer down in the router namespace:
// NO-CARRIER, state DOWN) and `link set wlan0 down` (admin down, which also
// drops its IPv6 link-local address). Verbatim.
const UNPLUGGED_LINKS = `
[ {
        "ifindex": 1,
        "ifname": "lo",
        "flags": [ "LOOPBACK","UP","LOWER_UP" ],
        "mtu": 65536,
        "qdisc": "noqueue",
        "operstate": "UNKNOWN",
        "linkmode": "DEFAULT",
        "group": "default",
        "txqlen": 1000,
        "link_type": "loopback",
        "address": "00:00:00:00:00:00",
        "broadcast": "00:00:00:00:00:00",
        "promiscuity": 0,
        "allmulti": 0,
        "min_mtu": 0,
        "max_mtu": 0,
        "inet6_addr_gen_mode": "eui64",
        "num_tx_queues": 1,
        "num_rx_queues": 1,
        "gso_max_size": 65536,
        "gso_max_segs": 65535,
        "tso_max_size": 524280,
        "tso_max_segs": 65535,
        "gro_max_size": 65536
    },{
        "ifindex": 2,
        "link_index": 2,
        "ifname": "eth0",
        "flags": [ "NO-CARRIER","BROADCAST","MULTICAST","UP" ],
        "mtu": 1500,
        "qdisc": "noqueue",
        "operstate": "DOWN",
        "linkmode": "DEFAULT",
        "group": "default",
        "txqlen": 1000,
        "link_type": "ether",
        "address": "02:81:c1:49:ef:69",
        "broadcast": "ff:ff:ff:ff:ff:ff",
        "link_netnsid": 0,
        "promiscuity": 0,
        "allmulti": 0,
        "min_mtu": 68,
        "max_mtu": 65535,
        "linkinfo": {
            "info_kind": "veth"
        },
        "inet6_addr_gen_mode": "eui64",
        "num_tx_queues": 2,
        "num_rx_queues": 2,
        "gso_max_size": 65536,
        "gso_max_segs": 65535,
        "tso_max_size": 524280,
        "tso_max_segs": 65535,
        "gro_max_size": 65536
    },{
        "ifindex": 3,
        "link_index": 2,
        "ifname": "wlan0",
        "flags": [ "BROADCAST","MULTICAST" ],
        "mtu": 1500,
        "qdisc": "noqueue",
        "operstate": "DOWN",
        "linkmode": "DEFAULT",
        "group": "default",
        "txqlen": 1000,
        "link_type": "ether",
        "address": "1e:7e:bb:bc:4b:70",
        "broadcast": "ff:ff:ff:ff:ff:ff",
        "link_netnsid": 1,
        "promiscuity": 0,
        "allmulti": 0,
        "min_mtu": 68,
        "max_mtu": 65535,
        "linkinfo": {
            "info_kind": "veth"
        },
        "inet6_addr_gen_mode": "eui64",
        "num_tx_queues": 2,
        "num_rx_queues": 2,
        "gso_max_size": 65536,
        "gso_max_segs": 65535,
        "tso_max_size": 524280,
        "tso_max_segs": 65535,
        "gro_max_size": 65536
    } ]`;

const UNPLUGGED_ADDRS = `
[ {
        "ifindex": 1,
        "ifname": "lo",
        "flags": [ "LOOPBACK","UP","LOWER_UP" ],
        "mtu": 65536,
        "qdisc": "noqueue",
        "operstate": "UNKNOWN",
        "group": "default",
        "txqlen": 1000,
        "link_type": "loopback",
        "address": "00:00:00:00:00:00",
        "broadcast": "00:00:00:00:00:00",
        "addr_info": [ {
                "family": "inet",
                "local": "127.0.0.1",
                "prefixlen": 8,
                "scope": "host",
                "label": "lo",
                "valid_life_time": 4294967295,
                "preferred_life_time": 4294967295
            },{
                "family": "inet6",
                "local": "::1",
                "prefixlen": 128,
                "scope": "host",
                "valid_life_time": 4294967295,
                "preferred_life_time": 4294967295
            } ]
    },{
        "ifindex": 2,
        "link_index": 2,
        "ifname": "eth0",
        "flags": [ "NO-CARRIER","BROADCAST","MULTICAST","UP" ],
        "mtu": 1500,
        "qdisc": "noqueue",
        "operstate": "DOWN",
        "group": "default",
        "txqlen": 1000,
        "link_type": "ether",
        "address": "02:81:c1:49:ef:69",
        "broadcast": "ff:ff:ff:ff:ff:ff",
        "link_netnsid": 0,
        "addr_info": [ {
                "family": "inet",
                "local": "192.0.2.10",
                "prefixlen": 24,
                "scope": "global",
                "label": "eth0",
                "valid_life_time": 4294967295,
                "preferred_life_time": 4294967295
            },{
                "family": "inet6",
                "local": "2001:db8::10",
                "prefixlen": 64,
                "scope": "global",
                "nodad": true,
                "valid_life_time": 4294967295,
                "preferred_life_time": 4294967295
            },{
                "family": "inet6",
                "local": "fe80::81:c1ff:fe49:ef69",
                "prefixlen": 64,
                "scope": "link",
                "valid_life_time": 4294967295,
                "preferred_life_time": 4294967295
            } ]
    },{
        "ifindex": 3,
        "link_index": 2,
        "ifname": "wlan0",
        "flags": [ "BROADCAST","MULTICAST" ],
        "mtu": 1500,
        "qdisc": "noqueue",
        "operstate": "DOWN",
        "group": "default",
        "txqlen": 1000,
        "link_type": "ether",
        "address": "1e:7e:bb:bc:4b:70",
        "broadcast": "ff:ff:ff:ff:ff:ff",
        "link_netnsid": 1,
        "addr_info": [ {
                "family": "inet",
                "local": "198.51.100.10",
                "prefixlen": 24,
                "scope": "global",
                "label": "wlan0",
                "valid_life_time": 4294967295,
                "preferred_life_time": 4294967295
            } ]
    } ]`;

// `ip -j -p -d link show dev eth0` of a virtio NIC (read-only, outside any
// lab): veth pairs have no parent device, so this is where parentbus comes from.
const VIRTIO_LINKS = `
[ {
        "ifindex": 4,
        "ifname": "eth0",
        "flags": [ "BROADCAST","MULTICAST","UP","LOWER_UP" ],
        "mtu": 1400,
        "qdisc": "pfifo_fast",
        "operstate": "UP",
        "linkmode": "DEFAULT",
        "group": "default",
        "txqlen": 1000,
        "link_type": "ether",
        "address": "02:fc:00:00:00:01",
        "broadcast": "ff:ff:ff:ff:ff:ff",
        "promiscuity": 0,
        "allmulti": 0,
        "min_mtu": 68,
        "max_mtu": 65535,
        "inet6_addr_gen_mode": "eui64",
        "num_tx_queues": 1,
        "num_rx_queues": 1,
        "gso_max_size": 65536,
        "gso_max_segs": 65535,
        "tso_max_size": 65536,
        "tso_max_segs": 65535,
        "gro_max_size": 65536,
        "parentbus": "virtio",
        "parentdev": "virtio2"
    } ]`;

type Json = Record<string, unknown>;

const parsed = (text: string): Json[] => JSON.parse(text) as Json[];
const connected = () => parseLinkStates(parsed(CONNECTED_LINKS), parsed(CONNECTED_ADDRS));
const unplugged = () => parseLinkStates(parsed(UNPLUGGED_LINKS), parsed(UNPLUGGED_ADDRS));

/** A real link entry (eth0 of the connected dump) with some fields replaced. */
function eth0Entry(overrides: Json = {}): Json {
  const entry = parsed(CONNECTED_LINKS).find((link) => link.ifname === "eth0") as Json;
  return { ...entry, ...overrides };
}

function link(overrides: Partial<LinkState> = {}): LinkState {
  return {
    ifname: "eth0",
    ifindex: 2,
    adminUp: true,
    lowerUp: true,
    macAddress: "02:81:c1:49:ef:69",
    hwPath: VIRTUAL_HW_PATH,
    addresses: [{ family: "inet", address: "192.0.2.10", prefixLength: 24 }],
    ...overrides,
  };
}

const states = (...links: LinkState[]) => new Map(links.map((state) => [state.ifname, state]));

describe("parseLinkStates on real dumps", () => {
  it("reads every link but the loopback, in the kernel's order, with its addresses", () => {
    const links = connected();
    expect([...links.keys()]).toEqual(["eth0", "wlan0"]);
    expect(links.get("eth0")).toEqual({
      ifname: "eth0",
      ifindex: 2,
      adminUp: true,
      lowerUp: true,
      macAddress: "02:81:c1:49:ef:69",
      hwPath: "/devices/virtual",
      addresses: [
        { family: "inet", address: "192.0.2.10", prefixLength: 24 },
        { family: "inet6", address: "2001:db8::10", prefixLength: 64 },
        { family: "inet6", address: "fe80::81:c1ff:fe49:ef69", prefixLength: 64 },
      ],
    });
    expect(links.get("wlan0")).toMatchObject({ ifindex: 3, adminUp: true, lowerUp: true });
  });

  it("reads an unplugged cable as no carrier on a link that is still up", () => {
    const eth0 = unplugged().get("eth0");
    expect(eth0).toMatchObject({ adminUp: true, lowerUp: false });
    expect(eth0?.addresses).toHaveLength(3);
  });

  it("reads an admin-down link as down without carrier, keeping its IPv4 address", () => {
    expect(unplugged().get("wlan0")).toMatchObject({
      adminUp: false,
      lowerUp: false,
      addresses: [{ family: "inet", address: "198.51.100.10", prefixLength: 24 }],
    });
  });

  it("takes the carrier from LOWER_UP, never from the operstate string", () => {
    const links = parseLinkStates(
      [
        eth0Entry({ ifname: "a", ifindex: 10, operstate: "UP", flags: ["BROADCAST", "UP"] }),
        eth0Entry({
          ifname: "b",
          ifindex: 11,
          operstate: "LOWERLAYERDOWN",
          flags: ["UP", "LOWER_UP"],
        }),
        eth0Entry({ ifname: "c", ifindex: 12, operstate: "UNKNOWN", flags: ["UP", "LOWER_UP"] }),
      ],
      [],
    );
    expect([...links.values()].map((state) => state.lowerUp)).toEqual([false, true, true]);
  });

  it("names the parent device as the hardware path when ip -d reports one", () => {
    expect(parseLinkStates(parsed(VIRTIO_LINKS), []).get("eth0")).toMatchObject({
      ifindex: 4,
      hwPath: "/devices/virtio/virtio2",
      macAddress: "02:fc:00:00:00:01",
      addresses: [],
    });
    expect(hardwarePath({ parentbus: "pci", parentdev: "0000:00:03.0" })).toBe(
      "/devices/pci/0000:00:03.0",
    );
    expect(hardwarePath({ parentbus: "usb" })).toBe(VIRTUAL_HW_PATH);
    expect(hardwarePath({ parentbus: "", parentdev: "x" })).toBe(VIRTUAL_HW_PATH);
  });
});

describe("parseLinkStates on odd input", () => {
  it("throws a KernelDumpError only when a dump is not an array", () => {
    expect(() => parseLinkStates({}, [])).toThrow(KernelDumpError);
    expect(() => parseLinkStates([], null)).toThrow(KernelDumpError);
    expect(() => parseLinkStates("[]", [])).toThrow(/link show/);
    expect(() => parseLinkStates([], {})).toThrow(/addr show/);
    expect(parseLinkStates([], []).size).toBe(0);
  });

  it("skips malformed link entries and keeps the good ones", () => {
    const links = parseLinkStates(
      [
        null,
        "eth9",
        42,
        [],
        eth0Entry({ ifname: undefined }),
        eth0Entry({ ifname: "" }),
        eth0Entry({ ifname: "x1", ifindex: "2" }),
        eth0Entry({ ifname: "x2", ifindex: 0 }),
        eth0Entry({ ifname: "x3", ifindex: 2.5 }),
        // An integer to JavaScript, not a kernel ifindex (found by test/fuzz).
        eth0Entry({ ifname: "x7", ifindex: 1e300 }),
        eth0Entry({ ifname: "x4", flags: "UP,LOWER_UP" }),
        eth0Entry({ ifname: "x5", flags: ["UP", 1] }),
        eth0Entry({ ifname: "x6", flags: undefined }),
        eth0Entry({ ifname: "lo2", flags: ["LOOPBACK", "UP", "LOWER_UP"] }),
        eth0Entry(),
      ],
      parsed(CONNECTED_ADDRS),
    );
    expect([...links.keys()]).toEqual(["eth0"]);
    expect(links.get("eth0")?.addresses).toHaveLength(3);
  });

  it("skips malformed, host-scope and failed addresses and keeps the rest in order", () => {
    const good4 = { family: "inet", local: "192.0.2.10", prefixlen: 24, scope: "global" };
    const good6 = { family: "inet6", local: "fe80::1", prefixlen: 64, scope: "link" };
    const addrInfo = [
      good6,
      null,
      { ...good4, local: undefined },
      { ...good4, local: "" },
      { ...good4, prefixlen: 33 },
      { ...good4, prefixlen: -1 },
      { ...good4, prefixlen: "24" },
      { ...good6, prefixlen: 129 },
      { ...good4, family: "mpls" },
      { ...good4, scope: "host" },
      { ...good4, scope: undefined },
      { ...good6, local: "2001:db8::1", scope: "global", dadfailed: true },
      { ...good6, local: "2001:db8::2", scope: "global", tentative: true },
      good4,
    ];
    const links = parseLinkStates(
      [eth0Entry()],
      [null, { ifindex: "2", addr_info: [good4] }, { ifindex: 2, addr_info: addrInfo }],
    );
    expect(links.get("eth0")?.addresses).toEqual([
      { family: "inet6", address: "fe80::1", prefixLength: 64 },
      { family: "inet6", address: "2001:db8::2", prefixLength: 64 },
      { family: "inet", address: "192.0.2.10", prefixLength: 24 },
    ]);
  });

  it("gives a link missing from the address dump no addresses", () => {
    const links = parseLinkStates([eth0Entry()], [{ ifindex: 2, addr_info: "none" }]);
    expect(links.get("eth0")?.addresses).toEqual([]);
  });

  it("joins addresses by ifindex, so a rename between the two dumps keeps them", () => {
    const [, eth0Addresses] = parsed(CONNECTED_ADDRS);
    const renamed = eth0Entry({ ifname: "lan0" });
    const links = parseLinkStates([renamed], [{ ...eth0Addresses, ifname: "eth0" }]);
    expect(links.get("lan0")?.addresses).toHaveLength(3);
  });

  it("keeps only MAC-style hardware addresses, in lower case", () => {
    const links = parseLinkStates(
      [
        eth0Entry({ ifname: "a", ifindex: 10, address: "02:AB:CD:EF:00:01" }),
        eth0Entry({ ifname: "tun0", ifindex: 11, link_type: "none", address: undefined }),
        eth0Entry({ ifname: "ipip0", ifindex: 12, link_type: "ipip", address: "0.0.0.0" }),
        eth0Entry({ ifname: "b", ifindex: 13, address: 42 }),
      ],
      [],
    );
    expect([...links.values()].map((state) => state.macAddress)).toEqual([
      "02:ab:cd:ef:00:01",
      null,
      null,
      null,
    ]);
  });
});

describe("linkProperties", () => {
  it("describes a present link", () => {
    const eth0 = connected().get("eth0");
    expect(linkProperties("eth0", eth0)).toEqual([
      [["interface", "eth0", "present"], true],
      [["interface", "eth0", "lower_up"], true],
      [["interface", "eth0", "mac_address"], "02:81:c1:49:ef:69"],
      [
        ["interface", "eth0", "addresses"],
        [
          { family: "inet", address: "192.0.2.10", prefixLength: 24 },
          { family: "inet6", address: "2001:db8::10", prefixLength: 64 },
          { family: "inet6", address: "fe80::81:c1ff:fe49:ef69", prefixLength: 64 },
        ],
      ],
      [["interface", "eth0", "hw_path"], "/devices/virtual"],
    ]);
  });

  it("keeps a null hardware address of a present link as null", () => {
    const entries = new Map(
      linkProperties("ppp0", link({ ifname: "ppp0", macAddress: null })).map(([key, value]) => [
        key.join("/"),
        value,
      ]),
    );
    expect(entries.get("interface/ppp0/mac_address")).toBeNull();
  });

  it("marks an absent link not present and removes its other properties through putMany", () => {
    expect(linkProperties("wlan0", undefined)).toEqual([
      [["interface", "wlan0", "present"], false],
      [["interface", "wlan0", "lower_up"], false],
      [["interface", "wlan0", "mac_address"], undefined],
      [["interface", "wlan0", "addresses"], undefined],
      [["interface", "wlan0", "hw_path"], undefined],
    ]);
    const table = new PropertyTable();
    table.putMany(linkProperties("wlan0", connected().get("wlan0")));
    table.putMany(linkProperties("wlan0", undefined));
    expect(table.getByPrefix(["interface", "wlan0"])).toEqual([
      [["interface", "wlan0", "lower_up"], false],
      [["interface", "wlan0", "present"], false],
    ]);
  });

  it("does not share its address list with the link state", () => {
    const eth0 = link();
    const [, , , [, addresses]] = linkProperties("eth0", eth0) as [
      unknown,
      unknown,
      unknown,
      [unknown, unknown[]],
    ];
    addresses.pop();
    expect(eth0.addresses).toHaveLength(1);
  });
});

describe("linkChanges", () => {
  it("reports nothing between equal dumps", () => {
    expect(linkChanges(connected(), connected())).toEqual([]);
    expect(linkChanges(new Map(), new Map())).toEqual([]);
  });

  it("reports every link of a first dump as appeared", () => {
    const changes = linkChanges(new Map(), connected());
    expect(changes.map((change) => [change.ifname, change.present])).toEqual([
      ["eth0", true],
      ["wlan0", true],
    ]);
    expect(changes[0]).toEqual({
      ifname: "eth0",
      present: true,
      ifindex: 2,
      lowerUp: true,
      adminUp: true,
      addresses: connected().get("eth0")?.addresses,
      macAddress: "02:81:c1:49:ef:69",
      hwPath: "/devices/virtual",
    });
  });

  it("reports the carrier loss and the admin-down link of the real dumps", () => {
    const changes = linkChanges(connected(), unplugged());
    expect(changes.map(({ ifname, lowerUp, adminUp }) => ({ ifname, lowerUp, adminUp }))).toEqual([
      { ifname: "eth0", lowerUp: false, adminUp: true },
      { ifname: "wlan0", lowerUp: false, adminUp: false },
    ]);
  });

  it.each([
    ["carrier", { lowerUp: false }],
    ["admin state", { adminUp: false }],
    ["hardware address", { macAddress: "02:00:00:00:00:99" }],
    ["hardware path", { hwPath: "/devices/usb/1-1:1.0" }],
    ["ifindex (deleted and created again)", { ifindex: 7 }],
    [
      "an added address",
      {
        addresses: [
          ...link().addresses,
          { family: "inet6" as const, address: "fe80::1", prefixLength: 64 },
        ],
      },
    ],
    ["a removed address", { addresses: [] }],
    [
      "a prefix length",
      { addresses: [{ family: "inet" as const, address: "192.0.2.10", prefixLength: 25 }] },
    ],
  ])("reports a change of %s", (_what, overrides: Partial<LinkState>) => {
    const changes = linkChanges(states(link()), states(link(overrides)));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ ifname: "eth0", present: true, ...overrides });
  });

  it("reports a vanished link as absent, after the present ones", () => {
    const wlan0 = link({ ifname: "wlan0", ifindex: 3 });
    const changes = linkChanges(states(wlan0, link()), states(link({ lowerUp: false })));
    expect(changes).toEqual([
      expect.objectContaining({ ifname: "eth0", present: true, lowerUp: false }),
      {
        ifname: "wlan0",
        present: false,
        ifindex: null,
        lowerUp: false,
        adminUp: false,
        addresses: [],
        macAddress: null,
        hwPath: null,
      },
    ]);
  });

  it("reports only the links that changed", () => {
    const wlan0 = link({ ifname: "wlan0", ifindex: 3 });
    const changes = linkChanges(
      states(link(), wlan0),
      states(link(), { ...wlan0, lowerUp: false }),
    );
    expect(changes.map((change) => change.ifname)).toEqual(["wlan0"]);
  });
});
