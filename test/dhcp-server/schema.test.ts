import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type DhcpdConfig, dhcpdProblems, dhcpdSchema } from "../../src/dhcp-server/schema.js";

const valid = {
  start: "192.0.2.10",
  end: "192.0.2.50",
  leaseSeconds: 86400,
  options: {
    router: ["192.0.2.1"],
    dns: ["192.0.2.1"],
    domain: "lab.example",
    search: ["lab.example"],
    mtu: 1400,
    subnet: "255.255.255.0",
  },
  staticLeases: [{ mac: "02:00:00:00:00:01", address: "192.0.2.5" }],
};

const iface = { address: "192.0.2.1", prefixLength: 24 };

/** Each issue as `path: message`. */
function issues(input: unknown): string[] {
  const result = dhcpdSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

function problems(dhcpd: DhcpdConfig, on = iface): string[] {
  return dhcpdProblems(dhcpd, on).map((problem) => `${problem.path.join(".")}: ${problem.message}`);
}

const base: DhcpdConfig = { start: "192.0.2.10", end: "192.0.2.50" };

describe("dhcpdSchema", () => {
  it("accepts VintageNet's shape with every option", () => {
    expect(dhcpdSchema.parse(valid)).toEqual(valid);
    expect(dhcpdProblems(dhcpdSchema.parse(valid), iface)).toEqual([]);
  });

  it("needs only start and end", () => {
    expect(dhcpdSchema.parse(base)).toEqual(base);
  });

  it("names the field of a malformed address", () => {
    expect(issues({ ...valid, start: "192.0.2" })).toEqual([
      'start: not an IPv4 address: "192.0.2"',
    ]);
    expect(issues({ ...valid, options: { dns: ["192.0.2.1", "ns.example"] } })).toEqual([
      'options.dns.1: not an IPv4 address: "ns.example"',
    ]);
    expect(issues({ start: "192.0.2.10" })).toEqual(["end: is required: an IPv4 address"]);
  });

  it("refuses malformed, group and all-zero MAC addresses", () => {
    const lease = (mac: unknown) => ({ ...base, staticLeases: [{ mac, address: "192.0.2.5" }] });
    expect(issues(lease("02:00:00:00:00"))).toEqual([
      "staticLeases.0.mac: must be a MAC address like 02:00:00:00:00:01",
    ]);
    expect(issues(lease("02-00-00-00-00-01"))).toHaveLength(1);
    expect(issues(lease(2))).toEqual([
      "staticLeases.0.mac: must be a MAC address like 02:00:00:00:00:01",
    ]);
    expect(issues(lease("01:00:5e:00:00:01"))).toEqual([
      "staticLeases.0.mac: must be one station's (unicast) MAC address: the first byte must be even",
    ]);
    expect(issues(lease("00:00:00:00:00:00"))).toEqual([
      "staticLeases.0.mac: must not be 00:00:00:00:00:00",
    ]);
    expect(issues(lease("0A:1b:2C:3d:4E:5f"))).toEqual([]);
  });

  it("refuses a static lease without its address, or with a field of its own", () => {
    expect(issues({ ...base, staticLeases: [{ mac: "02:00:00:00:00:01" }] })).toEqual([
      "staticLeases.0.address: is required: an IPv4 address",
    ]);
    expect(
      issues({
        ...base,
        staticLeases: [{ mac: "02:00:00:00:00:01", address: "192.0.2.5", hostname: "x" }],
      }),
    ).toEqual(['staticLeases.0: Unrecognized key: "hostname"']);
  });

  it("bounds the lease time, the MTU and the lists", () => {
    expect(issues({ ...base, leaseSeconds: 30 })).toEqual([
      "leaseSeconds: must be 60..31536000 (a minute to a year)",
    ]);
    expect(issues({ ...base, leaseSeconds: 600.5 })).toEqual([
      "leaseSeconds: must be a whole number of seconds",
    ]);
    expect(issues({ ...base, options: { mtu: 67 } })).toEqual(["options.mtu: must be 68..65535"]);
    const many = Array.from({ length: 17 }, (_, index) => `192.0.2.${index + 1}`);
    expect(issues({ ...base, options: { router: many } })).toEqual([
      "options.router: must list at most 16 addresses",
    ]);
    const long = Array.from({ length: 4 }, (_, index) => `${"a".repeat(60)}.example${index}`);
    expect(issues({ ...base, options: { search: long } })).toEqual([
      "options.search: is too long: one DHCP option holds at most 255 bytes",
    ]);
  });

  it("refuses unknown options and names that are not domain names", () => {
    expect(issues({ ...base, options: { ntp: ["192.0.2.1"] } })).toEqual([
      'options: Unrecognized key: "ntp"',
    ]);
    expect(issues({ ...base, options: { domain: "lab example" } })).toEqual([
      "options.domain: must be a domain name",
    ]);
    expect(issues({ ...base, options: { search: ["ok.example", "bad..example"] } })).toEqual([
      "options.search.1: must be a domain name",
    ]);
  });

  it("takes only a contiguous, non-zero netmask as subnet", () => {
    expect(issues({ ...base, options: { subnet: "255.0.255.0" } })).toEqual([
      "options.subnet: must be a netmask like 255.255.255.0",
    ]);
    expect(issues({ ...base, options: { subnet: "0.0.0.0" } })).toEqual([
      "options.subnet: must be a netmask like 255.255.255.0",
    ]);
    expect(issues({ ...base, options: { subnet: "/24" } })).toEqual([
      'options.subnet: not an IPv4 address: "/24"',
    ]);
    expect(issues({ ...base, options: { subnet: "255.255.255.252" } })).toEqual([]);
  });

  it("refuses an end before the start", () => {
    expect(issues({ start: "192.0.2.50", end: "192.0.2.10" })).toEqual([
      "end: must not come before start (192.0.2.50)",
    ]);
    expect(issues({ start: "192.0.2.10", end: "192.0.2.10" })).toEqual([]);
  });

  it("refuses two static leases for one MAC (in any case) or one address", () => {
    expect(
      issues({
        ...base,
        staticLeases: [
          { mac: "02:00:00:00:00:0a", address: "192.0.2.5" },
          { mac: "02:00:00:00:00:0b", address: "192.0.2.6" },
          { mac: "02:00:00:00:00:0A", address: "192.0.2.7" },
          { mac: "02:00:00:00:00:0c", address: "192.0.2.6" },
        ],
      }),
    ).toEqual([
      "staticLeases.2.mac: 02:00:00:00:00:0A already has a static lease (staticLeases[0])",
      "staticLeases.3.address: 192.0.2.6 is already the static lease of staticLeases[1]",
    ]);
  });
});

describe("dhcpdProblems against the interface's address", () => {
  it("finds none in a range on the interface's subnet", () => {
    expect(problems(base)).toEqual([]);
  });

  it("wants start and end on the interface's subnet", () => {
    expect(problems({ start: "198.51.100.10", end: "198.51.100.20" })).toEqual([
      "start: must be on the interface's subnet 192.0.2.0/24",
      "end: must be on the interface's subnet 192.0.2.0/24",
    ]);
    expect(problems({ start: "192.0.2.200", end: "192.0.3.10" })).toEqual([
      "end: must be on the interface's subnet 192.0.2.0/24",
    ]);
  });

  it("refuses the network and broadcast addresses, except on a /31", () => {
    expect(problems({ start: "192.0.2.0", end: "192.0.2.255" })).toEqual([
      "start: must not be the network address of 192.0.2.0/24",
      "end: must not be the broadcast address of 192.0.2.0/24",
    ]);
    expect(
      problems(
        { start: "192.0.2.0", end: "192.0.2.0" },
        { address: "192.0.2.1", prefixLength: 31 },
      ),
    ).toEqual([]);
  });

  it("refuses a range that includes the interface's own address", () => {
    expect(problems({ start: "192.0.2.1", end: "192.0.2.50" })).toEqual([
      "start: start..end (192.0.2.1..192.0.2.50) must not include the interface's own address 192.0.2.1: udhcpd would give it to a client that asks for it",
    ]);
    expect(problems(base, { address: "192.0.2.50", prefixLength: 24 })).toEqual([
      "end: start..end (192.0.2.10..192.0.2.50) must not include the interface's own address 192.0.2.50: udhcpd would give it to a client that asks for it",
    ]);
    expect(problems(base, { address: "192.0.2.30", prefixLength: 24 })).toHaveLength(1);
  });

  it("serves a direct link's peer: the other host of a /30", () => {
    const direct = { address: "198.51.100.1", prefixLength: 30 };
    expect(problems({ start: "198.51.100.2", end: "198.51.100.2" }, direct)).toEqual([]);
    expect(problems({ start: "198.51.100.2", end: "198.51.100.3" }, direct)).toEqual([
      "end: must not be the broadcast address of 198.51.100.0/30",
    ]);
  });

  it("has nothing to hand out on a /32", () => {
    expect(problems(base, { address: "192.0.2.1", prefixLength: 32 })).toEqual([
      ": the interface's address 192.0.2.1/32 is a subnet of one address, its own: there is none to hand out; give the prefix length of its network",
    ]);
  });

  it("wants static leases on the subnet, inside the range or not, and not the interface's address", () => {
    const leases = (...addresses: string[]): DhcpdConfig => ({
      ...base,
      staticLeases: addresses.map((address, index) => ({
        mac: `02:00:00:00:00:0${index + 1}`,
        address,
      })),
    });
    expect(problems(leases("192.0.2.5", "192.0.2.20"))).toEqual([]);
    expect(problems(leases("192.0.2.1", "203.0.113.5", "192.0.2.255"))).toEqual([
      "staticLeases.0.address: must not be the interface's own address",
      "staticLeases.1.address: must be on the interface's subnet 192.0.2.0/24",
      "staticLeases.2.address: must not be the broadcast address of 192.0.2.0/24",
    ]);
  });

  it("wants routers on the clients' subnet", () => {
    expect(problems({ ...base, options: { router: ["192.0.2.1", "198.51.100.1"] } })).toEqual([
      "options.router.1: must be on the interface's subnet 192.0.2.0/24",
    ]);
  });

  it("checks against the clients' subnet when options.subnet narrows it", () => {
    const narrow: DhcpdConfig = {
      start: "192.0.2.2",
      end: "192.0.2.20",
      options: { subnet: "255.255.255.240" },
    };
    expect(problems(narrow)).toEqual([
      "end: must be on the clients' subnet (options.subnet) 192.0.2.0/28",
    ]);
    expect(problems({ ...narrow, end: "192.0.2.15" })).toEqual([
      "end: must not be the broadcast address of 192.0.2.0/28",
    ]);
    expect(problems({ ...narrow, end: "192.0.2.14" })).toEqual([]);
    // A wider netmask for the clients: they must still be on the interface's own subnet.
    expect(problems({ ...base, options: { subnet: "255.255.0.0" } })).toEqual([]);
  });

  it("leaves a malformed interface address to the ipv4 schema, and reports the range's own problems", () => {
    expect(problems(base, { address: "192.0.2", prefixLength: 24 })).toEqual([]);
    expect(
      problems({ start: "192.0.2.50", end: "192.0.2.10" }, { address: "x", prefixLength: 40 }),
    ).toEqual(["end: must not come before start (192.0.2.50)"]);
  });

  it("composes into a technology's schema with paths under dhcpd", () => {
    const staticConfig = z
      .strictObject({
        ipv4: z.strictObject({ address: z.ipv4(), prefixLength: z.number() }),
        dhcpd: dhcpdSchema.optional(),
      })
      .check((context) => {
        const { ipv4, dhcpd } = context.value;
        if (!dhcpd) return;
        for (const problem of dhcpdProblems(dhcpd, ipv4)) {
          context.issues.push({
            code: "custom",
            input: dhcpd,
            path: ["dhcpd", ...problem.path],
            message: problem.message,
          });
        }
      });
    const check = (dhcpd: unknown) => {
      const result = staticConfig.safeParse({ ipv4: iface, dhcpd });
      return result.success
        ? []
        : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    };
    expect(check(valid)).toEqual([]);
    expect(check({ start: "192.0.2.1", end: "192.0.2.9" })).toHaveLength(1);
    // One message per problem: the schema's own check stops the parent's from running.
    expect(check({ start: "192.0.2.50", end: "192.0.2.10" })).toEqual([
      "dhcpd.end: must not come before start (192.0.2.50)",
    ]);
  });
});
