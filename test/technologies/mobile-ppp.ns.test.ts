import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab } from "../../lab/namespace-lab.js";
import type { NetworkManager } from "../../src/network-manager.js";
import { captureLogs } from "../support/capture-logs.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

const INTERNET_HOST = "203.0.113.53";
/** A pppd stand-in that makes ppp0 a veth (this kernel may have no PPP); see its header. */
const FAKE_PPPD_DIR = dirname(new URL("./fixtures/ppp-veth/pppd", import.meta.url).pathname);

/**
 * The ppp provider in statenet on a real kernel, pppd played by a script:
 * the interface is configured before ppp0 exists, the IPCP address and the
 * peer as gateway become routes with the mobile metric, a hang-up takes
 * them away, and statenet dials again, backing off while nobody answers.
 * The real pppd and chat run in the VM lab (test/vm/ppp.vm.test.ts).
 */
describeAsRoot("mobile: the ppp provider with a stand-in pppd, on a real kernel", () => {
  let lab: Lab;
  let control: string;
  let running: LabManager | undefined;
  let manager: NetworkManager;
  const logs = captureLogs("info");
  const savedPath = process.env.PATH;

  beforeAll(async () => {
    // statenet starts `pppd` from PATH: the stand-in comes first.
    process.env.PATH = `${FAKE_PPPD_DIR}:${savedPath}`;
    lab = await Lab.create({
      uplinks: [{ ifname: "veth0", network: "192.0.2.0/24" }],
      internetHosts: [INTERNET_HOST],
    });
    control = await mkdtemp(join(tmpdir(), "statenet-ppp-ns-"));
    const device = join(control, lab.uplink("veth0").routerNs);
    running = await startLabManager(
      lab,
      {
        interfaces: {
          ppp0: {
            type: "mobile",
            mobile: {
              modem: { provider: "ppp", device },
              serviceProviders: [{ apn: "lab.apn" }],
              retryDelayMs: 200,
              maxRetryDelayMs: 800,
            },
            connectivity: { intervalMs: 500, timeoutMs: 1_000, lanIntervalMs: 300 },
          },
        },
        internetHosts: [{ host: INTERNET_HOST, port: 53 }],
      },
      { logger: logs.logger },
    );
    manager = running.manager;
  });

  afterAll(async () => {
    await running?.stop();
    await lab?.teardown();
    if (control) await rm(control, { recursive: true, force: true });
    process.env.PATH = savedPath;
  });

  const connection = () => manager.get(["interface", "ppp0", "connection"]);
  const ppp0Defaults = async () => {
    const { stdout } = await execa("ip", ["-n", lab.deviceNs, "-j", "route", "show", "default"]);
    return (
      JSON.parse(stdout || "[]") as Array<{ dev: string; gateway?: string; metric?: number }>
    ).filter((route) => route.dev === "ppp0");
  };
  const dials = async () =>
    (await readFile(join(control, "dials"), "utf8").catch(() => "")).split("\n").filter(Boolean)
      .length;

  it("configures ppp0 once pppd made it: the IPCP address, a default route via the peer, the Internet", async () => {
    await waitUntil("ppp0 on the Internet", () => connection() === "internet", 20_000, 20);
    expect(manager.get(["interface", "ppp0", "state"])).toBe("configured");
    expect(manager.get(["interface", "ppp0", "mobile", "state"])).toBe("connected");
    const routes = await waitUntil("ppp0's default route", async () => {
      const found = await ppp0Defaults();
      return found.length > 0 && found;
    });
    expect(routes).toEqual([expect.objectContaining({ gateway: "192.0.2.1" })]);
    // Mobile with Internet ranks third: metrics 30..39.
    expect(routes[0]?.metric).toBeGreaterThanOrEqual(30);
    expect(routes[0]?.metric).toBeLessThan(40);
    const ping = await execa("ip", [
      ...["netns", "exec", lab.deviceNs, "busybox", "ping", "-c", "1", "-W", "2", INTERNET_HOST],
    ]);
    expect(ping.exitCode).toBe(0);
    expect(await dials()).toBe(1);
  });

  it("drops the route on a hang-up, redials with backoff while nobody answers, and comes back", async () => {
    await writeFile(join(control, "busy"), "");
    await writeFile(join(control, "hangup"), "");
    await waitUntil("ppp0 disconnected", () => connection() === "disconnected", 10_000, 20);
    await waitUntil("no default route on ppp0", async () => (await ppp0Defaults()).length === 0);
    await waitUntil("three failed redials", async () => (await dials()) >= 4, 20_000, 20);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        msg: "modem connect failed",
        ifname: "ppp0",
        error: expect.stringContaining("exited with 8 (the connect script (chat) failed"),
      }),
    );
    expect(manager.get(["interface", "ppp0", "mobile", "last_error"])).toMatch(/exited with 8/);
    await rm(join(control, "hangup"));
    await rm(join(control, "busy"));
    await waitUntil("ppp0 back on the Internet", () => connection() === "internet", 20_000, 20);
    expect((await ppp0Defaults())[0]).toMatchObject({ gateway: "192.0.2.1" });
    expect(existsSync(join(control, "hangup"))).toBe(false);
  });
});
