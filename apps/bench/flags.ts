import { type ParseArgsConfig, parseArgs } from "node:util";

export type FlagValues = Record<string, string | boolean | undefined>;

/**
 * The tools' flags, strictly: an unknown flag or a missing value throws `toError(message)` (node's message
 * names the flag), so each tool reports it its own way, without a stack trace.
 */
export function strictFlags(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  toError: (message: string) => Error,
  allowPositionals = false,
): { values: FlagValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], strict: true, allowPositionals, options });
    return { values: values as FlagValues, positionals };
  } catch (err) {
    throw toError((err as Error).message);
  }
}
