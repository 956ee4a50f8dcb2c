/* deck runtime: navigation, steps, overview, presenter view, help.
 * Plain ES2017, no dependencies, no network; inlined into the deck page
 * by the engine (so it must never contain a closing script tag). */
(function () {
  "use strict";

  var doc = document;
  var root = doc.documentElement;
  var deckEl = doc.getElementById("deck") || doc.querySelector("main.deck");
  var slides = deckEl ? Array.prototype.slice.call(deckEl.querySelectorAll(":scope > .slide")) : [];
  var total = slides.length;

  var SLIDE_W = 960;
  var SLIDE_H = 540;
  var LANG_FR = /^fr\b/i.test(root.lang || "");
  var PRESENTER = /(?:^|[?&])presenter(?:[=&]|$)/.test(location.search.slice(1));

  var T = LANG_FR ? {
    live: "Diapositive",
    step: "étape",
    next: "Suivante",
    notes: "Notes",
    noNotes: "(aucune note)",
    end: "Fin de la présentation",
    timer: "Temps écoulé",
    reset: "Remettre à zéro",
    helpTitle: "Raccourcis clavier",
    helpClose: "Appuyez sur ? ou Échap pour fermer",
    close: "Fermer",
    overview: "Vue d'ensemble",
    keys: [
      ["→ ↓ Espace Page↓ Entrée N", "Étape ou diapositive suivante"],
      ["← ↑ Page↑ Retour arrière P", "Étape ou diapositive précédente"],
      ["Début / Fin", "Première / dernière diapositive"],
      ["O, Échap", "Vue d'ensemble (flèches pour choisir, Entrée pour y aller)"],
      ["S", "Vue présentateur (notes, aperçu, minuteur)"],
      ["R", "Remettre le minuteur à zéro (vue présentateur)"],
      ["F", "Plein écran"],
      ["?, H", "Afficher / masquer cette aide"],
      ["Clic", "Deux tiers droits : suivant ; tiers gauche : précédent"],
      ["Glissement", "Vers la gauche : suivant ; vers la droite : précédent"]
    ]
  } : {
    live: "Slide",
    step: "step",
    next: "Next",
    notes: "Notes",
    noNotes: "(no notes)",
    end: "End of presentation",
    timer: "Elapsed time",
    reset: "Reset",
    helpTitle: "Keyboard shortcuts",
    helpClose: "Press ? or Esc to close",
    close: "Close",
    overview: "Overview",
    keys: [
      ["→ ↓ Space PgDn Enter N", "Next step or slide"],
      ["← ↑ PgUp Backspace P", "Previous step or slide"],
      ["Home / End", "First / last slide"],
      ["O, Esc", "Overview (arrows to choose, Enter to go)"],
      ["S", "Presenter view (notes, preview, timer)"],
      ["R", "Reset the timer (presenter view)"],
      ["F", "Fullscreen"],
      ["?, H", "Show / hide this help"],
      ["Click", "Right two thirds: next; left third: previous"],
      ["Swipe", "Left: next; right: previous"]
    ]
  };

  var state = { slide: total ? 1 : 0, step: total ? 1 : 0 };
  var overviewOpen = false;
  var overviewSel = 0;
  var scrollView = false; /* a narrow window (a phone): the slides one under the other, scrolled */
  var returnFocus = null; /* where focus goes back when a dialog (help, overview) closes */
  var helpEl = null;
  var liveEl = null;
  var lastAnnounced = 0;
  var presenter = null; /* presenter-view elements, when PRESENTER */

  function el(tag, cls, text) {
    var e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function clampInt(v, lo, hi) {
    v = parseInt(v, 10);
    if (!isFinite(v)) v = lo;
    return Math.max(lo, Math.min(hi, v));
  }

  /* ---------------------------------------------------------- steps */

  /* How many steps each slide has is the engine's (data-steps); which elements a step shows
     is the engine's CSS, keyed on the slide's data-show (the print document uses the same rules). */
  var stepCounts = slides.map(function (s) {
    var n = parseInt(s.getAttribute("data-steps"), 10);
    return n >= 1 ? n : 1;
  });

  function stepsOf(n) { return stepCounts[n - 1] || 1; }

  /* Show `slide` (an element, possibly a clone) as it is at `step`. */
  function applyStep(slide, step) {
    slide.setAttribute("data-current-step", String(step));
    slide.setAttribute("data-show", String(step));
  }

  /* ---------------------------------------------------------- scaling */

  var stages = [];

  function fitStage(stage) {
    var w = stage.clientWidth;
    var h = stage.clientHeight;
    if (!w || !h) return;
    var s = Math.min(w / SLIDE_W, h / SLIDE_H);
    stage.style.setProperty("--deck-scale", String(s));
  }

  function fitOverview() {
    if (!deckEl) return;
    var w = (deckEl.clientWidth || window.innerWidth) - 2 * 24;
    var gap = 16;
    var cols = Math.max(1, Math.min(total || 1, Math.floor((w + gap) / (260 + gap))));
    if (cols > 6) cols = 6;
    var cell = (w - gap * (cols - 1)) / cols;
    var s = Math.max(0.05, cell / SLIDE_W);
    root.style.setProperty("--deck-ov-scale", String(s));
  }

  function fitAll() {
    for (var i = 0; i < stages.length; i++) fitStage(stages[i]);
    if (overviewOpen) fitOverview();
  }

  function addStage(stage) {
    stage.classList.add("deck-stage");
    stages.push(stage);
    if (window.ResizeObserver) {
      new ResizeObserver(function () { fitStage(stage); }).observe(stage);
    }
    fitStage(stage);
  }

  /* ---------------------------------------------------------- URL */

  function hashFor(slide, step) {
    return "#/" + slide + (step > 1 ? "/" + step : "");
  }

  function parseHash(hash) {
    var h = hash || "";
    if (h.charAt(0) === "#") h = h.slice(1);
    try { h = decodeURIComponent(h); } catch (e) { /* keep raw */ }
    var m = /^\/?(\d+)(?:\/(\d+))?\/?$/.exec(h);
    if (m) return { slide: parseInt(m[1], 10), step: m[2] ? parseInt(m[2], 10) : 1 };
    m = /^slide-(\d+)$/.exec(h);
    if (m) return { slide: parseInt(m[1], 10), step: 1 };
    if (h) {
      var target = doc.getElementById(h);
      var owner = target && target.closest && target.closest(".slide");
      var idx = owner ? slides.indexOf(owner) : -1;
      if (idx >= 0) return { slide: idx + 1, step: 1 };
    }
    return null;
  }

  function writeHash() {
    var h = hashFor(state.slide, state.step);
    if (location.hash === h) return;
    try {
      history.replaceState(history.state, "", h);
    } catch (e) {
      try { location.replace(h); } catch (e2) { /* ignore */ }
    }
  }

  /* ---------------------------------------------------------- rendering */

  function render() {
    for (var i = 0; i < total; i++) {
      var s = slides[i];
      var cur = i + 1 === state.slide;
      s.classList.toggle("deck-current", cur);
      s.classList.toggle("deck-past", i + 1 < state.slide);
      s.classList.toggle("deck-future", i + 1 > state.slide);
      if (overviewOpen || scrollView) {
        s.setAttribute("aria-hidden", "false");
        s.inert = false;
        s.removeAttribute("inert");
      } else {
        s.setAttribute("aria-hidden", cur ? "false" : "true");
        s.inert = !cur;
        if (cur) s.removeAttribute("inert"); else s.setAttribute("inert", "");
      }
    }
    var current = slides[state.slide - 1];
    if (!overviewOpen && !scrollView) applyStep(current, state.step);
    if (deckEl) {
      deckEl.setAttribute("data-current-slide", String(state.slide));
      deckEl.setAttribute("data-current-step", String(state.step));
    }
    /* move focus out of a slide that just became inert */
    var a = doc.activeElement;
    if (!overviewOpen && !scrollView && a && a !== doc.body && a.closest && a.closest(".slide") &&
        a.closest(".slide") !== current) {
      a.blur();
    }
    if (liveEl && lastAnnounced !== state.slide) {
      lastAnnounced = state.slide;
      liveEl.textContent = T.live + " " + state.slide + " / " + total;
    }
    if (presenter) renderPresenter();
  }

  function emitChange() {
    var detail = { slide: state.slide, step: state.step };
    var ev;
    try {
      ev = new CustomEvent("deck:change", { detail: detail });
    } catch (e) {
      ev = doc.createEvent("CustomEvent");
      ev.initCustomEvent("deck:change", false, false, detail);
    }
    doc.dispatchEvent(ev);
  }

  /* The single entry point for every move.
   * opts.remote: the move came from a synced window (do not echo it back). */
  function go(slide, step, opts) {
    if (!total) return false;
    opts = opts || {};
    var n = clampInt(slide, 1, total);
    var k;
    if (step === "last" || step === Infinity) k = stepsOf(n);
    else k = clampInt(step == null ? 1 : step, 1, stepsOf(n));
    var changed = n !== state.slide || k !== state.step;
    state.slide = n;
    state.step = k;
    if (changed || opts.force) render();
    if (scrollView && changed && !opts.scrolled) slides[n - 1].scrollIntoView({ block: "start" });
    writeHash();
    if (changed || opts.force) {
      if (!opts.remote) sync.send();
      emitChange();
    }
    return changed;
  }

  function next() {
    if (!total) return false;
    if (state.step < stepsOf(state.slide)) return go(state.slide, state.step + 1);
    if (state.slide < total) return go(state.slide + 1, 1);
    return false;
  }

  function prev() {
    if (!total) return false;
    if (state.step > 1) return go(state.slide, state.step - 1);
    if (state.slide > 1) return go(state.slide - 1, "last");
    return false;
  }

  /* ---------------------------------------------------------- sync */

  var sync = (function () {
    var PROTO = "deck-sync/1";
    var key = location.pathname;
    var me = Math.random().toString(36).slice(2) + Date.now().toString(36);
    var seq = 0;
    var lastSeen = {};
    var peers = [];
    var bc = null;

    if (/^https?:$/.test(location.protocol) && typeof BroadcastChannel === "function") {
      try {
        bc = new BroadcastChannel("deck:" + key);
        bc.onmessage = function (e) { receive(e.data, null); };
      } catch (e) { bc = null; }
    }
    /* Without a channel (file://, where Chromium gives each page its own origin for
       BroadcastChannel), windows of the same file share localStorage: each message is written
       to one key, and the other windows get a 'storage' event. */
    var storeKey = bc ? null : "deck-sync:" + key;
    if (storeKey) {
      window.addEventListener("storage", function (e) {
        if (e.key !== storeKey || !e.newValue) return;
        var d = null;
        try { d = JSON.parse(e.newValue); } catch (err) { d = null; }
        receive(d, null);
      });
    }

    function addPeer(w) {
      if (!w || w === window) return;
      for (var i = 0; i < peers.length; i++) if (peers[i] === w) return;
      peers.push(w);
    }

    function post(msg) {
      msg.proto = PROTO;
      msg.key = key;
      msg.from = me;
      msg.seq = ++seq;
      var alive = [];
      for (var i = 0; i < peers.length; i++) {
        var w = peers[i];
        var closed = true;
        try { closed = w.closed; } catch (e) { closed = true; }
        if (closed) continue;
        alive.push(w);
        try { w.postMessage(msg, "*"); } catch (e) { /* ignore */ }
      }
      peers = alive;
      if (bc) {
        try { bc.postMessage(msg); } catch (e) { /* ignore */ }
      }
      if (storeKey) {
        try { localStorage.setItem(storeKey, JSON.stringify(msg)); } catch (e) { /* storage off */ }
      }
    }

    function send() {
      if (!total) return;
      post({ type: "state", slide: state.slide, step: state.step });
    }

    function receive(d, source) {
      if (!d || typeof d !== "object" || d.proto !== PROTO || d.key !== key || d.from === me) return;
      if (source) addPeer(source);
      if (typeof d.seq === "number") {
        if (lastSeen[d.from] >= d.seq) return; /* duplicate (second channel) */
        lastSeen[d.from] = d.seq;
      }
      if (d.type === "state") {
        go(d.slide, d.step, { remote: true });
      } else if (d.type === "hello") {
        send(); /* a newly opened window asks where we are */
      }
      /* "ping" only registers the sender as a peer */
    }

    window.addEventListener("message", function (e) { receive(e.data, e.source); });

    return {
      send: send,
      addPeer: addPeer,
      peers: function () { return peers.length; },
      hello: function () { post({ type: "hello" }); },
      ping: function () { post({ type: "ping" }); }
    };
  })();

  var presenterWin = null;

  function openPresenter() {
    if (PRESENTER || !total) return;
    var alive = false;
    try { alive = presenterWin && !presenterWin.closed; } catch (e) { alive = false; }
    if (alive) {
      try { presenterWin.focus(); } catch (e) { /* ignore */ }
      return;
    }
    var base = location.href.split("#")[0];
    var url = base + (base.indexOf("?") >= 0 ? "&" : "?") + "presenter" + hashFor(state.slide, state.step);
    presenterWin = window.open(url, "deck-presenter", "popup,width=1280,height=800");
    if (presenterWin) sync.addPeer(presenterWin);
  }

  /* ---------------------------------------------------------- overview */

  function setOverviewSel(i) {
    if (!total) return;
    overviewSel = clampInt(i, 0, total - 1);
    for (var j = 0; j < total; j++) {
      slides[j].classList.toggle("deck-selected", j === overviewSel);
    }
    var s = slides[overviewSel];
    if (s.scrollIntoView) {
      try { s.scrollIntoView({ block: "nearest", inline: "nearest" }); } catch (e) { s.scrollIntoView(false); }
    }
    if (!helpOpen()) focusOverviewSel();
  }

  /* The overview is a dialog too: the chosen thumbnail has the focus. */
  function focusOverviewSel() {
    var s = slides[overviewSel];
    if (!overviewOpen || !s) return;
    if (!returnFocus) returnFocus = doc.activeElement;
    try { s.focus({ preventScroll: true }); } catch (e) { s.focus(); }
  }

  function overviewCols() {
    if (total < 2) return 1;
    var top = slides[0].getBoundingClientRect().top;
    var cols = 1;
    while (cols < total && Math.abs(slides[cols].getBoundingClientRect().top - top) < 2) cols++;
    return cols;
  }

  function openOverview() {
    if (overviewOpen || !total || scrollView) return;
    overviewOpen = true;
    root.classList.add("deck-overview");
    if (deckEl) {
      deckEl.setAttribute("role", "dialog");
      deckEl.setAttribute("aria-modal", "true");
      deckEl.setAttribute("aria-label", T.overview);
    }
    for (var i = 0; i < total; i++) {
      applyStep(slides[i], stepCounts[i]);
      slides[i].tabIndex = -1;
    }
    fitOverview();
    render();
    setOverviewSel(state.slide - 1);
  }

  function closeOverview() {
    if (!overviewOpen) return;
    overviewOpen = false;
    root.classList.remove("deck-overview");
    for (var i = 0; i < total; i++) {
      slides[i].classList.remove("deck-selected");
      slides[i].removeAttribute("tabindex");
    }
    if (deckEl) {
      deckEl.scrollTop = 0;
      deckEl.removeAttribute("role");
      deckEl.removeAttribute("aria-modal");
      deckEl.removeAttribute("aria-label");
    }
    render();
    fitAll();
    giveFocusBack();
  }

  function toggleOverview() {
    if (overviewOpen) closeOverview(); else openOverview();
  }

  function overviewGo(i) {
    closeOverview();
    go(i + 1, 1);
  }

  /* ---------------------------------------------------------- help */

  function buildHelp() {
    helpEl = el("div", "deck-help deck-chrome");
    helpEl.setAttribute("role", "dialog");
    helpEl.setAttribute("aria-modal", "true");
    helpEl.setAttribute("aria-label", T.helpTitle);
    helpEl.hidden = true;
    var box = el("div", "deck-help-box");
    box.appendChild(el("h2", "deck-help-title", T.helpTitle));
    var table = el("table", "deck-help-keys");
    var tbody = el("tbody");
    T.keys.forEach(function (row) {
      var tr = el("tr");
      var th = el("th", null, row[0]);
      th.setAttribute("scope", "row");
      tr.appendChild(th);
      tr.appendChild(el("td", null, row[1]));
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    box.appendChild(table);
    var foot = el("p", "deck-help-close", T.helpClose + " ");
    var closeButton = el("button", "deck-help-button", T.close);
    closeButton.type = "button";
    foot.appendChild(closeButton);
    box.appendChild(foot);
    box.tabIndex = -1;
    helpEl.appendChild(box);
    helpEl.addEventListener("click", function (e) {
      e.stopPropagation();
      setHelp(false);
    });
    doc.body.appendChild(helpEl);
  }

  /* A dialog takes focus when it opens and gives it back when it closes. */
  function takeFocus(target) {
    if (!returnFocus) returnFocus = doc.activeElement;
    try { target.focus({ preventScroll: true }); } catch (e) { target.focus(); }
  }

  function giveFocusBack() {
    var back = returnFocus;
    returnFocus = null;
    if (back && back !== doc.body && back.focus && doc.contains(back) && !back.closest(".deck-help, [inert]")) {
      try { back.focus({ preventScroll: true }); } catch (e) { back.focus(); }
    } else if (doc.activeElement && doc.activeElement.blur) {
      doc.activeElement.blur();
    }
  }

  function setHelp(show) {
    if (!helpEl || helpOpen() === !!show) return;
    helpEl.hidden = !show;
    root.classList.toggle("deck-help-open", !!show);
    /* everything behind a modal dialog is out of reach: keyboard, pointer, screen reader */
    Array.prototype.forEach.call(doc.body.children, function (c) {
      if (c !== helpEl && c !== liveEl) c.inert = !!show;
    });
    if (show) takeFocus(helpEl.querySelector(".deck-help-button"));
    else if (overviewOpen) focusOverviewSel();
    else giveFocusBack();
  }

  /* Tab inside an open dialog: focus cycles through its controls, never behind it. */
  function trapTab(e, container) {
    var items = Array.prototype.filter.call(
      container.querySelectorAll("button, a[href], [tabindex]:not([tabindex='-1'])"),
      function (x) { return !x.disabled && x.getClientRects().length; });
    if (!items.length) { e.preventDefault(); return; }
    var i = items.indexOf(doc.activeElement);
    var k = e.shiftKey ? (i <= 0 ? items.length - 1 : i - 1) : (i < 0 || i === items.length - 1 ? 0 : i + 1);
    e.preventDefault();
    items[k].focus();
  }

  function helpOpen() { return !!helpEl && !helpEl.hidden; }

  /* ---------------------------------------------------------- scroll view */

  /* Below about 500 px (a phone held upright) a scaled slide would have 9-px text: the slides are
     laid out one under the other at the window's width instead, each in its final state, and the
     page scrolls. The URL still names the slide at the top. */
  var NARROW = "(max-width: 480px)";

  function setScrollView(on) {
    if (on === scrollView) return;
    if (on && overviewOpen) closeOverview();
    scrollView = on;
    root.classList.toggle("deck-scroll", on);
    if (on) {
      for (var i = 0; i < total; i++) applyStep(slides[i], stepCounts[i]);
      render();
      var s = slides[state.slide - 1];
      if (s && state.slide > 1) {
        s.scrollIntoView({ block: "start" });
        /* the slides above are set again once the deck's fonts are ready (their text takes another
           height than in the fallback font): the slide the URL names goes back to the top */
        var anchored = state.slide;
        if (doc.fonts && doc.fonts.ready) doc.fonts.ready.then(function () {
          if (scrollView && state.slide === anchored) slides[anchored - 1].scrollIntoView({ block: "start" });
        });
      } else window.scrollTo(0, 0);
    } else {
      render();
      fitAll();
    }
  }

  var scrollQueued = false;

  function onScroll() {
    if (!scrollView || scrollQueued) return;
    scrollQueued = true;
    window.requestAnimationFrame(function () {
      scrollQueued = false;
      /* a window being widened out of the scroll view scrolls too: that is no reader's move */
      if (!scrollView || !window.matchMedia(NARROW).matches) return;
      var n = 1;
      for (var i = 0; i < total; i++) {
        if (slides[i].getBoundingClientRect().top < 4) n = i + 1; /* the slide at the top of the window */
      }
      if (n !== state.slide) go(n, "last", { remote: true, scrolled: true });
    });
  }

  /* ---------------------------------------------------------- fullscreen */

  function toggleFullscreen() {
    try {
      if (doc.fullscreenElement) {
        var p = doc.exitFullscreen();
        if (p && p.catch) p.catch(function () {});
      } else if (root.requestFullscreen) {
        var q = root.requestFullscreen();
        if (q && q.catch) q.catch(function () {});
      }
    } catch (e) { /* not allowed here: ignore */ }
  }

  /* ---------------------------------------------------------- presenter */

  var timerStart = Date.now();

  function formatElapsed(ms) {
    var t = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(t / 3600);
    var m = Math.floor((t % 3600) / 60);
    var s = t % 60;
    var mm = (m < 10 ? "0" : "") + m;
    var ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  function tick() {
    if (presenter) presenter.timer.textContent = formatElapsed(Date.now() - timerStart);
  }

  function resetTimer() {
    timerStart = Date.now();
    tick();
  }

  function buildPresenter() {
    root.classList.add("deck-presenter");
    var bar = el("div", "deck-presenter-bar deck-chrome");
    var counter = el("div", "deck-presenter-counter");
    var timerBox = el("div", "deck-presenter-timerbox");
    var timer = el("span", "deck-presenter-timer", "00:00");
    timer.setAttribute("title", T.timer);
    timer.setAttribute("role", "timer");
    var reset = el("button", "deck-presenter-reset", T.reset + " (R)");
    reset.type = "button";
    reset.addEventListener("click", function (e) { e.stopPropagation(); resetTimer(); });
    timerBox.appendChild(timer);
    timerBox.appendChild(reset);
    bar.appendChild(counter);
    bar.appendChild(timerBox);

    var nextPane = el("section", "deck-presenter-next deck-chrome");
    nextPane.setAttribute("aria-label", T.next);
    nextPane.appendChild(el("div", "deck-presenter-label", T.next));
    var nextStage = el("div", "deck deck-preview");
    nextStage.setAttribute("aria-hidden", "true");
    nextStage.title = T.next;
    nextPane.appendChild(nextStage);

    var notesPane = el("section", "deck-presenter-notes-pane deck-chrome");
    notesPane.setAttribute("aria-label", T.notes);
    notesPane.appendChild(el("div", "deck-presenter-label", T.notes));
    var notes = el("div", "deck-presenter-notes");
    notesPane.appendChild(notes);

    doc.body.insertBefore(bar, doc.body.firstChild);
    doc.body.appendChild(nextPane);
    doc.body.appendChild(notesPane);

    presenter = { counter: counter, timer: timer, nextStage: nextStage, notes: notes, key: "" };
    addStage(nextStage);
    nextStage.addEventListener("click", function (e) { e.stopPropagation(); next(); });
    setInterval(tick, 250);
    tick();
  }

  function renderPresenter() {
    var p = presenter;
    var n = state.slide;
    var k = state.step;
    var steps = stepsOf(n);
    p.counter.textContent = n + " / " + total + (steps > 1 ? " · " + T.step + " " + k + "/" + steps : "");
    var key = n + "/" + k;
    if (p.key === key) return;
    p.key = key;

    /* next step of this slide, or first step of the next slide */
    var tn = 0;
    var tk = 1;
    if (k < steps) { tn = n; tk = k + 1; } else if (n < total) { tn = n + 1; tk = 1; }
    p.nextStage.textContent = "";
    if (tn) {
      var clone = slides[tn - 1].cloneNode(true);
      clone.removeAttribute("id");
      clone.classList.remove("deck-current", "deck-past", "deck-future", "deck-selected");
      clone.removeAttribute("aria-hidden");
      clone.setAttribute("inert", ""); /* a picture only: clicks reach the pane */
      var cn = clone.querySelectorAll("aside.notes");
      for (var i = 0; i < cn.length; i++) cn[i].parentNode.removeChild(cn[i]);
      applyStep(clone, tk);
      p.nextStage.appendChild(clone);
      p.nextStage.setAttribute("data-preview-slide", String(tn));
      p.nextStage.setAttribute("data-preview-step", String(tk));
    } else {
      p.nextStage.appendChild(el("div", "deck-presenter-end", T.end));
      p.nextStage.setAttribute("data-preview-slide", "0");
      p.nextStage.setAttribute("data-preview-step", "0");
    }

    var src = slides[n - 1].querySelector("aside.notes");
    if (src && src.innerHTML.trim()) {
      p.notes.innerHTML = src.innerHTML;
      p.notes.classList.remove("deck-presenter-notes-empty");
    } else {
      p.notes.textContent = T.noNotes;
      p.notes.classList.add("deck-presenter-notes-empty");
    }
    p.notes.scrollTop = 0;
  }

  /* ---------------------------------------------------------- input */

  function isEditable(t) {
    if (!t || !t.closest) return false;
    return !!t.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
  }

  function isInteractive(t) {
    if (!t || !t.closest) return false;
    return !!t.closest("a[href], button, input, textarea, select, label, summary, details, video, audio, iframe, [contenteditable=''], [contenteditable='true'], .deck-help, .deck-presenter-bar");
  }

  function onKey(e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (isEditable(e.target)) return;
    var key = e.key;
    var lower = key && key.length === 1 ? key.toLowerCase() : key;
    var handled = true;

    if (key === "?" || lower === "h") {
      setHelp(!helpOpen());
    } else if (helpOpen()) {
      /* a modal dialog: the deck behind it does not move */
      if (key === "Escape") setHelp(false);
      else if (key === "Tab") trapTab(e, helpEl);
      else if (key === "Enter" || key === " ") handled = false; /* the close button */
    } else if (scrollView) {
      handled = false; /* arrows, space and page keys scroll the page */
    } else if (overviewOpen) {
      var cols;
      switch (key) {
        case "Tab": setOverviewSel((overviewSel + (e.shiftKey ? total - 1 : 1)) % total); break;
        case "Escape": case "o": case "O": closeOverview(); break;
        case "ArrowRight": setOverviewSel(overviewSel + 1); break;
        case "ArrowLeft": setOverviewSel(overviewSel - 1); break;
        case "ArrowDown": cols = overviewCols(); setOverviewSel(overviewSel + cols); break;
        case "ArrowUp": cols = overviewCols(); setOverviewSel(overviewSel - cols); break;
        case "Home": setOverviewSel(0); break;
        case "End": setOverviewSel(total - 1); break;
        case "Enter": case " ": overviewGo(overviewSel); break;
        case "f": case "F": toggleFullscreen(); break;
        default: handled = false;
      }
    } else {
      var onControl = isInteractive(e.target) && e.target !== doc.body;
      switch (key) {
        case "ArrowRight": case "ArrowDown": case "PageDown": case "n": case "N":
          next(); break;
        case " ":
          if (onControl) { handled = false; break; }
          if (e.shiftKey) prev(); else next();
          break;
        case "Enter":
          if (onControl) { handled = false; break; }
          next(); break;
        case "ArrowLeft": case "ArrowUp": case "PageUp": case "Backspace": case "p": case "P":
          prev(); break;
        case "Home": go(1, 1); break;
        case "End": go(total, "last"); break;
        case "Escape": case "o": case "O": openOverview(); break;
        case "s": case "S": if (PRESENTER) handled = false; else openPresenter(); break;
        case "f": case "F": toggleFullscreen(); break;
        case "r": case "R": if (PRESENTER) resetTimer(); else handled = false; break;
        default: handled = false;
      }
    }
    if (handled) e.preventDefault();
  }

  var downAt = null;

  function onMouseDown(e) {
    downAt = { x: e.clientX, y: e.clientY };
  }

  function selectionText() {
    var sel = window.getSelection ? window.getSelection() : null;
    return sel && !sel.isCollapsed ? String(sel) : "";
  }

  function onClick(e) {
    if (e.button !== 0 || e.defaultPrevented || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    var moved = downAt && (Math.abs(e.clientX - downAt.x) > 5 || Math.abs(e.clientY - downAt.y) > 5);
    downAt = null;
    if (helpOpen()) { setHelp(false); return; }
    if (scrollView) return;
    if (overviewOpen) {
      var s = e.target.closest && e.target.closest(".slide");
      var i = s ? slides.indexOf(s) : -1;
      if (i >= 0) overviewGo(i);
      return;
    }
    if (moved || selectionText() || isInteractive(e.target)) return;
    var x;
    var w;
    if (PRESENTER) {
      if (!deckEl || !deckEl.contains(e.target)) return;
      var r = deckEl.getBoundingClientRect();
      x = e.clientX - r.left;
      w = r.width;
    } else {
      x = e.clientX;
      w = window.innerWidth || root.clientWidth;
    }
    if (!w) return;
    if (x < w / 3) prev(); else next();
  }

  var touch0 = null;

  function onTouchStart(e) {
    if (e.touches.length !== 1) { touch0 = null; return; }
    touch0 = { x: e.touches[0].clientX, y: e.touches[0].clientY, t: Date.now() };
  }

  function onTouchEnd(e) {
    if (!touch0 || overviewOpen || scrollView) { touch0 = null; return; }
    var t = e.changedTouches && e.changedTouches[0];
    if (!t) { touch0 = null; return; }
    var dx = t.clientX - touch0.x;
    var dy = t.clientY - touch0.y;
    touch0 = null;
    if (Math.abs(dx) >= 40 && Math.abs(dx) > 1.5 * Math.abs(dy)) {
      if (dx < 0) next(); else prev();
    }
  }

  /* ---------------------------------------------------------- start */

  function start() {
    root.classList.add("deck-ready");
    if (!deckEl || !total) {
      if (deckEl) deckEl.classList.add("deck-empty");
      return;
    }
    addStage(deckEl);

    liveEl = el("div", "deck-live deck-chrome deck-visually-hidden");
    liveEl.setAttribute("aria-live", "polite");
    liveEl.setAttribute("aria-atomic", "true");
    doc.body.appendChild(liveEl);
    buildHelp();
    if (PRESENTER) buildPresenter();

    var h = parseHash(location.hash);
    state.slide = 0; /* force a full render */
    if (h) go(h.slide, h.step, { remote: true, force: true });
    else go(1, 1, { remote: true, force: true });

    window.addEventListener("hashchange", function () {
      var t = parseHash(location.hash);
      if (t) go(t.slide, t.step);
      else writeHash();
    });
    window.addEventListener("resize", fitAll);
    if (!PRESENTER && window.matchMedia) {
      var narrow = window.matchMedia(NARROW);
      setScrollView(narrow.matches);
      narrow.addEventListener("change", function (e) { setScrollView(e.matches); });
      window.addEventListener("scroll", onScroll, { passive: true });
    }
    doc.addEventListener("keydown", onKey);
    doc.addEventListener("mousedown", onMouseDown, true);
    doc.addEventListener("click", onClick);
    doc.addEventListener("touchstart", onTouchStart, { passive: true });
    doc.addEventListener("touchend", onTouchEnd, { passive: true });

    if (PRESENTER) {
      var op = null;
      try { op = window.opener; } catch (e) { op = null; }
      if (op) {
        sync.addPeer(op);
        /* keep the audience window informed of us, even after it reloads */
        setInterval(sync.ping, 2000);
      }
      sync.hello();
    }
  }

  /* ---------------------------------------------------------- API */

  window.deck = {
    go: function (slide, step) { return go(slide, step == null ? 1 : step); },
    next: next,
    prev: prev,
    first: function () { return go(1, 1); },
    last: function () { return go(total, "last"); },
    state: function () {
      return { slide: state.slide, step: state.step, total: total, steps: total ? stepsOf(state.slide) : 0 };
    },
    overview: toggleOverview,
    help: function (show) { setHelp(show == null ? !helpOpen() : !!show); },
    presenter: openPresenter,
    fit: fitAll,
    isPresenter: PRESENTER,
    peers: function () { return sync.peers(); } /* windows this one keeps in step (presenter, audience) */
  };

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", start);
  else start();
})();
