/* Live boards: one WebSocket per page, reconnect with backoff, resync by last event id,
   countdowns. No framework; pages call HelpdeskLive.* from their templates. */
(function () {
  "use strict";

  var PING_MS = 20000;
  var MAX_BACKOFF_MS = 30000;
  var SOON_SECONDS = 3600;

  function LiveSocket(opts) {
    this.board = opts.board;
    this.key = opts.key || "";
    this.lastId = opts.lastEventId == null ? null : opts.lastEventId;
    this.onEvent = opts.onEvent || function () {};
    this.onReload = opts.onReload || function () { window.location.reload(); };
    this.onPresence = opts.onPresence || function () {};
    this.onStatus = opts.onStatus || function () {};
    this.seen = new Set();
    this.attempt = 0;
    this.stopped = false;
    this.connect();
  }

  LiveSocket.prototype.url = function () {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/live/";
  };

  LiveSocket.prototype.connect = function () {
    var self = this;
    var ws = new WebSocket(this.url());
    this.ws = ws;
    this.onStatus("connecting");
    ws.onopen = function () {
      self.attempt = 0;
      self.send({ type: "subscribe", board: self.board, key: self.key, last_event_id: self.lastId });
      self.pinger = setInterval(function () { self.send({ type: "ping" }); }, PING_MS);
    };
    ws.onmessage = function (msg) {
      var frame;
      try { frame = JSON.parse(msg.data); } catch (e) { return; }
      self.handle(frame);
    };
    ws.onclose = function (ev) {
      clearInterval(self.pinger);
      if (self.stopped) return;
      if (ev.code === 4401 || ev.code === 4403) {
        // Signed out or no longer allowed: retrying cannot help, the page can.
        self.onStatus(ev.code === 4401 ? "signed-out" : "refused");
        return;
      }
      self.onStatus("offline");
      var delay = Math.min(MAX_BACKOFF_MS, 500 * Math.pow(2, self.attempt++));
      setTimeout(function () { self.connect(); }, delay * (0.5 + Math.random() / 2));
    };
  };

  LiveSocket.prototype.handle = function (frame) {
    switch (frame.type) {
      case "subscribed":
        if (this.lastId == null) this.lastId = frame.last_event_id;
        this.onStatus("live");
        break;
      case "event":
        if (this.seen.has(frame.id)) return;
        this.seen.add(frame.id);
        if (this.seen.size > 5000) this.seen = new Set([frame.id]);
        if (this.lastId == null || frame.id > this.lastId) this.lastId = frame.id;
        this.onEvent(frame);
        break;
      case "reload":
        this.onStatus("reloading");
        this.onReload();
        break;
      case "presence":
        this.onPresence(frame);
        break;
      case "error":
        if (window.console) console.warn("live board:", frame.code, frame.detail);
        break;
    }
  };

  LiveSocket.prototype.send = function (frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  };

  LiveSocket.prototype.close = function () {
    this.stopped = true;
    if (this.ws) this.ws.close(1000);
  };

  /* --- countdowns: every element with data-due="<ISO instant>" --------------------- */
  function formatLeft(seconds) {
    var s = Math.abs(Math.round(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var text = (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(r).padStart(2, "0");
    return seconds < 0 ? "late " + text : text;
  }

  function tickCountdowns(root) {
    var now = Date.now();
    (root || document).querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var left = (due - now) / 1000;
      el.textContent = formatLeft(left);
      var card = el.closest("[data-case-card]") || el;
      card.classList.toggle("breaching-soon", left >= 0 && left < SOON_SECONDS);
      card.classList.toggle("breached", left < 0);
    });
  }
  setInterval(tickCountdowns, 1000);

  /* --- small DOM and data helpers shared by the board scripts ----------------------- */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function fetchJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status === 401 || r.status === 403 || r.redirected) { window.location.reload(); }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      });
  }

  function debounce(fn, ms) {
    var t = null;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  }

  function setStatus(state) {
    var node = document.querySelector("[data-live-status]");
    if (!node) return;
    node.setAttribute("data-state", state);
    node.textContent = { live: "Live", connecting: "Connecting…", offline: "Reconnecting…",
      reloading: "Reloading…", refused: "Not allowed", "signed-out": "Signed out" }[state] || state;
  }

  /* Load a board's JSON, render it, then follow it; a "reload" frame loads it again. */
  function followBoard(root, render, onEvent) {
    var socket = null;
    function load() {
      return fetchJSON(root.getAttribute("data-url")).then(function (data) {
        render(data);
        tickCountdowns(root);
        if (socket) socket.lastId = Math.max(socket.lastId || 0, data.last_event_id);
        return data;
      });
    }
    load().then(function (data) {
      socket = new LiveSocket({
        board: root.getAttribute("data-board"), key: root.getAttribute("data-key"),
        lastEventId: data.last_event_id, onStatus: setStatus,
        onEvent: function (frame) { onEvent(frame, load); },
        onReload: function () { load().then(function () { setStatus("live"); }); },
      });
      root.liveSocket = socket;
    }).catch(function () { setStatus("offline"); setTimeout(function () { window.location.reload(); }, 10000); });
  }

  window.HelpdeskLive = {
    LiveSocket: LiveSocket, el: el, fetchJSON: fetchJSON, debounce: debounce, setStatus: setStatus,
    tickCountdowns: tickCountdowns, formatLeft: formatLeft, followBoard: followBoard,
  };
})();
