import { existsSync } from "node:fs";

/**
 * How code finds out that it runs inside the VM lab. The environment variable
 * alone is not trusted: set on a host by mistake, it would let a VM test load
 * modules and move radios there. The state directory only exists in the VM.
 */

export const IN_VM_ENV = "STATENET_IN_VM";

/** Where guest-init.sh mounts the run's state directory inside the VM. */
export const GUEST_STATE_DIR = "/run/statenet-vm/state";

export function insideVmLab(): boolean {
  return process.env[IN_VM_ENV] === "1" && existsSync(GUEST_STATE_DIR);
}

/**
 * For the top of a `*.vm.test.ts` file: refuses to run anywhere but inside the
 * VM lab, loudly rather than as a skip, so a VM run whose tests did not run
 * cannot pass.
 */
export function requireVmLab(): void {
  if (!insideVmLab()) {
    throw new Error(
      "this file runs inside the VM lab only: run it with `npx vitest run test/vm/vm-lab.test.ts`",
    );
  }
}
