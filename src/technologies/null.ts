import { linkDownCommands } from "./ethernet.js";
import type { TechnologyPlan } from "./types.js";

/** An interface statenet keeps down: no addresses, nothing running. */
export function nullPlan(ifname: string): TechnologyPlan {
  return { up: linkDownCommands(ifname), down: [], files: [], daemons: [], reaches: "lan" };
}
