/** Linux's own limit (IFNAMSIZ - 1). */
const MAX_LENGTH = 15;
// The kernel also refuses ":" (ip shows address labels as eth0:1) and "/".
const ALLOWED = /^[A-Za-z0-9_.@-]+$/;

export class InvalidInterfaceNameError extends TypeError {
  constructor(
    readonly ifname: string,
    reason: string,
  ) {
    super(`invalid interface name ${JSON.stringify(ifname)}: ${reason}`);
    this.name = "InvalidInterfaceNameError";
  }
}

/** Throws unless `ifname` is a name Linux accepts and that is safe to put in a command line. */
export function assertInterfaceName(ifname: string): void {
  if (ifname.length === 0 || ifname.length > MAX_LENGTH) {
    throw new InvalidInterfaceNameError(ifname, `must be 1..${MAX_LENGTH} characters`);
  }
  // Linux takes `__proto__`, but statenet keys JSON objects by interface name, and no
  // JavaScript object holds that key as its own: a configuration under it would vanish.
  if (ifname === "." || ifname === ".." || ifname === "__proto__") {
    throw new InvalidInterfaceNameError(ifname, "reserved");
  }
  if (!ALLOWED.test(ifname)) {
    throw new InvalidInterfaceNameError(ifname, "only letters, digits and _ . @ - are allowed");
  }
}

export function isInterfaceName(ifname: string): boolean {
  try {
    assertInterfaceName(ifname);
    return true;
  } catch {
    return false;
  }
}
