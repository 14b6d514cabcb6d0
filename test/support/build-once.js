const { execFileSync } = require("node:child_process");
const path = require("node:path");

/** Compiles apps/ to dist/ so the process tests run what `npm run demo` and the images run. */
module.exports = async function buildOnce() {
  const root = path.resolve(__dirname, "../..");
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    cwd: root,
    stdio: "inherit",
  });
};
