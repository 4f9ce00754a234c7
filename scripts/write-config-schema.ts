import { writeFileSync } from "node:fs";
import { GENERATED_PATH, generateConfigDocs } from "./config-docs.js";

// The docs first: configJsonSchema() takes its descriptions from them.
const generated = new URL(`../${GENERATED_PATH}`, import.meta.url);
writeFileSync(generated, generateConfigDocs());
console.log(`wrote ${generated.pathname}`);

const { configJsonSchema } = await import("../src/config/json-schema.js");
const path = new URL("../schema/statenet-config.schema.json", import.meta.url);
writeFileSync(path, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path.pathname}`);
