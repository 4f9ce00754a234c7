import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { instance } from "@viz-js/viz";
import type { AnyStateMachine } from "xstate";
import { connectivityCheckerMachine } from "../machines/connectivity-checker.js";
import { interfaceMachine } from "../machines/interface.js";
import { managerMachine } from "../machines/manager.js";
import { powerManagerMachine } from "../machines/power-manager.js";
import { routeManagerMachine } from "../machines/route-manager.js";
import { describeMachine, toDot, toMermaid } from "./diagram.js";

/**
 * `npm run visualize`: writes `docs/diagrams/<machine>.mmd` (Mermaid) and
 * `<machine>.svg` (Graphviz compiled to WebAssembly, so it renders offline)
 * for every machine.
 */

const MACHINES: AnyStateMachine[] = [
  interfaceMachine,
  connectivityCheckerMachine,
  powerManagerMachine,
  routeManagerMachine,
  managerMachine,
];

const out = fileURLToPath(new URL("../docs/diagrams/", import.meta.url));
await mkdir(out, { recursive: true });
const viz = await instance();
for (const machine of MACHINES) {
  const diagram = describeMachine(machine);
  await writeFile(`${out}${machine.id}.mmd`, toMermaid(diagram));
  await writeFile(`${out}${machine.id}.svg`, viz.renderString(toDot(diagram), { format: "svg" }));
  console.log(`docs/diagrams/${machine.id}.{mmd,svg}`);
}
