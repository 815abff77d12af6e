// Validates every Teams activity recorded in a directory (by the chat stand-in and the card
// property test) with Microsoft's Adaptive Cards library: AdaptiveCard.parse, then
// validateProperties. Passes when there is at least one card and no card has a parse or
// validation event; otherwise names each event and its file.
//   node validate_cards.cjs DIR [MIN_CARDS]
"use strict";
const fs = require("fs");
const path = require("path");
// The library's UMD build: its ES module build imports paths without extensions, which Node
// does not resolve.
const AC = require("adaptivecards/dist/adaptivecards.js");

const dir = process.argv[2];
const min = Number(process.argv[3] || 1);
if (!dir || !fs.existsSync(dir)) {
  console.error(`usage: node validate_cards.cjs DIR [MIN_CARDS] (no directory '${dir}')`);
  process.exit(2);
}
let cards = 0;
let problems = 0;
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
  const activity = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
  for (const attachment of activity.attachments || []) {
    if (attachment.contentType !== "application/vnd.microsoft.card.adaptive") continue;
    const card = new AC.AdaptiveCard();
    const context = new AC.SerializationContext();
    card.parse(attachment.content, context);
    const events = [];
    for (let i = 0; i < context.eventCount; i++) events.push(context.getEventAt(i));
    events.push(...card.validateProperties().validationEvents);
    cards++;
    for (const e of events) {
      problems++;
      console.error(`${file}: ${AC.ValidationEvent[e.event]}: ${e.message}`);
    }
  }
}
console.log(`${cards} Adaptive Card(s) from ${dir}: ${problems} validation event(s)`);
if (cards < min) {
  console.error(`expected at least ${min} card(s)`);
  process.exit(1);
}
process.exit(problems === 0 ? 0 : 1);
