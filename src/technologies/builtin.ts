import { direct } from "./direct/index.js";
import { ethernet } from "./ethernet/index.js";
import { mobile } from "./mobile/index.js";
import { nullTechnology } from "./null/index.js";
import { technologyPlanner } from "./registry.js";
import { wifi } from "./wifi/index.js";

/** The technologies statenet ships; adding one here is all it takes to configure it. */
export const BUILTIN_TECHNOLOGIES = [ethernet, wifi, direct, mobile, nullTechnology] as const;

/** Plans configs of the built-in technologies. */
export const builtinPlanner = technologyPlanner(BUILTIN_TECHNOLOGIES);
