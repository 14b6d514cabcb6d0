import { telemetry } from "./instrumentation";
import { runService } from "../lib/service";
import { productService } from "./service";

runService(productService, telemetry);
