export { BUILTIN_TECHNOLOGIES, builtinPlanner } from "./builtin.js";
export type * from "./daemon.js";
export { daemonStarters, technologyPlanner, UnknownTechnologyError } from "./registry.js";
export type * from "./technology.js";
export type * from "./types.js";
