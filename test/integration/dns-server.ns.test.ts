import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type ClientLease,
  clientLease,
  nslookup,
  writeClientScript,
} from "../../lab/dhcp-client.js";
import { Lab } from "../../lab/namespace-lab.js";
import type { DhcpLease } from "../../src/dhcp-server/leases.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

/**
 * Static Ethernet serving its LAN (192.0.2.1/24 on the device's eth0): the
 * manager's udhcpd with options and a static lease, and its DNS server.
 * The lab's router end, its own address removed, is the client: busybox
 * udhcpc there shows what a client is told, busybox nslookup what it resolves.
 */

const DEVICE = "192.0.2.1";
const STATIC_MAC = "02:00:00:00:00:05";
const STATIC_ADDRESS = "192.0.2.5";
const DYNAMIC_MAC = "02:00:00:00:00:42";

describeAsRoot("static Ethernet with dhcpd and dnsd: what a client on the LAN gets", () => {
  let lab: Lab;
  let dir: string;
  let running: LabManager | undefined;
  let clientScript: string;
  let clientNs: string;

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0"] });
    const uplink = lab.uplink("eth0");
    clientNs = uplink.routerNs;
    await lab.ip(clientNs).batch([`addr flush dev ${uplink.routerIfname}`]);
    dir = await mkdtemp(join(tmpdir(), "statenet-dns-server-"));
    clientScript = join(dir, "client.sh");
    await writeClientScript(clientScript);
    running = await startLabManager(lab, {
      interfaces: {
        eth0: {
          type: "ethernet",
          ipv4: { method: "static", address: DEVICE, prefixLength: 24 },
          dhcpd: {
            start: "192.0.2.100",
            end: "192.0.2.150",
            leaseSeconds: 3600,
            options: { router: [DEVICE], domain: "lab.example" },
            staticLeases: [{ mac: STATIC_MAC, address: STATIC_ADDRESS }],
          },
          dnsd: {
            records: [
              { name: "Device.Lab.Example", address: DEVICE },
              { name: "printer.lab.example", address: "192.0.2.9" },
              { name: "printer.lab.example", address: "192.0.2.10" },
            ],
            ttl: 60,
          },
        },
      },
    });
  });

  afterAll(async () => {
    await running?.stop();
    await lab?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function leaseFor(mac: string): Promise<ClientLease> {
    const ifname = lab.uplink("eth0").routerIfname;
    await lab.ip(clientNs).batch([`link set ${ifname} address ${mac}`]);
    return clientLease(lab, clientNs, ifname, clientScript);
  }

  const lookup = (name: string) => nslookup(lab, clientNs, name, DEVICE);

  const published = () =>
    (running?.manager.get(["interface", "eth0", "dhcpd", "leases"]) as DhcpLease[] | undefined) ??
    [];

  it("tells a client with a static lease its address, the router, domain and the device as DNS server", async () => {
    expect(await leaseFor(STATIC_MAC)).toEqual({
      ip: STATIC_ADDRESS,
      subnet: "255.255.255.0",
      router: DEVICE,
      // dhcpd names no dns: the device's own DNS server is advertised.
      dns: DEVICE,
      domain: "lab.example",
    });
  });

  it("gives another client an address of the range, and publishes both leases", async () => {
    const lease = await leaseFor(DYNAMIC_MAC);
    expect(lease.ip).toMatch(/^192\.0\.2\.(1[0-4]\d|150)$/);
    const leases = await waitUntil(
      "both leases published",
      () => published().length === 2 && published(),
    );
    expect(leases.map(({ mac, address }) => [mac, address])).toEqual([
      [STATIC_MAC, STATIC_ADDRESS],
      [DYNAMIC_MAC, lease.ip],
    ]);
  });

  it("answers the client's DNS queries for its names, in any case, and refuses others", async () => {
    const device = await waitUntil(
      "the DNS server answering",
      async () => {
        const result = await lookup("device.lab.example");
        return result.ok && result;
      },
      15_000,
    );
    expect(device.output).toMatch(/Name:\s+device\.lab\.example\s+Address:\s+192\.0\.2\.1\b/);
    const printer = await lookup("PRINTER.lab.example");
    expect(printer.ok).toBe(true);
    expect(printer.output).toContain("Address: 192.0.2.9");
    expect(printer.output).toContain("Address: 192.0.2.10");
    const below = await lookup("x.printer.lab.example");
    expect(below.ok).toBe(false);
    expect(below.output).toMatch(/NXDOMAIN/);
    const elsewhere = await lookup("example.org");
    expect(elsewhere.ok).toBe(false);
    expect(elsewhere.output).toMatch(/REFUSED/);
  });

  it("listens only on the device's address, port 53", async () => {
    const { stdout } = await lab.exec(lab.deviceNs, "ss", ["-H", "-lun", "sport = :53"]);
    expect(stdout.trim().split(/\s+/)).toContain(`${DEVICE}:53`);
    expect(stdout.trim().split("\n")).toHaveLength(1);
  });
});
