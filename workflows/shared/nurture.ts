import type { PathBuilder } from "wfsync";

/** The standard nurture tail shared by several flows: a mail, a pause, a list. */
export function nurture(path: PathBuilder, shipmentId: number): void {
  path.sendEmail({ shipmentId, subject: "More from us" });
  path.waitForTime({ numIntervals: 2, intervalType: "Weeks" });
  path.addToList({ selection: 30 });
}
