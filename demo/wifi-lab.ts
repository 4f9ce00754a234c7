import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { execa } from "execa";
import type { AccessPoint, AccessPointSecurity } from "../lab/vm/access-point.js";
import { insideVmLab } from "../lab/vm/in-vm.js";
import { RadioLab } from "../lab/vm/radio-lab.js";
import type { Radio } from "../lab/vm/radios.js";
import type { ConfigInput } from "../src/config/schema.js";
import { CONTROL_SOCKET_NAME } from "../src/control/protocol.js";
import { startUdhcpd, type Udhcpd } from "../src/dhcp-server/udhcpd.js";
import { createCommandRunner } from "../src/linux/command-runner.js";
import { silentLogger } from "../src/log.js";
import { DaemonLab, type DaemonLabOptions } from "./daemon-lab.js";

/** One interface's entry in the daemon's file, as written there. */
type InterfaceEntry = NonNullable<ConfigInput["interfaces"]>[string];

/**
 * The WiFi demo's and the WiFi bench's device, inside the VM lab: the
 * `statenet` daemon (a DaemonLab) on a device with one wired uplink (a veth
 * on 192.0.2.0/24, behind its router) and a mac80211_hwsim radio moved into
 * the device namespace; an access point (hostapd and udhcpd, 198.51.100.0/24)
 * on a second radio in an upstream namespace of its own, routed to the lab's
 * internet namespace. The internet host is thus reachable over the wire
 * through the wired router and over the air only through the access point's
 * namespace: no veth joins the device to it.
 */

export const WIFI_SSID = "statenet-demo";
export const WIFI_FREQUENCY = 2437;
const WIFI_CHANNEL = 6;
const WIFI_NETWORK = { prefix: "198.51.100", prefixLength: 24 };
const ACCESS_POINT_ADDRESS = `${WIFI_NETWORK.prefix}.1`;
export const WIFI_ACCESS_POINT_ADDRESS = `${ACCESS_POINT_ADDRESS}/${WIFI_NETWORK.prefixLength}`;
/** The access point's namespace and the lab's internet namespace, point to point. */
const TRANSIT = { ap: "198.19.250.1", internet: "198.19.250.2", prefixLength: 30 };

export interface WifiLabOptions {
  wired: DaemonLabOptions["uplinks"][number];
  internetHost: string;
  /** The radio's entry in the daemon's file; none leaves it to `configure` at run time. */
  wifi?: (ssid: string, passphrase: string) => InterfaceEntry;
  /** The access point's security when the daemon starts; none: no access point yet. */
  accessPoint?: Exclude<AccessPointSecurity["type"], "wpa-eap">;
  logLevel?: string;
}

/** A WPA2-PSK (or WPA3 SAE) client of the lab's access point, on DHCP, as a user configures it. */
export function wifiClientConfig(
  ssid: string,
  passphrase: string,
  keyMgmt: "wpa_psk" | "sae" = "wpa_psk",
): InterfaceEntry {
  return {
    type: "wifi",
    wifi: { networks: [{ ssid, keyMgmt, psk: passphrase, frequencies: [WIFI_FREQUENCY] }] },
    ipv4: { method: "dhcp" },
  };
}

/** The access point side: its radio in a namespace of its own, hostapd and udhcpd when it is on. */
class AccessPointSide {
  #running: { ap: AccessPoint; dhcp: Udhcpd } | undefined;

  constructor(
    readonly radios: RadioLab,
    readonly radio: Radio,
    readonly ns: string,
    readonly passphrase: string,
  ) {}

  get on(): boolean {
    return this.#running !== undefined;
  }

