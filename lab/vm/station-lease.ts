import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RadioLab } from "./radio-lab.js";

/**
 * A plain station's DHCP client, for tests that play the device on the other
 * side of statenet (or of a hostapd): busybox udhcpc, once, adding the
 * address it gets. Resolves once leased; rejects when no lease came.
 */
export async function leaseOnce(
  lab: RadioLab,
  ns: string,
  ifname: string,
  /** Where the client's hook script may go. */
  dir: string,
  attempts = 20,
): Promise<void> {
  const hook = join(dir, `udhcpc-${ifname}.sh`);
  await writeFile(
    hook,
    '#!/bin/sh\ncase "$1" in bound|renew) ip addr add "$ip/$mask" dev "$interface" ;; esac\n',
    { mode: 0o755 },
  );
  // -q: quit once leased; -n: fail rather than retry forever; -T 2: TCG is slow.
  await lab.exec(ns, "busybox", [
    ...["udhcpc", "-i", ifname, "-s", hook, "-f", "-q", "-n"],
    ...["-t", String(attempts), "-T", "2"],
  ]);
}
