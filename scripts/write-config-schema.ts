import { writeFileSync } from "node:fs";
import { configJsonSchema } from "../src/config/json-schema.js";

const path = new URL("../schema/statenet-config.schema.json", import.meta.url);
writeFileSync(path, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path.pathname}`);
