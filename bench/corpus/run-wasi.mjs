// Runs a WASI (preview 1) command in node (V8): node run-wasi.mjs FILE [ARGS...]
// Used by bench/corpus/build.sh to check the corpus and by `compare` (which writes a copy of this
// file next to its kernels). No preopened directories, no environment.
import { readFileSync } from "node:fs";
import { argv, exit } from "node:process";
import { WASI } from "node:wasi";

const [file, ...args] = argv.slice(2);
const wasi = new WASI({ version: "preview1", args: [file, ...args], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(file));
const instance = await WebAssembly.instantiate(module, {
  wasi_snapshot_preview1: wasi.wasiImport,
});
exit(wasi.start(instance));
