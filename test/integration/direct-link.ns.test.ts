import { mkdtemp, readFile, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type ClientLease,
  clientLease,
  nslookup,
  writeClientScript,
} from "../../lab/dhcp-client.js";
import { Lab } from "../../lab/namespace-lab.js";
import { isDnsName } from "../../src/config/dns-name.js";
import type { DhcpLease } from "../../src/dhcp-server/leases.js";
import { daemonRecordPath } from "../../src/linux/daemon-pids.js";
import { derivedDirectAddresses } from "../../src/technologies/direct/subnet.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

/**
 * Two direct links, as a USB gadget's `usb0` would be: the device runs
 * statenet in its namespace, the peer (the lab's "router" end of each veth,
 * its address removed) runs busybox udhcpc, then resolves the device's name
 * with busybox nslookup and pings it. usb0 has an explicit lab /30, usb1 the
 * /30 derived from this machine's host name (172.31.x.x, only inside the lab).
 */

const DEVICE_NAME = "gadget-7";
const EXPLICIT = { address: "192.0.2.1", peer: "192.0.2.2" };
const DERIVED = derivedDirectAddresses(hostname(), "usb1");

describeAsRoot("direct links: udhcpd for the one peer, its name in DNS, LAN only", () => {
  let lab: Lab;
  let dir: string;
  let running: LabManager | undefined;
  let peerScript: string;
  const leases: Record<string, ClientLease> = {};

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["usb0", "usb1"] });
    // The far ends are the peers: they get their addresses from the device.
    for (const uplink of lab.uplinks) {
      await lab.ip(uplink.routerNs).batch([`addr flush dev ${uplink.routerIfname}`]);
    }
    dir = await mkdtemp(join(tmpdir(), "statenet-direct-"));
    peerScript = join(dir, "peer.sh");
    await writeClientScript(peerScript);
    running = await startLabManager(lab, {
      interfaces: {
        usb0: {
          type: "direct",
          direct: { address: EXPLICIT.address, prefixLength: 30, hostname: DEVICE_NAME },
          dnsd: {},
        },
        usb1: { type: "direct", dnsd: {} },
      },
    });
  });

  afterAll(async () => {
    await running?.stop();
    await lab?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const peerLease = (ifname: string) => {
    const { routerNs, routerIfname } = lab.uplink(ifname);
    return clientLease(lab, routerNs, routerIfname, peerScript);
  };
  const lookup = (ifname: string, name: string, server: string) =>
    nslookup(lab, lab.uplink(ifname).routerNs, name, server);

  it("hands the peer the other address of the explicit /30, itself as name server, no router", async () => {
    leases.usb0 = await peerLease("usb0");
    expect(leases.usb0).toEqual({
      ip: EXPLICIT.peer,
      subnet: "255.255.255.252",
      router: "",
      dns: EXPLICIT.address,
      domain: "",
    });
    const dhcpdLeases = await waitUntil("the lease published", () => {
      const value = running?.manager.get(["interface", "usb0", "dhcpd", "leases"]) as
        | DhcpLease[]
        | undefined;
      return value?.length === 1 && value;
    });
    expect(dhcpdLeases[0]?.address).toBe(EXPLICIT.peer);
  });

  it("answers the peer's DNS query for the device's name, and the peer reaches it", async () => {
    // The DNS server (a Node program) may still be starting when the lease is there.
    const answer = await waitUntil(
      "an answer",
      async () => {
        const result = await lookup("usb0", DEVICE_NAME, EXPLICIT.address);
        return result.ok && result;
      },
      15_000,
    );
    expect(answer.output).toMatch(
      new RegExp(
        `Name:\\s+${DEVICE_NAME}\\s+Address:\\s+${EXPLICIT.address.replaceAll(".", "\\.")}`,
      ),
    );
    // Any case; a name it does not know is refused, not claimed.
    expect((await lookup("usb0", DEVICE_NAME.toUpperCase(), EXPLICIT.address)).output).toContain(
      EXPLICIT.address,
    );
    const unknown = await lookup("usb0", "elsewhere.example", EXPLICIT.address);
    expect(unknown.ok).toBe(false);
    expect(unknown.output).toMatch(/REFUSED/i);
    await lab.exec(lab.uplink("usb0").routerNs, "busybox", [
      "ping",
      "-c",
      "1",
      "-W",
      "5",
      EXPLICIT.address,
    ]);
  });

  it("uses the /30 derived from the host name when no address is given", async () => {
    leases.usb1 = await peerLease("usb1");
    expect(leases.usb1).toEqual({
      ip: DERIVED.peer,
      subnet: "255.255.255.252",
      router: "",
      dns: DERIVED.address,
      domain: "",
    });
    expect(DERIVED.address).toMatch(/^172\.31\./);
    await lab.exec(lab.uplink("usb1").routerNs, "busybox", [
      "ping",
      "-c",
      "1",
      "-W",
      "5",
      DERIVED.address,
    ]);
    // This machine's name, if DNS can carry it (its underscores cannot be).
    if (isDnsName(hostname())) {
      const answer = await lookup("usb1", hostname(), DERIVED.address);
      expect(answer.output).toContain(DERIVED.address);
    }
  });

  it("is lan, never a default route", async () => {
    for (const ifname of ["usb0", "usb1"]) {
      await waitUntil(
        `${ifname} lan`,
        () => running?.manager.get(["interface", ifname, "connection"]) === "lan",
      );
      expect(running?.manager.get(["interface", ifname, "lower_up"])).toBe(true);
    }
    const routes = await lab
      .ip()
      .json<Array<{ dst: string }>>(["-4", "route", "show", "table", "all"]);
    expect(routes.filter((route) => route.dst === "default")).toEqual([]);
    expect(running?.manager.get(["available_interfaces"])).toEqual([]);
  });

  it("follows the peer: lower_up and connection go when it unplugs and come back with it", async () => {
    await lab.unplug("usb0");
    await waitUntil(
      "usb0 without carrier",
      () => running?.manager.get(["interface", "usb0", "lower_up"]) === false,
    );
    await waitUntil(
      "usb0 disconnected",
      () => running?.manager.get(["interface", "usb0", "connection"]) === "disconnected",
    );
    await lab.plug("usb0");
    await waitUntil(
      "usb0 lan again",
      () => running?.manager.get(["interface", "usb0", "connection"]) === "lan",
      10_000,
    );
    expect(running?.manager.get(["interface", "usb0", "lower_up"])).toBe(true);
    // The peer kept its address; the device still answers it.
    const answer = await lookup("usb0", DEVICE_NAME, EXPLICIT.address);
    expect(answer.output).toContain(EXPLICIT.address);
  });

  it("forgets the lease with the cable, so another machine plugged in gets the address", async () => {
    const leases = () =>
      (running?.manager.get(["interface", "usb0", "dhcpd", "leases"]) as DhcpLease[] | undefined) ??
      [];
    const uplink = lab.uplink("usb0");
    // The peer leases the address again (the last unplug dropped its lease).
    await lab.ip(uplink.routerNs).batch([`addr flush dev ${uplink.routerIfname}`]);
    expect((await peerLease("usb0")).ip).toBe(EXPLICIT.peer);
    await waitUntil("its lease published", () => leases().length === 1);
    await lab.unplug("usb0");
    await waitUntil("the lease forgotten", () => leases().length === 0, 10_000);
    // Another machine: another MAC, no address yet.
    const otherMac = "02:00:00:00:77:01";
    await lab
      .ip(uplink.routerNs)
      .batch([
        `addr flush dev ${uplink.routerIfname}`,
        `link set ${uplink.routerIfname} address ${otherMac}`,
      ]);
    await lab.plug("usb0");
    expect((await peerLease("usb0")).ip).toBe(EXPLICIT.peer);
    const [lease] = await waitUntil(
      "the new peer's lease",
      () => leases()[0]?.mac === otherMac && leases(),
    );
    expect(lease).toMatchObject({ mac: otherMac, address: EXPLICIT.peer });
  });

  it("restarts its DNS server when it dies", async () => {
    const record = daemonRecordPath(join(running?.runDir ?? "", "pids"), "dnsd", "usb0");
    const pid = JSON.parse(await readFile(record, "utf8")).pid as number;
    process.kill(pid, "SIGKILL");
    await waitUntil(
      "a new dnsd",
      async () => {
        const text = await readFile(record, "utf8").catch(() => undefined);
        return text !== undefined && JSON.parse(text).pid !== pid;
      },
      15_000,
    );
    const answer = await waitUntil(
      "an answer from the new one",
      async () => {
        const result = await lookup("usb0", DEVICE_NAME, EXPLICIT.address);
        return result.ok && result;
      },
      15_000,
    );
    expect(answer.output).toContain(EXPLICIT.address);
  });
});