  /** hostapd on the radio and a DHCP server behind it; resolves once it beacons. */
  async start(type: Exclude<AccessPointSecurity["type"], "wpa-eap">, ssid: string): Promise<void> {
    if (this.#running) throw new Error("the access point is running already");
    const { ifname } = this.radio;
    await execa("ip", ["-n", this.ns, "addr", "replace", WIFI_ACCESS_POINT_ADDRESS, "dev", ifname]);
    const security: AccessPointSecurity =
      type === "open"
        ? { type }
        : type === "sae"
          ? { type, password: this.passphrase }
          : { type, passphrase: this.passphrase };
    // hostapd takes seconds to come up under TCG.
    const ap = await this.radios.startAccessPoint({
      ifname,
      ns: this.ns,
      ssid,
      channel: WIFI_CHANNEL,
      security,
      readyTimeoutMs: 90_000,
    });
    const dhcp = startUdhcpd({
      ifname,
      address: ACCESS_POINT_ADDRESS,
      prefixLength: WIFI_NETWORK.prefixLength,
      dhcpd: {
        start: `${WIFI_NETWORK.prefix}.100`,
        end: `${WIFI_NETWORK.prefix}.150`,
        options: { router: [ACCESS_POINT_ADDRESS] },
      },
      runner: createCommandRunner({ netns: this.ns }),
      configDir: `/run/statenet-wifi-lab-${this.ns}`,
      logger: silentLogger(),
      onLeases: () => {},
    });
    this.#running = { ap, dhcp };
  }

  /** hostapd (which deauthenticates its stations as it goes), then its DHCP server. */
  async stop(): Promise<void> {
    const running = this.#running;
    this.#running = undefined;
    await running?.ap.stop();
    await running?.dhcp.stop();
  }
}

export class WifiLab {
  private constructor(
    readonly daemon: DaemonLab,
    /** The device's radio, in the device namespace. */
    readonly station: Radio,
    readonly accessPoint: AccessPointSide,
  ) {}

  /** The radios and namespaces, the access point if asked for, then the daemon; on failure all of it goes again. */
  static async start(options: WifiLabOptions): Promise<WifiLab> {
    if (!insideVmLab()) throw new Error("the WiFi lab runs inside the VM lab only");
    const radios = await RadioLab.create({ radios: 2 });
    const station = radios.radio(0);
    // Made per run; it goes only into the daemon's file (0600), hostapd's and requests.
    const passphrase = randomBytes(12).toString("base64");
    let accessPoint: AccessPointSide | undefined;
    try {
      accessPoint = new AccessPointSide(
        radios,
        radios.radio(1),
        await radios.namespace("ap"),
        passphrase,
      );
      const side = accessPoint;
      await radios.moveRadio(side.radio, side.ns);
      const daemon = await DaemonLab.start({
        uplinks: [options.wired],
        internetHosts: [options.internetHost],
        logLevel: options.logLevel ?? "debug",
        interfaces: options.wifi ? { [station.ifname]: options.wifi(WIFI_SSID, passphrase) } : {},
        prepare: async (lab) => {
          await radios.moveRadio(station, lab.deviceNs);
          await routeToInternet(side.ns, lab.internetNs);
          if (options.accessPoint) await side.start(options.accessPoint, WIFI_SSID);
        },
      });
      return new WifiLab(daemon, station, side);
    } catch (error) {
      await accessPoint?.stop();
      await radios.teardown();
      throw error;
    }
  }

  get ifname(): string {
    return this.station.ifname;
  }

  get passphrase(): string {
    return this.accessPoint.passphrase;
  }

  /**
   * The daemon's control socket, where `statenet --config FILE` finds it
   * (src/cli/run.ts, not imported: it would load the whole manager into this
   * process, seconds under TCG).
   */
  get controlSocket(): string {
    return join(String(this.daemon.config.tmpDir), "control", CONTROL_SOCKET_NAME);
  }

  /** SIGTERM to the daemon (its exit code); then the namespace lab, the access point and the radios go. */
  async stop(): Promise<number | undefined> {
    try {
      return await this.daemon.stop();
    } finally {
      await this.accessPoint.stop();
      await this.accessPoint.radios.teardown();
    }
  }
}

/**
 * The access point's namespace as a router: a veth to the lab's internet
 * namespace, which routes the WiFi subnet back through it.
 */
async function routeToInternet(apNs: string, internetNs: string | undefined): Promise<void> {
  if (!internetNs) throw new Error("the WiFi lab needs an internet namespace (internetHosts)");
  const batch = (ns: string, lines: string[]) =>
    execa("ip", ["-n", ns, "-batch", "-"], { input: `${lines.join("\n")}\n` });
  await batch(apNs, [
    `link add up0 type veth peer name wifi0 netns ${internetNs}`,
    `addr add ${TRANSIT.ap}/${TRANSIT.prefixLength} dev up0`,
    "link set up0 up",
    `route add default via ${TRANSIT.internet} dev up0`,
  ]);
  await execa("ip", ["netns", "exec", apNs, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
  await batch(internetNs, [
    `addr add ${TRANSIT.internet}/${TRANSIT.prefixLength} dev wifi0`,
    "link set wifi0 up",
    `route add ${WIFI_NETWORK.prefix}.0/${WIFI_NETWORK.prefixLength} via ${TRANSIT.ap} dev wifi0`,
  ]);
}
