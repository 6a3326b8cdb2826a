/* Renderers of the team, SLA and department boards (see live.js for the socket). */
(function () {
  "use strict";
  var L = window.HelpdeskLive;
  var el = L.el;

  /* --- team board: open cases by state, ordered by priority ------------------------- */
  function teamBoard(root) {
    var team = null, states = [], cards = {};
    var caseUrl = root.getAttribute("data-case-url");
    var columns = root.querySelector("[data-columns]");

    function card(c) {
      var node = el("article", { className: "card prio-" + c.priority, "data-case-card": c.id,
        "data-priority": c.priority, "data-created": c.created_at }, [
        el("a", { href: caseUrl.replace("{ref}", c.reference), text: c.reference, className: "ref" }),
        el("span", { className: "prio", text: c.priority }),
        el("p", { className: "subject", text: c.subject }),
        el("p", { className: "who", text: c.assignee ? c.assignee.name : "unassigned" }),
        c.sla_due ? el("p", { className: "due" }, [el("span", { text: "SLA " }),
          el("time", { "data-due": c.sla_due, datetime: c.sla_due })]) : null,
      ]);
      return node;
    }

    function place(c) {
      var old = root.querySelector('[data-case-card="' + c.id + '"]');
      if (old) old.remove();
      var belongs = c.team && c.team.id === team.id && states.indexOf(c.state) >= 0;
      if (!belongs) { delete cards[c.id]; count(); return; }
      if (c.sla_due === undefined && cards[c.id]) c.sla_due = cards[c.id].sla_due;
      cards[c.id] = c;
      var list = columns.querySelector('[data-state="' + c.state + '"] .cards');
      var node = card(c), before = null;
      list.querySelectorAll("[data-case-card]").forEach(function (other) {
        if (before) return;
        var p = other.getAttribute("data-priority"), t = other.getAttribute("data-created");
        if (c.priority < p || (c.priority === p && c.created_at < t)) before = other;
      });
      list.insertBefore(node, before);
      node.classList.add("changed");
      setTimeout(function () { node.classList.remove("changed"); }, 2000);
      count();
    }

    function count() {
      columns.querySelectorAll("[data-state]").forEach(function (col) {
        col.querySelector(".count").textContent = col.querySelectorAll("[data-case-card]").length;
      });
    }

    function render(data) {
      team = data.team; states = data.states.map(function (s) { return s.value; });
      cards = {};
      columns.textContent = "";
      data.states.forEach(function (s) {
        columns.appendChild(el("section", { className: "column", "data-state": s.value }, [
          el("h2", {}, [el("span", { text: s.label + " " }), el("span", { className: "count", text: "0" })]),
          el("div", { className: "cards" }),
        ]));
      });
      data.cases.forEach(function (c) { cards[c.id] = c; });
      data.cases.forEach(function (c) {
        columns.querySelector('[data-state="' + c.state + '"] .cards').appendChild(card(c));
      });
      count();
    }

    var refreshDues = null;
    L.followBoard(root, render, function (frame, load) {
      if (!refreshDues) refreshDues = L.debounce(load, 2000);
      if (frame.case) place(frame.case);
      // SLA clocks move on their own events and on state changes; fetch the due times again.
      if (frame.event.kind === "sla" || frame.event.kind === "transition") refreshDues();
    });
  }

  /* --- manager SLA board ------------------------------------------------------------ */
  function table(rows) {
    if (!rows || !rows.length) return el("p", { className: "empty", text: "Nothing to show." });
    var cols = Object.keys(rows[0]);
    return el("table", {}, [
      el("thead", {}, [el("tr", {}, cols.map(function (c) { return el("th", { text: c.replace(/_/g, " ") }); }))]),
      el("tbody", {}, rows.map(function (r) {
        return el("tr", {}, cols.map(function (c) { return el("td", { text: show(r[c]) }); }));
      })),
    ]);
  }

  function show(v) {
    if (v == null) return "";
    if (typeof v === "object") return v.name || v.reference || JSON.stringify(v);
    if (typeof v === "number" && !Number.isInteger(v)) return v.toFixed(1);
    return String(v);
  }

  function slaBoard(root) {
    var chart = null;
    function section(name) { return root.querySelector('[data-section="' + name + '"]'); }
    function fill(name, node) { var s = section(name); s.textContent = ""; s.appendChild(node); }

    function drawChart(rows) {
      var canvas = root.querySelector("canvas[data-chart]");
      rows = (rows || []).filter(function (r) { return typeof r.compliance_pct === "number"; });
      if (!canvas || !window.Chart || !rows.length) return;
      var key = "compliance_pct";
      var labels = rows.map(function (r) { return show(r.team) + " " + show(r.priority); });
      var values = rows.map(function (r) { return r[key]; });
      if (chart) { chart.data.labels = labels; chart.data.datasets[0].data = values; chart.update("none"); return; }
      chart = new window.Chart(canvas, {
        type: "bar",
        data: { labels: labels, datasets: [{ label: "Compliance today (%)", data: values, backgroundColor: "#2f6f9f" }] },
        options: { animation: false, responsive: true, scales: { y: { min: 0, max: 100 } } },
      });
    }

    function render(data) {
      var missing = root.querySelector("[data-missing]");
      missing.hidden = !data.missing.length;
      missing.textContent = data.missing.length ? "Not installed yet: " + data.missing.join(", ") : "";
      fill("today", table(data.compliance.today));
      fill("week", table(data.compliance.week));
      drawChart(data.compliance.today);
      fill("at-risk", data.at_risk && data.at_risk.length ? el("ol", { className: "at-risk" }, data.at_risk.map(function (r) {
        return el("li", { "data-case-card": "" }, [
          el("strong", { text: r.case + " " }), el("span", { className: "prio", text: show(r.priority) }),
          el("span", { text: show(r.team) + " · " + show(r.target) + " · " + show(r.assignee || "unassigned") + " " }),
          r.due_at ? el("time", { "data-due": r.due_at, datetime: r.due_at }) : null,
          el("p", { className: "subject", text: show(r.subject) }),
        ]);
      })) : el("p", { className: "empty", text: "No running SLA clocks." }));
      fill("breaches", el("ul", {}, data.breaches.map(breachItem)));
      fill("shifts", table(data.teams.map(function (t) {
        return { team: t.name, time_zone: t.time_zone, on_shift: t.on_shift ? t.on_shift.join(", ") : "",
                 next_handover: t.next_handover ? new Date(t.next_handover).toLocaleString() : "" };
      })));
    }

    function breachItem(e) {
      return el("li", { className: "breach" }, [
        el("strong", { text: e.case_reference + " " }),
        el("span", { text: ((e.data && e.data.target) || "target").replace(/_/g, " ") + " breached " }),
        el("time", { text: new Date(e.occurred_at).toLocaleTimeString() }),
      ]);
    }

    var refresh = null;
    L.followBoard(root, render, function (frame, load) {
      if (!refresh) refresh = L.debounce(load, 1500);
      if (frame.event.kind === "sla" && frame.event.data && frame.event.data.type === "breach") {
        var list = section("breaches").querySelector("ul");
        if (list) list.insertBefore(breachItem(frame.event), list.firstChild);
      }
      refresh();
    });
  }

  /* --- department board: tasks by route stage, time in stage ------------------------ */
  function stagesOf(board) {
    // workflows.selectors.tasks.department_board: {"columns": [{"stage", "tasks": [...]}]}
    return board && Array.isArray(board.columns) ? board.columns : [];
  }

  function departmentBoard(root) {
    var columns = root.querySelector("[data-columns]");
    function render(data) {
      var missing = root.querySelector("[data-missing]");
      missing.hidden = !data.missing.length;
      missing.textContent = data.missing.length ? "Not installed yet: " + data.missing.join(", ") : "";
      columns.textContent = "";
      var loadedAt = Date.now();
      stagesOf(data.board).forEach(function (stage) {
        columns.appendChild(el("section", { className: "column" }, [
          el("h2", {}, [el("span", { text: show(stage.stage) + " " }), el("span", { className: "count", text: String(stage.tasks.length) })]),
          el("div", { className: "cards" }, stage.tasks.map(function (t) {
            var since = new Date(loadedAt - t.in_stage_seconds * 1000).toISOString();
            return el("article", { className: "card" + (t.overdue ? " breached" : ""), "data-task": t.id }, [
              el("strong", { text: t.reference + " " }), el("span", { className: "prio", text: t.case }),
              el("p", { className: "subject", text: t.title }),
              el("p", { className: "who", text: t.assignee ? t.assignee.name : "not taken yet" }),
              el("p", { className: "due" }, [el("span", { text: "in stage " }), el("time", { "data-since": since })]),
            ]);
          })),
        ]));
      });
      tickSince();
    }
    function tickSince() {
      root.querySelectorAll("[data-since]").forEach(function (n) {
        n.textContent = L.formatLeft((Date.now() - Date.parse(n.getAttribute("data-since"))) / 1000);
      });
    }
    setInterval(tickSince, 1000);
    var refresh = null;
    L.followBoard(root, render, function (frame, load) {
      if (!refresh) refresh = L.debounce(load, 1000);
      refresh();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-live-board]");
    if (!root) return;
    ({ team: teamBoard, sla: slaBoard, department: departmentBoard }[root.getAttribute("data-board")])(root);
  });
})();
