// Dynamic import() stays native (ignoreDynamic) so ESM-only packages such as kubernetes-models load;
// that needs NODE_OPTIONS=--experimental-vm-modules, which the npm scripts set.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      {
        jsc: { parser: { syntax: "typescript" }, target: "es2023" },
        module: { type: "commonjs", ignoreDynamic: true },
      },
    ],
  },
  // Tests that start real service processes run the compiled code; build it once per run.
  globalSetup: "<rootDir>/test/support/build-once.js",
  testTimeout: 60_000,
  maxWorkers: 2,
};
