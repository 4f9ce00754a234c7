import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireVmLab } from "../../lab/vm/in-vm.js";
import { EMULATED_WIFI_TIMINGS, RadioLab } from "../../lab/vm/radio-lab.js";
import type { Radio } from "../../lab/vm/radios.js";
import { type Station, type StationSecurity, startStation } from "../../lab/vm/station.js";
import { leaseOnce } from "../../lab/vm/station-lease.js";
import type { NetworkManager } from "../../src/network-manager.js";
import type { WifiNetworkInput } from "../../src/technologies/wifi/schema.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { waitUntil } from "../support/wait.js";

// Runs inside the VM lab (test/vm/vm-lab.test.ts boots it); anywhere else it fails here.
requireVmLab();

/**
 * statenet as an access point (wpa_supplicant mode=2) with its DHCP server,
 * WPA2, WPA3 and open: a station on another radio, run by a plain
 * wpa_supplicant and udhcpc, joins it over the air, gets a lease and reaches it.
 */

const SSID = "statenet-ap";
const PASSPHRASE = "correct horse battery";
const AP_ADDRESS = "192.0.2.1";
const SLOW = 90_000;

describe("WiFi access point on mac80211_hwsim radios", () => {
  let lab: RadioLab;
  let dir: string;
  let accessPoint: Radio;
  let station: Radio;
  let stationNs: string;
  let managed: LabManager;
  let manager: NetworkManager;
  const stations: Station[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "statenet-ap-"));
    lab = await RadioLab.create({ radios: 2 });
    const deviceNs = await lab.namespace("device");
    stationNs = await lab.namespace("station");
    accessPoint = lab.radio(0);
    station = lab.radio(1);
    await lab.moveRadio(accessPoint, deviceNs);
    await lab.moveRadio(station, stationNs);
    managed = await startLabManager({ deviceNs }, { interfaces: {} });
    manager = managed.manager;
  }, SLOW);

  afterAll(async () => {
    for (const running of stations) await running.stop();
    await managed?.stop();
    await lab?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, SLOW);

  const property = (name: string) => manager.get(["interface", accessPoint.ifname, "wifi", name]);

  /**
   * statenet serves `network` with its DHCP server; a plain station joins
   * with `security` (which only an access point of that kind accepts), is
   * listed among the clients, leases an address and pings the access point.
   */
  async function serveAndJoin(
    network: WifiNetworkInput & { mode: "ap" },
    security: StationSecurity,
  ): Promise<void> {
    await stations.splice(0).reduce((done, old) => done.then(() => old.stop()), Promise.resolve());
    await lab.exec(stationNs, "ip", ["addr", "flush", "dev", station.ifname]);
    await manager.configure(accessPoint.ifname, {
      type: "wifi",
      wifi: { networks: [network], timings: EMULATED_WIFI_TIMINGS },
      ipv4: { method: "static", address: AP_ADDRESS, prefixLength: 24 },
      dhcpd: { start: "192.0.2.100", end: "192.0.2.150" },
    });
    await waitUntil("the access point enabled", () => property("state") === "ap_enabled", SLOW, 50);
    // An access point is LAN-only: it never carries a default route.
    await waitUntil(
      "the access point's link to be lan",
      () => manager.get(["interface", accessPoint.ifname, "connection"]) === "lan",
      SLOW,
      50,
    );

    // The station left the last access point: its listing below is this one's.
    await waitUntil(
      "no station among the clients yet",
      () => !(property("clients") as string[] | undefined)?.includes(station.mac),
      SLOW,
      50,
    );
    const ns = stationNs;
    stations.push(
      await startStation({ ns, ifname: station.ifname, ssid: network.ssid, security, dir }),
    );
    await waitUntil(
      "the station among the clients",
      () => (property("clients") as string[] | undefined)?.includes(station.mac),
      SLOW,
      50,
    );

    await leaseOnce(lab, stationNs, station.ifname, dir);
    const leases = await waitUntil(
      "the lease among dhcpd/leases",
      () => {
        const value = manager.get(["interface", accessPoint.ifname, "dhcpd", "leases"]) as
          | Array<{ mac: string; address: string }>
          | undefined;
        return value?.some((lease) => lease.mac === station.mac) && value;
      },
      SLOW,
      50,
    );
    const address = leases.find((lease) => lease.mac === station.mac)?.address;
    expect(address).toMatch(/^192\.0\.2\.(1[0-4]\d|150)$/);
    const ping = await lab.exec(stationNs, "busybox", ["ping", "-c", "3", "-W", "10", AP_ADDRESS]);
    expect(ping.stdout).toMatch(/3 packets transmitted, 3 packets received/);
  }

  it(
    "serves a WPA2 access point; a station joins, gets a lease and is listed as a client",
    () =>
      serveAndJoin(
        { mode: "ap", ssid: SSID, keyMgmt: "wpa_psk", psk: PASSPHRASE },
        { type: "wpa2-psk", passphrase: PASSPHRASE },
      ),
    SLOW * 3,
  );

  it(
    "serves a WPA3 (SAE) access point that an SAE-only station with required PMF joins",
    () =>
      serveAndJoin(
        { mode: "ap", ssid: "statenet-ap-sae", keyMgmt: "sae", psk: PASSPHRASE },
        { type: "sae", password: PASSPHRASE },
      ),
    SLOW * 3,
  );

  it(
    "serves an open access point that a station without keys joins",
    () => serveAndJoin({ mode: "ap", ssid: "statenet-ap-open", keyMgmt: "none" }, { type: "open" }),
    SLOW * 3,
  );
});
