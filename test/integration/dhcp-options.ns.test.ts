import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab, type LabServer } from "../../lab/namespace-lab.js";
import type { DhcpOptions } from "../../src/dhcp/lease-event.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

const OPTIONS_KEY = ["interface", "eth0", "dhcp_options"];

/** A lease from busybox udhcpd, through the real udhcpc, handler and manager. */
describeAsRoot("interface/<if>/dhcp_options from a real udhcpd", () => {
  let lab: Lab;
  let server: LabServer;
  let dir: string;
  let running: LabManager | undefined;

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0"] });
    server = await lab.startDhcpServer("eth0", {
      leaseSeconds: 600,
      domain: "lab.test",
      ntpServers: ["192.0.2.1", "192.0.2.2"],
      search: ["lab.test", "corp.test"],
    });
    dir = await mkdtemp(join(tmpdir(), "statenet-dhcp-options-"));
    running = await startLabManager(
      lab,
      {
        interfaces: {
          eth0: {
            type: "ethernet",
            ipv4: { method: "dhcp", hostname: "kiosk_7", dhcpRequestOptions: ["wpad", 224] },
          },
        },
      },
      {},
      dir,
    );
  });

  afterAll(async () => {
    await running?.stop();
    await server?.stop();
    await lab?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const options = () => running?.manager.get(OPTIONS_KEY) as DhcpOptions | undefined;

  it("publishes what the lease gave, NTP servers and search list included", async () => {
    const lease = await waitUntil("a lease's options", options, 10_000);
    expect(lease).toEqual({
      address: expect.stringMatching(/^192\.0\.2\.(1[0-4]\d|150)$/),
      prefixLength: 24,
      netmask: "255.255.255.0",
      routers: ["192.0.2.1"],
      nameServers: ["192.0.2.1"],
      domain: "lab.test",
      search: ["lab.test", "corp.test"],
      ntpServers: ["192.0.2.1", "192.0.2.2"],
      leaseSeconds: 600,
      serverId: "192.0.2.1",
    });
  });

  it("puts the domain, then the search list, in resolv.conf's search line, each once", async () => {
    const resolvConf = running?.manager.config.resolvConf ?? "";
    const text = await waitUntil(
      "resolv.conf with the lease's servers",
      async () => {
        const content = await readFile(resolvConf, "utf8").catch(() => "");
        return content.includes("nameserver 192.0.2.1") ? content : undefined;
      },
      10_000,
    );
    expect(text.split("\n").filter((line) => line.startsWith("search"))).toEqual([
      "search lab.test corp.test",
    ]);
  });

  it("puts the leased address on with its subnet's broadcast address", async () => {
    const lease = await waitUntil("a lease's options", options, 10_000);
    const [link] = await lab
      .ip()
      .json<Array<{ addr_info: Array<{ local: string; prefixlen: number; broadcast?: string }> }>>([
        "-4",
        "addr",
        "show",
        "dev",
        "eth0",
      ]);
    expect(link?.addr_info).toEqual([
      expect.objectContaining({ local: lease.address, prefixlen: 24, broadcast: "192.0.2.255" }),
    ]);
  });

  it("clears them when the interface is deconfigured, and brings them back with the next lease", async () => {
    const manager = running?.manager;
    if (!manager) throw new Error("no manager");
    await manager.deconfigure("eth0", { persist: false });
    await waitUntil("the options cleared", () => options() === undefined, 10_000);
    await manager.configure(
      "eth0",
      { type: "ethernet", ipv4: { method: "dhcp" } },
      { persist: false },
    );
    const lease = await waitUntil("a new lease's options", options, 10_000);
    expect(lease).toMatchObject({ search: ["lab.test", "corp.test"], leaseSeconds: 600 });
  });
});
