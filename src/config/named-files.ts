import { accessSync, constants, statSync } from "node:fs";
import type { InterfaceConfig } from "./schema.js";
import type { ConfigProblem } from "./validate.js";

/**
 * The files a configuration names (certificates and keys for 802.1X) that
 * cannot be read as files. A configuration given at run time is refused for
 * them before it replaces a working one; the configuration file at boot is
 * not (a device must come up even when a certificate is still being
 * provisioned), and wpa_supplicant says so in the log.
 */
export function unreadableFiles(ifname: string, config: InterfaceConfig): ConfigProblem[] {
  if (config.type !== "ethernet" || !config.ieee8021x) return [];
  const network = config.ieee8021x;
  const files: Array<[string, string | undefined]> = [
    ["caCert", "caCert" in network ? network.caCert : undefined],
    ["clientCert", "clientCert" in network ? network.clientCert : undefined],
    ["privateKey", "privateKey" in network ? network.privateKey : undefined],
  ];
  return files.flatMap(([field, path]) => {
    const problem = path === undefined ? undefined : fileProblem(path);
    return problem ? [{ path: `interfaces.${ifname}.ieee8021x.${field}`, message: problem }] : [];
  });
}

function fileProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return `${path} is not a file`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? `${path} does not exist` : `${path} cannot be read (${code})`;
  }
}
