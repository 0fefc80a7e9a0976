/*
 * CareCoord chat widget: dependency-free, embedded with one tag:
 *   <script src="https://api.example/widget/widget.js" data-api="https://api.example" data-token="…"></script>
 *
 * A launcher bubble opens a chat panel bound to the token's patient. Answers stream over
 * Server-Sent Events (status lines, answers with numbered citations, escalation cards that change
 * live when a clinician decides, an emergency banner on the emergent answer itself). A dropped stream reconnects (EventSource
 * retry, then a fresh stream after re-reading the history), so nothing is lost or shown twice.
 * All server text goes in through textContent, never as HTML.
 */
(function () {
  "use strict";

  var STREAM_BACKOFF_MS = [1000, 2000, 5000, 10000, 20000];
  var OUTCOME_TEXT = {
    approved: "Approved by your care team",
    rejected: "Not approved by your care team",
    answered: "Answered by your care team",
    acknowledged: "Seen by your care team",
    decided: "Decided by your care team"
  };
  var PENDING_TEXT = "Sent to your care team — awaiting review";
  var NOTIFIED_TEXT = "Your care team has been alerted";
  var NOTIFYING_TEXT = "Your care team is being alerted";
  var CARD_TITLES = {
    emergency: "Emergency alert",
    clinical_question: "Your question for the care team",
    low_confidence: "Your message, for a person to read"
  };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function chatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "30");
    svg.setAttribute("height", "30");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z");
    svg.appendChild(path);
    return svg;
  }

  function tokenPatient(token) {
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(part)).patient || "";
    } catch (err) {
      return "";
    }
  }

  var POSITIONS = ["bottom-right", "bottom-left", "top-right", "top-left"];
  var MIN_PANEL_PX = 260;
  var CONTROLS = "a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1'])";

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  /*
   * Sources shown once per record resource type and date ("Your medication list, updated 2026-11-01"
   * for ten prescriptions is one source), knowledge passages once per passage. Returns the sources to
   * list, numbered 1..k in order, and `number[n]`: the shown number of every original citation n.
   */
  function groupSources(citations) {
    var shown = [];
    var byKey = {};
    var number = {};
    (citations || []).forEach(function (c) {
      var type = String(c.id || "").split("/")[0];
      var key = c.kind === "fhir" ? "fhir|" + type + "|" + c.title : "knowledge|" + c.id + "|" + c.quote;
      if (!byKey[key]) {
        byKey[key] = { n: shown.length + 1, kind: c.kind, title: c.title, quotes: [], ids: [], values: [] };
        shown.push(byKey[key]);
      }
      var group = byKey[key];
      if (group.ids.indexOf(c.id) < 0) {
        group.ids.push(c.id);
        if (c.values) group.values.push(c.values);
      }
      if (group.quotes.indexOf(c.quote) < 0) group.quotes.push(c.quote);
      number[c.n] = group.n;
    });
    return { shown: shown, number: number };
  }

  function Widget(options) {
    this.api = options.api.replace(/\/+$/, "");
    this.token = options.token;
    this.title = options.title || "Care team chat";
    this.position = POSITIONS.indexOf(options.position) >= 0 ? options.position : "bottom-right";
    this.size = { width: options.width, height: options.height, x: options.offsetX, y: options.offsetY };
    this.avoid = options.avoid !== false;
    this.storageKey = "carecoord:thread:" + this.api + ":" + tokenPatient(this.token);
    this.threadId = null;
    this.lastId = 0;
    this.seen = {};
    this.live = false; // false while a reload replays the history: old emergencies are not re-announced
    this.cards = {};
    this.stream = null;
    this.failures = 0;
    this.reconnectTimer = null;
    this.busy = false;
    this.queued = false; // a message sent before the session was open
    this.started = false;
    this.build();
  }

  Widget.prototype.build = function () {
    var self = this;
    var uid = "cc-" + Math.random().toString(36).slice(2, 8);
    this.root = el("div", {
      className: "cc-root cc-" + this.position.split("-")[0] + " cc-" + this.position.split("-")[1],
      "data-carecoord": "widget",
      "data-position": this.position
    });
    var vars = { width: "--cc-width", height: "--cc-height", x: "--cc-offset-x", y: "--cc-offset-y" };
    Object.keys(vars).forEach(function (name) {
      var value = self.size[name];
      if (value) self.root.style.setProperty(vars[name], /^\d+$/.test(String(value)) ? value + "px" : String(value));
    });
    this.launcher = el("button", {
      className: "cc-launcher",
      type: "button",
      "aria-expanded": "false",
      "aria-controls": uid + "-panel",
      "aria-label": "Open chat with your care team"
    }, [chatIcon()]);
    this.panel = el("section", {
      className: "cc-panel",
      id: uid + "-panel",
      role: "dialog",
      "aria-modal": "false",
      "aria-labelledby": uid + "-title",
      hidden: "hidden"
    });
    var close = el("button", { className: "cc-close", type: "button", "aria-label": "Close chat", text: "×" });
    var header = el("header", { className: "cc-header" }, [
      el("h2", { className: "cc-title", id: uid + "-title", text: this.title }),
      close
    ]);
    this.log = el("div", {
      className: "cc-log",
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "aria-label": "Conversation",
      tabindex: "0"
    });
    this.status = el("p", { className: "cc-status", role: "status", "aria-live": "polite" });
    this.notice = el("p", { className: "cc-notice", role: "alert", hidden: "hidden" });
    this.input = el("textarea", {
      className: "cc-input",
      id: uid + "-input",
      rows: "2",
      maxlength: "2000",
      placeholder: "Ask about your medications, appointments, results…"
    });
    this.send = el("button", { className: "cc-send", type: "submit", text: "Send" });
    this.form = el("form", { className: "cc-form" }, [
      el("label", { className: "cc-visually-hidden", for: uid + "-input", text: "Your message" }),
      this.input,
      this.send
    ]);
    this.panel.appendChild(header);
    this.panel.appendChild(this.log);
    this.panel.appendChild(this.status);
    this.panel.appendChild(this.notice);
    this.panel.appendChild(this.form);
    this.root.appendChild(this.panel);
    this.root.appendChild(this.launcher);
    document.body.appendChild(this.root);

    this.launcher.addEventListener("click", function () {
      self.panel.hidden ? self.open() : self.close();
    });
    close.addEventListener("click", function () { self.close(); });
    this.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") self.close();
    });
    this.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        self.submit();
      }
    });
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submit();
    });
    this.onResize = function () { self.fit(); };
    window.addEventListener("resize", this.onResize);
    // The host page moves its own controls (options load, text wraps, fonts arrive): fit again then, in the
    // observer's own callback (a microtask, after the change and before the next paint or page task), so the
    // panel never sits over a control for a frame. The observer already batches a burst of changes into one
    // call, and fit() only changes the widget's own nodes, which this observer ignores.
    if (window.MutationObserver) {
      this.pageWatch = new MutationObserver(function (changes) {
        var outside = changes.some(function (change) { return !self.root.contains(change.target); });
        if (outside && !self.panel.hidden) self.fit();
      });
      this.pageWatch.observe(document.body, { childList: true, subtree: true, characterData: true });
    }
  };

  /*
   * Keep the open panel off the host page's own controls: shorten it until its edge clears every visible
   * control it would cover; when that leaves too little room, try the other side of the page.
   */
  Widget.prototype.fit = function () {
    if (this.panel.hidden || !this.avoid) return;
    var panel = this.panel;
    var root = this.root;
    var side = this.position.split("-")[1];
    var other = side === "right" ? "left" : "right";
    var top = this.position.indexOf("top") === 0;
    var controls = Array.prototype.filter.call(document.querySelectorAll(CONTROLS), function (node) {
      return !root.contains(node) && node.getClientRects().length > 0;
    }).map(function (node) { return node.getBoundingClientRect(); });
    var attempt = function (where) {
      root.classList.remove("cc-left", "cc-right");
      root.classList.add("cc-" + where);
      panel.style.height = "";
      var box = panel.getBoundingClientRect();
      var hit = controls.filter(function (c) { return overlaps(box, c); });
      if (!hit.length) return true;
      var edge = top
        ? Math.min.apply(null, hit.map(function (c) { return c.top; })) - 8 - box.top
        : box.bottom - (Math.max.apply(null, hit.map(function (c) { return c.bottom; })) + 8);
      if (edge < MIN_PANEL_PX) return false;
      panel.style.height = edge + "px";
      return true;
    };
    if (window.innerWidth <= 480) return; // a phone: the panel is full screen, over everything, by design
    if (!attempt(side) && !attempt(other)) attempt(side);
    root.setAttribute("data-side", root.classList.contains("cc-left") ? "left" : "right");
  };

  Widget.prototype.open = function () {
    this.panel.hidden = false;
    this.fit();
    this.launcher.setAttribute("aria-expanded", "true");
    this.launcher.setAttribute("aria-label", "Close chat with your care team");
    this.input.focus();
    if (!this.started) {
      this.started = true;
      this.start();
    }
  };

  Widget.prototype.close = function () {
    this.panel.hidden = true;
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.setAttribute("aria-label", "Open chat with your care team");
    this.launcher.focus();
  };

  Widget.prototype.request = function (method, path, body) {
    var init = {
      method: method,
      headers: { Authorization: "Bearer " + this.token, Accept: "application/json" }
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(this.api + path, init).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (err) { data = null; }
        if (!response.ok) {
          var error = new Error((data && data.error && data.error.message) || "Request failed (" + response.status + ").");
          error.status = response.status;
          error.code = data && data.error && data.error.code;
          throw error;
        }
        return data;
      });
    });
  };

  Widget.prototype.start = function () {
    var self = this;
    var stored = null;
    try { stored = window.sessionStorage.getItem(this.storageKey); } catch (err) { stored = null; }
    var ready = stored
      ? this.resync(stored).catch(function (err) {
          if (err.status === 403 || err.status === 404) return self.openSession();
          throw err;
        })
      : this.openSession();
    ready.then(function () {
      self.connect();
      if (self.queued) {
        self.queued = false;
        self.submit();
      }
    }).catch(function (err) { self.showNotice(err.message); });
  };

  Widget.prototype.openSession = function () {
    var self = this;
    return this.request("POST", "/v1/sessions").then(function (session) {
      self.threadId = session.thread_id;
      self.live = true;
      try { window.sessionStorage.setItem(self.storageKey, self.threadId); } catch (err) { /* private mode */ }
    });
  };

  /* Re-read the history and render whatever this page has not shown yet. */
  Widget.prototype.resync = function (threadId) {
    var self = this;
    return this.request("GET", "/v1/threads/" + encodeURIComponent(threadId)).then(function (history) {
      self.threadId = history.thread_id;
      history.events.forEach(function (stored) { self.apply(stored); });
      self.live = true; // what arrives after the first history read happened while this page was open
      self.setBusy(history.busy);
      if (!history.busy) self.setStatus("");
    });
  };

  Widget.prototype.connect = function () {
    var self = this;
    if (this.stream) this.stream.close();
    var url = this.api + "/v1/threads/" + encodeURIComponent(this.threadId) + "/events?access_token=" +
      encodeURIComponent(this.token) + "&after=" + this.lastId;
    var stream = new EventSource(url);
    this.stream = stream;
    var opened = false;
    ["message", "status", "answer", "escalation", "decision", "error"].forEach(function (type) {
      stream.addEventListener(type, function (event) {
        if (!event.data) return; // a transport error, handled by onerror
        try { self.apply(JSON.parse(event.data)); } catch (err) { /* ignore a malformed frame */ }
      });
    });
    stream.onopen = function () {
      if (opened || self.failures > 0) {
        // Reconnected after a drop: the history is the truth, the stream resumes after lastId.
        self.resync(self.threadId).catch(function () { /* the stream will catch up */ });
      }
      opened = true;
      self.failures = 0;
      self.root.removeAttribute("data-stream-lost");
      self.hideNotice();
    };
    stream.onerror = function () {
      self.root.setAttribute("data-stream-lost", "true");
      if (stream.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. the server refused): retry ourselves with backoff.
        var wait = STREAM_BACKOFF_MS[Math.min(self.failures, STREAM_BACKOFF_MS.length - 1)];
        self.failures += 1;
        self.showNotice("Connection lost — reconnecting…");
        clearTimeout(self.reconnectTimer);
        self.reconnectTimer = setTimeout(function () {
          self.resync(self.threadId).then(function () { self.connect(); }, function (err) {
            if (err.status === 401) self.showNotice("Your session has expired. Please reload the page.");
            else self.connect();
          });
        }, wait);
      }
    };
  };

  Widget.prototype.submit = function () {
    var self = this;
    var text = this.input.value.trim();
    if (!text || this.busy) return;
    if (!this.threadId) { // still opening the session: send as soon as it is open, never drop it
      this.queued = true;
      this.setStatus("Connecting…");
      return;
    }
    this.setBusy(true);
    this.setStatus("Sending…");
    this.request("POST", "/v1/threads/" + encodeURIComponent(this.threadId) + "/messages", { text: text })
      .then(function () {
        self.input.value = "";
        self.hideNotice();
      })
      .catch(function (err) {
        self.setBusy(false);
        self.setStatus("");
        self.showNotice(err.message);
      });
  };

  Widget.prototype.setBusy = function (busy) {
    this.busy = !!busy;
    this.send.disabled = this.busy;
    this.log.setAttribute("aria-busy", this.busy ? "true" : "false");
  };

  Widget.prototype.setStatus = function (text) {
    this.status.textContent = text;
  };

  Widget.prototype.showNotice = function (text) {
    this.notice.textContent = text;
    this.notice.hidden = false;
  };

  Widget.prototype.hideNotice = function () {
    this.notice.hidden = true;
    this.notice.textContent = "";
  };

  /* Render one stored event ({id, created, event}) exactly once. */
  Widget.prototype.apply = function (stored) {
    if (!stored || !stored.event || this.seen[stored.id]) return;
    this.seen[stored.id] = true;
    if (stored.id > this.lastId) this.lastId = stored.id;
    var event = stored.event;
    if (event.type === "status") {
      this.setStatus(event.text);
      this.setBusy(true);
    } else if (event.type === "message") {
      this.addBubble("patient", [document.createTextNode(event.text)], stored.id);
    } else if (event.type === "answer") {
      this.renderAnswer(event, stored.id);
      this.setStatus("");
      this.setBusy(false);
    } else if (event.type === "escalation") {
      this.renderCard(event, stored.id);
    } else if (event.type === "decision") {
      this.renderDecision(event, stored.id);
    } else if (event.type === "error") {
      this.addBubble("error", [document.createTextNode(event.message)], stored.id);
      this.setStatus("");
      this.setBusy(false);
    }
  };

  Widget.prototype.addBubble = function (who, children, id) {
    var labels = { patient: "You", assistant: "Assistant", careteam: "Care team", error: "Assistant" };
    var item = el("div", { className: "cc-msg cc-" + who, "data-event-id": String(id) }, [
      el("span", { className: "cc-visually-hidden", text: labels[who] + ": " })
    ]);
    var body = el("div", { className: "cc-bubble" }, children);
    item.appendChild(body);
    this.log.appendChild(item);
    this.log.scrollTop = this.log.scrollHeight;
    return item;
  };

  Widget.prototype.renderAnswer = function (answer, id) {
    var prefix = "cc-src-" + id + "-";
    var text = el("p", { className: "cc-answer" });
    var parts = String(answer.answer).split(/(\[\d+\])/);
    var sources = groupSources(answer.citations);
    var previous = null;
    parts.forEach(function (part) {
      var match = /^\[(\d+)\]$/.exec(part);
      if (match && sources.number[match[1]]) {
        var n = sources.number[match[1]];
        if (n === previous) return; // "[1][1]" after grouping reads as one marker
        previous = n;
        var source = sources.shown[n - 1];
        var ref = el("a", {
          className: "cc-cite",
          href: "#" + prefix + n,
          "aria-label": "Source " + n + ": " + source.title,
          text: "[" + n + "]"
        });
        ref.addEventListener("click", function (event) {
          event.preventDefault();
          var target = document.getElementById(prefix + n);
          if (!target) return;
          var details = target.querySelector("details");
          details.open = true;
          details.querySelector("summary").focus();
        });
        text.appendChild(ref);
      } else if (part) {
        if (/\S/.test(part)) previous = null;
        text.appendChild(document.createTextNode(part.replace(/\s+$/, " ")));
      }
    });
    var children = [text];
    if (sources.shown.length) {
      var list = el("ol", { className: "cc-sources", "aria-label": "Sources" });
      sources.shown.forEach(function (source) {
        var body = source.kind !== "fhir"
          ? el("blockquote", { className: "cc-quote", text: source.quotes[0] })
          : source.values.length
            ? el("ul", { className: "cc-record", "aria-label": "As your health record shows it" },
              source.values.map(function (line) { return el("li", { text: line }); }))
            : el("p", {
              className: "cc-record",
              text: source.ids.length === 1 ? "From your health record." : source.ids.length + " entries from your health record."
            });
        var details = el("details", {}, [el("summary", { text: "[" + source.n + "] " + source.title }), body]);
        list.appendChild(el("li", {
          id: prefix + source.n,
          className: "cc-source cc-source-" + source.kind,
          "data-count": String(source.ids.length)
        }, [details]));
      });
      children.push(list);
    }
    var emergent = answer.escalation && answer.escalation.level === "emergent";
    if (emergent) children.unshift(emergencyBanner(this.live));
    var item = this.addBubble("assistant", children, id);
    if (!emergent) return;
    item.setAttribute("data-emergency", "true");
    var call = item.querySelector(".cc-call");
    if (this.live && call) call.focus();
  };

  /*
   * The 911 / 988 banner belongs to the emergent answer that raised it (issue 13 item 7): it is drawn
   * inside that message, so a later "is pizza ok?" answer and a reload never show it on anything else.
   * Only an emergency arriving now is announced (role=alert) and takes focus; one replayed from the
   * history on reload is still shown on its message, quietly.
   */
  function emergencyBanner(live) {
    return el("div", live
      ? { className: "cc-emergency", role: "alert" }
      : { className: "cc-emergency", role: "group", "aria-label": "Emergency" }, [
      el("p", { className: "cc-emergency-text", text: "This could be an emergency. Get help now:" }),
      el("div", { className: "cc-emergency-actions" }, [
        el("a", { className: "cc-call", href: "tel:911", text: "Call 911" }),
        el("a", { className: "cc-call cc-call-988", href: "tel:988", text: "Call or text 988" })
      ])
    ]);
  }

  Widget.prototype.renderCard = function (escalation, id) {
    var pending = escalation.status === "pending";
    var state = el("p", {
      className: "cc-card-state",
      text: pending ? PENDING_TEXT : escalation.status === "notified" ? NOTIFIED_TEXT :
        escalation.status === "notifying" ? NOTIFYING_TEXT : (OUTCOME_TEXT[escalation.status] || escalation.status)
    });
    var card = el("div", {
      className: "cc-card",
      role: "group",
      "aria-label": "Request to your care team",
      "data-escalation-id": escalation.id,
      "data-status": escalation.status
    }, [
      el("p", {
        className: "cc-card-summary",
        text: escalation.kind === "action_approval" ? (escalation.summary || "Your request") :
          (CARD_TITLES[escalation.kind] || "Your request")
      }),
      state
    ]);
    this.cards[escalation.id] = card;
    this.addBubble("careteam", [card], id);
  };

  Widget.prototype.renderDecision = function (decision, id) {
    var card = decision.escalation_id ? this.cards[decision.escalation_id] : null;
    if (card) {
      card.setAttribute("data-status", decision.outcome);
      var state = card.querySelector(".cc-card-state");
      state.textContent = OUTCOME_TEXT[decision.outcome] || OUTCOME_TEXT.decided;
    }
    this.addBubble("careteam", [el("p", { className: "cc-decision", text: decision.text })], id);
    this.setStatus(OUTCOME_TEXT[decision.outcome] || OUTCOME_TEXT.decided);
  };

  Widget.prototype.destroy = function () {
    window.removeEventListener("resize", this.onResize);
    if (this.pageWatch) this.pageWatch.disconnect();
    clearTimeout(this.reconnectTimer);
    if (this.stream) this.stream.close();
    if (this.root.parentNode) this.root.parentNode.removeChild(this.root);
  };

  function ensureStyles(scriptSrc) {
    if (!scriptSrc || document.querySelector("link[data-carecoord-css]")) return;
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = scriptSrc.replace(/widget\.js(\?.*)?$/, "widget.css");
    link.setAttribute("data-carecoord-css", "true");
    document.head.appendChild(link);
  }

  var current = null;
  var api = {
    mount: function (options) {
      if (current) current.destroy();
      current = new Widget(options);
      return current;
    },
    destroy: function () {
      if (current) current.destroy();
      current = null;
    }
  };
  window.CareCoordWidget = api;

  var script = document.currentScript;
  if (script) {
    ensureStyles(script.src);
    var apiUrl = script.getAttribute("data-api");
    var token = script.getAttribute("data-token");
    if (apiUrl && token) {
      var mount = function () {
        api.mount({
          api: apiUrl,
          token: token,
          title: script.getAttribute("data-title"),
          position: script.getAttribute("data-position"),
          width: script.getAttribute("data-width"),
          height: script.getAttribute("data-height"),
          offsetX: script.getAttribute("data-offset-x"),
          offsetY: script.getAttribute("data-offset-y"),
          avoid: script.getAttribute("data-avoid-controls") !== "false"
        });
      };
      if (document.body) mount();
      else document.addEventListener("DOMContentLoaded", mount);
    }
  }
})();
