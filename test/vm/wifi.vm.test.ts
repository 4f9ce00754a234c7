import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLabPki, type LabPki } from "../../lab/pki.js";
import type {
  AccessPointOptions,
  AccessPointSecurity,
  AccessPoint as LabAccessPoint,
} from "../../lab/vm/access-point.js";
import { requireVmLab } from "../../lab/vm/in-vm.js";
import { EMULATED_WIFI_TIMINGS, RadioLab } from "../../lab/vm/radio-lab.js";
import type { Radio } from "../../lab/vm/radios.js";
import { startUdhcpd, type Udhcpd } from "../../src/dhcp-server/udhcpd.js";
import { createCommandRunner } from "../../src/linux/command-runner.js";
import { silentLogger } from "../../src/log.js";
import type { NetworkManager } from "../../src/network-manager.js";
import type { WifiNetworkInput } from "../../src/technologies/wifi/schema.js";
import type { AccessPoint } from "../../src/technologies/wifi/wpa-events.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { waitUntil } from "../support/wait.js";

// Runs inside the VM lab (test/vm/vm-lab.test.ts boots it); anywhere else it fails here.
requireVmLab();

/**
 * statenet's WiFi against real (simulated) radios: statenet in one
 * namespace with a client radio, hostapd access points in others, every
 * frame over mac80211_hwsim's air. Emulation is 15–20× slower than a
 * device, so waits are long; none is a sleep.
 */

const SSID = "statenet-wpa2";
const PASSPHRASE = "correct horse battery";
const CHANNEL = 6;
const FREQUENCY = 2437;
const PREFERRED_SSID = "statenet-preferred";
const HIDDEN_SSID = "statenet-hidden";
const EAP_SSID = "statenet-eap";
const EAP_PASSWORD = "alice's password";
/** Under TCG a step that takes a second on a device can take twenty. */
const SLOW = 90_000;

interface Upstream {
  ns: string;
  radio: Radio;
  /** The access point's own address, its DHCP server's router. */
  address: string;
  ap?: LabAccessPoint;
  dhcp?: Udhcpd;
}

