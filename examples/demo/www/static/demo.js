// The demo's index page: live figures, chat and an echo test, each over a
// WebSocket to the same server (remora.ws).
"use strict";
function wsUrl(path) {
  return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
}
function $(id) { return document.getElementById(id); }

(function live() {
  var ws = new WebSocket(wsUrl("/ws/live"));
  ws.onmessage = function (ev) {
    var f = JSON.parse(ev.data);
    $("live-uptime").textContent = f.uptime_s + " s";
    $("live-heap").textContent = f.heap_free === null ? "n/a" : (f.heap_free / 1000).toFixed(1) + " KB";
    $("live-websockets").textContent = f.websockets;
  };
  ws.onclose = function () { setTimeout(live, 2000); };
})();

(function chat() {
  var ws = new WebSocket(wsUrl("/ws/chat"));
  ws.onmessage = function (ev) {
    var li = document.createElement("li");
    li.textContent = ev.data;
    $("chat-log").appendChild(li);
  };
  $("chat-form").onsubmit = function (ev) {
    ev.preventDefault();
    if (ws.readyState === 1 && $("chat-text").value) ws.send($("chat-text").value);
    $("chat-text").value = "";
  };
})();

// Sends each message in turn and checks that the echo has the same type
// and bytes; the outcome goes to #echo-result ("ok ..." or "failed ...").
$("echo-run").onclick = function () {
  var big = new Uint8Array(100000);
  for (var i = 0; i < big.length; i++) big[i] = (i * 7 + 3) & 255;
  var tests = [["text", "héllo ☃"], ["binary", new Uint8Array([0, 1, 2, 255])], ["big", big]];
  var ws = new WebSocket(wsUrl("/ws/echo"));
  ws.binaryType = "arraybuffer";
  var done = [];
  var out = $("echo-result");
  out.textContent = "running";
  function next() {
    if (done.length === tests.length) { out.textContent = "ok " + done.join(" "); ws.close(); return; }
    ws.send(tests[done.length][1]);
  }
  ws.onopen = next;
  ws.onmessage = function (ev) {
    var t = tests[done.length], want = t[1], got = ev.data, same;
    if (typeof want === "string") {
      same = got === want;
    } else {
      got = new Uint8Array(got);
      same = got.length === want.length && got.every(function (b, k) { return b === want[k]; });
    }
    if (!same) { out.textContent = "failed " + t[0]; ws.close(); return; }
    done.push(t[0] + ":" + (typeof want === "string" ? want.length : want.length));
    next();
  };
  ws.onerror = function () { out.textContent = "failed error"; };
};
