import { join } from "node:path";
import { unreadableFiles } from "../config/named-files.js";
import type { Config } from "../config/schema.js";
import { HANDLER_WRAPPER_NAME } from "../dhcp/handler-script.js";
import { builtinPlanner } from "../technologies/builtin.js";
import type { TechnologyPlanner } from "../technologies/technology.js";
import { errorsOf, type Finding } from "./findings.js";
import {
  findOnPath,
  listProcesses,
  probeIp,
  probeResolvConf,
  probeRules,
  probeUdhcpc,
  probeWpaSupplicant,
} from "./probe.js";
import { processFindings } from "./process-findings.js";
import {
  appletFinding,
  daemonUsers,
  fileFindings,
  flockFinding,
  ipFinding,
  policyRoutingFinding,
  resolvConfFinding,
  wpaSupplicantFinding,
} from "./tool-findings.js";

/**
 * The checks that decide whether statenet can work here at all: iproute2's
 * ip, a flock program for the instance lock, policy routing, and the
 * daemons the configuration needs. Only
 * errors come out of these, and `run` refuses to start on any.
 */
export async function hardChecks(
  config: Config,
  planner: TechnologyPlanner = builtinPlanner,
): Promise<Finding[]> {
  const users = daemonUsers(config, planner);
  const usersOf = (kind: string) => users.get(kind) ?? [];
  const supplicant = { wired: usersOf("wpa_supplicant"), nl80211: usersOf("wifi") };
  const busybox = probeUdhcpc();
  const [ip, flock, udhcpc, udhcpd, wpaSupplicant] = await Promise.all([
    probeIp().then(ipFinding),
    Promise.all([findOnPath("flock"), busybox]).then(([path, probe]) => flockFinding(path, probe)),
    busybox.then((probe) => appletFinding("udhcpc", usersOf("udhcpc"), probe)),
    busybox.then((probe) => appletFinding("udhcpd", usersOf("udhcpd"), probe)),
    supplicant.wired.length + supplicant.nl80211.length > 0
      ? probeWpaSupplicant().then((help) => wpaSupplicantFinding(supplicant, help))
      : undefined,
  ]);
  // Asking a BusyBox ip about rules would only repeat its usage text.
  const policyRouting = ip.level === "ok" ? policyRoutingFinding(await probeRules()) : undefined;
  return [ip, flock, policyRouting, udhcpc, udhcpd, wpaSupplicant].filter(
    (finding) => finding !== undefined,
  );
}

/** The hard checks' failures: what `run` stops on. */
export async function hardFailures(
  config: Config,
  planner: TechnologyPlanner = builtinPlanner,
): Promise<Finding[]> {
  return errorsOf(await hardChecks(config, planner));
}

/** `statenet check`: the hard checks, then what makes statenet work badly or fight others. */
export async function preflight(
  config: Config,
  planner: TechnologyPlanner = builtinPlanner,
): Promise<Finding[]> {
  const managed = Object.keys(config.interfaces);
  const [hard, resolvConf, processes] = await Promise.all([
    hardChecks(config, planner),
    probeResolvConf(config.resolvConf),
    listProcesses(),
  ]);
  const files = Object.entries(config.interfaces).flatMap(([ifname, settings]) =>
    unreadableFiles(ifname, settings),
  );
  return [
    ...hard,
    ...fileFindings(files),
    resolvConfFinding(config.resolvConf, resolvConf),
    ...processFindings(
      { managed, ownHandler: join(config.tmpDir, "dhcp", HANDLER_WRAPPER_NAME) },
      processes,
    ),
  ];
}
