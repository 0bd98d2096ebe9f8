// Load remora's demo in headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core) and read the WebSocket outcomes from the page.
//
//   node demo_ws.mjs BASE_URL PROFILE_DIR
//
// Prints one JSON line: the echo test's result, the live figures seen, the
// chat round trip.
import { chromium } from "playwright-core";

const [base, profileDir] = process.argv.slice(2);
const context = await chromium.launchPersistentContext(profileDir, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const out = {};
try {
  const page = await context.newPage();
  await page.goto(base + "/", { timeout: 30000 });
  // Live figures pushed over /ws/live: the open WebSockets include this page's.
  await page.waitForFunction(() => Number(document.getElementById("live-websockets").textContent) >= 1,
                             null, { timeout: 30000 });
  out.live = await page.textContent("#live-websockets");
  out.uptime = await page.textContent("#live-uptime");
  // The echo test: text, binary and 100 KB over /ws/echo.
  await page.click("#echo-run");
  await page.waitForFunction(() => /^(ok|failed)/.test(document.getElementById("echo-result").textContent),
                             null, { timeout: 60000 });
  out.echo = await page.textContent("#echo-result");
  // The chat: what this page sends comes back to it (and would go to every other).
  await page.fill("#chat-text", "hello from chromium");
  await page.click("#chat-form button");
  await page.waitForFunction(() => document.getElementById("chat-log").textContent.includes("hello from chromium"),
                             null, { timeout: 30000 });
  out.chat = await page.textContent("#chat-log");
} catch (err) {
  out.error = String(err);
} finally {
  await context.close();
}
console.log(JSON.stringify(out));
