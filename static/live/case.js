/* Case pages: live timeline entries and, for staff, who is viewing and who is typing.
   Used by templates/live/_case_presence.html and templates/live/_portal_case_live.html. */
(function () {
  "use strict";
  var L = window.HelpdeskLive;
  var el = L.el;
  var TYPING_MS = 6000;
  var TYPING_SEND_EVERY_MS = 3000;

  function describe(e) {
    var who = (e.actor && e.actor.name) || e.actor_kind;
    switch (e.kind) {
      case "transition": return who + " moved the case to " + String((e.after || {}).state || "").replace(/_/g, " ");
      case "assignment": return who + " assigned it to " + ((e.after || {}).assignee_name || "the queue");
      case "comment": return who + " added " + (e.visibility === "public" ? "a reply" : "an internal note");
      case "sla": return "SLA " + String((e.data || {}).type || "") + " on " + String((e.data || {}).target || "").replace(/_/g, " ");
      default: return who + ": " + e.kind.replace(/_/g, " ");
    }
  }

  function follow(root) {
    var timeline = root.querySelector("[data-live-timeline]");
    var viewers = root.querySelector("[data-viewers]");
    var typingNode = root.querySelector("[data-typing]");
    var self = root.getAttribute("data-self");
    var typingUntil = {}, names = {};
    var last = root.getAttribute("data-last-event-id");

    function showTyping() {
      var now = Date.now();
      var who = Object.keys(typingUntil).filter(function (id) { return typingUntil[id] > now && id !== self; })
        .map(function (id) { return names[id]; });
      if (typingNode) typingNode.textContent = who.length ? who.join(", ") + (who.length > 1 ? " are" : " is") + " typing…" : "";
    }
    setInterval(showTyping, 1000);

    var socket = new L.LiveSocket({
      board: root.getAttribute("data-board"), key: root.getAttribute("data-key"),
      lastEventId: last ? parseInt(last, 10) : null, onStatus: L.setStatus,
      onEvent: function (frame) {
        var e = frame.event;
        if (timeline) {
          timeline.appendChild(el("li", { "data-event-id": e.id, className: "live-entry " + e.visibility }, [
            el("time", { datetime: e.occurred_at, text: new Date(e.occurred_at).toLocaleTimeString() + " " }),
            el("span", { text: describe(e) }),
          ]));
        }
        var state = document.querySelector("[data-live-state]");
        if (state && frame.case) state.textContent = frame.case.state_label;
        document.dispatchEvent(new CustomEvent("helpdesk:case-event", { detail: frame }));
      },
      onPresence: function (frame) {
        frame.viewers.forEach(function (u) { names[u.id] = u.name; });
        if (viewers) {
          viewers.textContent = "";
          frame.viewers.forEach(function (u) {
            viewers.appendChild(el("span", { className: "viewer", "data-user-id": u.id, text: u.name }));
          });
        }
        frame.typing.forEach(function (id) { typingUntil[id] = Date.now() + TYPING_MS; });
        showTyping();
      },
    });

    if (root.getAttribute("data-board") === "case") {
      var lastSent = 0;
      document.addEventListener("input", function (ev) {
        if (!ev.target || ev.target.tagName !== "TEXTAREA") return;
        var now = Date.now();
        if (now - lastSent < TYPING_SEND_EVERY_MS) return;
        lastSent = now;
        socket.send({ type: "typing" });
      });
    }
    root.liveSocket = socket;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-case]").forEach(follow);
  });
})();
