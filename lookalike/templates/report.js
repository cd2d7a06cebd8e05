/* lookalike report: sort, filter and expand the findings table.
   Inlined and allowed by hash in the CSP. It reads its data from the JSON block and never parses
   data as markup: it moves, hides and shows rows rendered (and escaped) by the server, and builds
   each row's evidence view from elements whose text it sets with textContent. */
(function () {
  "use strict";

  var source = document.getElementById("report-data");
  var table = document.getElementById("findings-table");
  if (!source || !table) { return; }
  var data = JSON.parse(source.textContent);
  var col = {};
  data.columns.forEach(function (name, i) { col[name] = i; });
  var rows = data.rows;
  var bodies = Array.prototype.slice.call(table.tBodies);
  var byIndex = {};
  bodies.forEach(function (body) { byIndex[body.getAttribute("data-i")] = body; });

  var ROUTE_ORDER = { "mx": 0, "implicit": 1, "unknown": 2, "none": 3, "null-mx": 4 };
  var OWNER_ORDER = { "third-party": 0, "unknown": 1, "ours": 2 };
  var SMTP_ORDER = function (label) {
    if (label === "catch-all") { return 0; }
    if (label.indexOf("temp") === 0) { return 1; }
    if (label === "answered") { return 2; }
    if (label.indexOf("rejects") === 0) { return 3; }
    if (label === "no answer") { return 4; }
    return 5;
  };
  var TRIAGE_ORDER = { "malicious": 0, "watch": 1, "": 2, "benign": 3, "owned": 4 };
  function triageRank(row) {
    var rank = TRIAGE_ORDER[row[col.triage]];
    return rank === undefined ? 2 : rank;
  }

  function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
  function byLevel(a, b) {
    return cmp(a[col.level], b[col.level]) || cmp(b[col.points], a[col.points]) || cmp(a[col.domain], b[col.domain]);
  }
  /* Each key: how to compare two rows when that column sorts ascending. */
  var SORTS = {
    level: byLevel,
    points: function (a, b) { return cmp(b[col.points], a[col.points]) || byLevel(a, b); },
    domain: function (a, b) { return cmp(a[col.domain], b[col.domain]) || byLevel(a, b); },
    techniques: function (a, b) { return cmp(a[col.techniques], b[col.techniques]) || byLevel(a, b); },
    mail: function (a, b) {
      return cmp(b[col.catchall], a[col.catchall]) ||
        cmp(ROUTE_ORDER[a[col.route]], ROUTE_ORDER[b[col.route]]) ||
        cmp(SMTP_ORDER(a[col.smtp]), SMTP_ORDER(b[col.smtp])) || byLevel(a, b);
    },
    age: function (a, b) {
      var x = a[col.age], y = b[col.age];
      if (x < 0 && y < 0) { return byLevel(a, b); }
      if (x < 0) { return 1; }
      if (y < 0) { return -1; }
      return cmp(x, y) || byLevel(a, b);
    },
    web: function (a, b) { return cmp(b[col.web], a[col.web]) || byLevel(a, b); },
    page: function (a, b) { return cmp(a[col.visual], b[col.visual]) || byLevel(a, b); },
    owner: function (a, b) {
      return cmp(OWNER_ORDER[a[col.owner]], OWNER_ORDER[b[col.owner]]) ||
        cmp(triageRank(a), triageRank(b)) || byLevel(a, b);
    }
  };

  var shown = document.getElementById("shown");
  var matching = document.getElementById("matching");
  var noMatch = document.getElementById("no-match");
  var moreRows = document.getElementById("more-rows");
  var showMore = document.getElementById("show-more");
  var showAll = document.getElementById("show-all");
  var PAGE = showMore ? Number(showMore.getAttribute("data-page")) || 500 : 500;
  var limit = PAGE;
  var order = bodies.map(function (_, i) { return i; });
  var controls = {
    q: document.getElementById("q"),
    level: document.getElementById("f-level"),
    route: document.getElementById("f-route"),
    owner: document.getElementById("f-owner"),
    protectedDomain: document.getElementById("f-protected"),
    change: document.getElementById("f-change"),
    source: document.getElementById("f-source"),
    visual: document.getElementById("f-visual")
  };
  var NOT_RENDERED = 4; /* the verdicts are 0 clone, 1 similar, 2 unknown, 3 different */

  function value(el) { return el ? el.value : ""; }

  /* The filters as they stand, read once per pass rather than once per row. */
  function criteria() {
    return {
      level: value(controls.level),
      route: value(controls.route),
      owner: value(controls.owner),
      prot: value(controls.protectedDomain),
      change: value(controls.change),
      source: value(controls.source),
      visual: value(controls.visual),
      words: value(controls.q).trim().toLowerCase().split(/\s+/).filter(Boolean)
    };
  }

  function matches(row, c) {
    if (c.level === "high+") { if (row[col.level] > 1) { return false; } }
    else if (c.level !== "" && String(row[col.level]) !== c.level) { return false; }
    if (c.route === "receive") { if (row[col.route] !== "mx" && row[col.route] !== "implicit") { return false; } }
    else if (c.route === "catchall") { if (!row[col.catchall]) { return false; } }
    else if (c.route !== "" && row[col.route] !== c.route) { return false; }
    if (c.owner !== "" && row[col.owner] !== c.owner) { return false; }
    if (c.prot !== "" && row[col.protected] !== c.prot) { return false; }
    if (c.source !== "" && row[col.source] !== c.source) { return false; }
    if (c.change === "any") { if (!row[col.change]) { return false; } }
    else if (c.change !== "" && row[col.change] !== c.change) { return false; }
    if (c.visual === "alike") { if (row[col.visual] > 1) { return false; } }
    else if (c.visual === "none") { if (row[col.visual] < NOT_RENDERED) { return false; } }
    else if (c.visual !== "" && String(row[col.visual]) !== c.visual) { return false; }
    for (var i = 0; i < c.words.length; i++) {
      if (row[col.search].indexOf(c.words[i]) < 0) { return false; }
    }
    return true;
  }

  /* Only the rows on screen are in the document: the first `limit` rows that match, in the current
     order. The rest wait in `bodies`, detached, so sorting and filtering 10,000 findings touch a page
     of DOM, not all of it. (Without the script, the server's "beyond" class does the same on screen.) */
  var attached = [];
  bodies.forEach(function (body) {
    if (body.classList.contains("beyond")) {
      body.remove();
      body.classList.remove("beyond");
    } else {
      attached.push(body);
    }
  });

  function applyFilters() {
    var wanted = [];
    var count = 0;
    var c = criteria();
    for (var k = 0; k < order.length; k++) {
      var i = order[k];
      if (matches(rows[i], c)) {
        if (count < limit) { wanted.push(byIndex[i]); }
        count++;
      }
    }
    var same = wanted.length === attached.length && wanted.every(function (body, k) { return body === attached[k]; });
    if (!same) {
      attached.forEach(function (body) { body.remove(); });
      var fragment = document.createDocumentFragment();
      wanted.forEach(function (body) { fragment.appendChild(body); });
      table.appendChild(fragment);
      attached = wanted;
    }
    shown.textContent = wanted.length.toLocaleString("en");
    if (matching) {
      matching.hidden = count === rows.length;
      matching.textContent = " · " + count.toLocaleString("en") + " match the filters";
    }
    if (noMatch) { noMatch.hidden = count !== 0 || rows.length === 0; }
    if (moreRows) {
      moreRows.hidden = count <= limit;
      if (showAll) { showAll.textContent = "Show all " + count.toLocaleString("en"); }
    }
  }

  function refilter() {
    limit = PAGE;
    applyFilters();
  }

  var timer = null;
  function later() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(refilter, rows.length > 2000 ? 160 : 40);
  }

  if (controls.q) { controls.q.addEventListener("input", later); }
  [controls.level, controls.route, controls.owner, controls.protectedDomain, controls.change, controls.source, controls.visual].forEach(function (el) {
    if (el) { el.addEventListener("change", refilter); }
  });
  var form = document.getElementById("controls");
  if (form) {
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("reset", function () { setTimeout(refilter, 0); });
  }
  if (showMore) { showMore.addEventListener("click", function () { limit += PAGE; applyFilters(); }); }
  if (showAll) { showAll.addEventListener("click", function () { limit = rows.length; applyFilters(); }); }

  /* sorting */
  var current = { key: "level", dir: 1 };
  var headers = Array.prototype.slice.call(table.tHead.querySelectorAll("button[data-sort]"));

  function sortBy(key, dir) {
    var compare = SORTS[key] || byLevel;
    order = rows.map(function (_, i) { return i; });
    order.sort(function (i, j) { return dir * compare(rows[i], rows[j]) || i - j; });
    attached.forEach(function (body) { body.remove(); });
    attached = [];
    applyFilters();
    current = { key: key, dir: dir };
    headers.forEach(function (button) {
      var th = button.parentNode;
      var state = "none";
      if (button.getAttribute("data-sort") === key) { state = dir > 0 ? "ascending" : "descending"; }
      th.setAttribute("aria-sort", state);
    });
  }

  headers.forEach(function (button) {
    button.addEventListener("click", function () {
      var key = button.getAttribute("data-sort");
      sortBy(key, current.key === key ? -current.dir : 1);
    });
  });

  /* the evidence view: built from data with textContent the first time a row opens */
  var STATUS = /^(ok|absent|timeout|refused|skipped|error)$/;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function valueNode(value) {
    var dd = el("dd");
    if (typeof value === "string") {
      dd.textContent = value;
    } else if (Array.isArray(value)) {
      value.forEach(function (line) { dd.appendChild(el("div", null, line)); });
    } else if (value && typeof value.c === "string") {
      dd.appendChild(el("code", "txt", value.c));
    } else if (value && Array.isArray(value.g)) {
      var name = el("span", "dom");
      value.g.forEach(function (part) {
        if (part[1]) {
          var mark = el("mark", "cf", part[0]);
          mark.setAttribute("title", part[1]);
          name.appendChild(mark);
        } else {
          name.appendChild(document.createTextNode(part[0]));
        }
      });
      dd.appendChild(name);
    }
    return dd;
  }

  function itemNode(item) {
    var kind = item[0];
    if (kind === "h") { return el("h4", null, item[1]); }
    if (kind === "pre") { return el("pre", "raw", item[1]); }
    if (kind === "ul") {
      var list = el("ul", "reasons full");
      if (!item[1].length) { return el("p", "muted", "—"); }
      item[1].forEach(function (text) { list.appendChild(el("li", null, text)); });
      return list;
    }
    var dl = el("dl", "kv");
    item[1].forEach(function (pair) {
      dl.appendChild(el("dt", null, pair[0]));
      dl.appendChild(valueNode(pair[1]));
    });
    return dl;
  }

  function cardNode(card) {
    var box = el("div", card.w ? "ev-card wide" : "ev-card");
    var head = el("h4", null, card.t);
    if (card.s && STATUS.test(card.s)) {
      head.appendChild(document.createTextNode(" "));
      head.appendChild(el("span", "outcome " + card.s, card.s));
    }
    box.appendChild(head);
    if (card.n) { box.appendChild(el("p", "outcome-detail", card.n)); }
    card.i.forEach(function (item) { box.appendChild(itemNode(item)); });
    return box;
  }

  function detailRow(body) {
    var existing = body.querySelector("tr.detail");
    if (existing) { return existing; }
    var i = body.getAttribute("data-i");
    var tr = el("tr", "detail");
    tr.id = "d" + i;
    var td = el("td");
    td.colSpan = table.tHead.rows[0].cells.length;
    var grid = el("div", "evidence");
    (data.details[Number(i)] || []).forEach(function (card) { grid.appendChild(cardNode(card)); });
    td.appendChild(grid);
    tr.appendChild(td);
    body.appendChild(tr);
    body.querySelector(".toggle").setAttribute("aria-controls", tr.id);
    return tr;
  }

  /* expanding rows */
  function setOpen(body, open) {
    var toggle = body.querySelector(".toggle");
    if (!toggle) { return; }
    var detail = open ? detailRow(body) : body.querySelector("tr.detail");
    if (detail) { detail.hidden = !open; }
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    body.classList.toggle("open", open);
  }

  /* the page view: a lookalike's picture beside the protected site's, both data: URIs already in the
     document (the thumbnail, or its full picture with --inline-images; the protected site's from #references) */
  var pageView = document.getElementById("page-view");
  var references = document.getElementById("references");

  function picture(img, src) {
    img.hidden = !src;
    if (src) { img.src = src; } else { img.removeAttribute("src"); }
  }

  function showPage(shot) {
    if (!pageView || typeof pageView.showModal !== "function") { return; }
    var thumb = shot.querySelector("img.thumb");
    var body = shot.closest("tbody");
    var verdict = body.querySelector(".verdict");
    var row = rows[Number(body.getAttribute("data-i"))];
    picture(document.getElementById("pv-theirs"), thumb.getAttribute("data-full") || thumb.getAttribute("src"));
    document.getElementById("pv-theirs-cap").textContent = row[col.domain] + (verdict ? " · " + verdict.textContent : "");
    var wanted = thumb.getAttribute("data-ref");
    var ours = null;
    Array.prototype.forEach.call(references ? references.querySelectorAll("img") : [], function (img) {
      if (img.getAttribute("data-shot") === wanted) { ours = img; }
    });
    picture(document.getElementById("pv-ours"), ours ? ours.getAttribute("src") : "");
    document.getElementById("pv-ours-cap").textContent = ours ?
      ours.getAttribute("data-protected") + " · the protected site" : "no picture of the protected site";
    document.getElementById("pv-reason").textContent = verdict ? verdict.getAttribute("title") || "" : "";
    pageView.showModal();
  }
  var closer = document.getElementById("pv-close");
  if (closer && pageView) { closer.addEventListener("click", function () { pageView.close(); }); }
  if (pageView) {
    pageView.addEventListener("click", function (event) { if (event.target === pageView) { pageView.close(); } });
  }

  /* the row toggles are spans with role=button (lighter than 20,000 buttons); click or Enter/Space */
  function activate(target) {
    var shot = target.closest(".shot");
    if (shot) { showPage(shot); return true; }
    var button = target.closest(".toggle, .more");
    if (!button) { return false; }
    var body = button.closest("tbody");
    var toggle = body.querySelector(".toggle");
    setOpen(body, button.classList.contains("more") || toggle.getAttribute("aria-expanded") !== "true");
    return true;
  }

  table.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    activate(target);
  });
  table.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" && event.key !== " ") { return; }
    if (event.target instanceof Element && activate(event.target)) { event.preventDefault(); }
  });

  function setAll(open) {
    attached.forEach(function (body) { setOpen(body, open); });
  }
  var expand = document.getElementById("expand");
  var collapse = document.getElementById("collapse");
  if (expand) { expand.addEventListener("click", function () { setAll(true); }); }
  if (collapse) { collapse.addEventListener("click", function () { setAll(false); }); }

  applyFilters();
}());
