/** The report's parts and the few formats every section shares. */
import type { Table } from "../bench/table";
import type { Sample } from "./prometheus";

/** A month as the cost rules bill it (730 h): monthly = hourly × this. */
export { HOURS_PER_MONTH } from "../../infra/alerting/cost-rules";

/** A piece of advice: what to do, what it rests on (the queries and their values) and what it saves. */
export interface Hint {
  advice: string;
  evidence: string[];
  saving: string;
}

export interface Section {
  title: string;
  /** What the section shows and how it is computed, one or two sentences. */
  intro: string;
  tables: Table[];
  hints: Hint[];
  /** Missing data and other plain remarks. */
  notes: string[];
  /** Fenced blocks (the suggested drop lists), language and text. */
  code?: { language: string; text: string }[];
}

/** The value of a series, NaN and ±Inf dropped (a ratio over no traffic). */
export const finite = (s: Sample | undefined): number | undefined =>
  s !== undefined && Number.isFinite(s.value) ? s.value : undefined;

/** The only series' value of an aggregate without labels. */
export const single = (samples: readonly Sample[]): number | undefined => finite(samples[0]);

export const money = (value: number, currency: string) => `${value.toFixed(2)} ${currency}`;

/** A rate or count with sensible precision: 1234 → "1234", 12.345 → "12.3", 0.01234 → "0.0123". */
export function num(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 1) return value.toFixed(1);
  return value.toPrecision(3);
}

export const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];
export function bytes(value: number): string {
  let v = value;
  let k = 0;
  while (Math.abs(v) >= 1024 && k < UNITS.length - 1) {
    v /= 1024;
    k += 1;
  }
  return `${k === 0 ? v.toFixed(0) : v.toFixed(1)} ${UNITS[k]}`;
}

/** Evidence line: a query and what it answered. */
export const evidence = (expr: string, answer: string) => `\`${expr}\` = ${answer}`;
