import { startTelemetry } from "../lib/telemetry";

/** Imported first by main.ts so http and express are patched before they load. */
export const telemetry = startTelemetry("user");
