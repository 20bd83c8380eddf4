import { workflow } from "wfsync";

/** Dormant contacts: two splits in one flow, by engagement and then by answer. */
export default workflow(733, (wf) => {
  wf.split(951, (split) => {
    split.option("opened", { name: "Opened a mail in the last 90 days", rank: 1 }, (path) => {
      path.waitForAction();
      path.notifyByEmail();
    });
    split.option("dormant", { name: "No opens in 90 days", rank: 2 }, (path) => {
      path.removeFromList({ selection: 12 });
      path.addToList({ selection: 55, project: 3 });
    });
  });
  wf.split(953, (split) => {
    split.option("answered", { name: "Answered the survey" }, (path) => {
      path.createSale();
      path.runScript();
    });
    split.option("silent", { name: "Did not answer" }, (path) => {
      path.waitForTime({ numIntervals: 5, intervalType: "Days" });
      path.notifyBySMS();
    });
  });
});
