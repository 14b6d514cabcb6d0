import { telemetry } from "./instrumentation";
import { runService } from "../lib/service";
import { responderService } from "./service";

runService(responderService, telemetry);
