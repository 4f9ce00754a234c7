import { writeFile } from "node:fs/promises";

/**
 * A lab host that asks the device for an address, as a laptop on a direct
 * link or a client behind the device's DHCP server does: busybox udhcpc
 * once, with a handler that takes the address and prints what the lease said.
 */

/** What the host was told; "" for an option the server did not send. */
export interface ClientLease {
  ip: string;
  subnet: string;
  router: string;
  dns: string;
  domain: string;
}

interface LabExec {
  exec(ns: string, file: string, args?: readonly string[]): Promise<{ stdout: string }>;
}

/** Writes udhcpc's handler for a lab host to `path`. */
export async function writeClientScript(path: string): Promise<void> {
  await writeFile(
    path,
    [
      "#!/bin/sh",
      'case "$1" in bound|renew)',
      '  ip addr flush dev "$interface"',
      '  ip addr add "$ip/$subnet" dev "$interface"',
      '  echo "lease ip=$ip subnet=$subnet router=$router dns=$dns domain=$domain"',
      "esac",
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
}

/**
 * busybox udhcpc on `ifname` in `ns` until bound: by default up to 30 tries a
 * second apart (the server may still be starting); under emulation, slower.
 */
export async function clientLease(
  lab: LabExec,
  ns: string,
  ifname: string,
  script: string,
  { tries = 30, intervalSeconds = 1 } = {},
): Promise<ClientLease> {
  const { stdout } = await lab.exec(ns, "busybox", [
    "udhcpc",
    "-f",
    "-q",
    "-n",
    "-i",
    ifname,
    "-s",
    script,
    "-t",
    String(tries),
    "-T",
    String(intervalSeconds),
  ]);
  const line = stdout.split("\n").find((each) => each.startsWith("lease "));
  if (!line) throw new Error(`${ifname} in ${ns} got no lease: ${stdout}`);
  const fields = Object.fromEntries(
    line
      .slice("lease ".length)
      .split(" ")
      .map((pair) => pair.split("=") as [string, string]),
  );
  return {
    ip: fields.ip ?? "",
    subnet: fields.subnet ?? "",
    router: fields.router ?? "",
    dns: fields.dns ?? "",
    domain: fields.domain ?? "",
  };
}

/** busybox nslookup of `name` at `server` from `ns`; a refusal is an answer too. */
export async function nslookup(
  lab: LabExec,
  ns: string,
  name: string,
  server: string,
): Promise<{ ok: boolean; output: string }> {
  return lab
    .exec(ns, "busybox", ["nslookup", name, server])
    .then((result) => ({ ok: true, output: result.stdout }))
    .catch((error: { stdout?: string; stderr?: string }) => ({
      ok: false,
      output: `${error.stdout ?? ""}${error.stderr ?? ""}`,
    }));
}
