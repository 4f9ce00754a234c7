import type { InterfaceConfig } from "../config/schema.js";
import { ethernetPlan } from "./ethernet.js";
import { nullPlan } from "./null.js";
import type { TechnologyPlan } from "./types.js";

/** The plan for one interface's validated configuration. */
export function technologyPlan(ifname: string, config: InterfaceConfig): TechnologyPlan {
  switch (config.type) {
    case "ethernet":
      return ethernetPlan(ifname, config);
    case "null":
      return nullPlan(ifname);
  }
}

export type * from "./types.js";
