import { workflow } from "wfsync";

/** New customers: VIPs get a personal welcome and a call, everyone else the standard series. */
export default workflow(679, (wf) => {
  wf.split(844, (split) => {
    split.option("vip", { name: "VIP customers" }, (path) => {
      path.addToList({ selection: 12 });
      path.sendEmail({ shipmentId: 3, subject: "Welcome aboard" });
      path.waitForTime({ numIntervals: 2, intervalType: "Days" });
      path.createFollowUp({ title: "Call the new VIP customer", assignTo: 7, duration: 30 });
    });
    split.option("everyone-else", { name: "Everyone else" }, (path) => {
      path.sendEmail({ shipmentId: 4, subject: "Welcome" });
      path.waitForTime({ numIntervals: 1, intervalType: "Weeks" });
      path.sendEmail({ shipmentId: 5, subject: "Getting started", attachments: [101] });
    });
  });
});
