import { z } from "zod";
import { ALERT_LABELS } from "../../contract";
import type { Alert } from "./types";

/**
 * Alertmanager's webhook payload, version 4 (what its webhook receiver POSTs). Strict on what the
 * responder reads (each alert's status, alertname, fingerprint and startsAt), tolerant of fields a newer
 * Alertmanager may add: unknown keys are dropped, not refused.
 */

const STATUSES = ["firing", "resolved"] as const;
const status = z.enum(STATUSES, { error: `must be one of: ${STATUSES.join(", ")}` });

/** Go's time.Time in JSON: RFC 3339 with up to nanoseconds and any offset (endsAt 0001-01-01T00:00:00Z while firing). */
const rfc3339 = z.iso.datetime({ offset: true, error: "must be an RFC 3339 date-time" });

const stringMap = z.record(z.string(), z.string({ error: "must be a string" }), {
  error: "must be an object of string values",
});

const alertSchema = z.object({
  status,
  labels: z
    .object({
      [ALERT_LABELS.alertname]: z.string({ error: "must be set" }).min(1, { error: "must not be empty" }),
    })
    .catchall(z.string({ error: "must be a string" })),
  annotations: stringMap,
  startsAt: rfc3339,
  endsAt: rfc3339,
  generatorURL: z.string({ error: "must be a string" }),
  // Alertmanager's fingerprint is the 16 hex digits of a 64-bit hash; it keys the responder's memory.
  fingerprint: z.string({ error: "must be set" }).regex(/^[0-9a-f]{8,64}$/, { error: "must be hex digits" }),
}) satisfies z.ZodType<Alert>;

export const alertmanagerPayloadSchema = z.object(
  {
    version: z.literal("4", { error: 'must be "4" (Alertmanager webhook payload version 4)' }),
    groupKey: z.string({ error: "must be a string" }),
    truncatedAlerts: z.number({ error: "must be a number" }).int().min(0, { error: "must not be negative" }),
    status,
    receiver: z.string({ error: "must be a string" }),
    groupLabels: stringMap,
    commonLabels: stringMap,
    commonAnnotations: stringMap,
    externalURL: z.string({ error: "must be a string" }),
    alerts: z.array(alertSchema, { error: "must be an array of alerts" }).min(1, { error: "must not be empty" }),
  },
  { error: "must be an Alertmanager webhook payload (a JSON object)" },
);

export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;
