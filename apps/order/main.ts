import { telemetry } from "./instrumentation";
import { runService } from "../lib/service";
import { orderService } from "./service";

runService(orderService, telemetry);
