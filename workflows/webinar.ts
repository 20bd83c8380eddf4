import { workflow } from "wfsync";
import { nurture } from "./shared/nurture";

/** After a webinar: attendees get the recording, no-shows a second chance. */
export const webinarFollowUp = workflow(702, (wf) => {
  wf.split(910, (split) => {
    split.option("attended", { name: "Attended the webinar" }, (path) => {
      path.sendEmail({ shipmentId: 21, subject: "The recording, as promised" });
      path.waitForTime({ numIntervals: 3, intervalType: "WorkingDays" });
      path.split((inner) => {
        inner.option("hot", { name: "Asked for a demo" }, (p) => {
          p.createRequest({ title: "Demo requested after webinar", category: 2, priority: 1 });
          p.updateParticipant();
        });
        inner.option("warm", { name: "Everyone else who attended" }, (p) => nurture(p, 22));
      });
    });
    split.option("no-show", { name: "Registered, did not attend" }, (path) => {
      path.sendEmail({ shipmentId: 23, subject: "Sorry we missed you" });
      path.waitForTime({ until: "[DT:12/15/2026 09:00:00]" });
      path.removeFromList({ selection: 40 });
    });
  });
});
