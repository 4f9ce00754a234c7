import { existsSync } from "node:fs";
import { execa } from "execa";
import { pollUntil } from "../poll.js";

/**
 * mac80211_hwsim radios, for code running inside the VM lab: every radio is a
 * wiphy with one interface, and all of them share one simulated medium, so a
 * station on one radio hears an access point on another. Moving a radio's
 * wiphy into a network namespace takes its interface along; traffic between
 * namespaces then really goes over the air.
 */

export interface Radio {
  /** The wiphy, e.g. `phy1`. */
  phy: string;
  /** Its interface, e.g. `wlan1`. */
  ifname: string;
  mac: string;
}

/** The radios `iw dev` lists, one per interface, ordered by wiphy index. */
export function parseIwDev(text: string): Radio[] {
  const radios: Array<Radio & { index: number }> = [];
  let index: number | undefined;
  let current: Partial<Radio> | undefined;
  const finish = () => {
    if (index !== undefined && current?.ifname && current.mac) {
      radios.push({ index, phy: `phy${index}`, ifname: current.ifname, mac: current.mac });
    }
    current = undefined;
  };
  for (const line of text.split("\n")) {
    const phy = /^phy#(\d+)$/.exec(line.trim());
    const iface = /^\s+Interface (\S+)$/.exec(line);
    const addr = /^\s+addr ([0-9a-f:]{17})$/.exec(line);
    if (phy) {
      finish();
      index = Number(phy[1]);
    } else if (iface) {
      finish();
      current = { ifname: iface[1] as string };
    } else if (addr && current && current.mac === undefined) {
      current.mac = addr[1] as string;
    }
  }
  finish();
  return radios
    .sort((a, b) => a.index - b.index)
    .map(({ phy, ifname, mac }) => ({ phy, ifname, mac }));
}

/** Runs a command, in a network namespace when one is named. */
function inNamespace(ns: string | undefined, file: string, args: readonly string[]) {
  const argv = ns === undefined ? [file, ...args] : ["ip", "netns", "exec", ns, file, ...args];
  return execa(argv[0] as string, argv.slice(1), { env: { LC_ALL: "C" } });
}

/** The radios whose interfaces are in this namespace (the VM's own when none is named). */
export async function listRadios(ns?: string): Promise<Radio[]> {
  const { stdout } = await inNamespace(ns, "iw", ["dev"]);
  return parseIwDev(stdout);
}

/**
 * Loads mac80211_hwsim with `count` fresh radios (unloading it first, which
 * removes any radios left over) and resolves once all are listed.
 */
export async function loadRadios(count: number): Promise<Radio[]> {
  if (!Number.isInteger(count) || count < 1 || count > 100) {
    throw new RangeError(`radios: must be an integer from 1 to 100, not ${count}`);
  }
  await unloadRadios();
  await execa("modprobe", ["mac80211_hwsim", `radios=${count}`]);
  return pollUntil(`${count} hwsim radios`, async () => {
    const radios = await listRadios();
    return radios.length === count && radios;
  });
}

/** Removes every hwsim radio; nothing to do when the module is not loaded. */
export async function unloadRadios(): Promise<void> {
  if (existsSync("/sys/module/mac80211_hwsim")) {
    await execa("modprobe", ["--remove", "mac80211_hwsim"]);
  }
}

/**
 * Moves a radio's wiphy, and with it its interface, into a network namespace.
 * Waits for the wiphy rather than the interface's name: a manager in that
 * namespace may rename the interface (ifnames) before the first look.
 */
export async function moveRadio(radio: Radio, ns: string): Promise<void> {
  await execa("iw", ["phy", radio.phy, "set", "netns", "name", ns]);
  await pollUntil(`${radio.phy} in namespace ${ns}`, async () =>
    (await listRadios(ns)).some((candidate) => candidate.phy === radio.phy),
  );
}
