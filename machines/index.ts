import type { AnyStateMachine } from "xstate";
import { connectivityCheckerMachine } from "./connectivity-checker.js";
import { interfaceMachine } from "./interface.js";
import { managerMachine } from "./manager.js";
import { powerManagerMachine } from "./power-manager.js";
import { routeManagerMachine } from "./route-manager.js";
import { wifiMachine } from "./wifi.js";

/** Every statechart of statenet: what gets a diagram and must be fully covered by model tests. */
export const ALL_MACHINES: readonly AnyStateMachine[] = [
  interfaceMachine,
  connectivityCheckerMachine,
  powerManagerMachine,
  routeManagerMachine,
  managerMachine,
  wifiMachine,
];
