// Builds the wall's bundle into ../static/dist: the script and styles (esbuild, content-hashed names),
// MapLibre's worker (copied under a hashed name) and manifest.json, which the API reads to name them.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "static", "dist");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await esbuild.build({
  entryPoints: { wall: join(here, "src", "main.ts") },
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  outdir: out,
  metafile: true,
  logLevel: "warning",
  legalComments: "linked",
});

const manifest = {};
for (const [file, info] of Object.entries(result.metafile.outputs)) {
  const name = basename(file);
  if (info.entryPoint && name.endsWith(".js")) manifest["app.js"] = name;
  else if (name.endsWith(".css")) manifest["app.css"] = name;
  else manifest[name] = name;
}

const worker = join(here, "node_modules", "maplibre-gl", "dist", "maplibre-gl-worker.mjs");
const digest = createHash("sha256").update(readFileSync(worker)).digest("hex").slice(0, 12).toUpperCase();
const workerName = `maplibre-gl-worker-${digest}.mjs`;
copyFileSync(worker, join(out, workerName));
manifest["maplibre-worker.js"] = workerName;

for (const needed of ["app.js", "app.css"]) {
  if (!manifest[needed]) throw new Error(`the build made no ${needed}`);
}
writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`wall bundle: ${Object.keys(manifest).length} files in ${out}`);
