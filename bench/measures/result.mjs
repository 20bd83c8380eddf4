import { median } from "../measure.mjs";

/** A result row from samples: the median, min–max, and whether it meets `budget`. */
export function result(id, samples, unit, budget) {
  const value = median(samples);
  const pass = budget ? (budget.op === "≤" ? value <= budget.value : value >= budget.value) : true;
  return { id, value, unit, budget: budget ?? null, pass, min: Math.min(...samples), max: Math.max(...samples), runs: samples.length };
}

export const atMost = (value) => ({ op: "≤", value });
export const atLeast = (value) => ({ op: "≥", value });
