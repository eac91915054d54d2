/* The book's own script (every page; see tools/bookext.py and tests/test_html.py).
   1. Search (a small override of Sphinx's searchtools.js, which stays in charge):
      - years and dates: searchtools drops every all-digit query term, though the index
        holds them (a reader of a history types "1986"); they are put back into the query;
      - snippets come from the article's text, not from the whole <main>, whose first
        words are the header buttons ("Binder", "Repository").
   2. The register's filter (by period, kind, grade and text), on the register page only:
      each entry is a div with classes reg-entry, rp-<period>, rt-<kind>, rg-<grade>
      (analysis/register.py); without script every entry shows. */
(function () {
  "use strict";

  function patchSearch() {
    if (typeof Search === "undefined" || Search._bookPatched) return;
    Search._bookPatched = true;
    var parse = Search._parseQuery;
    if (parse) {
      Search._parseQuery = function (query) {
        var out = parse.call(Search, query);
        var split = typeof splitQuery === "function" ? splitQuery : function (q) {
          return q.split(/[^\p{Letter}\p{Number}_]+/u).filter(Boolean);
        };
        split(query.trim()).forEach(function (term) {
          if (/^\d+$/.test(term)) {
            out[1].add(term);   // searchTerms
            out[3].add(term);   // highlightTerms
          }
        });
        return out;
      };
    }
    var toText = Search.htmlToText;
    if (toText) {
      Search.htmlToText = function (htmlString, anchor) {
        var doc = new DOMParser().parseFromString(htmlString, "text/html");
        doc.querySelectorAll(".headerlink, script, style").forEach(function (el) {
          el.remove();
        });
        var article = doc.querySelector("article.bd-article, [role=main] article");
        if (article) {
          // table cells and list items are read as words apart, not glued together
          article.querySelectorAll("td, th, li, p, dt, dd, h1, h2, h3, h4, caption")
            .forEach(function (el) { el.append(" "); });
          if (anchor) {
            var part = article.querySelector(anchor);
            if (part) return part.textContent;
          }
          return article.textContent;
        }
        return toText.call(Search, htmlString, anchor);
      };
    }
  }

  function registerFilter() {
    var entries = Array.prototype.slice.call(document.querySelectorAll("div.reg-entry"));
    if (!entries.length) return;
    var facets = {rp: "Period", rt: "Kind of event", rg: "Grade"};
    var values = {rp: [], rt: [], rg: []}, names = {};
    entries.forEach(function (e) {
      e.classList.forEach(function (c) {
        var m = /^(rp|rt|rg)-([a-z0-9-]+)$/.exec(c);
        if (m && values[m[1]].indexOf(m[2]) < 0) {
          values[m[1]].push(m[2]);
          // a period is named by its section's heading in the register
          var h = m[1] === "rp" && e.closest("section") &&
            e.closest("section").querySelector("h2");
          if (h) names[m[2]] = h.textContent.replace(/#$/, "").replace(/^[\d.]+\s*/, "").trim();
        }
      });
      e._text = e.textContent.toLowerCase();
    });
    var form = document.createElement("form");
    form.className = "reg-filter";
    form.setAttribute("role", "search");
    form.setAttribute("aria-label", "Filter the register");
    var selects = {};
    Object.keys(facets).forEach(function (key) {
      var label = document.createElement("label");
      label.textContent = facets[key] + " ";
      var sel = document.createElement("select");
      sel.name = key;
      var all = document.createElement("option");
      all.value = ""; all.textContent = "all";
      sel.appendChild(all);
      (key === "rp" ? values[key] : values[key].slice().sort()).forEach(function (v) {
        var o = document.createElement("option");
        o.value = v; o.textContent = names[v] || v.replace(/-/g, " ");
        sel.appendChild(o);
      });
      label.appendChild(sel);
      form.appendChild(label);
      selects[key] = sel;
    });
    var tlabel = document.createElement("label");
    tlabel.textContent = "Text ";
    var text = document.createElement("input");
    text.type = "search"; text.name = "text";
    tlabel.appendChild(text);
    form.appendChild(tlabel);
    var count = document.createElement("p");
    count.className = "reg-count";
    count.setAttribute("aria-live", "polite");
    form.appendChild(count);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    function apply() {
      var words = text.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      entries.forEach(function (e) {
        var ok = Object.keys(selects).every(function (k) {
          return !selects[k].value || e.classList.contains(k + "-" + selects[k].value);
        }) && words.every(function (w) { return e._text.indexOf(w) >= 0; });
        e.hidden = !ok;
        if (ok) shown += 1;
      });
      count.textContent = shown + " of " + entries.length + " events shown";
    }
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    var first = document.querySelector("article.bd-article h1");
    (first ? first.parentNode : entries[0].parentNode).insertBefore(
      form, first ? first.nextSibling : entries[0]);
    apply();
  }

  patchSearch();
  document.addEventListener("DOMContentLoaded", function () {
    patchSearch();
    registerFilter();
  });
})();
