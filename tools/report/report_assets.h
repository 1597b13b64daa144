// The style sheet and script of report.html, inlined into every report (no files to ship,
// no network). The script reads the JSON block with id "data" (see report.cc for its
// shape) and draws the tables with paging, filtering and sorting (one per view in
// "views": the protocols' sections as their specs describe them, files, connections), the
// image gallery and the per-connection view (#c=UID). It puts text from the records into the page only
// through textContent and attribute setters, never as markup; links go only to
// objects/NAME, streams/NAME and #c=UID, and images only from data:image/ URIs.
#ifndef TCPFOLLOW_TOOLS_REPORT_REPORT_ASSETS_H_
#define TCPFOLLOW_TOOLS_REPORT_REPORT_ASSETS_H_

namespace tcpfollow {

inline constexpr const char kReportStyle[] = R"CSS(
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{position:sticky;top:0;z-index:2;background:#1d2330;color:#fff;padding:6px 16px;display:flex;align-items:center;gap:24px;flex-wrap:wrap}
header h1{font-size:17px;margin:0}
nav a{color:#cfe0ff;margin-right:12px;text-decoration:none}
nav a:hover{text-decoration:underline}
main{padding:0 16px 40px}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:16px 0;padding:4px 16px 12px}
h2{font-size:16px;margin:10px 0}
.cards{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
table{border-collapse:collapse;font-size:13px}
caption{text-align:left;font-weight:600;padding:4px 0}
table.kv th{text-align:left;font-weight:normal;color:#555;padding:1px 12px 1px 0;vertical-align:top}
table.kv td{padding:1px 0;word-break:break-all}
table.grid{width:100%}
.cards table.grid{width:auto;min-width:260px}
table.grid th{background:#eef1f5;text-align:left;padding:3px 6px;border-bottom:1px solid #cfd5dd;white-space:nowrap;cursor:pointer;user-select:none}
table.grid td{padding:2px 6px;border-bottom:1px solid #eef0f3;vertical-align:top;max-width:480px;overflow-wrap:anywhere}
table.grid tr:hover td{background:#f3f7ff}
a.uid{white-space:nowrap}
.gallery img{min-width:48px;image-rendering:pixelated}
td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.note{color:#777;font-size:12px}
.bar{display:flex;gap:8px;align-items:center;margin:4px 0}
.bar input{padding:3px 6px;width:260px}
.bar button{padding:2px 8px}
svg.tl{display:block;max-width:100%;height:auto;font:10px monospace}
svg.tl .grid{stroke:#e3e6ea}
svg.tl .tick{fill:#666}
svg.tl .lbl{fill:#555}
svg.tl a:hover rect{opacity:.75}
.legend{font-size:12px}
.legend svg{vertical-align:middle}
img.thumb{max-width:64px;max-height:48px;display:block;margin-top:2px;border:1px solid #ddd}
.gallery{display:flex;flex-wrap:wrap;gap:10px}
.gallery figure{margin:0;width:160px;font-size:12px;border:1px solid #e3e6ea;padding:4px;border-radius:4px}
.gallery img{max-width:150px;max-height:120px;display:block;margin:auto}
pre.tr{white-space:pre-wrap;word-break:break-all;font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;border:1px solid #ddd;padding:6px;max-height:560px;overflow:auto}
pre.tr .c{color:#8a1111;background:#fbeded}
pre.tr .s{color:#121a8a;background:#ededfb}
pre.tr .skip{color:#555;background:#eee;display:inline-block;margin:2px 0;padding:0 4px}
pre.tr .gap{color:#fff;background:#d62728;display:inline-block;margin:2px 0;padding:0 4px}
#detail{border-color:#4e79a7;border-width:2px}
.recs{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
.recs table{max-width:560px}
)CSS";

inline constexpr const char kReportScript[] = R"JS(
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('data').textContent);
  var S = D.S || [];
  var PAGE = 100;
  // The big blocks (rows, details, images) are parsed when first used, so the page is
  // interactive before them; each section draws when it comes near the viewport.
  function lazy(obj, prop, id, empty) {
    var v;
    Object.defineProperty(obj, prop, {get: function () {
      if (v === undefined) {
        var e = document.getElementById(id);
        v = e ? JSON.parse(e.textContent) : empty;
      }
      return v;
    }});
  }
  lazy(D, 'details', 'd-details', {});
  lazy(D, 'images', 'd-images', {});
  var pending = {};
  var io = typeof IntersectionObserver === 'function' ? new IntersectionObserver(function (es) {
    es.forEach(function (e) { if (e.isIntersecting) run(e.target.id); });
  }, {rootMargin: '600px 0px'}) : null;
  function later(id, fn) {
    pending[id] = fn;
    var sec = document.getElementById(id);
    if (io && sec) io.observe(sec); else run(id);
  }
  function run(id) {
    var fn = pending[id];
    if (!fn) return;
    delete pending[id];
    if (io) io.unobserve(document.getElementById(id));
    fn();
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function str(v) {
    if (v === null || v === undefined) return '';
    if (Array.isArray(v)) {
      return v.some(function (e) { return e !== null && typeof e === 'object'; }) ? JSON.stringify(v)
                                                                                : v.map(str).join(', ');
    }
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }
  function group(n) {
    return n === null || n === undefined ? '' : String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }
  function bytes(n) {
    if (n === null || n === undefined) return '';
    var u = ['B', 'KB', 'MB', 'GB', 'TB'], i = 0;
    while (n >= 1000 && i < 4) { n /= 1000; i++; }
    return i ? n.toFixed(1) + ' ' + u[i] : n + ' B';
  }
  function time(rel) {
    if (typeof rel !== 'number') return '';
    var t = D.t0 + rel, s = Math.floor(t);
    var iso = new Date(s * 1000).toISOString();
    return iso.slice(0, 10) + ' ' + iso.slice(11, 19) + (t - s).toFixed(6).slice(1);
  }
  // Accessors for a table's compact rows: g(row, 'field') with interned strings decoded.
  function accessor(t) {
    var idx = {}, interned = {};
    t.cols.forEach(function (c, i) { idx[c] = i; });
    (t.interned || []).forEach(function (c) { interned[c] = true; });
    return function (row, name) {
      var v = row[idx[name]];
      if (interned[name] && typeof v === 'number') return S[v];
      return v === undefined ? null : v;
    };
  }
  // Every log with a table: T[log] its columns, count and rows, G[log] its accessor.
  // flows and files are the report's own; the others are the protocols' (D.views).
  var T = {}, G = {};
  var tables = D.tables || {};
  Object.keys(tables).concat(['flows', 'files']).forEach(function (k) {
    if (T[k]) return;
    T[k] = tables[k] || {cols: [], interned: [], n: 0};
    lazy(T[k], 'rows', 'd-' + k, []);
    G[k] = accessor(T[k]);
  });

  // Links only to files of the output directory and to connections on this page.
  function fileLink(path, text) {
    var a = el('a', null, text);
    if (typeof path === 'string' && /^(objects|streams)\/[^\/]+$/.test(path) &&
        path !== 'objects/..' && path !== 'streams/..') {
      a.setAttribute('href', path.split('/').map(encodeURIComponent).join('/'));
    }
    return a;
  }
  function connLink(uid) {
    var a = el('a', 'uid', uid);
    if (typeof uid === 'string') a.setAttribute('href', '#c=' + encodeURIComponent(uid));
    return a;
  }
  function image(fuid, cls) {
    var src = D.images && D.images[fuid];
    if (typeof src !== 'string' || src.indexOf('data:image/') !== 0) return null;
    var img = el('img', cls);
    img.alt = 'image ' + fuid;
    img.src = src;
    return img;
  }
  var fileIndex = null;
  function fileByFuid(f) {
    if (!fileIndex) {
      fileIndex = {};
      T.files.rows.forEach(function (r) { fileIndex[G.files(r, 'fuid')] = r; });
    }
    return Object.prototype.hasOwnProperty.call(fileIndex, f) ? fileIndex[f] : null;
  }
  function objectCell(td, fuids) {
    if (!Array.isArray(fuids)) fuids = fuids ? [fuids] : [];
    fuids.forEach(function (f, i) {
      var r = fileByFuid(f);
      if (i) td.appendChild(document.createTextNode(' '));
      if (!r) { td.appendChild(el('span', null, f)); return; }
      td.appendChild(fileLink(G.files(r, 'path'), G.files(r, 'name') || f));
      var img = image(f, 'thumb');
      if (img) td.appendChild(img);
    });
  }

  // A table with paging, filtering and sorting; only the current page is in the DOM.
  // cols: {t: title, v: row -> value (sort, filter), f: value -> text, cell(td, row), n: numeric}
  function table(id, rows, cols, total, log) {
    var host = document.getElementById(id);
    if (!host) return;
    host.setAttribute('data-total', String(total));
    if (!total) {
      host.appendChild(el('p', 'note', 'No ' + log + ' records.'));
      host.setAttribute('data-rendered', '1');
      return;
    }
    var view = rows, page = 0, sortCol = -1, asc = true, index = null;
    var bar = el('div', 'bar');
    var q = el('input');
    q.type = 'search';
    q.placeholder = 'filter';
    q.setAttribute('aria-label', 'filter ' + log);
    var prev = el('button', null, '\u2039 prev'), next = el('button', null, 'next \u203a');
    var info = el('span', 'info');
    bar.appendChild(q); bar.appendChild(prev); bar.appendChild(next); bar.appendChild(info);
    host.appendChild(bar);
    if (rows.length < total) {
      host.appendChild(el('p', 'note', group(total - rows.length) + ' more records are in ' + log +
                          '.jsonl: the tables of this page hold at most ' + group(D.limits.max_table_rows) +
          ' rows each and ' + bytes(D.limits.max_table_bytes) + ' in all.'));
    }
    var tbl = el('table', 'grid'), head = el('tr'), body = el('tbody');
    cols.forEach(function (c, i) {
      var th = el('th', null, c.t);
      th.title = 'sort';
      th.addEventListener('click', function () {
        asc = sortCol === i ? !asc : true;
        sortCol = i;
        apply();
      });
      head.appendChild(th);
    });
    var thead = el('thead');
    thead.appendChild(head);
    tbl.appendChild(thead);
    tbl.appendChild(body);
    host.appendChild(tbl);
    function text(r) {
      var t = '';
      for (var i = 0; i < cols.length; i++) t += str(cols[i].v(r)) + '\u0001';
      return t.toLowerCase();
    }
    function apply() {
      var s = q.value.trim().toLowerCase();
      if (s) {
        if (!index) index = rows.map(text);
        view = rows.filter(function (r, i) { return index[i].indexOf(s) >= 0; });
      } else {
        view = rows;
      }
      if (sortCol >= 0) {
        var c = cols[sortCol];
        view = view.map(function (r, i) { return [c.v(r), i, r]; });
        view.sort(function (a, b) {
          var x = a[0], y = b[0], d;
          if (x === y || (x === null && y === null)) d = 0;
          else if (x === null || x === undefined) d = 1;
          else if (y === null || y === undefined) d = -1;
          else if (typeof x === 'number' && typeof y === 'number') d = x - y;
          else d = str(x) < str(y) ? -1 : 1;
          return (asc ? d : -d) || a[1] - b[1];
        });
        view = view.map(function (e) { return e[2]; });
      }
      page = 0;
      render();
    }
    function render() {
      var pages = Math.max(1, Math.ceil(view.length / PAGE));
      if (page >= pages) page = pages - 1;
      var from = page * PAGE, to = Math.min(view.length, from + PAGE);
      var nb = el('tbody');
      for (var i = from; i < to; i++) {
        var r = view[i], tr = el('tr');
        cols.forEach(function (c) {
          var td = el('td', c.n ? 'n' : null);
          if (c.cell) c.cell(td, r);
          else td.textContent = str(c.f ? c.f(c.v(r)) : c.v(r));
          tr.appendChild(td);
        });
        nb.appendChild(tr);
      }
      tbl.replaceChild(nb, body);
      body = nb;
      info.textContent = (view.length ? group(from + 1) + '\u2013' + group(to) : '0') + ' of ' +
          group(view.length) + (view.length !== rows.length ? ' (filtered from ' + group(rows.length) + ')' : '') +
          (pages > 1 ? ', page ' + (page + 1) + ' of ' + pages : '');
      prev.disabled = page === 0;
      next.disabled = page >= pages - 1;
    }
    prev.addEventListener('click', function () { page--; render(); });
    next.addEventListener('click', function () { page++; render(); });
    var timer = 0;
    q.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(apply, 150); });
    render();
    host.setAttribute('data-rendered', '1');
  }
  function objectName(f) {
    var r = fileByFuid(f);
    return r ? G.files(r, 'name') || f : f;
  }

  // A table column as a view describes it (reassembly/log_view.h): {t: title, f: [fields],
  // s: how it shows them}, over the rows of `log`.
  function column(log, c) {
    var g = G[log], fs = c.f || [], col = {t: c.t};
    function first(r) {
      for (var i = 0; i < fs.length; i++) {
        var v = g(r, fs[i]);
        if (v !== null && v !== undefined && v !== '') return v;
      }
      return null;
    }
    function fuids(r) {
      var out = [];
      fs.forEach(function (k) {
        var v = g(r, k);
        if (Array.isArray(v)) out = out.concat(v);
        else if (v !== null && v !== undefined && v !== '') out.push(v);
      });
      return out;
    }
    col.v = first;
    switch (c.s) {
      case 'join':
        col.v = function (r) { return fs.map(function (k) { return str(g(r, k)); }).join(' '); };
        break;
      case 'sum':
        col.n = 1;
        col.f = group;
        col.v = function (r) {
          var t = 0;
          fs.forEach(function (k) { var v = g(r, k); if (typeof v === 'number') t += v; });
          return t;
        };
        break;
      case 'time': col.f = time; break;
      case 'connection': col.cell = function (td, r) { td.appendChild(connLink(first(r))); }; break;
      case 'number': col.n = 1; break;
      case 'count': col.n = 1; col.f = group; break;
      case 'yes': col.f = function (v) { return v ? 'yes' : ''; }; break;
      case 'yesno': col.f = function (v) { return v ? 'yes' : 'no'; }; break;
      case 'objects':
        col.v = function (r) { return fuids(r).map(objectName); };
        col.cell = function (td, r) { objectCell(td, fuids(r)); };
        break;
    }
    return col;
  }
  function cellText(col, r) { return str(col.f ? col.f(col.v(r)) : col.v(r)); }

  // A table of a log's records grouped by one field (a view's group): the time of the
  // group's first record, its key, the last value of some fields, how many records, and
  // one line per record that has the group's `if` field.
  function groupTable(v, gr, host) {
    var log = v.log, g = G[log], keyCol = column(log, gr.key);
    var byKey = new Map(), order = [];
    T[log].rows.forEach(function (r) {
      var k = g(r, gr.key.f[0]), s = byKey.get(k);
      if (!s) { s = {first: r, last: {}, n: 0, items: []}; byKey.set(k, s); order.push(s); }
      s.n++;
      gr.latest.forEach(function (c, i) { if (g(r, c.f[0]) !== null) s.last[i] = r; });
      var x = g(r, gr['if']);
      if (x !== null && x !== undefined && x !== '') s.items.push(r);
    });
    function on(col, pick) {  // a record column applied to one record of the group
      return {t: col.t, n: col.n, f: col.f,
              v: function (s) { var r = pick(s); return r ? col.v(r) : null; },
              cell: col.cell && function (td, s) { var r = pick(s); if (r) col.cell(td, r); }};
    }
    var firstRec = function (s) { return s.first; };
    var cols = [on(column(log, {t: 'time (UTC)', f: ['ts'], s: 'time'}), firstRec), on(keyCol, firstRec)];
    gr.latest.forEach(function (c, i) {
      cols.push(on(column(log, c), function (s) { return s.last[i] || null; }));
    });
    cols.push({t: gr.count, n: 1, v: function (s) { return s.n; }});
    var parts = gr.item.map(function (c) { return {c: c, col: column(log, c)}; });
    function part(p, r) {
      var t = cellText(p.col, r);
      return p.c.t ? '(' + t + ' ' + p.c.t + ')' : t;
    }
    cols.push({t: gr.items,
               v: function (s) { return s.items.map(function (r) { return parts.map(function (p) { return part(p, r); }).join(' '); }); },
               cell: function (td, s) {
                 s.items.forEach(function (r) {
                   var d = el('div');
                   parts.forEach(function (p, i) {
                     if (i) d.appendChild(document.createTextNode(' '));
                     if (p.c.s === 'objects') p.col.cell(d, r);
                     else d.appendChild(document.createTextNode(part(p, r)));
                   });
                   td.appendChild(d);
                 });
               }});
    host.appendChild(el('h3', null, gr.title));
    var div = el('div', 'tbl');
    div.id = 't-' + log + '-' + host.childNodes.length;
    host.appendChild(div);
    table(div.id, order, cols, order.length, gr.noun);
  }

  // Each view's section: its groups, then its records.
  function drawView(v) {
    var host = document.getElementById(v.id + '-groups');
    if (host && v.groups.length) {
      v.groups.forEach(function (gr) { groupTable(v, gr, host); });
      if (v.sub) host.appendChild(el('h3', null, v.sub));
    }
    table('t-' + v.log, T[v.log].rows, v.cols.map(function (c) { return column(v.log, c); }),
          T[v.log].n, v.log);
  }
  (D.views || []).forEach(function (v) {
    if (T[v.log]) later(v.id, function () { drawView(v); });
  });
  var gF = G.flows;

  // Images: the first GALLERY at once, the rest on request.
  later('gallery', function () {
  var gal = document.getElementById('g-images'), shown = 0, GALLERY = 60, rest = [];
  function figure(r, fu) {
    var img = image(fu, null);
    var fig = el('figure');
    fig.appendChild(img);
    var cap = el('figcaption');
    cap.appendChild(fileLink(G.files(r, 'path'), G.files(r, 'name') || fu));
    cap.appendChild(document.createTextNode(' ' + bytes(G.files(r, 'size')) + ' '));
    cap.appendChild(connLink(G.files(r, 'uid')));
    fig.appendChild(cap);
    gal.appendChild(fig);
  }
  T.files.rows.forEach(function (r) {
    var fu = G.files(r, 'fuid');
    if (!D.images || typeof D.images[fu] !== 'string') return;
    if (shown++ < GALLERY) figure(r, fu); else rest.push([r, fu]);
  });
  if (rest.length) {
    var more = el('button', null, 'show ' + group(rest.length) + ' more images');
    more.addEventListener('click', function () {
      rest.forEach(function (e) { figure(e[0], e[1]); });
      more.remove();
    });
    gal.parentNode.insertBefore(more, gal.nextSibling);
  }
  gal.setAttribute('data-total', String(shown));
  if (!shown) gal.appendChild(el('p', 'note', 'No images embedded.'));
  if (D.images_linked) {
    gal.parentNode.appendChild(el('p', 'note', group(D.images_linked) + ' more image objects are not ' +
        'embedded (larger than ' + bytes(D.limits.max_image_bytes) + ', over the budget, or not a raster ' +
        'image): see Files.'));
  }
  gal.setAttribute('data-rendered', '1');
  });

  // One connection: its records and the first part of its transcript.
  var flowByUid = null;
  function kv(caption, obj) {
    var t = el('table', 'kv');
    t.appendChild(el('caption', null, caption));
    Object.keys(obj).forEach(function (k) {
      var tr = el('tr');
      tr.appendChild(el('th', null, k));
      var td = el('td');
      var v = obj[k];
      if (k === 'files' && v && typeof v === 'object') {
        Object.keys(v).forEach(function (n) {
          td.appendChild(el('span', null, n + ': '));
          td.appendChild(fileLink(v[n], v[n]));
          td.appendChild(el('br'));
        });
      } else if (k === 'path' && typeof v === 'string') {
        td.appendChild(fileLink(v, v));
      } else {
        td.textContent = str(v);
      }
      tr.appendChild(td);
      t.appendChild(tr);
    });
    return t;
  }
  function showDetail() {
    var sec = document.getElementById('detail');
    var h = location.hash;
    if (h.indexOf('#c=') !== 0) {
      sec.hidden = true;
      run(h.slice(1));  // a section named in the link: drawn now
      return;
    }
    var uid;
    try { uid = decodeURIComponent(h.slice(3)); } catch (e) { uid = h.slice(3); }
    if (!flowByUid) {
      flowByUid = {};
      T.flows.rows.forEach(function (r) { flowByUid[gF(r, 'uid')] = r; });
    }
    while (sec.firstChild) sec.removeChild(sec.firstChild);
    sec.appendChild(el('h2', null, 'Connection ' + uid));
    var back = el('a', null, 'back to the connections');
    back.setAttribute('href', '#connections');
    sec.appendChild(back);
    var d = D.details && Object.prototype.hasOwnProperty.call(D.details, uid) ? D.details[uid] : null;
    var recs = el('div', 'recs');
    if (d) {
      d.recs.forEach(function (e) { recs.appendChild(kv(e[0] + '.jsonl', e[1])); });
    } else if (flowByUid[uid]) {
      var o = {};
      T.flows.cols.forEach(function (c) { o[c] = gF(flowByUid[uid], c); });
      o.ts = time(o.ts);
      recs.appendChild(kv('flows.jsonl (the fields of the table)', o));
      sec.appendChild(el('p', 'note', 'This connection\'s full records and transcript are not on ' +
          'the page (over the ' + bytes(D.limits.max_detail_bytes) + ' budget): see the .jsonl files ' +
          'and streams/.'));
    } else {
      sec.appendChild(el('p', 'note', 'No connection ' + uid + ' in this run.'));
    }
    sec.appendChild(recs);
    if (d && d.more) {
      sec.appendChild(el('p', 'note', group(d.more) + ' more records of this connection are not on ' +
          'the page (over the ' + bytes(D.limits.max_detail_bytes) + ' budget): see the .jsonl files.'));
    }
    if (d && d.tr) {
      sec.appendChild(el('h3', null, 'Transcript' + (d.tr.plain ? ' (decrypted)' : '') +
          ': client in red, server in blue' + (d.tr.cut ? ', up to ' + group(D.limits.transcript_bytes / 2) +
          ' bytes of each direction' : '')));
      if (!d.tr.ordered) {
        sec.appendChild(el('p', 'note', 'The record carries no turn order: each direction is shown ' +
            'in one block.'));
      }
      var pre = el('pre', 'tr');
      d.tr.segs.forEach(function (s) {
        if (s[0] >= 4) {
          pre.appendChild(el('span', 'skip', '[' + group(s[1]) + ' more bytes from the ' +
              (s[0] === 4 ? 'client' : 'server') + ', not shown]'));
          pre.appendChild(document.createTextNode('\n'));
        } else if (s[0] >= 2) {
          pre.appendChild(el('span', 'gap', '[' + group(s[1]) + ' bytes missing from the capture, ' +
              (s[0] === 2 ? 'client' : 'server') + ' side]'));
          pre.appendChild(document.createTextNode('\n'));
        } else {
          pre.appendChild(el('span', s[0] ? 's' : 'c', s[1]));
        }
      });
      if (d.tr.cut) pre.appendChild(el('span', 'note', '\n[transcript continues in the stream files]'));
      sec.appendChild(pre);
    } else if (d) {
      sec.appendChild(el('p', 'note', 'No stream files for this connection (none written, or empty).'));
    }
    sec.hidden = false;
    sec.scrollIntoView();
  }
  window.addEventListener('hashchange', showDetail);
  showDetail();
  document.body.setAttribute('data-ready-ms', String(Math.round(performance.now())));
  document.body.setAttribute('data-ready', '1');
})();
)JS";

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_REPORT_REPORT_ASSETS_H_
