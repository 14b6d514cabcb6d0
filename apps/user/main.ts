import { telemetry } from "./instrumentation";
import { runService } from "../lib/service";
import { userService } from "./service";

runService(userService, telemetry);
