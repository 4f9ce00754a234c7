import { vmLabAvailability } from "./availability.js";
import { runInVm } from "./run-in-vm.js";
import { prepareVmLab } from "./setup.js";

/**
 * The VM lab from a shell:
 *   tsx lab/vm/cli.ts setup              fill the cache, print the paths
 *   tsx lab/vm/cli.ts run -- CMD [ARG]…  run a command in a VM, in this directory
 */

const usage = "usage: tsx lab/vm/cli.ts setup | run -- COMMAND [ARGUMENT]...";

async function main(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === "setup") {
    const paths = await prepareVmLab({ log: (line) => console.error(`vm-lab: ${line}`) });
    console.log(JSON.stringify(paths, null, 2));
    return 0;
  }
  if (action === "run") {
    const command = rest[0] === "--" ? rest.slice(1) : rest;
    if (command.length === 0) {
      console.error(usage);
      return 2;
    }
    const availability = await vmLabAvailability();
    if (!availability.available) {
      console.error(`vm-lab: unavailable: ${availability.reason}`);
      return 125;
    }
    const result = await runInVm({
      command,
      cwd: process.cwd(),
      onOutput: (text) => process.stdout.write(text),
    });
    console.error(
      `vm-lab: exit ${result.exitCode}, boot ${result.bootMs} ms, total ${result.durationMs} ms${
        result.consoleLog ? `, console log ${result.consoleLog}` : ""
      }`,
    );
    return result.exitCode;
  }
  console.error(usage);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`vm-lab: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 125;
  },
);
