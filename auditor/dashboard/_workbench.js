// The Figure Auditor workbench: a conflicts-first list of claim groups with search, facets and
// sorting, and the selected group's reports side by side with a chart over time and review controls.
// Shared by the notebook widget (host.mode 'live', auditor/dashboard/_dashboard.py) and the
// standalone report.html (host.mode 'static', auditor/report.py). Article text is untrusted: it only
// ever reaches the page through textContent / attribute values, never as markup.
/* eslint-disable no-var */
function figureAuditWorkbench(root, host) {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  // Rows drawn at once ("show more" adds another page): the notebook's list shows about ten at a time.
  var PAGE = host.mode === 'static' ? 200 : 60;
  var PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22',
    '#7f7f7f', '#393b79', '#637939', '#843c39'];
  var summary = host.summary();
  var columns = summary.columns; // [[key, heading], ...] from auditor/formatting.py
  var facets = summary.facets;
  var orders = summary.orders;
  var statusText = summary.status_text || {};

  function h(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) continue;
        if (k === 'text') node.textContent = String(v);
        else if (k === 'class') node.className = v;
        else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }
  function s(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs || {}) {
      if (k === 'text') node.textContent = String(attrs[k]);
      else node.setAttribute(k, String(attrs[k]));
    }
    return node;
  }
  function fmtInt(n) { return Number(n).toLocaleString('en-US'); }
  function niceNumber(v) {
    if (!isFinite(v)) return '';
    var a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toLocaleString('en-US', {maximumSignificantDigits: 3}) + 'M';
    if (a >= 1e4) return (v / 1e3).toLocaleString('en-US', {maximumSignificantDigits: 3}) + 'k';
    return v.toLocaleString('en-US', {maximumSignificantDigits: 3});
  }
  function rank(order, value) { var i = order.indexOf(value); return i < 0 ? order.length : i; }

  // -- the list's rows (columns -> objects, once) --------------------------------------------------
  var rows = [];
  var byId = {};
  function loadRows() {
    var cols = host.rows();
    var ids = cols.id || [];
    rows = new Array(ids.length);
    byId = {};
    for (var i = 0; i < ids.length; i++) {
      var r = {index: i};
      for (var key in cols) r[key] = cols[key][i];
      rows[i] = r;
      byId[r.id] = r;
    }
    applyReviews();
  }
  function applyReviews() {
    var overrides = host.reviews ? host.reviews() || {} : {};
    for (var id in overrides) if (byId[id]) byId[id].review = overrides[id];
  }
  function facetValues(row, key) {
    var v = row[key];
    if (Array.isArray(v)) return v.length ? v : ['(none)'];
    return [v === '' || v === null || v === undefined ? '(none)' : String(v)];
  }

  // -- state ---------------------------------------------------------------------------------------
  var state = {query: '', chosen: {}, sort: null, dir: 1, limit: PAGE, selected: host.selected() || ''};
  facets.forEach(function (f) { state.chosen[f[0]] = new Set(); });
  var expandedFacets = {};

  // -- skeleton ------------------------------------------------------------------------------------
  root.classList.add('fa-wb');
  if (host.mode === 'static') root.classList.add('fa-wb-static');  // the page scrolls, not the list
  root.textContent = '';
  var counts = h('div', {class: 'fa-wb-counts', 'aria-live': 'polite'});
  var search = h('input', {class: 'fa-wb-search', type: 'search',
    placeholder: 'Search claims, places, outlets, sources, figures — filters as you type',
    'aria-label': 'search claim groups'});
  var clear = h('button', {class: 'fa-wb-clear', type: 'button', text: 'Clear filters'});
  var facetPane = h('div', {class: 'fa-wb-facets'});
  var overview = h('div', {class: 'fa-wb-overview'});
  var thead = h('thead');
  var tbody = h('tbody');
  var table = h('table', {class: 'fa-wb-groups'}, thead, tbody);
  var tableWrap = h('div', {class: 'fa-wb-tablewrap'}, table);
  var more = h('div', {class: 'fa-wb-more'});
  var detailPane = h('div', {class: 'fa-wb-detail'});
  var shown = h('div', {class: 'fa-wb-shown'});
  var problem = h('div', {class: 'fa-wb-error', role: 'alert', hidden: true});
  root.appendChild(h('div', {class: 'fa-wb-top'}, counts, h('div', {class: 'fa-wb-searchbar'}, search, clear), shown));
  root.appendChild(problem);
  root.appendChild(h('div', {class: 'fa-wb-main'}, facetPane,
    h('div', {class: 'fa-wb-listpane'}, overview, tableWrap, more)));
  if (host.mode === 'live') root.appendChild(detailPane);

  search.addEventListener('input', function () { state.query = search.value; state.limit = PAGE; refresh(); });
  clear.addEventListener('click', function () {
    search.value = ''; state.query = '';
    facets.forEach(function (f) { state.chosen[f[0]].clear(); });
    state.limit = PAGE; refresh();
  });

  // headings: click to sort (again to reverse)
  var headRow = h('tr');
  columns.forEach(function (c) {
    var th = h('th', {'data-key': c[0], tabindex: 0, role: 'columnheader', title: 'sort by ' + c[1]},
      c[1], h('span', {class: 'fa-wb-arrow'}));
    function sortHere() {
      if (state.sort === c[0]) state.dir = -state.dir;
      else { state.sort = c[0]; state.dir = (c[0] === 'label' || c[0] === 'status' || c[0] === 'review') ? 1 : -1; }
      refresh();
    }
    th.addEventListener('click', sortHere);
    th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortHere(); } });
    headRow.appendChild(th);
  });
  thead.appendChild(headRow);

  // -- filtering -----------------------------------------------------------------------------------
  function matchesQuery(row, terms) {
    for (var i = 0; i < terms.length; i++) if (row.search.indexOf(terms[i]) < 0) return false;
    return true;
  }
  function matchesFacet(row, key) {
    var chosen = state.chosen[key];
    if (!chosen.size) return true;
    var values = facetValues(row, key);
    for (var i = 0; i < values.length; i++) if (chosen.has(values[i])) return true;
    return false;
  }
  function compute() {
    var terms = state.query.toLowerCase().split(/\s+/).filter(Boolean);
    var keys = facets.map(function (f) { return f[0]; });
    var tallies = {};
    keys.forEach(function (k) { tallies[k] = new Map(); });
    var matching = [];
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      if (terms.length && !matchesQuery(row, terms)) continue;
      var fails = -1, nfail = 0;
      for (var j = 0; j < keys.length; j++) {
        if (!matchesFacet(row, keys[j])) { nfail++; fails = j; if (nfail > 1) break; }
      }
      if (nfail > 1) continue;
      // facet counts: a row counts for facet f if it passes every other filter
      for (var k = 0; k < keys.length; k++) {
        if (nfail === 1 && fails !== k) continue;
        var vals = facetValues(row, keys[k]);
        var tally = tallies[keys[k]];
        for (var m = 0; m < vals.length; m++) tally.set(vals[m], (tally.get(vals[m]) || 0) + 1);
      }
      if (nfail === 0) matching.push(row);
    }
    if (state.sort) {
      var key = state.sort, dir = state.dir;
      var value = key === 'spread' ? function (r) { return r.spread_sort; }
        : key === 'status' ? function (r) { return rank(orders.status, r.status); }
        : key === 'review' ? function (r) { return rank(orders.review, r.review); }
        : function (r) { return r[key]; };
      matching.sort(function (a, b) {
        var x = value(a), y = value(b);
        if (typeof x === 'string') { var c = x.localeCompare(y); return c ? c * dir : a.index - b.index; }
        return (x - y) * dir || a.index - b.index;
      });
    }
    return {matching: matching, tallies: tallies};
  }

  // -- drawing the list ----------------------------------------------------------------------------
  function drawCounts(matching) {
    var conflicts = 0, toReview = 0;
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].status === 'conflict') conflicts++;
      if (rows[i].review === 'to review' || rows[i].review === 'partly reviewed') toReview++;
    }
    counts.textContent = '';
    [[summary.articles, 'articles'], [summary.figures, 'figures'], [rows.length, 'claim groups'],
      [conflicts, 'in conflict', 'fa-wb-n-conflict'], [toReview, 'to review', 'fa-wb-n-review'],
      [conflicts - toReview, 'reviewed', 'fa-wb-n-reviewed']].forEach(function (c) {
      counts.appendChild(h('span', {class: c[2] || null}, h('b', {text: fmtInt(c[0])}), ' ' + c[1]));
    });
    if (summary.errors) counts.appendChild(h('span', null, h('b', {text: fmtInt(summary.errors)}), ' unreadable files'));
    shown.textContent = fmtInt(matching.length) + ' of ' + fmtInt(rows.length) + ' claim groups match';
  }

  function drawFacets(tallies) {
    facetPane.textContent = '';
    facets.forEach(function (f) {
      var key = f[0], chosen = state.chosen[key];
      var entries = Array.from(tallies[key].entries());
      chosen.forEach(function (v) { if (!tallies[key].has(v)) entries.push([v, 0]); });
      if (key === 'status') entries.sort(function (a, b) { return rank(orders.status, a[0]) - rank(orders.status, b[0]); });
      else if (key === 'review') entries.sort(function (a, b) { return rank(orders.review, a[0]) - rank(orders.review, b[0]); });
      else entries.sort(function (a, b) { return b[1] - a[1] || String(a[0]).localeCompare(b[0]); });
      var limit = expandedFacets[key] ? entries.length : 6;
      var list = h('ul');
      entries.slice(0, limit).forEach(function (e) {
        var label = key === 'status' ? (statusText[e[0]] || e[0]) : e[0];
        var li = h('li', {class: 'fa-wb-facet-value' + (chosen.has(e[0]) ? ' is-chosen' : '') +
            (key === 'status' ? ' fa-wb-status-' + e[0] : ''), 'data-facet': key, 'data-value': e[0],
          tabindex: 0, role: 'checkbox', 'aria-checked': chosen.has(e[0]) ? 'true' : 'false'},
          h('span', {class: 'fa-wb-facet-label', text: label}), h('span', {class: 'fa-wb-facet-count', text: fmtInt(e[1])}));
        function toggle() {
          if (chosen.has(e[0])) chosen.delete(e[0]); else chosen.add(e[0]);
          state.limit = PAGE; refresh();
        }
        li.addEventListener('click', toggle);
        li.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); toggle(); } });
        list.appendChild(li);
      });
      var section = h('div', {class: 'fa-wb-facet', 'data-facet': key}, h('h4', {text: f[1]}), list);
      if (entries.length > 6) {
        section.appendChild(h('button', {type: 'button', class: 'fa-wb-link',
          text: expandedFacets[key] ? 'fewer' : 'all ' + fmtInt(entries.length),
          onclick: function () { expandedFacets[key] = !expandedFacets[key]; refresh(); }}));
      }
      facetPane.appendChild(section);
    });
  }

  function drawTable(matching) {
    headRow.querySelectorAll('th').forEach(function (th) {
      var key = th.getAttribute('data-key');
      th.querySelector('.fa-wb-arrow').textContent = state.sort === key ? (state.dir > 0 ? ' ▲' : ' ▼') : '';
      th.setAttribute('aria-sort', state.sort === key ? (state.dir > 0 ? 'ascending' : 'descending') : 'none');
    });
    var frag = document.createDocumentFragment();
    var n = Math.min(matching.length, state.limit);
    for (var i = 0; i < n; i++) frag.appendChild(groupRow(matching[i]));
    if (!n) {
      frag.appendChild(h('tr', null, h('td', {colspan: columns.length, class: 'fa-wb-empty',
        text: rows.length ? 'No claim group matches these filters.' : 'This audit found no figures.'})));
    }
    tbody.textContent = '';
    tbody.appendChild(frag);
    more.textContent = '';
    if (matching.length > n) {
      more.appendChild(h('span', {text: 'Showing ' + fmtInt(n) + ' of ' + fmtInt(matching.length) + ' · '}));
      more.appendChild(h('button', {type: 'button', class: 'fa-wb-link', text: 'show ' + fmtInt(Math.min(PAGE, matching.length - n)) + ' more',
        onclick: function () { state.limit += PAGE; refresh(); }}));
    }
  }

  function groupRow(r) {
    var tr = h('tr', {class: 'fa-wb-group fa-wb-status-' + r.status + (r.id === state.selected ? ' is-selected' : ''),
      'data-id': r.id, tabindex: 0, 'aria-selected': r.id === state.selected ? 'true' : 'false'});
    columns.forEach(function (c) {
      var key = c[0], td;
      if (key === 'label') {
        td = h('td', {class: 'fa-wb-label'}, h('span', {text: r.label}));
        if (r.incident && r.incident !== r.label) td.appendChild(h('div', {class: 'fa-wb-incident', text: r.incident}));
      } else if (key === 'status') {
        td = h('td', null, h('span', {class: 'fa-wb-chip fa-wb-status-' + r.status, text: statusText[r.status] || r.status}));
      } else if (key === 'review') {
        td = h('td', {class: 'fa-wb-review-state fa-wb-review-' + r.review.replace(/ /g, '-'),
          text: r.review === 'nothing to review' ? '—' : r.review});
      } else if (typeof r[key] === 'number') {
        td = h('td', {class: 'fa-wb-num', text: fmtInt(r[key])});
      } else {
        td = h('td', {text: r[key]});
      }
      tr.appendChild(td);
    });
    function pick() {
      if (host.mode === 'static') {
        var open = state.selected === r.id;
        state.selected = open ? '' : r.id;
        refresh();
      } else {
        choose(r.id);
      }
    }
    tr.addEventListener('click', function (e) { if (!e.target.closest('a')) pick(); });
    tr.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(); }
      if (e.key === 'ArrowDown' && tr.nextSibling) tr.nextSibling.focus();
      if (e.key === 'ArrowUp' && tr.previousSibling) tr.previousSibling.focus();
    });
    if (host.mode === 'static' && r.id === state.selected) {
      var frag = document.createDocumentFragment();
      frag.appendChild(tr);
      var cell = h('td', {colspan: columns.length});
      var detail = host.detailOf(r.id);
      drawDetail(cell, r, detail);
      frag.appendChild(h('tr', {class: 'fa-wb-expanded'}, cell));
      return frag;
    }
    return tr;
  }

  // Weekly groups by first report, conflicts stacked in red: a fixed-height overview.
  function drawOverview(matching) {
    overview.textContent = '';
    var dated = [];
    for (var i = 0; i < matching.length; i++) if (matching[i].first) dated.push(matching[i]);
    if (dated.length < 2) return;
    var t = dated.map(function (r) { return Date.parse(r.first); });
    var lo = Math.min.apply(null, t), hi = Math.max.apply(null, t);
    var W = Math.max(300, (overview.clientWidth || 700)), H = 64, pad = 28;
    var span = Math.max(hi - lo, 864e5);
    var nb = Math.min(120, Math.max(10, Math.round(span / (7 * 864e5))));
    var bins = [];
    for (var b = 0; b < nb; b++) bins.push([0, 0]);
    for (var j = 0; j < dated.length; j++) {
      var k = Math.min(nb - 1, Math.floor((t[j] - lo) / span * nb));
      bins[k][dated[j].status === 'conflict' ? 1 : 0]++;
    }
    var top = Math.max.apply(null, bins.map(function (x) { return x[0] + x[1]; })) || 1;
    var svg = s('svg', {width: W, height: H + 16, class: 'fa-wb-overview-svg', role: 'img',
      'aria-label': 'claim groups by date of first report'});
    var bw = (W - pad) / nb;
    bins.forEach(function (x, i) {
      var hAll = (x[0] + x[1]) / top * H, hC = x[1] / top * H;
      if (x[0]) svg.appendChild(s('rect', {x: pad + i * bw, y: H - hAll, width: Math.max(1, bw - 1), height: hAll - hC, fill: '#b8c4d0'}));
      if (x[1]) svg.appendChild(s('rect', {x: pad + i * bw, y: H - hC, width: Math.max(1, bw - 1), height: hC, fill: '#c0392b'}));
    });
    svg.appendChild(s('line', {x1: pad, x2: W, y1: H + 0.5, y2: H + 0.5, stroke: '#888'}));
    svg.appendChild(s('text', {x: 0, y: 10, class: 'fa-wb-tick', text: fmtInt(top)}));
    svg.appendChild(s('text', {x: pad, y: H + 13, class: 'fa-wb-tick', text: new Date(lo).toISOString().slice(0, 10)}));
    svg.appendChild(s('text', {x: W, y: H + 13, 'text-anchor': 'end', class: 'fa-wb-tick', text: new Date(hi).toISOString().slice(0, 10)}));
    overview.appendChild(h('div', {class: 'fa-wb-caption', text: 'Claim groups by first report (red: in conflict)'}));
    overview.appendChild(svg);
  }

  // -- the selected group --------------------------------------------------------------------------
  function choose(id) {
    state.selected = id || '';
    host.select(state.selected);
    tbody.querySelectorAll('tr.fa-wb-group').forEach(function (tr) {
      var on = tr.getAttribute('data-id') === state.selected;
      tr.classList.toggle('is-selected', on);
      tr.setAttribute('aria-selected', on ? 'true' : 'false');
    });
    drawLiveDetail();
  }

  var detailVersion = 0, drawnKey = null;
  function drawLiveDetail() {
    var d = host.detail() || {};
    var row = byId[state.selected];
    // Redraw only when something it shows changed (keeps a note being typed, and keystrokes cheap).
    var key = state.selected + '|' + (d.id || '') + '|' + detailVersion + '|' + (row ? row.review : '');
    if (key === drawnKey) return;
    drawnKey = key;
    if (!state.selected || !row) {
      detailPane.textContent = '';
      detailPane.appendChild(h('p', {class: 'fa-wb-hint', text: rows.length
        ? 'Select a claim group above to compare its reports side by side.' : ''}));
      return;
    }
    if (d.id !== state.selected) {  // the kernel has not answered yet: never show another group's reports
      detailPane.textContent = '';
      detailPane.appendChild(h('h3', {class: 'fa-wb-title', text: row.label}));
      detailPane.appendChild(h('p', {class: 'fa-wb-hint', text: 'Loading its reports…'}));
      return;
    }
    drawDetail(detailPane, row, d);
  }

  function drawDetail(pane, row, d) {
    pane.textContent = '';
    pane.setAttribute('data-group', row.id);
    var head = h('div', {class: 'fa-wb-head'},
      h('h3', {class: 'fa-wb-title', text: row.label}),
      h('span', {class: 'fa-wb-chip fa-wb-status-' + row.status, text: statusText[row.status] || row.status}),
      h('span', {class: 'fa-wb-spread', text: 'reported: ' + row.spread}),
      h('span', {text: fmtInt(row.n_figures) + ' reports · ' + fmtInt(row.n_outlets) + ' outlets'}),
      d.consensus ? h('span', {class: 'fa-wb-consensus', text: 'consensus: ' + d.consensus}) : null);
    pane.appendChild(head);
    if (row.incident && row.incident !== row.label) pane.appendChild(h('div', {class: 'fa-wb-incident', text: 'Incident: ' + row.incident}));
    var chartBox = h('div', {class: 'fa-wb-chart'});
    var side = h('div', {class: 'fa-wb-side'});
    pane.appendChild(h('div', {class: 'fa-wb-detailgrid'}, chartBox, side));
    drawExplanation(side, row, d);
    var cards = h('div', {class: 'fa-wb-reports'});
    var colours = outletColours(d.reports);
    d.reports.forEach(function (rep) { cards.appendChild(reportCard(rep, colours)); });
    pane.appendChild(h('h4', {text: 'Every report, oldest first'}));
    pane.appendChild(cards);
    drawChart(chartBox, d, colours, cards);
  }

  function outletColours(reports) {
    var map = {}, n = 0;
    reports.forEach(function (r) { if (!(r.outlet in map)) map[r.outlet] = PALETTE[n++ % PALETTE.length]; });
    return map;
  }

  function reportCard(rep, colours) {
    var sentence = h('blockquote', {class: 'fa-wb-sentence'}, rep.before, rep.surface ? h('mark', {text: rep.surface}) : null, rep.after);
    var card = h('div', {class: 'fa-wb-report' + (rep.outlier ? ' is-outlier' : '') + (rep.in_conflict ? ' is-conflict' : ''),
      'data-figure': rep.id},
      h('div', {class: 'fa-wb-who'}, h('span', {class: 'fa-wb-swatch', style: 'background:' + colours[rep.outlet]}),
        h('b', {text: rep.outlet}), ' · ', h('span', {text: rep.published || 'undated'})),
      h('div', {class: 'fa-wb-value'}, h('span', {class: 'fa-wb-number', text: rep.value_text}),
        rep.outlier ? h('span', {class: 'fa-wb-badge', text: 'outlier'}) : null),
      h('div', {class: 'fa-wb-source'}, 'source: ', h('span', {text: rep.source})),
      sentence,
      rep.evidence ? h('div', {class: 'fa-wb-evidence', title: 'the extraction rules that decided this figure (auditor/data)'},
        'rules: ', h('code', {text: rep.evidence})) : null);
    if (rep.link && host.mode === 'live') {  // the JupyterLab extension opens these links; a saved page cannot
      card.appendChild(h('a', {class: 'fa-wb-open fa-open-source', href: rep.link, title: 'open the article with the figure selected',
        text: 'Open in editor'}));
    }
    card.appendChild(h('div', {class: 'fa-wb-article', text: 'article ' + rep.article}));
    return card;
  }

  function drawExplanation(side, row, d) {
    if (d.note) side.appendChild(h('p', {class: 'fa-wb-note', text: d.note}));
    if (!d.conflicts.length) {
      side.appendChild(h('p', {class: 'fa-wb-hint', text: row.n_figures > 1
        ? 'These reports can all be right at once: nothing to review.' : 'Reported once: nothing to compare.'}));
      return;
    }
    side.appendChild(h('h4', {text: d.conflicts.length === 1 ? 'Why they cannot both be right'
      : d.conflicts.length + ' pairs that cannot both be right'}));
    var list = h('ul', {class: 'fa-wb-conflicts'});
    d.conflicts.forEach(function (c) {
      list.appendChild(h('li', {class: 'fa-wb-sev-' + c.severity, 'data-conflict': c.id},
        h('span', {class: 'fa-wb-chip fa-wb-sev-' + c.severity, text: c.severity + (c.difference ? ' · ' + c.difference + ' apart' : '')}),
        ' ', c.explanation,
        c.relation ? h('span', {class: 'fa-wb-small', text: ' (' + c.relation + ')'}) : null,
        c.decision ? h('div', {class: 'fa-wb-decided', text: c.decision + (c.note ? ': ' + c.note : '')}) : null));
    });
    side.appendChild(list);
    if (host.mode !== 'live') {
      side.appendChild(h('p', {class: 'fa-wb-review-state', text: 'review: ' + row.review}));
      return;
    }
    var box = h('div', {class: 'fa-wb-review'});
    box.appendChild(h('h4', {text: 'Your review'}));
    if (!summary.can_review) {
      box.appendChild(h('p', {class: 'fa-wb-hint', text: 'This audit has no review store: audit with out_dir= (or figure-audit run … --out DIR) to record decisions.'}));
      side.appendChild(box);
      return;
    }
    var scope = h('select', {class: 'fa-wb-scope', 'aria-label': 'what the decision applies to'});
    scope.appendChild(h('option', {value: '', text: d.conflicts.length > 1 ? 'all ' + d.conflicts.length + ' pairs of this group' : 'this conflict'}));
    if (d.conflicts.length > 1) d.conflicts.forEach(function (c, i) { scope.appendChild(h('option', {value: c.id, text: 'pair ' + (i + 1) + ': ' + c.explanation.slice(0, 80)})); });
    var note = h('textarea', {class: 'fa-wb-note-input', rows: 2, placeholder: 'why (kept with the decision)'});
    var notes = d.conflicts.map(function (c) { return c.note; });
    var shared = notes.every(function (n) { return n === notes[0]; }) ? notes[0] : '';
    note.value = d.decision_note || shared || '';
    var status = h('div', {class: 'fa-wb-review-status', 'aria-live': 'polite',
      text: 'review: ' + row.review});
    function decide(decision) {
      var conflict = scope.value;
      host.review({group: row.id, conflict: conflict, decision: decision, note: note.value});
      if (!conflict || d.conflicts.length === 1) {  // shown at once; the kernel's answer confirms it
        row.review = decision;
        refresh();
      }
      status.textContent = 'Saving ' + decision + '…';
    }
    box.appendChild(scope);
    box.appendChild(note);
    box.appendChild(h('div', {class: 'fa-wb-buttons'},
      h('button', {type: 'button', class: 'fa-wb-confirm', 'data-decision': 'confirmed', text: 'Confirm conflict',
        onclick: function () { decide('confirmed'); }}),
      h('button', {type: 'button', class: 'fa-wb-dismiss', 'data-decision': 'dismissed', text: 'Dismiss (false alarm)',
        onclick: function () { decide('dismissed'); }})));
    box.appendChild(status);
    side.appendChild(box);
  }

  // Reported values over publication time: a point per exact report, a bar per interval, an arrow
  // for an open upper end; colour = outlet; outliers ringed; undated reports in their own column.
  function drawChart(box, d, colours, cards) {
    var reps = d.reports.filter(function (r) { return r.lo !== null || r.point !== null; });
    if (!reps.length) { box.appendChild(h('p', {class: 'fa-wb-hint', text: 'No numeric value to draw.'})); return; }
    var W = 520, H = 230, L = 56, R = 14, T = 12, B = 34;
    var dated = reps.filter(function (r) { return r.published; });
    var undated = reps.length - dated.length;
    var times = dated.map(function (r) { return Date.parse(r.published); });
    var t0 = times.length ? Math.min.apply(null, times) : 0, t1 = times.length ? Math.max.apply(null, times) : 0;
    t0 -= 864e5 / 2; t1 += 864e5 / 2;  // half a day of margin: no mark sits on the axis
    var plotR = W - R - (undated ? 60 : 0);
    var top = 0;
    reps.forEach(function (r) { top = Math.max(top, r.hi === null ? (r.lo || 0) * 1.4 : r.hi, r.point || 0, r.lo || 0); });
    top = top > 0 ? top * 1.08 : 1;
    var step = Math.pow(10, Math.floor(Math.log10(top / 4)));
    [1, 2, 2.5, 5, 10].some(function (m) { if (top / (step * m) <= 5) { step *= m; return true; } return false; });
    top = Math.ceil(top / step) * step;
    function y(v) { return T + (H - T - B) * (1 - v / top); }
    function x(t) { return L + (plotR - L) * (t - t0) / (t1 - t0); }
    var svg = s('svg', {width: W, height: H, class: 'fa-wb-chart-svg', role: 'img',
      'aria-label': 'reported values over publication date'});
    for (var v = 0; v <= top + 1e-9; v += step) {
      svg.appendChild(s('line', {x1: L, x2: plotR, y1: y(v), y2: y(v), stroke: '#e6e6e6'}));
      svg.appendChild(s('text', {x: L - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'fa-wb-tick', text: niceNumber(v)}));
    }
    svg.appendChild(s('line', {x1: L, x2: L, y1: T, y2: H - B, stroke: '#888'}));
    svg.appendChild(s('line', {x1: L, x2: plotR, y1: H - B, y2: H - B, stroke: '#888'}));
    svg.appendChild(s('text', {x: 12, y: (H - B + T) / 2, transform: 'rotate(-90 12 ' + ((H - B + T) / 2) + ')',
      'text-anchor': 'middle', class: 'fa-wb-axis-title', text: d.unit}));
    if (times.length) {
      // ticks on whole days (publication dates have no time of day)
      var day = 864e5, days = Math.round((t1 - t0) / day);
      var every = Math.max(1, Math.ceil(days / 5));
      for (var tt = Math.ceil(t0 / day) * day; tt <= t1; tt += every * day) {
        svg.appendChild(s('line', {x1: x(tt), x2: x(tt), y1: H - B, y2: H - B + 4, stroke: '#888'}));
        svg.appendChild(s('text', {x: x(tt), y: H - B + 15, 'text-anchor': 'middle',
          class: 'fa-wb-tick', text: new Date(tt).toISOString().slice(0, 10)}));
      }
      svg.appendChild(s('text', {x: (L + plotR) / 2, y: H - 3, 'text-anchor': 'middle', class: 'fa-wb-axis-title', text: 'published'}));
    }
    if (undated) svg.appendChild(s('text', {x: plotR + 30, y: H - B + 15, 'text-anchor': 'middle', class: 'fa-wb-tick', text: 'undated'}));
    var slots = {};
    reps.forEach(function (r) {
      var key = r.published || 'undated';
      var k = slots[key] = (slots[key] || 0) + 1;
      var cx = (r.published ? x(Date.parse(r.published)) : plotR + 30) + ((k % 2 ? 1 : -1) * Math.floor(k / 2) * 12);
      var colour = colours[r.outlet];
      var g = s('g', {class: 'fa-wb-mark' + (r.outlier ? ' is-outlier' : ''), 'data-figure': r.id, tabindex: 0});
      g.appendChild(s('title', {text: r.outlet + ' · ' + (r.published || 'undated') + ': ' + r.value_text}));
      if (r.point === null) {
        var yl = y(r.lo || 0), yh = r.hi === null ? T + 2 : y(r.hi);
        g.appendChild(s('line', {x1: cx, x2: cx, y1: yl, y2: yh, stroke: colour, 'stroke-width': 4, 'stroke-linecap': 'round'}));
        g.appendChild(s('line', {x1: cx - 5, x2: cx + 5, y1: yl, y2: yl, stroke: colour, 'stroke-width': 2}));
        if (r.hi === null) g.appendChild(s('path', {d: 'M' + (cx - 6) + ',' + (yh + 8) + 'L' + cx + ',' + (yh - 2) + 'L' + (cx + 6) + ',' + (yh + 8) + 'Z', fill: colour}));
        else g.appendChild(s('line', {x1: cx - 5, x2: cx + 5, y1: yh, y2: yh, stroke: colour, 'stroke-width': 2}));
      } else {
        g.appendChild(s('circle', {cx: cx, cy: y(r.point), r: 6, fill: colour, stroke: '#fff', 'stroke-width': 1.5}));
      }
      if (r.outlier) {
        var oy = r.point !== null ? y(r.point) : y(r.lo || 0);
        g.appendChild(s('circle', {cx: cx, cy: oy, r: 10, fill: 'none', stroke: '#c0392b', 'stroke-width': 2}));
      }
      g.addEventListener('click', function () {
        var card = cards.querySelector('[data-figure="' + CSS.escape(r.id) + '"]');
        if (card) { card.scrollIntoView({block: 'nearest'}); card.classList.add('is-flash'); setTimeout(function () { card.classList.remove('is-flash'); }, 900); }
      });
      svg.appendChild(g);
    });
    box.appendChild(svg);
    var legend = h('div', {class: 'fa-wb-legend'});
    Object.keys(colours).forEach(function (o) { legend.appendChild(h('span', null, h('span', {class: 'fa-wb-swatch', style: 'background:' + colours[o]}), o)); });
    legend.appendChild(h('span', {class: 'fa-wb-small', text: '● one value  | interval  ▲ open above  ◯ outlier'}));
    box.appendChild(legend);
  }

  // -- one redraw for every change -----------------------------------------------------------------
  function refresh() {
    var result = compute();
    if (state.selected && !result.matching.some(function (r) { return r.id === state.selected; })) {
      // a filter excluded the selection: clear it, so nothing shows a group the list hides
      state.selected = '';
      if (host.mode === 'live') host.select('');
    }
    drawCounts(result.matching);
    drawFacets(result.tallies);
    drawTable(result.matching);
    drawOverview(result.matching);
    if (host.mode === 'live') drawLiveDetail();
    root.setAttribute('data-matching', String(result.matching.length));
  }

  loadRows();
  refresh();
  var handlers = [];
  if (host.onChange) {
    host.onChange('detail', function () { detailVersion++; drawLiveDetail(); });
    host.onChange('selected', function () {
      var id = host.selected() || '';
      if (id !== state.selected) { state.selected = id; refresh(); }
    });
    host.onChange('reviews', function () { applyReviews(); refresh(); });
    host.onChange('summary', function () { summary = host.summary(); });  // sent before new rows
    if (host.onMessage) {
      host.onMessage(function (msg) {
        if (!msg || msg.type !== 'error') return;
        // The kernel refused (e.g. a locked store): say so, and undo what was shown in advance.
        problem.textContent = 'Not saved: ' + msg.message;
        problem.hidden = false;
        loadRows();
        drawnKey = null;
        refresh();
      });
    }
    host.onChange('rows', function () { loadRows(); refresh(); });
  }
  return {
    refresh: refresh,
    select: choose,
    destroy: function () { handlers.length = 0; root.textContent = ''; }
  };
}
