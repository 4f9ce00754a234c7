import type { CommandRunner } from "../../src/linux/command-runner.js";

/** A command runner whose `run` is the test's; spawning and sysctl are not expected. */
export function fakeRunner(run: CommandRunner["run"], netns?: string): CommandRunner {
  return {
    netns,
    run,
    spawn: () => {
      throw new Error("not used");
    },
    sysctl: async () => {},
  };
}
