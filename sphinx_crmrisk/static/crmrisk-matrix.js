/* sphinx-crmrisk: the matrix's filter box and sortable columns, in the browser alone.
 *
 * Each row of a table.crmrisk-matrix carries data-state, data-phases and data-parties
 * (one value a line), and data-proof when the project has evidence, written by the
 * build (views/matrix.py). A div.crmrisk-filter is put before the table: a text box
 * (any text of the row: ID, title, legal basis...), and one list each for the phase,
 * the party, the state and the proof. Clicking a heading sorts
 * by that column. No server, no library; without JavaScript the table is whole.
 */
(function () {
  "use strict";

  var TEXTS = {
    en: {
      search: "Filter", placeholder: "ID, title, legal basis…", phase: "Phase",
      party: "Party", state: "State", proof: "Proof", all: "All", reset: "Reset",
      shown: function (n, total) { return "Rows shown: " + n + " of " + total; },
      sort: "Sort by this column"
    },
    fr: {
      search: "Filtrer", placeholder: "Identifiant, intitulé, base légale…", phase: "Phase",
      party: "Partie", state: "État", proof: "Preuve", all: "Toutes", reset: "Réinitialiser",
      shown: function (n, total) { return "Lignes affichées\u202f: " + n + " sur " + total; },
      sort: "Trier selon cette colonne"
    }
  };

  function texts() {
    var lang = (document.documentElement.lang || "en").slice(0, 2).toLowerCase();
    return TEXTS[lang] || TEXTS.en;
  }

  /* lower case, without accents: « Déploiement » matches "deploiement" */
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  /* the title of the section holding ``table``, without the heading's permalink */
  function sectionName(table) {
    var section = table.closest("section");
    var heading = section ? section.querySelector("h1, h2, h3, h4, h5, h6") : null;
    if (!heading) { return ""; }
    return Array.from(heading.childNodes).filter(function (node) {
      return !(node.classList && node.classList.contains("headerlink"));
    }).map(function (node) { return node.textContent; }).join("").trim();
  }

  function values(row, name) {
    var raw = row.getAttribute("data-" + name) || "";
    return raw.split("\n").filter(function (v) { return v !== ""; });
  }

  function select(id, label, options, t) {
    var wrapper = document.createElement("label");
    wrapper.textContent = label + " ";
    var list = document.createElement("select");
    list.id = id;
    var all = document.createElement("option");
    all.value = "";
    all.textContent = t.all;
    list.appendChild(all);
    options.forEach(function (pair) {
      var option = document.createElement("option");
      option.value = pair[0];
      option.textContent = pair[1];
      list.appendChild(option);
    });
    wrapper.appendChild(list);
    return { wrapper: wrapper, list: list };
  }

  function sorted(set) {
    return Array.from(set).sort(function (a, b) { return a.localeCompare(b); });
  }

  function setUp(table, number) {
    var t = texts();
    var body = table.tBodies[0];
    if (!body) { return; }
    var rows = Array.from(body.rows);
    var phases = new Set(), parties = new Set(), states = new Map(), proofs = new Map();
    rows.forEach(function (row) {
      values(row, "phases").forEach(function (v) { phases.add(v); });
      values(row, "parties").forEach(function (v) { parties.add(v); });
      var code = row.getAttribute("data-state");
      var label = row.querySelector(".crmrisk-state-" + code);
      if (code && !states.has(code)) { states.set(code, label ? label.textContent : code); }
      var proofCode = row.getAttribute("data-proof");
      var proofLabel = row.querySelector(".crmrisk-proof-" + proofCode);
      if (proofCode && !proofs.has(proofCode)) {
        proofs.set(proofCode, proofLabel ? proofLabel.textContent : proofCode);
      }
    });

    var box = document.createElement("div");
    box.className = "crmrisk-filter";
    box.setAttribute("role", "search");
    // a page may hold several matrices (one a phase): each box is a search landmark
    // named after its table's section, so that a screen reader's list of landmarks tells
    // them apart (axe-core's landmark-unique)
    var name = sectionName(table);
    if (name) { box.setAttribute("aria-label", t.search + " \u2014 " + name); }
    var prefix = "crmrisk-filter-" + number;
    var searchLabel = document.createElement("label");
    searchLabel.textContent = t.search + " ";
    var search = document.createElement("input");
    search.type = "search";
    search.id = prefix + "-text";
    search.placeholder = t.placeholder;
    searchLabel.appendChild(search);
    box.appendChild(searchLabel);
    var phase = select(prefix + "-phase", t.phase, sorted(phases).map(function (v) { return [v, v]; }), t);
    var party = select(prefix + "-party", t.party, sorted(parties).map(function (v) { return [v, v]; }), t);
    var state = select(prefix + "-state", t.state, Array.from(states.entries()), t);
    var proof = select(prefix + "-proof", t.proof, Array.from(proofs.entries()), t);
    var lists = [phase, party, state, proof];
    lists.forEach(function (s) {
      // a list with one value or none would filter nothing: left out
      if (s.list.options.length > 2) { box.appendChild(s.wrapper); }
    });
    var reset = document.createElement("button");
    reset.type = "button";
    reset.textContent = t.reset;
    box.appendChild(reset);
    var status = document.createElement("span");
    status.className = "crmrisk-filter-count";
    status.setAttribute("aria-live", "polite");
    box.appendChild(status);
    // before the table, outside the wrapper a theme may put it in (pydata-sphinx-theme's
    // scrollable container): the box does not scroll away with the table
    var anchor = table;
    while (anchor.parentNode && anchor.parentNode !== document.body &&
           anchor.parentNode.children.length === 1) {
      anchor = anchor.parentNode;
    }
    anchor.parentNode.insertBefore(box, anchor);
    // the box's own count replaces the page's (views/matrix.py): one count, kept up to
    // date; without JavaScript the page's stays
    var before = box.previousElementSibling;
    if (before && before.classList.contains("crmrisk-count")) { before.hidden = true; }

    function apply() {
      var words = fold(search.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var text = fold(row.textContent);
        var keep = words.every(function (w) { return text.indexOf(w) !== -1; })
          && (!phase.list.value || values(row, "phases").indexOf(phase.list.value) !== -1)
          && (!party.list.value || values(row, "parties").indexOf(party.list.value) !== -1)
          && (!state.list.value || row.getAttribute("data-state") === state.list.value)
          && (!proof.list.value || row.getAttribute("data-proof") === proof.list.value);
        row.hidden = !keep;
        if (keep) { shown += 1; }
      });
      status.textContent = t.shown(shown, rows.length);
    }
    search.addEventListener("input", apply);
    lists.forEach(function (s) { s.list.addEventListener("change", apply); });
    reset.addEventListener("click", function () {
      search.value = "";
      lists.forEach(function (s) { s.list.value = ""; });
      apply();
    });
    apply();

    /* sortable headings: a button in each, ascending then descending */
    var head = table.tHead && table.tHead.rows[0];
    if (!head) { return; }
    Array.from(head.cells).forEach(function (cell, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "crmrisk-sort";
      button.title = t.sort;
      while (cell.firstChild) { button.appendChild(cell.firstChild); }
      cell.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = cell.getAttribute("aria-sort") !== "ascending";
        Array.from(head.cells).forEach(function (c) { c.removeAttribute("aria-sort"); });
        cell.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var ordered = rows.slice().sort(function (a, b) {
          var x = a.cells[column] ? a.cells[column].textContent.trim() : "";
          var y = b.cells[column] ? b.cells[column].textContent.trim() : "";
          var order = x.localeCompare(y, undefined, { numeric: true, sensitivity: "base" });
          return ascending ? order : -order;
        });
        ordered.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  function start() {
    document.querySelectorAll("table.crmrisk-matrix").forEach(setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
