/** How validation and import put kinds and values into words, so their messages say the same. */
import { RECORDS, type FlowFieldKind } from "../model/steps.js";

/** What a field of this kind takes, in words (import lists enum values unquoted). */
export function fieldKindInWords(kind: FlowFieldKind, quoteValues = true): string {
  switch (kind.type) {
    case "int":
      return "a whole number ≥ 0";
    case "integer":
      return "a whole number";
    case "number":
      return "a number";
    case "string":
      return "a string";
    case "date":
      return 'a date such as "2026-05-31" or "2026-05-31T09:00:00"';
    case "bool":
      return "true or false";
    case "int[]":
      return "a list of positive ids";
    case "string[]":
      return "a list of strings";
    case "records":
      return `a list of ${RECORDS[kind.record].what}s`;
    case "enum":
      return `one of ${kind.values.map((v) => (quoteValues ? `"${v}"` : v)).join(", ")}`;
    default: {
      const never: never = kind;
      return never;
    }
  }
}
