import type { UdhcpdDaemonSpec } from "../dhcp-server/udhcpd.js";
import type { DnsdDaemonSpec } from "../dns-server/dnsd.js";
import type { WiredSupplicantSpec } from "./ethernet/plan.js";
import { loadOnFirstStart } from "./load-on-first-start.js";
import type { WifiDaemonSpec } from "./wifi/plan.js";

/**
 * The built-in starters that load their code on first use (see
 * load-on-first-start.ts). One object per kind, shared by every technology
 * that registers the kind, so that the registry sees the same starter.
 */

export const udhcpdStarter = loadOnFirstStart<UdhcpdDaemonSpec>(async () => {
  const { startUdhcpdDaemon } = await import("../dhcp-server/udhcpd-daemon.js");
  return startUdhcpdDaemon;
});

export const dnsdStarter = loadOnFirstStart<DnsdDaemonSpec>(async () => {
  const { startDnsdDaemon } = await import("../dns-server/dnsd-daemon.js");
  return startDnsdDaemon;
});

export const wiredSupplicantStarter = loadOnFirstStart<WiredSupplicantSpec>(async () => {
  const { startWiredSupplicantDaemon } = await import("../ieee8021x/wired-supplicant-daemon.js");
  return startWiredSupplicantDaemon;
});

export const wifiStarter = loadOnFirstStart<WifiDaemonSpec>(async () => {
  const { startWifiDaemon } = await import("./wifi/wifi-daemon.js");
  return startWifiDaemon;
});
