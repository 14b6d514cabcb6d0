import { RESPONDER_NAME } from "../../contract";
import { startTelemetry } from "../lib/telemetry";

/** Imported first by main.ts: tracing is set up before anything else loads. */
export const telemetry = startTelemetry(RESPONDER_NAME);
