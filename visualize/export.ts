import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { instance } from "@viz-js/viz";
import { ALL_MACHINES } from "../machines/index.js";
import { describeMachine, toDot, toMermaid } from "./diagram.js";

/**
 * `npm run visualize`: writes `docs/diagrams/<machine>.mmd` (Mermaid) and
 * `<machine>.svg` (Graphviz compiled to WebAssembly, so it renders offline)
 * for every machine.
 */

const out = fileURLToPath(new URL("../docs/diagrams/", import.meta.url));
await mkdir(out, { recursive: true });
const viz = await instance();
for (const machine of ALL_MACHINES) {
  const diagram = describeMachine(machine);
  await writeFile(`${out}${machine.id}.mmd`, toMermaid(diagram));
  await writeFile(`${out}${machine.id}.svg`, viz.renderString(toDot(diagram), { format: "svg" }));
  console.log(`docs/diagrams/${machine.id}.{mmd,svg}`);
}
