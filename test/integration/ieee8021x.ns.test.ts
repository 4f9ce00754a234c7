import { stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import {
  closePort,
  type LabAuthenticator,
  type LabEapUser,
  type PortGate,
  startAuthenticator,
} from "../../lab/authenticator.js";
import { Lab } from "../../lab/namespace-lab.js";
import { createLabPki, type LabPki } from "../../lab/pki.js";
import type { Ieee8021xConfig, InterfaceConfig } from "../../src/config/schema.js";
import { captureLogs } from "../support/capture-logs.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

/** Quotes, a space, a brace and a backslash: the config file must carry them as they are. */
const PASSWORD = 'pa"ss }w\\rd-8021x';

describeAsRoot("wired 802.1X: wpa_supplicant against a hostapd switch port", () => {
  let lab: Lab;
  let pki: LabPki;
  let authenticator: LabAuthenticator | undefined;
  let running: LabManager | undefined;

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0"] });
    await lab.startDhcpServer("eth0");
    pki = await createLabPki(await lab.tempDir("pki"));
  });

  afterEach(async () => {
    await running?.stop();
    running = undefined;
    await authenticator?.stop();
    authenticator = undefined;
  });

  afterAll(async () => {
    await lab?.teardown();
  });

  const eapState = () => running?.manager.properties.get(["interface", "eth0", "eap", "state"]);
  const dhcpWith = (ieee8021x: Ieee8021xConfig): InterfaceConfig => ({
    type: "ethernet",
    ipv4: { method: "dhcp" },
    ieee8021x,
  });
  const authenticate = async (users: LabEapUser[], gate?: PortGate) => {
    authenticator = await startAuthenticator(lab, "eth0", { users, pki, ...(gate && { gate }) });
    return authenticator;
  };

  it("EAP-MD5: the closed port opens, and DHCP asks again at once instead of waiting out its retry", async () => {
    const { lines, logger } = captureLogs();
    // No switch answers yet, and the closed port drops DHCP: udhcpc gives up its first round.
    const gate = await closePort(lab, "eth0");
    running = await startLabManager(
      lab,
      { interfaces: { eth0: dhcpWith({ eap: "md5", identity: "user1", password: PASSWORD }) } },
      { logger },
    );
    const conf = join(running.manager.config.tmpDir, "wpa_supplicant", "eth0.conf");
    await waitUntil(
      "udhcpc's first round to fail",
      () => lines.some((line) => (line.event as { kind?: string })?.kind === "leasefail"),
      10_000,
    );
    expect((await stat(conf)).mode & 0o777).toBe(0o600);
    expect((await stat(join(conf, ".."))).mode & 0o777).toBe(0o700);

    // The switch comes up late and starts the exchange itself, as one does for a new link.
    const port = await authenticate(
      [{ identity: "user1", method: "md5", password: PASSWORD }],
      gate,
    );
    const mac = await lab.exec(lab.deviceNs, "cat", ["/sys/class/net/eth0/address"]);
    await port.startSession(mac.stdout.trim());
    await port.waitForAuthorized(5_000);
    const authorizedAt = performance.now();
    await waitUntil("eap state authorized", () => eapState() === "authorized");
    expect(await port.stations()).toMatch(/flags=\[AUTHORIZED\][\s\S]*UserName=user1/);
    // udhcpc waits 3 s after a failed round; the renew after authorization skips that.
    await waitUntil(
      "a lease",
      () => lines.some((line) => (line.event as { kind?: string })?.kind === "bound"),
      5_000,
    );
    expect(performance.now() - authorizedAt).toBeLessThan(1_500);
    expect(running.manager.info().interfaces.eth0?.eap).toBe("authorized");

    const logged = JSON.stringify(lines);
    expect(logged).not.toContain("ss }w");
    await running.stop();
    running = undefined;
    await expect(stat(conf)).rejects.toThrow(/ENOENT/);
  }, 30_000);

  it("a cable pulled and put back: the port is authenticated again at once", async () => {
    const port = await authenticate([{ identity: "user1", method: "md5", password: PASSWORD }]);
    running = await startLabManager(lab, {
      interfaces: { eth0: dhcpWith({ eap: "md5", identity: "user1", password: PASSWORD }) },
    });
    await port.waitForAuthorized(10_000);
    await waitUntil("eap state authorized", () => eapState() === "authorized");
    await waitUntil("a lease", () =>
      (
        running?.manager.properties.get(["interface", "eth0", "addresses"]) as
          | Array<{ family: string }>
          | undefined
      )?.some((address) => address.family === "inet"),
    );
    await lab.unplug("eth0");
    await port.linkLost();
    await waitUntil("the port no longer authorized", () => eapState() === "starting", 5_000);
    // Carrier changes of a veth reach the other namespace about once a second.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await lab.plug("eth0");
    const plugged = performance.now();
    // The switch does not start the exchange: without the supplicant's new start, never.
    await port.waitForAuthorized(10_000);
    await waitUntil("eap state authorized", () => eapState() === "authorized");
    console.log(`cable back → port authorized: ${Math.round(performance.now() - plugged)} ms`);
    // Traffic passes again: the router reaches the device's leased address.
    const leased = (
      running.manager.properties.get(["interface", "eth0", "addresses"]) as Array<{
        family: string;
        address: string;
      }>
    ).find((address) => address.family === "inet")?.address;
    expect(leased).toBeDefined();
    await lab.exec(lab.uplink("eth0").routerNs, "busybox", [
      "ping",
      "-c",
      "1",
      "-W",
      "1",
      leased as string,
    ]);
  }, 30_000);

  it("a wrong password is reported as failed and the port stays closed", async () => {
    const port = await authenticate([{ identity: "user1", method: "md5", password: "right" }]);
    running = await startLabManager(lab, {
      interfaces: { eth0: dhcpWith({ eap: "md5", identity: "user1", password: "wrong" }) },
    });
    await waitUntil("eap state failed", () => eapState() === "failed", 10_000);
    expect(port.failures).toBeGreaterThan(0);
    expect(port.authorized.size).toBe(0);
    const addresses = running.manager.properties.get(["interface", "eth0", "addresses"]);
    expect(addresses).not.toContainEqual(expect.objectContaining({ family: "inet" }));
  }, 20_000);

  it("PEAP: the server's certificate is checked against the CA and its domain", async () => {
    const users: LabEapUser[] = [{ identity: "alice", method: "peap", password: PASSWORD }];
    let port = await authenticate(users);
    const peap = (serverDomain: string): Ieee8021xConfig => ({
      eap: "peap",
      identity: "alice",
      anonymousIdentity: "anonymous",
      password: PASSWORD,
      caCert: pki.caCert,
      serverDomain,
    });
    const { lines, logger } = captureLogs();
    running = await startLabManager(
      lab,
      { interfaces: { eth0: dhcpWith(peap("other.test")) } },
      { logger },
    );
    await waitUntil("a refused server certificate", () => eapState() === "failed", 10_000);
    const failure = lines.find((line) => line.msg === "802.1X authentication failed");
    expect(failure?.detail).toMatch(/^EAP-TLS-CERT-ERROR .*Domain suffix mismatch/);
    expect(port.authorized.size).toBe(0);

    // A switch holds a port that failed for a minute: start one afresh.
    await port.stop();
    port = await authenticate(users);
    await running.manager.configure("eth0", dhcpWith(peap("lab.test")), { persist: false });
    await waitUntil("authorized", () => eapState() === "authorized", 10_000);
    await port.waitForAuthorized(1_000);
    // The tunnel opened for the anonymous identity; the password checked inside is alice's.
    expect(await port.stations()).toMatch(/UserName=alice/);

    // A CA file that is not there is refused at once; the working port stays as it is.
    const missingCa = { ...peap("lab.test"), caCert: "/nonexistent/ca.pem" };
    expect(() => running?.manager.configure("eth0", dhcpWith(missingCa))).toThrow(
      "interfaces.eth0.ieee8021x.caCert: /nonexistent/ca.pem does not exist",
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(eapState()).toBe("authorized");
    expect(running.manager.getConfiguration("eth0")).toEqual(dhcpWith(peap("lab.test")));
  }, 30_000);

  it("TTLS: a password checked with PAP inside the tunnel", async () => {
    const port = await authenticate([{ identity: "bob", method: "ttls", password: PASSWORD }]);
    running = await startLabManager(lab, {
      interfaces: {
        eth0: dhcpWith({
          eap: "ttls",
          identity: "bob",
          password: PASSWORD,
          phase2: "pap",
          caCert: pki.caCert,
          serverDomain: pki.serverName,
        }),
      },
    });
    await waitUntil("authorized", () => eapState() === "authorized", 10_000);
    await port.waitForAuthorized(1_000);
    expect(await port.stations()).toMatch(/UserName=bob/);
  }, 20_000);

  it("EAP-TLS: a client certificate with an encrypted key", async () => {
    const port = await authenticate([{ identity: "lab client", method: "tls" }]);
    running = await startLabManager(lab, {
      interfaces: {
        eth0: dhcpWith({
          eap: "tls",
          identity: "lab client",
          clientCert: pki.clientCert,
          privateKey: pki.clientKey,
          privateKeyPassword: pki.clientKeyPassword,
          caCert: pki.caCert,
          serverDomain: pki.serverName,
        }),
      },
    });
    await waitUntil("authorized", () => eapState() === "authorized", 10_000);
    await port.waitForAuthorized(1_000);
  }, 20_000);
});
