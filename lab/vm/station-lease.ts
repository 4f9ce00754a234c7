import { join } from "node:path";
import { type ClientLease, clientLease, writeClientScript } from "../dhcp-client.js";
import type { RadioLab } from "./radio-lab.js";

/**
 * A plain station's DHCP client, for tests that play the device on the other
 * side of statenet (or of a hostapd): the lab's DHCP client, once, with waits
 * for TCG. Resolves once leased; rejects when no lease came.
 */
export async function leaseOnce(
  lab: RadioLab,
  ns: string,
  ifname: string,
  /** Where the client's hook script may go. */
  dir: string,
  attempts = 20,
): Promise<ClientLease> {
  const hook = join(dir, `udhcpc-${ifname}.sh`);
  await writeClientScript(hook);
  return clientLease(lab, ns, ifname, hook, { tries: attempts, intervalSeconds: 2 });
}
