import { z } from "zod";
import { ConfigError, intVar, parseEnv, urlVar } from "../../apps/lib/config";
import { baseEnvSchema, signalsOf } from "../../apps/lib/service";
import { orderEnvSchema } from "../../apps/order/service";

describe("environment validation", () => {
  test("defaults: port 8080, info logs, admin API off", () => {
    const env = parseEnv(baseEnvSchema, {});
    expect(env).toMatchObject({ PORT: 8080, LOG_LEVEL: "info" });
    expect(env.ADMIN_TOKEN).toBeUndefined();
  });

  test("empty numeric variables take their defaults", () => {
    expect(parseEnv(baseEnvSchema, { PORT: "", SHUTDOWN_DELAY_MS: "" })).toMatchObject({
      PORT: 8080,
      SHUTDOWN_DELAY_MS: 0,
    });
  });

  test("an empty ADMIN_TOKEN disables the admin API rather than failing", () => {
    expect(parseEnv(baseEnvSchema, { ADMIN_TOKEN: "" }).ADMIN_TOKEN).toBeUndefined();
  });

  test("every bad variable is named in one error, with what is allowed", () => {
    let error: unknown;
    try {
      parseEnv(baseEnvSchema, { PORT: "99999", LOG_LEVEL: "verbose", SHUTDOWN_TIMEOUT_MS: "x" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      "PORT: must be an integer from 1 to 65535",
      "LOG_LEVEL: must be one of: error, warn, info, debug",
      "SHUTDOWN_TIMEOUT_MS: must be an integer from 100 to 120000",
    ]);
  });

  test("signal switches: all on by default; true or false in any case; empty counts as unset", () => {
    expect(signalsOf(parseEnv(baseEnvSchema, {}))).toEqual({ traces: true, metrics: true, logs: true });
    const env = parseEnv(baseEnvSchema, { OTEL_SDK_DISABLED: "TRUE", METRICS_ENABLED: " false ", LOGS_ENABLED: "" });
    expect(signalsOf(env)).toEqual({ traces: false, metrics: false, logs: true });
    expect(signalsOf(parseEnv(baseEnvSchema, { OTEL_SDK_DISABLED: "false", LOGS_ENABLED: "False" }))).toEqual({
      traces: true,
      metrics: true,
      logs: false,
    });
  });

  test("an invalid switch is named with the values it allows", () => {
    let error: unknown;
    try {
      parseEnv(baseEnvSchema, { OTEL_SDK_DISABLED: "yes", METRICS_ENABLED: "0", LOGS_ENABLED: "off" });
    } catch (err) {
      error = err;
    }
    expect((error as ConfigError).problems).toEqual([
      "OTEL_SDK_DISABLED: must be true or false",
      "METRICS_ENABLED: must be true or false",
      "LOGS_ENABLED: must be true or false",
    ]);
  });

  test("order needs both dependency URLs", () => {
    const result = orderEnvSchema.safeParse({});
    expect(result.error?.issues.map((i) => i.path[0])).toEqual(["USER_SERVICE_URL", "PRODUCT_SERVICE_URL"]);
  });

  test("order accepts http(s) URLs and a timeout", () => {
    const parsed = parseEnv(orderEnvSchema, {
      USER_SERVICE_URL: "http://user:8080",
      PRODUCT_SERVICE_URL: "https://product.example",
      DOWNSTREAM_TIMEOUT_MS: "750",
    });
    expect(parsed.userUrl.host).toBe("user:8080");
    expect(parsed.timeoutMs).toBe(750);
  });

  test("helpers refuse what they should", () => {
    const schema = z.object({ N: intVar(1, 3), U: urlVar() });
    expect(schema.safeParse({ N: "2", U: "http://x" }).success).toBe(true);
    expect(schema.safeParse({ N: "4", U: "http://x" }).success).toBe(false);
    expect(schema.safeParse({ N: "2", U: "file:///etc/passwd" }).success).toBe(false);
  });
});
