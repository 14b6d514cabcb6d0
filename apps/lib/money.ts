/** Cents to the decimal amount the APIs show (2 decimals). */
export function fromCents(cents: number): number {
  return Math.round(cents) / 100;
}
