// `node --import ./load-recorder.mjs …`: appends the URL of every module the
// process loads to the file named by STATENET_LOAD_RECORD, one a line.
import { register } from "node:module";

register("./load-recorder-hooks.mjs", import.meta.url);
