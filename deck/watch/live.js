/* deck --watch: injected into every HTML page the watch server serves (never into the file on
   disk). Listens to the server's events: a new build reloads the page on the same slide and step
   (the #/slide/step fragment); a failed build shows an overlay over the last good deck. */
(function () {
  "use strict";
  var cfg = __CONFIG__;
  var box = null;
  function show(text) {
    if (!box) {
      box = document.createElement("div");
      box.id = "deck-watch-overlay";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:48vh;overflow:auto;" +
        "z-index:2147483647;background:rgba(24,24,28,.94);color:#fff;padding:12px 18px;" +
        "font:14px/1.45 ui-monospace,Menlo,Consolas,monospace;box-shadow:0 -4px 16px rgba(0,0,0,.4);" +
        "border-top:4px solid #e5484d";
      var head = document.createElement("div");
      head.className = "deck-watch-head";
      head.style.cssText = "font-weight:bold;color:#ff9592;margin-bottom:6px";
      head.textContent = cfg.title;
      var pre = document.createElement("pre");
      pre.className = "deck-watch-message";
      pre.style.cssText = "margin:0;white-space:pre-wrap;font:inherit";
      box.appendChild(head);
      box.appendChild(pre);
      /* clicks and keys on the overlay must not move the deck */
      box.addEventListener("click", function (e) { e.stopPropagation(); });
      document.body.appendChild(box);
    }
    box.querySelector("pre").textContent = text;
  }
  function hide() {
    if (box && box.parentNode) box.parentNode.removeChild(box);
    box = null;
  }
  function connect() {
    if (typeof EventSource !== "function") return;
    var source = new EventSource(cfg.events);
    source.addEventListener("state", function (e) {
      var d;
      try { d = JSON.parse(e.data); } catch (err) { return; }
      window.deckWatch.connected = true; /* the server's first state arrived: later builds will reach us */
      if (d.version && d.version !== cfg.version) {
        source.close();
        location.reload(); /* keeps #/slide/step: the deck opens where it was */
        return;
      }
      if (d.error) show(d.error); else hide();
    });
  }
  window.deckWatch = { config: cfg, connected: false, overlay: function () { return box; } };
  if (document.body) connect(); else document.addEventListener("DOMContentLoaded", connect);
})();
