import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireVmLab } from "../../lab/vm/in-vm.js";
import { EMULATED_WIFI_TIMINGS, RadioLab } from "../../lab/vm/radio-lab.js";
import type { Radio } from "../../lab/vm/radios.js";
import { leaseOnce } from "../../lab/vm/station-lease.js";
import { processExit, terminate } from "../../src/linux/terminate.js";
import type { NetworkManager } from "../../src/network-manager.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { waitUntil } from "../support/wait.js";

// Runs inside the VM lab (test/vm/vm-lab.test.ts boots it); anywhere else it fails here.
requireVmLab();

/**
 * statenet as an access point (wpa_supplicant mode=2) with its DHCP server:
 * a station on another radio, run by a plain wpa_supplicant and udhcpc,
 * joins it over the air, gets a lease and reaches it.
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
  const children: ResultPromise[] = [];

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
    for (const child of children) {
      if (child.pid !== undefined) await terminate(child.pid, processExit(child));
    }
    await managed?.stop();
    await lab?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, SLOW);

  it(
    "serves a WPA2 access point; a station joins, gets a lease and is listed as a client",
    async () => {
      await manager.configure(accessPoint.ifname, {
        type: "wifi",
        wifi: {
          networks: [{ mode: "ap", ssid: SSID, keyMgmt: "wpa_psk", psk: PASSPHRASE }],
          timings: EMULATED_WIFI_TIMINGS,
        },
        ipv4: { method: "static", address: AP_ADDRESS, prefixLength: 24 },
        dhcpd: { start: "192.0.2.100", end: "192.0.2.150" },
      });
      const property = (name: string) =>
        manager.get(["interface", accessPoint.ifname, "wifi", name]);
      await waitUntil(
        "the access point enabled",
        () => property("state") === "ap_enabled",
        SLOW,
        50,
      );
      // An access point is LAN-only: it never carries a default route.
      await waitUntil(
        "the access point's link to be lan",
        () => manager.get(["interface", accessPoint.ifname, "connection"]) === "lan",
        SLOW,
        50,
      );

      const conf = join(dir, "station.conf");
      await writeFile(
        conf,
        `ctrl_interface=DIR=${join(dir, "ctrl")}\nnetwork={\n  ssid="${SSID}"\n  key_mgmt=WPA-PSK\n  psk="${PASSPHRASE}"\n}\n`,
        { mode: 0o600 },
      );
      children.push(
        execa(
          "ip",
          [
            "netns",
            "exec",
            stationNs,
            "wpa_supplicant",
            "-D",
            "nl80211",
            "-i",
            station.ifname,
            "-c",
            conf,
          ],
          { stdin: "ignore", stdout: "ignore", stderr: "ignore", reject: false },
        ),
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
      const ping = await lab.exec(stationNs, "busybox", [
        "ping",
        "-c",
        "3",
        "-W",
        "10",
        AP_ADDRESS,
      ]);
      expect(ping.stdout).toMatch(/3 packets transmitted, 3 packets received/);
    },
    SLOW * 3,
  );
});