describe("WiFi client on mac80211_hwsim radios", () => {
  let lab: RadioLab;
  let device: { deviceNs: string };
  let station: Radio;
  let managed: LabManager;
  let manager: NetworkManager;
  const upstreams: Upstream[] = [];
  /** The WPA-EAP access point's certificates, made by its test. */
  let pkiDir: string | undefined;
  let eapServer: LabPki | undefined;

  const property = (name: string) => manager.get(["interface", station.ifname, "wifi", name]);
  const wifiState = () => property("state");
  const waitForState = (state: string, timeoutMs = SLOW) =>
    waitUntil(`wifi state ${state}`, () => wifiState() === state, timeoutMs, 50);
  const connection = () => manager.get(["interface", station.ifname, "connection"]);
  /** The access point joined, once its details (from BSS) are in. */
  const currentAp = (ssid: string) =>
    waitUntil(
      `current_ap of ${ssid} with its details`,
      () => {
        const value = property("current_ap") as { ssid?: string; frequency?: number } | undefined;
        return value?.ssid === ssid && value.frequency !== undefined && value;
      },
      SLOW,
      50,
    );

  /** hostapd (serving SSID unless told otherwise) and a DHCP server on one upstream's radio. */
  async function startUpstream(
    upstream: Upstream,
    security: AccessPointSecurity,
    options: Partial<Pick<AccessPointOptions, "ssid" | "hidden">> = {},
  ): Promise<void> {
    const run = (args: string[]) => lab.exec(upstream.ns, "ip", args);
    await run(["addr", "replace", `${upstream.address}/24`, "dev", upstream.radio.ifname]);
    upstream.ap = await lab.startAccessPoint({
      ifname: upstream.radio.ifname,
      ns: upstream.ns,
      ssid: SSID,
      channel: CHANNEL,
      security,
      ...options,
    });
    // Each access point hands out its own part of the subnet.
    const first = 100 + 50 * upstreams.indexOf(upstream);
    upstream.dhcp = startUdhcpd({
      ifname: upstream.radio.ifname,
      address: upstream.address,
      prefixLength: 24,
      dhcpd: {
        start: `192.0.2.${first}`,
        end: `192.0.2.${first + 49}`,
        options: { router: [upstream.address] },
      },
      runner: createCommandRunner({ netns: upstream.ns }),
      configDir: `/run/statenet-vm-dhcp-${upstream.ns}`,
      logger: silentLogger(),
      onLeases: () => {},
    });
  }

  async function stopUpstream(upstream: Upstream): Promise<void> {
    await upstream.dhcp?.stop();
    await upstream.ap?.stop();
    upstream.dhcp = undefined;
    upstream.ap = undefined;
  }

  /** A DHCP client on these networks, scanning our channel only. */
  const client = (...networks: WifiNetworkInput[]) => ({
    type: "wifi" as const,
    wifi: {
      networks: networks.map((network) => ({ frequencies: [FREQUENCY], ...network })),
      timings: EMULATED_WIFI_TIMINGS,
    },
    ipv4: { method: "dhcp" as const },
  });
  const wpa2 = (psk = PASSPHRASE) => client({ ssid: SSID, keyMgmt: "wpa_psk", psk });
  const wpa2Upstream = { type: "wpa2-psk", passphrase: PASSPHRASE } as const;
  const currentBssid = () => (property("current_ap") as { bssid?: string } | undefined)?.bssid;
  /** Scans until `found` holds for the access points listed; resolves with them. */
  const scanUntil = (what: string, found: (aps: AccessPoint[]) => boolean) =>
    waitUntil(
      what,
      async () => {
        const aps = (await manager.scan(station.ifname)) as AccessPoint[];
        return found(aps) && aps;
      },
      SLOW,
      0,
    );

  beforeAll(async () => {
    lab = await RadioLab.create({ radios: 3 });
    const deviceNs = await lab.namespace("device");
    station = lab.radio(0);
    await lab.moveRadio(station, deviceNs);
    device = { deviceNs };
    for (const [index, address] of [
      [1, "192.0.2.1"],
      [2, "192.0.2.2"],
    ] as const) {
      const ns = await lab.namespace(`ap${index}`);
      const radio = lab.radio(index);
      await lab.moveRadio(radio, ns);
      upstreams.push({ ns, radio, address });
    }
    managed = await startLabManager(device, { interfaces: {} });
    manager = managed.manager;
  }, SLOW);

  afterAll(async () => {
    await managed?.stop();
    for (const upstream of upstreams) await stopUpstream(upstream);
    await lab?.teardown();
    if (pkiDir) await rm(pkiDir, { recursive: true, force: true });
  }, SLOW);

  it(
    "associates with a WPA2-PSK access point, leases an address over the air and is lan",
    async () => {
      const [first] = upstreams as [Upstream];
      await startUpstream(first, { type: "wpa2-psk", passphrase: PASSPHRASE });
      await manager.configure(station.ifname, wpa2());
      await waitForState("connected");
      expect(await currentAp(SSID)).toMatchObject({ frequency: FREQUENCY, channel: CHANNEL });
      await waitUntil("the signal", () => property("signal"), SLOW, 50);
      expect(property("signal")).toMatchObject({ dbm: expect.any(Number) });
      await waitUntil(
        "a lease from the access point's DHCP server",
        () => {
          const addresses = manager.get(["interface", station.ifname, "addresses"]);
          return /"192\.0\.2\.1[0-4]\d"/.test(JSON.stringify(addresses));
        },
        SLOW,
        50,
      );
      await waitUntil("the link to be lan", () => connection() === "lan", SLOW, 50);
    },
    SLOW * 2,
  );

  it(
    "scans on request and lists the access point with its channel, band and signal",
    async () => {
      const found = (await manager.scan(station.ifname)) as AccessPoint[];
      const ap = found.find((candidate) => candidate.ssid === SSID);
      expect(ap).toMatchObject({
        frequency: FREQUENCY,
        channel: CHANNEL,
        band: "2.4 GHz",
        flags: expect.arrayContaining(["ESS"]),
      });
      expect(ap?.signalPercent).toBeGreaterThan(0);
      expect(property("access_points")).toEqual(found);
    },
    SLOW,
  );

  it(
    "roams to a second access point of the same SSID and stays connected",
    async () => {
      const [first, second] = upstreams as [Upstream, Upstream];
      await startUpstream(second, { type: "wpa2-psk", passphrase: PASSPHRASE });
      const from = (property("current_ap") as { bssid: string }).bssid;
      const to = from === first.radio.mac ? second.radio.mac : first.radio.mac;
      // wpa_supplicant roams only to an access point it has seen in a scan.
      await waitUntil(
        "both access points in a scan",
        async () => {
          const found = (await manager.scan(station.ifname)) as AccessPoint[];
          return found.filter((ap) => ap.ssid === SSID).length === 2;
        },
        SLOW,
        0,
      );
      // What a driver does on a better signal (hwsim's are all equal): roam, without a disconnection.
      const roam = await lab.exec(device.deviceNs, "wpa_cli", [
        "-p",
        `${managedRunDir()}/wpa_supplicant/wpa_ctrl`,
        "-i",
        station.ifname,
        "roam",
        to,
      ]);
      expect(roam.stdout.trim()).toBe("OK");
      await waitUntil(
        "the roam",
        () => (property("current_ap") as { bssid?: string } | undefined)?.bssid === to,
        SLOW,
        50,
      );
      expect(wifiState()).toBe("connected");
      expect(property("event")).toMatchObject({ kind: "roamed", bssid: to });
    },
    SLOW * 2,
  );

  it(
    "joins only the access point its bssid pins when two serve the SSID",
    async () => {
      const [first, second] = upstreams as [Upstream, Upstream];
      // The one it is not on: staying put cannot pass for pinning.
      const pinned = currentBssid() === second.radio.mac ? first.radio.mac : second.radio.mac;
      await manager.configure(
        station.ifname,
        client({ ssid: SSID, keyMgmt: "wpa_psk", psk: PASSPHRASE, bssid: pinned }),
      );
      await waitUntil("the pinned access point joined", () => currentBssid() === pinned, SLOW, 50);
      await waitForState("connected");
    },
    SLOW * 2,
  );

  it(
    "joins the higher-priority network of two in range, though it is listed last",
    async () => {
      const [, second] = upstreams as [Upstream, Upstream];
      await stopUpstream(second);
      await startUpstream(second, wpa2Upstream, { ssid: PREFERRED_SSID });
      // Both must be known before the choice, or the first one seen is joined.
      await scanUntil("both SSIDs in a scan", (found) =>
        [SSID, PREFERRED_SSID].every((ssid) => found.some((ap) => ap.ssid === ssid)),
      );
      await manager.configure(
        station.ifname,
        client(
          { ssid: SSID, keyMgmt: "wpa_psk", psk: PASSPHRASE, priority: 1 },
          { ssid: PREFERRED_SSID, keyMgmt: "wpa_psk", psk: PASSPHRASE, priority: 5 },
        ),
      );
      expect(await currentAp(PREFERRED_SSID)).toMatchObject({ bssid: second.radio.mac });
      await waitForState("connected");
    },
    SLOW * 2,
  );

  it(
    "loses the access point (disconnected, the route goes) and gets it back",
    async () => {
      for (const upstream of upstreams) await stopUpstream(upstream);
      await waitForState("disconnected");
      await waitUntil("the link to be disconnected", () => connection() === "disconnected", SLOW);
      expect(property("current_ap")).toBeUndefined();
      await startUpstream(upstreams[0] as Upstream, { type: "wpa2-psk", passphrase: PASSPHRASE });
      await waitForState("connected");
      await waitUntil("the link to be lan again", () => connection() === "lan", SLOW, 50);
    },
    SLOW * 3,
  );

  it(
    "a wrong passphrase is auth_failed, with the reason and the SSID",
    async () => {
      await manager.configure(station.ifname, wpa2("not the passphrase"));
      await waitForState("auth_failed");
      expect(property("event")).toMatchObject({ kind: "auth_failed", ssid: SSID });
      expect(String((property("event") as { reason: string }).reason)).toMatch(/passphrase|key/i);
      expect(connection()).toBe("disconnected");
    },
    SLOW * 2,
  );

  it(
    "joins a WPA3 (SAE) access point",
    async () => {
      const [first] = upstreams as [Upstream];
      await stopUpstream(first);
      await startUpstream(first, { type: "sae", password: PASSPHRASE }, { ssid: "statenet-sae" });
      await manager.configure(station.ifname, {
        type: "wifi",
        wifi: {
          networks: [
            { ssid: "statenet-sae", keyMgmt: "sae", psk: PASSPHRASE, frequencies: [FREQUENCY] },
          ],
          timings: EMULATED_WIFI_TIMINGS,
        },
        ipv4: { method: "dhcp" },
      });
      await waitForState("connected");
      expect(await currentAp("statenet-sae")).toMatchObject({
        flags: expect.arrayContaining([expect.stringMatching(/SAE/)]),
      });
    },
    SLOW * 2,
  );

  it(
    "joins an open access point",
    async () => {
      const [first] = upstreams as [Upstream];
      await stopUpstream(first);
      await startUpstream(first, { type: "open" }, { ssid: "statenet-open" });
      await manager.configure(station.ifname, {
        type: "wifi",
        wifi: {
          networks: [{ ssid: "statenet-open", keyMgmt: "none", frequencies: [FREQUENCY] }],
          timings: EMULATED_WIFI_TIMINGS,
        },
        ipv4: { method: "dhcp" },
      });
      await waitForState("connected");
      await waitUntil("the link to be lan", () => connection() === "lan", SLOW, 50);
    },
    SLOW * 2,
  );

  /** The running wpa_supplicant's pid, from statenet's record of it. */
  async function supplicantPid(): Promise<number> {
    const record = await lab.exec(device.deviceNs, "cat", [
      `${managedRunDir()}/pids/wpa_supplicant-${station.ifname}.pid.json`,
    ]);
    return Number(record.stdout.match(/"pid":\s*(\d+)/)?.[1]);
  }

  it(
    "restarts a wpa_supplicant that died, and associates again",
    async () => {
      const pid = await supplicantPid();
      process.kill(pid, "SIGKILL");
      await waitForState("restarting");
      await waitForState("connected");
      expect(property("event")).toMatchObject({ kind: "restarted" });
      expect(await supplicantPid()).not.toBe(pid);
    },
    SLOW * 2,
  );

  it(
    "restarts a wpa_supplicant that stops answering PING, and associates again",
    async () => {
      const pid = await supplicantPid();
      // Hung, not dead: the process stays, its socket stays, nothing answers.
      process.kill(pid, "SIGSTOP");
      await waitForState("restarting");
      expect(String((property("event") as { reason: string }).reason)).toMatch(/PING/);
      await waitForState("connected");
      expect(await supplicantPid()).not.toBe(pid);
      expect(() => process.kill(pid, 0)).toThrow();
    },
    SLOW * 2,
  );

  it(
    "joins a hidden SSID by probing for it (scanSsid)",
    async () => {
      const [first] = upstreams as [Upstream];
      await stopUpstream(first);
      await startUpstream(first, wpa2Upstream, { ssid: HIDDEN_SSID, hidden: true });
      // Hidden for real: a scan without its name finds the access point, but no SSID.
      const found = await scanUntil("the hidden access point, nameless, in a scan", (aps) =>
        aps.some((ap) => ap.bssid === first.radio.mac && ap.ssid === ""),
      );
      expect(found.map((ap) => ap.ssid)).not.toContain(HIDDEN_SSID);
      await manager.configure(
        station.ifname,
        client({ ssid: HIDDEN_SSID, keyMgmt: "wpa_psk", psk: PASSPHRASE, scanSsid: true }),
      );
      await waitForState("connected");
      expect(await currentAp(HIDDEN_SSID)).toMatchObject({ bssid: first.radio.mac });
      await waitUntil("the link to be lan", () => connection() === "lan", SLOW, 50);
    },
    SLOW * 2,
  );

  /** A PEAP (MSCHAPv2 inside) client that checks the server's certificate. */
  const peap = (password: string) => {
    if (!eapServer) throw new Error("no EAP server yet: the WPA-EAP test starts it");
    return client({
      ssid: EAP_SSID,
      keyMgmt: "wpa_eap",
      eap: "peap",
      identity: "alice",
      password,
      caCert: eapServer.caCert,
      serverDomain: eapServer.serverName,
    });
  };

  it(
    "joins a WPA2-Enterprise (PEAP) access point, its server certificate checked, and is lan",
    async () => {
      const [first] = upstreams as [Upstream];
      pkiDir = await mkdtemp(join(tmpdir(), "statenet-wifi-pki-"));
      eapServer = await createLabPki(pkiDir);
      await stopUpstream(first);
      await startUpstream(
        first,
        {
          type: "wpa-eap",
          users: [{ identity: "alice", method: "peap", password: EAP_PASSWORD }],
          pki: eapServer,
        },
        { ssid: EAP_SSID },
      );
      await manager.configure(station.ifname, peap(EAP_PASSWORD));
      await waitForState("connected");
      expect(await currentAp(EAP_SSID)).toMatchObject({
        flags: expect.arrayContaining([expect.stringMatching(/EAP/)]),
      });
      await waitUntil("the link to be lan", () => connection() === "lan", SLOW, 50);
    },
    SLOW * 3,
  );

  it(
    "a wrong EAP password is auth_failed, with the reason and the SSID",
    async () => {
      await manager.configure(station.ifname, peap("not alice's password"));
      await waitForState("auth_failed");
      expect(property("event")).toMatchObject({ kind: "auth_failed", ssid: EAP_SSID });
      expect(String((property("event") as { reason: string }).reason)).toMatch(
        /EAP|authentication/,
      );
      expect(connection()).toBe("disconnected");
    },
    SLOW * 2,
  );

  /** The manager's tmpDir: wpa_supplicant's sockets and the pid records are there. */
  function managedRunDir(): string {
    return managed.runDir;
  }
});
