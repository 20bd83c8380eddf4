import { describe, expect, it } from "vitest";
import { count, formatDuration } from "../src/text.js";

describe("count", () => {
  it("says 1 change, 820 changes", () => {
    expect(count(1, "change")).toBe("1 change");
    expect(count(820, "change")).toBe("820 changes");
    expect(count(0, "entry", "entries")).toBe("0 entries");
  });
});

describe("formatDuration", () => {
  it("reads in the unit that fits, never thousands of ms", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(4000)).toBe("4 s");
    expect(formatDuration(50_533)).toBe("50.5 s");
    expect(formatDuration(59_990)).toBe("1 min");
    expect(formatDuration(123_000)).toBe("2 min 3 s");
    expect(formatDuration(3_900_000)).toBe("1 h 5 min");
  });
});
