import { z } from "zod";

/** Field types the stack config schemas share; each error names what is allowed. */
export const int = (min: number, max: number) =>
  z
    .number({ error: `must be an integer from ${min} to ${max}` })
    .int()
    .min(min)
    .max(max);
export const cpu = z
  .string()
  .regex(/^(\d+m|\d+(\.\d+)?)$/, { error: 'must be a CPU quantity such as "100m" or "0.5"' });
export const memory = z
  .string()
  .regex(/^\d+(Mi|Gi)$/, { error: 'must be a memory quantity in Mi or Gi such as "256Mi"' });

export const resources = z.strictObject({
  cpuRequest: cpu,
  cpuLimit: cpu.optional(),
  memoryRequest: memory,
  memoryLimit: memory,
});
