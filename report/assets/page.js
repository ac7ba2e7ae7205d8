// The automl report page: draws the study embedded in #automl-data (or, on
// the dashboard, fetched from the server) with plain DOM and canvas calls.
// No library, no network: the page must open from a file.
(function () {
  "use strict";

  var STATES = ["", "pending", "running", "paused", "completed", "failed", "pruned", "stopped", "imported"];
  var COLORS = { completed: "#2563eb", running: "#16a34a", pending: "#9ca3af", paused: "#a855f7", pruned: "#f59e0b", stopped: "#64748b", failed: "#dc2626", imported: "#0d9488" };
  var SUMMARY_ORDER = ["completed", "running", "pending", "paused", "pruned", "stopped", "failed", "imported"];
  var RAMP = [[219, 234, 254], [147, 197, 253], [59, 130, 246], [29, 78, 216], [30, 27, 75]];
  var PAGE = 50;
  var INK = "#1f2433", MUTED = "#6b7280", GRID = "#eef0f5", AXIS = "#c9cdd8";

  var D = null; // the study's data
  var table = { sort: null, desc: false, page: 0, filter: "", rows: null, open: {} };
  var hits = {}; // canvas id -> function(x, y) returning tooltip text or null

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (k === "text") e.textContent = attrs[k];
        else if (k === "cls") e.className = attrs[k];
        else if (k === "style") e.style.cssText = attrs[k]; // CSSOM: allowed by the dashboard's CSP
        else e.setAttribute(k, attrs[k]);
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null) continue;
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  // ---- formatting ----

  function fmt(x) {
    if (x == null || isNaN(x)) return "";
    var a = Math.abs(x);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return x.toExponential(3).replace(/\.?0+e/, "e");
    var s = x.toPrecision(6);
    if (s.indexOf(".") >= 0 && s.indexOf("e") < 0) s = s.replace(/0+$/, "").replace(/\.$/, "");
    return s;
  }

  function fmtDur(s) {
    if (s == null || isNaN(s)) return "";
    if (s < 1) return (s * 1000).toFixed(s < 0.01 ? 2 : 0).replace(/\.00$/, "") + "ms";
    if (s < 60) return s.toFixed(s < 10 ? 2 : 1).replace(/\.?0+$/, "") + "s";
    var m = Math.floor(s / 60), h = Math.floor(m / 60);
    if (h > 0) return h + "h " + (m % 60) + "m";
    return m + "m " + Math.round(s - m * 60) + "s";
  }

  function fmtClock(ms) {
    var s = ms / 1000;
    if (s < 60) return (Math.round(s * 10) / 10) + "s";
    var m = Math.floor(s / 60);
    if (m < 60) return m + "m" + (s % 60 >= 1 ? " " + Math.floor(s % 60) + "s" : "");
    return Math.floor(m / 60) + "h " + (m % 60) + "m";
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function ramp(t) {
    t = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
    var i = Math.min(RAMP.length - 2, Math.floor(t)), f = t - i, a = RAMP[i], b = RAMP[i + 1];
    return "rgb(" + Math.round(a[0] + (b[0] - a[0]) * f) + "," + Math.round(a[1] + (b[1] - a[1]) * f) + "," + Math.round(a[2] + (b[2] - a[2]) * f) + ")";
  }

  function stateName(i) { return STATES[D.trials.state[i]] || "?"; }

  // The parameter's value as written in a space file.
  function paramText(j, i) {
    var x = D.trials.p[j][i], p = D.params[j];
    if (x == null) return "";
    if (p.cat) return p.levels[x];
    return String(x);
  }

  function better(a, b) { return D.study.direction === "maximize" ? a > b : a < b; }

  // ---- canvas plumbing ----

  function setup(canvas) {
    if (!canvas.dataset.h) canvas.dataset.h = canvas.getAttribute("height") || "300";
    var h = +canvas.dataset.h, w = Math.max(240, canvas.parentNode.clientWidth || 600);
    var dpr = window.devicePixelRatio || 1;
    canvas.style.height = h + "px";
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    var ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = "12px " + getComputedStyle(document.body).fontFamily;
    return { ctx: ctx, w: w, h: h };
  }

  function scale(d0, d1, r0, r1, log) {
    if (log) {
      var l0 = Math.log10(d0), l1 = Math.log10(d1), kl = (r1 - r0) / ((l1 - l0) || 1);
      var fl = function (x) { return r0 + (Math.log10(x) - l0) * kl; };
      fl.log = true; fl.d0 = d0; fl.d1 = d1;
      return fl;
    }
    var k = (r1 - r0) / ((d1 - d0) || 1);
    var f = function (x) { return r0 + (x - d0) * k; };
    f.d0 = d0; f.d1 = d1;
    return f;
  }

  function extent(xs, pos) {
    var lo = Infinity, hi = -Infinity;
    for (var i = 0; i < xs.length; i++) {
      var x = xs[i];
      if (x == null || isNaN(x) || (pos && x <= 0)) continue;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    if (lo > hi) return null;
    return [lo, hi];
  }

  function pad(e, log) {
    if (log) {
      var r = Math.pow(e[1] / e[0], 0.04);
      if (e[0] === e[1]) r = 2;
      return [e[0] / r, e[1] * r];
    }
    var d = (e[1] - e[0]) * 0.05 || Math.abs(e[0]) * 0.1 || 1;
    return [e[0] - d, e[1] + d];
  }

  function ticks(d0, d1, n, log) {
    var out = [];
    if (log) {
      var p0 = Math.floor(Math.log10(d0)), p1 = Math.ceil(Math.log10(d1));
      var stepP = Math.max(1, Math.ceil((p1 - p0) / n));
      for (var p = p0; p <= p1; p += stepP) {
        var v = Math.pow(10, p);
        if (v >= d0 * 0.999 && v <= d1 * 1.001) out.push(v);
        if (p1 - p0 <= 2) {
          [2, 5].forEach(function (m) { var u = m * v; if (u >= d0 && u <= d1) out.push(u); });
        }
      }
      return out.sort(function (a, b) { return a - b; });
    }
    var span = d1 - d0;
    if (!(span > 0)) return [d0];
    var step = Math.pow(10, Math.floor(Math.log10(span / n))), err = n / span * step;
    if (err <= 0.15) step *= 10; else if (err <= 0.35) step *= 5; else if (err <= 0.75) step *= 2;
    for (var t = Math.ceil(d0 / step) * step; t <= d1 + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return out;
  }

  // axes draws a frame's grid, ticks and labels. fx and fy are scales.
  function axes(ctx, fr, fx, fy, xlabel, ylabel, opts) {
    opts = opts || {};
    ctx.save();
    ctx.lineWidth = 1;
    ctx.fillStyle = MUTED;
    ctx.strokeStyle = GRID;
    var yt = opts.yticks || ticks(fy.d0, fy.d1, 5, fy.log);
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    yt.forEach(function (t) {
      var y = Math.round(fy(t)) + 0.5;
      if (y < fr.t - 1 || y > fr.b + 1) return;
      ctx.beginPath(); ctx.moveTo(fr.l, y); ctx.lineTo(fr.r, y); ctx.stroke();
      ctx.fillText(opts.yfmt ? opts.yfmt(t) : fmt(t), fr.l - 6, y);
    });
    var xt = opts.xticks || ticks(fx.d0, fx.d1, Math.max(2, Math.floor((fr.r - fr.l) / 90)), fx.log);
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    xt.forEach(function (t) {
      var x = Math.round(fx(t)) + 0.5;
      if (x < fr.l - 1 || x > fr.r + 1) return;
      if (opts.xgrid !== false) { ctx.beginPath(); ctx.moveTo(x, fr.t); ctx.lineTo(x, fr.b); ctx.stroke(); }
      ctx.fillText(opts.xfmt ? opts.xfmt(t) : fmt(t), x, fr.b + 6);
    });
    ctx.strokeStyle = AXIS;
    ctx.beginPath(); ctx.moveTo(fr.l + 0.5, fr.t); ctx.lineTo(fr.l + 0.5, fr.b + 0.5); ctx.lineTo(fr.r, fr.b + 0.5); ctx.stroke();
    ctx.fillStyle = INK;
    if (xlabel) { ctx.textAlign = "center"; ctx.fillText(xlabel, (fr.l + fr.r) / 2, fr.b + 24); }
    if (ylabel) {
      ctx.translate(14, (fr.t + fr.b) / 2); ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.fillText(ylabel, 0, 0);
    }
    ctx.restore();
  }

  function message(canvas, text) {
    var c = setup(canvas);
    c.ctx.fillStyle = MUTED; c.ctx.textAlign = "center"; c.ctx.textBaseline = "middle";
    c.ctx.fillText(text, c.w / 2, c.h / 2);
    canvas.dataset.drawn = "0";
    canvas.dataset.note = text;
    hits[canvas.id] = null;
  }

  function legend(ctx, x, y, items) {
    ctx.save();
    ctx.textBaseline = "middle"; ctx.textAlign = "left";
    for (var i = items.length - 1; i >= 0; i--) {
      var it = items[i], w = ctx.measureText(it[0]).width;
      x -= w;
      ctx.fillStyle = INK; ctx.fillText(it[0], x, y);
      x -= 14;
      it[1](ctx, x + 5, y);
      x -= 14;
    }
    ctx.restore();
  }

  function dot(color, r) {
    return function (ctx, x, y) { ctx.fillStyle = color; ctx.beginPath(); ctx.arc(x, y, r || 3.5, 0, 7); ctx.fill(); };
  }

  function cross(ctx, x, y, r) {
    ctx.beginPath(); ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y + r); ctx.moveTo(x - r, y + r); ctx.lineTo(x + r, y - r); ctx.stroke();
  }

  // nearest returns the index of the point nearest to (x, y) within r pixels.
  function nearest(px, py, x, y, r) {
    var best = -1, bd = r * r;
    for (var i = 0; i < px.length; i++) {
      var dx = px[i] - x, dy = py[i] - y, d = dx * dx + dy * dy;
      if (d < bd) { bd = d; best = i; }
    }
    return best;
  }

  function trialTip(i) {
    var T = D.trials, s = "trial " + T.id[i] + " · " + stateName(i);
    if (T.value[i] != null) s += "\n" + D.study.metric + " = " + fmt(T.value[i]);
    for (var j = 0; j < D.params.length && j < 8; j++) {
      var v = paramText(j, i);
      if (v !== "") s += "\n" + D.params[j].name + ": " + (D.params[j].cat ? v : fmt(+v));
    }
    var why = T.why[i] >= 0 ? D.strings[T.why[i]] : "";
    if (why) s += "\n" + why;
    return s;
  }

  // ---- plots ----

  // plotValues are the trials' values for the plots, which show the
  // study's own search: imported results (never run here) are left out.
  function plotValues() {
    var T = D.trials;
    if (!T.own) {
      T.own = T.value.slice();
      for (var i = 0; i < T.n; i++) if (stateName(i) === "imported") T.own[i] = null;
    }
    return T.own;
  }

  function useLog(values) {
    var e = extent(values, false);
    return e && e[0] > 0 && e[1] / e[0] > 100;
  }

  function drawHistory() {
    var canvas = $("plot-history"), T = D.trials, n = T.n;
    var logBox = $("history-log");
    var V = plotValues();
    if (!logBox.dataset.set) { logBox.checked = useLog(V); logBox.dataset.set = "1"; }
    var log = logBox.checked && (extent(V, false) || [1])[0] > 0;
    var ve = extent(V, log), ie = extent(T.id, false);
    if (!ve) { message(canvas, "no trial has a value yet"); return; }
    var c = setup(canvas), ctx = c.ctx;
    var fr = { l: 64, r: c.w - 16, t: 26, b: c.h - 40 };
    var yd = pad(ve, log), fx = scale(ie[0] - 0.5, ie[1] + 0.5, fr.l, fr.r), fy = scale(yd[0], yd[1], fr.b, fr.t, log);
    axes(ctx, fr, fx, fy, "trial", D.study.metric, { xfmt: function (t) { return String(Math.round(t)); } });
    var px = [], py = [], idx = [], failed = 0, order = [];
    for (var i = 0; i < n; i++) order.push(i);
    order.sort(function (a, b) { return T.id[a] - T.id[b]; });
    ctx.save();
    ctx.beginPath(); ctx.rect(fr.l, fr.t - 4, fr.r - fr.l + 4, fr.b - fr.t + 8); ctx.clip();
    var r = n > 20000 ? 1.6 : n > 2000 ? 2.2 : 3;
    ctx.globalAlpha = n > 5000 ? 0.45 : 0.75;
    for (var k = 0; k < n; k++) {
      i = order[k];
      var st = stateName(i), x = fx(T.id[i]);
      if (st === "imported") continue; // not run here: the history is the study's own
      if (st === "failed") {
        failed++;
        ctx.strokeStyle = COLORS.failed; ctx.globalAlpha = 0.8;
        ctx.beginPath(); ctx.moveTo(x, fr.b - 7); ctx.lineTo(x, fr.b); ctx.stroke();
        ctx.globalAlpha = n > 5000 ? 0.45 : 0.75;
        continue;
      }
      var v = T.value[i];
      if (v == null || (log && v <= 0)) continue;
      var y = fy(v);
      if (st === "pruned" || st === "stopped") {
        ctx.strokeStyle = COLORS[st]; ctx.lineWidth = 1.3; cross(ctx, x, y, r + 0.5);
      } else {
        ctx.fillStyle = st === "completed" ? COLORS.completed : COLORS[st] || MUTED;
        ctx.beginPath(); ctx.arc(x, y, r, 0, 7); ctx.fill();
      }
      px.push(x); py.push(y); idx.push(i);
    }
    ctx.globalAlpha = 1;
    // The best so far, over trial ids.
    ctx.strokeStyle = "#e11d48"; ctx.lineWidth = 2; ctx.beginPath();
    var best = null, started = false;
    for (k = 0; k < n; k++) {
      i = order[k];
      if (T.rank[i] <= 0) continue;
      var vi = T.value[i];
      if (best === null || better(vi, best)) {
        x = fx(T.id[i]);
        if (!started) { ctx.moveTo(x, fy(vi)); started = true; } else { ctx.lineTo(x, fy(best)); ctx.lineTo(x, fy(vi)); }
        best = vi;
      }
    }
    if (started) { ctx.lineTo(fr.r, fy(best)); ctx.stroke(); }
    var b = bestRow();
    if (b >= 0) {
      ctx.strokeStyle = "#e11d48"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(fx(T.id[b]), fy(T.value[b]), r + 4, 0, 7); ctx.stroke();
    }
    ctx.restore();
    var items = [["completed", dot(COLORS.completed)], ["best so far", function (c2, x2, y2) { c2.strokeStyle = "#e11d48"; c2.lineWidth = 2; c2.beginPath(); c2.moveTo(x2 - 6, y2); c2.lineTo(x2 + 6, y2); c2.stroke(); }]];
    if ((D.summary.counts.pruned || 0) > 0) items.splice(1, 0, ["pruned", function (c2, x2, y2) { c2.strokeStyle = COLORS.pruned; c2.lineWidth = 1.3; cross(c2, x2, y2, 3.5); }]);
    if (failed > 0) items.splice(1, 0, ["failed", function (c2, x2, y2) { c2.strokeStyle = COLORS.failed; c2.beginPath(); c2.moveTo(x2, y2 - 4); c2.lineTo(x2, y2 + 4); c2.stroke(); }]);
    legend(ctx, fr.r, 12, items);
    canvas.dataset.drawn = String(px.length);
    hits[canvas.id] = function (x, y) { var j = nearest(px, py, x, y, 8); return j < 0 ? null : trialTip(idx[j]); };
  }

  function bestRow() { return D.trials.n > 0 && D.trials.rank[0] === 1 ? 0 : -1; }

  function drawImportance() {
    var canvas = $("plot-importance"), imp = D.importance;
    $("importance-hint").textContent = imp.params.length ? imp.method + " (" + imp.trees + " trees, " + plural(imp.trials, "completed trial") + ")" : "";
    if (!imp.params.length) { message(canvas, imp.note || "not enough trials"); return; }
    var ps = imp.params.slice(0, 20);
    canvas.dataset.h = String(Math.max(300, 60 + ps.length * 28));
    var c = setup(canvas), ctx = c.ctx;
    var lw = 0;
    ps.forEach(function (p) { lw = Math.max(lw, ctx.measureText(p.name).width); });
    var fr = { l: Math.min(200, lw + 18), r: c.w - 60, t: 8, b: c.h - 42 };
    var top = Math.min(1, Math.ceil((ps[0].share * 1.15 + 0.02) * 10) / 10);
    var fx = scale(0, top, fr.l, fr.r), bh = Math.min(22, (fr.b - fr.t) / ps.length - 6);
    axes(ctx, fr, fx, scale(0, 1, fr.b, fr.t), "share of the importance", "", { yticks: [], xfmt: function (t) { return Math.round(t * 100) + "%"; } });
    ctx.textBaseline = "middle";
    ps.forEach(function (p, k) {
      var y = fr.t + (k + 0.5) * (fr.b - fr.t) / ps.length;
      ctx.fillStyle = ramp(0.35 + 0.6 * p.share);
      var wpx = Math.max(1, fx(p.share) - fr.l);
      ctx.fillRect(fr.l + 1, y - bh / 2, wpx, bh);
      ctx.fillStyle = INK; ctx.textAlign = "right";
      ctx.fillText(p.name, fr.l - 8, y);
      ctx.textAlign = "left"; ctx.fillStyle = MUTED;
      ctx.fillText((p.share * 100).toFixed(p.share < 0.1 ? 1 : 0) + "%", fr.l + wpx + 6, y);
    });
    canvas.dataset.drawn = String(ps.length);
    var bars = ps;
    hits[canvas.id] = function (x, y) {
      var k = Math.floor((y - fr.t) / ((fr.b - fr.t) / bars.length));
      if (k < 0 || k >= bars.length || x < 0) return null;
      var p = bars[k];
      return p.name + ": " + (p.share * 100).toFixed(1) + "% of the importance\nmain effect: " + (p.main * 100).toFixed(1) + "% of the variance" +
        "\nall main effects: " + (imp.explained * 100).toFixed(0) + "% (the rest is interactions)";
    };
  }

  function drawCurves() {
    var canvas = $("plot-curves"), T = D.trials, cs = D.curves;
    var hint = cs.length ? plural(cs.length, "trial") + (D.rungs.length ? "; dashed lines are rungs, rings mark promotions" : "") : "";
    $("curves-hint").textContent = hint;
    if (!cs.length) { message(canvas, "no trial reported intermediate values"); return; }
    var steps = [], vals = [];
    cs.forEach(function (cv) { cv.pts.forEach(function (p) { steps.push(p[0]); vals.push(p[1]); }); });
    var log = useLog(vals), se = extent(steps, false), ve = pad(extent(vals, log) || [0, 1], log);
    var c = setup(canvas), ctx = c.ctx;
    var fr = { l: 64, r: c.w - 16, t: 26, b: c.h - 40 };
    var fx = scale(Math.min(0, se[0]), se[1], fr.l, fr.r), fy = scale(ve[0], ve[1], fr.b, fr.t, log);
    axes(ctx, fr, fx, fy, D.study.resource || "step", D.study.metric);
    ctx.save();
    ctx.setLineDash([4, 4]); ctx.strokeStyle = "#a855f7"; ctx.fillStyle = "#7e22ce"; ctx.textAlign = "center";
    D.rungs.forEach(function (r) {
      var x = Math.round(fx(r)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, fr.t); ctx.lineTo(x, fr.b); ctx.stroke();
      ctx.fillText("rung " + fmt(r), x, fr.t - 8);
    });
    ctx.restore();
    ctx.save();
    ctx.beginPath(); ctx.rect(fr.l, fr.t, fr.r - fr.l, fr.b - fr.t); ctx.clip();
    var px = [], py = [], pi = [];
    for (var k = cs.length - 1; k >= 0; k--) { // the best last, on top
      var cv = cs[k], i = cv.row, st = stateName(i), isBest = T.rank[i] === 1;
      ctx.strokeStyle = COLORS[st] || MUTED; ctx.lineWidth = isBest ? 2.6 : 1.2; ctx.globalAlpha = isBest ? 1 : 0.55;
      if (isBest) ctx.strokeStyle = "#e11d48";
      ctx.beginPath();
      var att = null;
      cv.pts.forEach(function (p, m) {
        var x = fx(p[0]), y = fy(p[1]);
        if (m === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
        px.push(x); py.push(y); pi.push(i);
      });
      ctx.stroke();
      ctx.globalAlpha = 1;
      cv.pts.forEach(function (p, m) { // the next point is a new attempt: promoted here (or retried)
        var q = cv.pts[m - 1];
        if (m > 0 && att !== null && p[2] !== att) {
          ctx.strokeStyle = "#7e22ce"; ctx.lineWidth = 1.5; ctx.beginPath(); ctx.arc(fx(q[0]), fy(q[1]), 4, 0, 7); ctx.stroke();
        }
        att = p[2];
      });
      var last = cv.pts[cv.pts.length - 1];
      if (st === "pruned" || st === "stopped") { ctx.strokeStyle = COLORS[st]; ctx.lineWidth = 1.5; cross(ctx, fx(last[0]), fy(last[1]), 3.5); }
      else { // where the trial stands (a one-point curve is this dot alone)
        ctx.fillStyle = isBest ? "#e11d48" : COLORS[st] || MUTED; ctx.beginPath(); ctx.arc(fx(last[0]), fy(last[1]), isBest ? 3.5 : 2.2, 0, 7); ctx.fill();
      }
    }
    ctx.restore();
    var items = [["completed", dot(COLORS.completed)]];
    ["paused", "pruned", "running"].forEach(function (s) { if ((D.summary.counts[s] || 0) > 0) items.push([s, dot(COLORS[s])]); });
    items.push(["best", dot("#e11d48")]);
    legend(ctx, fr.r, 12, items);
    canvas.dataset.drawn = String(cs.length);
    hits[canvas.id] = function (x, y) {
      var j = nearest(px, py, x, y, 7);
      return j < 0 ? null : trialTip(pi[j]);
    };
  }

  // axisOf returns a parameter's scale onto [0, 1] and its tick labels.
  function axisOf(j) {
    var p = D.params[j], col = D.trials.p[j];
    if (p.cat) {
      var n = p.levels.length;
      return { f: function (x) { return n <= 1 ? 0.5 : x / (n - 1); }, ticks: p.levels.map(function (l, k) { return [n <= 1 ? 0.5 : k / (n - 1), l]; }) };
    }
    var e = extent(col, p.log) || [p.low, p.high];
    var lo = Math.min(e[0], p.low), hi = Math.max(e[1], p.high);
    if (p.log && lo <= 0) lo = e[0];
    var s = scale(lo, hi, 0, 1, p.log && lo > 0);
    var ts = [lo, hi];
    return { f: s, ticks: ts.map(function (t) { return [s(t), fmt(t)]; }) };
  }

  function rankColour(T) {
    var ranked = 0;
    for (var i = 0; i < T.n; i++) if (T.rank[i] > 0) ranked++;
    return function (i) { return ramp(1 - (T.rank[i] - 1) / Math.max(1, ranked - 1)); };
  }

  function drawParallel() {
    var canvas = $("plot-parallel"), T = D.trials, ps = D.params;
    var rows = [];
    for (var i = 0; i < T.n; i++) if (T.rank[i] > 0) rows.push(i);
    if (!rows.length || !ps.length) { message(canvas, rows.length ? "the study has no parameters" : "no completed trials yet"); return; }
    var c = setup(canvas), ctx = c.ctx;
    var axesList = ps.map(function (p, j) { return { name: p.name, ax: axisOf(j), col: T.p[j] }; });
    var ve = extent(plotValues(), false), vlog = useLog(plotValues());
    var vs = scale(ve[0], ve[1] === ve[0] ? ve[0] + 1 : ve[1], 0, 1, vlog);
    axesList.push({ name: D.study.metric, ax: { f: vs, ticks: [[0, fmt(ve[0])], [1, fmt(ve[1])]] }, col: T.value });
    var cond = ps.some(function (p) { return p.cond; });
    var fr = { l: 50, r: c.w - 60, t: 34, b: c.h - (cond ? 44 : 26) };
    var m = axesList.length, gap = (fr.r - fr.l) / Math.max(1, m - 1);
    var NA = -0.08; // where an inactive (conditional) parameter's lines pass
    var X = function (k) { return m === 1 ? (fr.l + fr.r) / 2 : fr.l + k * gap; };
    var Y = function (u) { return fr.b - u * (fr.b - fr.t); };
    var colour = rankColour(T);
    ctx.lineWidth = rows.length > 3000 ? 0.6 : 1.1;
    ctx.globalAlpha = rows.length > 3000 ? 0.25 : rows.length > 300 ? 0.45 : 0.75;
    for (var k = rows.length - 1; k >= 0; k--) { // worst first, best on top
      i = rows[k];
      ctx.strokeStyle = colour(i);
      ctx.beginPath();
      for (var a = 0; a < m; a++) {
        var v = axesList[a].col[i];
        var y = Y(v == null ? NA : axesList[a].ax.f(v));
        if (a > 0) ctx.lineTo(X(a), y); else ctx.moveTo(X(a), y);
      }
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    var b = bestRow();
    if (b >= 0) {
      ctx.strokeStyle = "#e11d48"; ctx.lineWidth = 2.2; ctx.beginPath();
      for (a = 0; a < m; a++) {
        v = axesList[a].col[b];
        y = Y(v == null ? NA : axesList[a].ax.f(v));
        if (a > 0) ctx.lineTo(X(a), y); else ctx.moveTo(X(a), y);
      }
      ctx.stroke();
    }
    axesList.forEach(function (A, a) {
      var x = Math.round(X(a)) + 0.5;
      ctx.strokeStyle = INK; ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(x, fr.t); ctx.lineTo(x, fr.b); ctx.stroke();
      if (a < ps.length && ps[a].cond) { // the inactive slot below the axis
        ctx.fillStyle = MUTED; ctx.textAlign = "center"; ctx.textBaseline = "top";
        ctx.fillText("inactive", x, Y(NA) + 5);
        ctx.beginPath(); ctx.arc(x, Y(NA), 2.5, 0, 7); ctx.fill();
      }
      ctx.fillStyle = INK; ctx.textAlign = "center"; ctx.textBaseline = "bottom";
      ctx.font = "600 12px " + getComputedStyle(document.body).fontFamily;
      ctx.fillText(A.name, x, fr.t - 10);
      ctx.font = "11px " + getComputedStyle(document.body).fontFamily;
      ctx.textBaseline = "middle";
      var step = Math.max(1, Math.ceil(A.ax.ticks.length / 12));
      A.ax.ticks.forEach(function (t, q) {
        if (q % step) return;
        var ty = Y(t[0]);
        ctx.fillStyle = "rgba(255,255,255,.85)";
        var tw = ctx.measureText(t[1]).width;
        ctx.fillRect(x + 4, ty - 7, tw + 4, 14);
        ctx.fillStyle = MUTED; ctx.textAlign = "left";
        ctx.fillText(t[1], x + 6, ty);
      });
    });
    canvas.dataset.drawn = String(rows.length);
    hits[canvas.id] = null;
  }

  function drawSlices() {
    var box = $("slices"), T = D.trials, ps = D.params;
    clear(box);
    if (!ps.length) { box.appendChild(el("div", { cls: "empty", text: "the study has no parameters" })); return; }
    var V = plotValues(), ve = extent(V, false);
    var ids = extent(T.id, false) || [0, 1];
    var vlog = useLog(V);
    ps.forEach(function (p, j) {
      var canvas = el("canvas", { id: "plot-slice-" + j, height: "220", "data-param": p.name });
      box.appendChild(el("figure", null, el("figcaption", { text: p.name + (p.log ? " (log)" : "") }), canvas));
      if (!ve) { message(canvas, "no values yet"); return; }
      var c = setup(canvas), ctx = c.ctx;
      var fr = { l: 58, r: c.w - 12, t: 8, b: c.h - 26 };
      var col = T.p[j], fx, xt = null, xfmt = null, cat = p.cat;
      if (cat) {
        var nl = p.levels.length;
        fx = scale(-0.5, nl - 0.5, fr.l, fr.r);
        xt = p.levels.map(function (_, k) { return k; });
        xfmt = function (t) { return p.levels[t] || ""; };
      } else {
        var e = extent(col, p.log) || [p.low, p.high];
        var lo = Math.min(e[0], p.low), hi = Math.max(e[1], p.high);
        if (p.log && lo <= 0) lo = e[0];
        var d = pad([lo, hi], p.log && lo > 0);
        fx = scale(d[0], d[1], fr.l, fr.r, p.log && lo > 0);
      }
      var yd = pad(ve, vlog), fy = scale(yd[0], yd[1], fr.b, fr.t, vlog);
      axes(ctx, fr, fx, fy, "", "", { xticks: xt, xfmt: xfmt });
      var px = [], py = [], pi = [];
      ctx.globalAlpha = T.n > 5000 ? 0.4 : 0.8;
      var r = T.n > 20000 ? 1.4 : T.n > 2000 ? 2 : 2.8;
      for (var i = T.n - 1; i >= 0; i--) {
        var x = col[i], v = V[i];
        if (x == null || v == null || (vlog && v <= 0)) continue;
        var sx = cat ? fx(x + jitter(T.id[i])) : fx(x), sy = fy(v);
        ctx.fillStyle = ramp((T.id[i] - ids[0]) / Math.max(1, ids[1] - ids[0]));
        ctx.beginPath(); ctx.arc(sx, sy, r, 0, 7); ctx.fill();
        px.push(sx); py.push(sy); pi.push(i);
      }
      ctx.globalAlpha = 1;
      canvas.dataset.drawn = String(px.length);
      hits[canvas.id] = function (x2, y2) { var q = nearest(px, py, x2, y2, 7); return q < 0 ? null : trialTip(pi[q]); };
    });
  }

  // jitter spreads the points of one categorical level, the same way each time.
  function jitter(id) { return (((id * 2654435761) >>> 0) % 1000 / 1000 - 0.5) * 0.5; }

  function drawTimeline() {
    var canvas = $("plot-timeline"), T = D.trials, lanes = D.lanes, S = D.summary;
    var util = S.utilisation ? Math.round(S.utilisation * 100) + "% slot utilisation over " + plural(lanes.length, "lane") : "";
    $("timeline-hint").textContent = util ? util + "; each bar is a trial's latest job" : "";
    if (!lanes.length) { message(canvas, "no trial has started yet"); return; }
    var lh = lanes.length > 24 ? Math.max(6, Math.floor(480 / lanes.length)) : 24;
    canvas.dataset.h = String(Math.min(560, 56 + lanes.length * lh));
    var c = setup(canvas), ctx = c.ctx;
    var lw = 0;
    lanes.forEach(function (l) { lw = Math.max(lw, ctx.measureText(l.name).width); });
    var showNames = lh >= 12;
    var fr = { l: showNames ? Math.min(220, lw + 18) : 50, r: c.w - 54, t: 8, b: c.h - 40 };
    lh = (fr.b - fr.t) / lanes.length;
    var span = Math.max(1, S.t1 - S.t0);
    var fx = scale(0, span, fr.l, fr.r);
    axes(ctx, fr, fx, scale(0, 1, fr.b, fr.t), "time since the first trial started", "", { yticks: [], xfmt: fmtClock });
    var bx = [], bw = [], by = [], bi = [];
    for (var i = 0; i < T.n; i++) {
      var l = T.lane[i];
      if (l < 0 || T.start[i] == null) continue;
      var e = T.end[i] == null ? span : T.end[i];
      var x0 = fx(T.start[i]), x1 = Math.max(x0 + 1, fx(e)), y = fr.t + l * lh + Math.max(1, lh * 0.12);
      ctx.fillStyle = COLORS[stateName(i)] || MUTED;
      ctx.globalAlpha = T.rank[i] === 1 ? 1 : 0.85;
      ctx.fillRect(x0, y, x1 - x0, Math.max(1, lh * 0.76));
      if (T.rank[i] === 1) { ctx.strokeStyle = "#e11d48"; ctx.lineWidth = 2; ctx.strokeRect(x0, y, x1 - x0, Math.max(1, lh * 0.76)); }
      bx.push(x0); bw.push(x1 - x0); by.push(l); bi.push(i);
    }
    ctx.globalAlpha = 1;
    ctx.textBaseline = "middle";
    lanes.forEach(function (ln, k) {
      var y = fr.t + (k + 0.5) * lh;
      if (showNames) { ctx.fillStyle = INK; ctx.textAlign = "right"; ctx.fillText(ln.name, fr.l - 8, y); }
      if (lh >= 12) {
        ctx.fillStyle = MUTED; ctx.textAlign = "left";
        ctx.fillText(Math.round(100 * ln.busy_s / (span / 1000)) + "%", fr.r + 8, y);
      }
    });
    canvas.dataset.drawn = String(bx.length);
    hits[canvas.id] = function (x, y) {
      var l = Math.floor((y - fr.t) / lh);
      for (var q = 0; q < bx.length; q++) {
        if (by[q] === l && x >= bx[q] - 1 && x <= bx[q] + bw[q] + 1) {
          var i2 = bi[q];
          var s = trialTip(i2) + "\n" + lanes[l].name + "\nstarted " + fmtClock(T.start[i2]) + (T.end[i2] != null ? ", ran " + fmtDur((T.end[i2] - T.start[i2]) / 1000) : ", running");
          return s;
        }
      }
      return null;
    };
  }

  // ---- several objectives: the Pareto front and the hypervolume ----

  var paretoPick = { x: 0, y: 1 }; // the objectives on the Pareto plot's axes

  function svgEl(tag, attrs, text) {
    var n = document.createElementNS($("svg-pareto").namespaceURI, tag); // the skeleton's <svg>: no namespace URI written here
    for (var k in attrs) n.setAttribute(k, attrs[k]);
    if (text != null) n.textContent = text;
    return n;
  }

  function lossOf(o, v) { return o.direction === "maximize" ? -v : v; }

  // refText is the reference point and where it comes from, for the page.
  function refText(P) {
    if (!P.ref) return "no feasible trial yet: no reference point";
    var names = P.objectives.map(function (o) { return o.metric; }).join(", ");
    return "reference point (" + names + ") = (" + P.ref.map(fmt).join(", ") + "): " +
      (P.ref_given ? "given with --ref-point" : "the nadir of the feasible trials plus 10% of their range in each objective");
  }

  // setupPareto shows the row of the Pareto plots for a study of several
  // objectives, and the objective pickers when there are three or more.
  function setupPareto() {
    var P = D.pareto;
    $("pareto-row").hidden = !P;
    if (!P) return false;
    var sx = $("pareto-x"), sy = $("pareto-y"), k = P.objectives.length;
    $("pareto-axes").hidden = k < 3;
    var names = P.objectives.map(function (o) { return o.metric; }).join("\n");
    if (sx.dataset.names !== names) {
      [sx, sy].forEach(function (s) {
        clear(s);
        P.objectives.forEach(function (o, m) { s.appendChild(el("option", { value: String(m), text: o.metric })); });
      });
      sx.dataset.names = names;
      paretoPick = { x: 0, y: 1 };
    }
    sx.value = String(paretoPick.x); sy.value = String(paretoPick.y);
    return true;
  }

  function pickObjective(axis) {
    var sx = $("pareto-x"), sy = $("pareto-y");
    var x = +sx.value, y = +sy.value;
    if (x === y) { if (axis === "x") y = paretoPick.x; else x = paretoPick.y; } // swap rather than plot one against itself
    paretoPick = { x: x, y: y };
    drawPareto();
  }

  function paretoTip(i) {
    var P = D.pareto, T = D.trials;
    var where = !P.feas[i] ? "infeasible" : P.rank[i] === 0 ? "on the Pareto front" : "Pareto rank " + P.rank[i];
    var s = "trial " + T.id[i] + " · " + where;
    P.objectives.forEach(function (o, m) { s += "\n" + o.metric + " = " + fmt(P.obj[m][i]); });
    for (var j = 0; j < D.params.length && j < 8; j++) {
      var v = paramText(j, i);
      if (v !== "") s += "\n" + D.params[j].name + ": " + (D.params[j].cat ? v : fmt(+v));
    }
    return s;
  }

  // svgAxes draws a frame's grid, ticks and labels on an SVG plot.
  function svgAxes(svg, fr, fx, fy, xlabel, ylabel) {
    var g = svgEl("g", { "class": "axes" });
    ticks(fy.d0, fy.d1, 5, fy.log).forEach(function (t) {
      var y = Math.round(fy(t)) + 0.5;
      g.appendChild(svgEl("line", { x1: fr.l, x2: fr.r, y1: y, y2: y, "class": "grid" }));
      g.appendChild(svgEl("text", { x: fr.l - 6, y: y + 4, "text-anchor": "end" }, fmt(t)));
    });
    ticks(fx.d0, fx.d1, Math.max(2, Math.floor((fr.r - fr.l) / 90)), fx.log).forEach(function (t) {
      var x = Math.round(fx(t)) + 0.5;
      g.appendChild(svgEl("line", { x1: x, x2: x, y1: fr.t, y2: fr.b, "class": "grid" }));
      g.appendChild(svgEl("text", { x: x, y: fr.b + 17, "text-anchor": "middle" }, fmt(t)));
    });
    g.appendChild(svgEl("path", { d: "M" + (fr.l + 0.5) + " " + fr.t + "V" + (fr.b + 0.5) + "H" + fr.r, "class": "frame" }));
    g.appendChild(svgEl("text", { x: (fr.l + fr.r) / 2, y: fr.b + 34, "text-anchor": "middle", "class": "label" }, xlabel));
    g.appendChild(svgEl("text", { x: 0, y: 0, "text-anchor": "middle", "class": "label", transform: "translate(14 " + (fr.t + fr.b) / 2 + ") rotate(-90)" }, ylabel));
    svg.appendChild(g);
  }

  // drawPareto: every trial completed at its full budget by two
  // objectives, as SVG (each point an element: the front's are
  // circle.front); the front of the two objectives as a step line;
  // infeasible trials grey.
  function drawPareto() {
    if (!setupPareto()) return;
    var P = D.pareto, T = D.trials, box = $("plot-pareto");
    var ox = P.objectives[paretoPick.x], oy = P.objectives[paretoPick.y], X = P.obj[paretoPick.x], Y = P.obj[paretoPick.y];
    var idx = [];
    for (var i = 0; i < T.n; i++) if (P.rank[i] >= 0 && X[i] != null && Y[i] != null) idx.push(i);
    var svg = $("svg-pareto"), w = Math.max(240, box.clientWidth || 600), h = 340;
    clear(svg);
    svg.setAttribute("width", w); svg.setAttribute("height", h); svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    var front = 0, infeasible = 0;
    idx.forEach(function (i) { if (!P.feas[i]) infeasible++; else if (P.rank[i] === 0) front++; });
    $("pareto-hint").textContent = idx.length ? count(front) + " on the front of " + plural(idx.length, "completed trial") + (infeasible ? ", " + count(infeasible) + " infeasible (grey)" : "") + (P.objectives.length > 2 ? "; the front of all " + P.objectives.length + " objectives" : "") : "";
    box.dataset.drawn = String(idx.length);
    box.dataset.front = String(front);
    if (!idx.length) {
      svg.appendChild(svgEl("text", { x: w / 2, y: h / 2, "text-anchor": "middle", "class": "note" }, "no trial has completed yet"));
      box.dataset.note = "no trial has completed yet";
      hits["svg-pareto"] = null;
      return;
    }
    var fr = { l: 64, r: w - 16, t: 26, b: h - 44 };
    var xs = idx.map(function (i) { return X[i]; }), ys = idx.map(function (i) { return Y[i]; });
    var lx = useLog(xs), ly = useLog(ys); // values over orders of magnitude (a size, a latency): log axes
    var ex = pad(extent(xs, lx), lx), ey = pad(extent(ys, ly), ly);
    var fx = scale(ex[0], ex[1], fr.l, fr.r, lx), fy = scale(ey[0], ey[1], fr.b, fr.t, ly);
    svgAxes(svg, fr, fx, fy, ox.metric + " (" + ox.direction + ")", oy.metric + " (" + oy.direction + ")");
    // The staircase of the two objectives' front among the feasible trials,
    // swept in loss space (both minimised) and drawn in the objectives' units.
    var pts = idx.filter(function (i) { return P.feas[i]; }).map(function (i) { return [lossOf(ox, X[i]), lossOf(oy, Y[i])]; });
    pts.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    var nd = [];
    pts.forEach(function (p) { if (!nd.length || p[1] < nd[nd.length - 1][1]) nd.push(p); });
    if (nd.length > 1) {
      var d = "M" + fx(lossOf(ox, nd[0][0])).toFixed(1) + " " + fy(lossOf(oy, nd[0][1])).toFixed(1);
      for (var k = 1; k < nd.length; k++) d += "H" + fx(lossOf(ox, nd[k][0])).toFixed(1) + "V" + fy(lossOf(oy, nd[k][1])).toFixed(1);
      svg.appendChild(svgEl("path", { d: d, "class": "stairs" }));
    }
    var px = [], py = [], pi = [];
    var groups = { infeasible: svgEl("g", {}), dominated: svgEl("g", {}), front: svgEl("g", {}) };
    var r = idx.length > 2000 ? 2 : 3;
    // Past a few thousand trials the points off the front are two paths of
    // round dots, not an element each, so the page stays light.
    var many = idx.length > 3000, dots = { infeasible: "", dominated: "" };
    idx.forEach(function (i) {
      var kind = !P.feas[i] ? "infeasible" : P.rank[i] === 0 ? "front" : "dominated";
      var x = fx(X[i]), y = fy(Y[i]);
      if (many && kind !== "front") dots[kind] += "M" + x.toFixed(1) + " " + y.toFixed(1) + "h0";
      else groups[kind].appendChild(svgEl("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: kind === "front" ? r + 1.5 : r, "class": kind, "data-trial": T.id[i] }));
      px.push(x); py.push(y); pi.push(i);
    });
    ["infeasible", "dominated"].forEach(function (kind) {
      if (dots[kind]) groups[kind].appendChild(svgEl("path", { d: dots[kind], "class": "dots " + kind, "stroke-width": 2 * r }));
    });
    svg.appendChild(groups.infeasible); svg.appendChild(groups.dominated); svg.appendChild(groups.front);
    var kx = fr.r, items = [["Pareto front", "front"], ["dominated", "dominated"]];
    if (infeasible) items.push(["infeasible", "infeasible"]);
    for (k = items.length - 1; k >= 0; k--) {
      var t = svgEl("text", { x: kx, y: 14, "text-anchor": "end", "class": "legend" }, items[k][0]);
      svg.appendChild(t);
      kx -= t.getComputedTextLength() + 10;
      svg.appendChild(svgEl("circle", { cx: kx, cy: 10, r: 4, "class": items[k][1] + " key" }));
      kx -= 18;
    }
    hits["svg-pareto"] = function (x2, y2) { var q = nearest(px, py, x2, y2, 8); return q < 0 ? null : paretoTip(pi[q]); };
  }

  // drawHypervolume: the hypervolume of the feasible front after each
  // completed trial, as a step line over trial ids.
  function drawHypervolume() {
    var P = D.pareto, canvas = $("plot-hypervolume");
    if (!P) return;
    $("hv-hint").textContent = refText(P);
    var H = P.history;
    if (!P.ref || !H.length) { message(canvas, "no feasible trial has completed yet"); return; }
    var ids = H.map(function (p) { return p[0]; }), hv = H.map(function (p) { return p[1]; });
    var c = setup(canvas), ctx = c.ctx;
    var fr = { l: 64, r: c.w - 16, t: 14, b: c.h - 40 };
    var ie = extent(ids), he = extent(hv);
    var fx = scale(ie[0] - 0.5, ie[1] + 0.5, fr.l, fr.r), fy = scale(Math.min(0, he[0]), he[1] * 1.05 || 1, fr.b, fr.t);
    axes(ctx, fr, fx, fy, "trial", "hypervolume", { xfmt: function (t) { return String(Math.round(t)); } });
    ctx.strokeStyle = "#e11d48"; ctx.lineWidth = 2; ctx.beginPath();
    var px = [], py = [];
    H.forEach(function (p, k) {
      var x = fx(p[0]), y = fy(p[1]);
      if (k === 0) ctx.moveTo(x, y); else { ctx.lineTo(x, py[k - 1]); ctx.lineTo(x, y); }
      px.push(x); py.push(y);
    });
    ctx.stroke();
    canvas.dataset.drawn = String(H.length);
    hits[canvas.id] = function (x, y) {
      var q = nearest(px, py, x, y, 8);
      return q < 0 ? null : "trial " + H[q][0] + "\nhypervolume " + fmt(H[q][1]);
    };
  }

  // ---- summary, best trial, reasons ----

  function stat(k, v, s, extra) {
    var big = el("div", { cls: "v", text: v, title: v });
    if (v.length > 10) big.style.fontSize = Math.max(14, 22 - (v.length - 10)) + "px"; // long figures still fit
    return el("div", { cls: "stat" }, el("div", { cls: "k", text: k }), big, s ? el("div", { cls: "s", text: s }) : null, extra || null);
  }

  function count(n) { return n.toLocaleString("en-US"); }

  function drawSummary() {
    var st = D.study, S = D.summary, box = $("summary"), T = D.trials;
    document.title = "automl · " + st.name;
    $("study-name").textContent = st.name;
    var badge = $("study-status");
    badge.textContent = st.status + (st.reason ? " · " + st.reason : "");
    badge.className = "badge " + st.status;
    var goals = D.pareto ? D.pareto.objectives.map(function (o) { return o.direction + " " + o.metric; }).join(", ") : st.direction + " " + st.metric;
    $("study-meta").textContent = goals + " · " + (st.space_file || "") + " · created " + new Date(st.created).toLocaleString();
    $("generated").textContent = (D.view.live ? "updated " : "generated ") + new Date(D.generated).toLocaleString();
    clear(box);
    var b = bestRow(), P = D.pareto;
    if (P) { // several objectives: the front and its hypervolume instead of a best value
      box.appendChild(stat("Pareto front", P.ok ? plural(P.front, "trial") : "–", P.ok ? "hypervolume " + fmt(P.hv) : "no feasible trial yet"));
      box.appendChild(stat("reference point", P.ref ? "(" + P.ref.map(function (x) { return fmt(+x.toPrecision(4)); }).join(", ") + ")" : "–", P.ref ? (P.ref_given ? "given (--ref-point)" : "nadir of the feasible trials + 10%") : ""));
    } else {
      box.appendChild(stat("best " + st.metric, b >= 0 ? fmt(T.value[b]) : "–", b >= 0 ? "trial " + T.id[b] + " · " + st.direction : "no completed trial yet"));
    }
    var bar = el("div", { cls: "statebar" }), parts = [];
    SUMMARY_ORDER.forEach(function (s) {
      var n = S.counts[s] || 0;
      if (!n) return;
      parts.push(count(n) + " " + s);
      bar.appendChild(el("span", { style: "width:" + (100 * n / Math.max(1, S.trials)) + "%;background:" + COLORS[s], title: n + " " + s }));
    });
    var own = S.trials - (S.counts.imported || 0); // imported results are not in the budget
    box.appendChild(stat("trials", count(own) + (st.budget ? " / " + count(st.budget) : ""), parts.join(" · ") || "none yet", bar));
    box.appendChild(stat("algorithm", st.algorithm, "seed " + st.seed));
    box.appendChild(stat("wall time", fmtDur(S.wall_s) || "–", st.timeout_s ? "budget " + fmtDur(st.timeout_s) : (st.slots ? plural(st.slots, "slot") : "")));
    if (S.gpu_hours > 0) box.appendChild(stat("GPU-hours", S.gpu_hours.toFixed(S.gpu_hours < 10 ? 2 : 1), "busy " + fmtDur(S.busy_s)));
    else box.appendChild(stat("busy time", fmtDur(S.busy_s) || "–", "summed over trials"));
    box.appendChild(stat("utilisation", S.utilisation ? Math.round(S.utilisation * 100) + "%" : "–", plural(S.slots, "slot") + " seen"));
  }

  // yamlScalar writes a value so YAML reads it back with its type: numbers
  // and booleans bare, text quoted when it would read as something else.
  function yamlScalar(v) {
    if (typeof v !== "string") return String(v);
    if (/^[A-Za-z_][A-Za-z0-9_.\-]*$/.test(v) && !/^(true|false|yes|no|on|off|y|n|null|~)$/i.test(v)) return v;
    return JSON.stringify(v);
  }

  function drawBest() {
    var box = $("best"), T = D.trials, b = bestRow();
    clear(box);
    if (b < 0) { box.appendChild(el("div", { cls: "empty", text: "No trial has completed yet." })); return; }
    var lines = ["# trial " + T.id[b] + ": " + D.study.metric + " = " + T.value[b]];
    D.params.forEach(function (p, j) {
      var x = T.p[j][b];
      if (x != null) lines.push(p.name + ": " + (p.cat ? yamlScalar(p.raw[x]) : String(x)));
    });
    var text = lines.join("\n") + "\n";
    var pre = el("pre", { id: "best-yaml", text: text });
    var btn = el("button", { type: "button", id: "copy-best", text: "Copy as YAML" });
    btn.addEventListener("click", function () { copy(text, pre, btn); });
    box.appendChild(el("div", { cls: "bestline" }, el("span", { cls: "v", text: fmt(T.value[b]) }), el("span", { cls: "hint", text: "trial " + T.id[b] + " · " + fmtDur(T.busy[b]) + (T.who[b] >= 0 ? " on " + D.strings[T.who[b]] : "") }), btn));
    box.appendChild(pre);
    drawEnsemble(box);
  }

  // The ensemble built of the study's models, beside the best single
  // trial, both scored by the selection metric on the same rows.
  function drawEnsemble(box) {
    var E = D.ensemble;
    if (!E) return;
    var sc = function (v) { return v == null ? "–" : fmt(v); };
    var text = "ensemble of " + plural(E.members.length, "model") + " (" + plural(E.rounds, "round") + ", " + (E.selected_by ? "selected by " + E.selected_by + ", scored by " + E.metric : "by " + E.metric) + "): val " + sc(E.val) +
      (E.test != null ? ", test " + sc(E.test) : "") + " — best single trial #" + E.best.trial + ": val " + sc(E.best.val) +
      (E.test != null || E.best.test != null ? ", test " + sc(E.best.test) : "");
    var members = E.members.map(function (m) { return "#" + m.trial + (m.weight > 1 ? "×" + m.weight : ""); }).join(", ");
    box.appendChild(el("div", { cls: "ensemble", id: "ensemble" }, el("div", { text: text }), el("div", { cls: "hint", text: "members " + members + " · " + E.file })));
  }

  function copy(text, pre, btn) {
    var done = function () { btn.textContent = "Copied"; setTimeout(function () { btn.textContent = "Copy as YAML"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done, function () { select(pre); }); return; }
    select(pre);
    try { if (document.execCommand("copy")) done(); } catch (e) { /* the text stays selected */ }
  }

  function select(node) { var r = document.createRange(); r.selectNodeContents(node); var s = window.getSelection(); s.removeAllRanges(); s.addRange(r); }

  function drawReasons() {
    var box = $("reasons"), rs = D.summary.reasons;
    clear(box);
    if (!rs.length) { box.appendChild(el("div", { cls: "empty", text: "Every trial that ended completed." })); return; }
    var t = el("table", { cls: "reasons" }), shown = 6;
    rs.slice(0, shown).forEach(function (r, k) {
      // The cause, the trials, and the end of the first trial's output
      // (open for the most frequent cause).
      var which = (r.count === 1 ? "trial " : "trials ") + r.trials.join(", ") + (r.count > r.trials.length ? ", …" : "");
      if (r.varies) which += " · numbers differ between them; trial " + r.trials[0] + "'s shown";
      var out = r.detail ? el("details", k === 0 ? { cls: "output", open: "" } : { cls: "output" }, el("summary", { cls: "hint", text: "output of trial " + r.trials[0] }), el("pre", { text: r.detail })) : null;
      var lb = r.state === "failed" ? logBlock(r.trials[0]) : null;
      var log = lb ? el("details", { cls: "output trial-log" }, el("summary", { cls: "hint", text: "last lines of trial " + r.trials[0] + "'s log" }), lb) : null;
      t.appendChild(el("tr", null, el("td", null, el("span", { cls: "st st-" + r.state, text: r.state })), el("td", { cls: "n", text: String(r.count) }),
        el("td", null, el("div", { cls: "cause", text: r.text }), el("div", { cls: "hint", text: which }), out, log)));
    });
    box.appendChild(t);
    var others = Math.max(0, rs.length - shown) + (D.summary.more_reasons || 0), more = D.summary.more_trials || 0;
    rs.slice(shown).forEach(function (r) { more += r.count; });
    if (others > 0) {
      box.appendChild(el("div", { cls: "hint", text: "and " + plural(others, "other reason") + " (" + plural(more, "trial") + "); filter the leaderboard by state to see them" }));
    }
  }

  // ---- trial logs ----

  // shellWord quotes s for a POSIX shell when it needs it.
  function shellWord(s) { return /^[A-Za-z0-9_.\/:@%+=,-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'"; }

  // rowOf is the row index of a trial id (-1: none).
  function rowOf(id) {
    var T = D.trials;
    for (var i = 0; i < T.n; i++) if (T.id[i] === id) return i;
    return -1;
  }

  // logBlock shows the last lines of a failed trial's log (D.logs) and
  // the command that prints all of it; null when the trial printed nothing.
  function logBlock(id) {
    var L = D.logs && D.logs[String(id)];
    if (!L) return null;
    var i = rowOf(id), c = "automl logs " + shellWord(D.study.name) + " " + id;
    if (i >= 0 && D.trials.att[i] !== L.attempt) c += " --attempt " + L.attempt;
    if (D.view.db) c += " --db " + shellWord(D.view.db);
    var pre = el("pre", { cls: "log" });
    L.lines.forEach(function (l) { pre.appendChild(el("span", { cls: "l-" + l[1] }, l[2] + "\n")); });
    var n = L.lines.length, what = L.total > n ? "the last " + n + " of " + count(L.total) + " lines" : plural(n, "line");
    return el("div", { cls: "logblock", "data-log": String(id) },
      el("div", { cls: "hint" }, what + " of attempt " + L.attempt + " · all of it: ", el("code", { text: c })), pre);
  }

  // ---- the versions of an edited study's space ----

  function drawVersions() {
    var vs = D.study.space_versions || [], box = $("versions");
    $("versions-card").hidden = vs.length === 0;
    clear(box);
    if (!vs.length) return;
    var counts = vs.map(function () { return 0; });
    D.trials.id.forEach(function (id) {
      for (var k = vs.length - 1; k >= 0; k--) if (id >= vs[k].first_trial) { counts[k]++; break; }
    });
    var t = el("table", { cls: "reasons versions" });
    vs.forEach(function (v, k) {
      var range = v.last_trial == null ? v.first_trial + " on" : v.last_trial < v.first_trial ? "none" : v.first_trial === v.last_trial ? String(v.first_trial) : v.first_trial + "–" + v.last_trial;
      var what = k === 0 ? "the study's first space" : (v.changes || []).join("; ");
      t.appendChild(el("tr", null, el("td", { cls: "n", text: "v" + v.version }),
        el("td", { cls: "trials", text: "trials " + range + " · " + plural(counts[k], "trial") }),
        el("td", null, el("div", { cls: "cause", text: what }),
          el("div", { cls: "hint", text: (v.space_file || "") + " · since " + new Date(v.since).toLocaleString() + (v.by ? " · by " + v.by : "") }),
          el("details", { cls: "output" }, el("summary", { cls: "hint", text: "space file of version " + v.version }), el("pre", { text: v.space_text || "" })))));
    });
    box.appendChild(t);
  }

  // ---- the leaderboard ----

  function columns() {
    var T = D.trials, st = D.study;
    var cols = [
      { key: "rank", num: true, get: function (i) { return T.rank[i] > 0 ? String(T.rank[i]) : ""; }, sv: function (i) { return T.rank[i] > 0 ? T.rank[i] : null; } },
      { key: "trial", num: true, get: function (i) { return String(T.id[i]); }, sv: function (i) { return T.id[i]; } },
      { key: "state", get: function (i) { return stateName(i); }, sv: function (i) { return stateName(i); }, badge: true },
      { key: st.metric, num: true, get: function (i) { return fmt(T.value[i]); }, sv: function (i) { return T.value[i]; }, title: function (i) { return T.value[i] == null ? "" : String(T.value[i]); } }
    ];
    D.params.forEach(function (p, j) {
      cols.push({ key: p.name, num: !p.cat, get: function (i) { var v = paramText(j, i); return p.cat || v === "" ? v : fmt(+v); },
        sv: function (i) { var x = T.p[j][i]; return x == null ? null : p.cat ? p.levels[x] : x; }, title: function (i) { return paramText(j, i); } });
    });
    // The final value of every other metric the trials reported.
    (D.metrics || []).forEach(function (name, j) {
      cols.push({ key: name, num: true, get: function (i) { return fmt(T.m[j][i]); }, sv: function (i) { return T.m[j][i]; },
        title: function (i) { return T.m[j][i] == null ? "" : String(T.m[j][i]); } });
    });
    cols.push({ key: "resource", num: true, get: function (i) { return T.res[i] ? fmt(T.res[i]) : ""; }, sv: function (i) { return T.res[i] || null; } });
    var vs = st.space_versions || [];
    if (vs.length) { // an edited space: the version each trial was created under
      var versionOf = function (i) { for (var k = vs.length - 1; k >= 0; k--) if (T.id[i] >= vs[k].first_trial) return vs[k].version; return vs[0].version; };
      cols.push({ key: "space_version", num: true, get: function (i) { return String(versionOf(i)); }, sv: versionOf });
    }
    cols.push(
      { key: "duration", num: true, get: function (i) { return fmtDur(T.busy[i]); }, sv: function (i) { return T.busy[i] || null; } },
      { key: "attempts", num: true, get: function (i) { return String(T.att[i]); }, sv: function (i) { return T.att[i]; } },
      { key: "worker", get: function (i) { return T.who[i] >= 0 ? D.strings[T.who[i]] : ""; }, sv: function (i) { return T.who[i] >= 0 ? D.strings[T.who[i]] : null; } },
      timeColumn("created", T.made), timeColumn("started", T.start), timeColumn("finished", T.end),
      { key: "note", get: function (i) { return T.why[i] >= 0 ? D.strings[T.why[i]] : ""; }, sv: function (i) { return T.why[i] >= 0 ? D.strings[T.why[i]] : null; }, note: true }
    );
    var want = D.view.columns;
    if (want && want.length) {
      cols = want.map(function (k) { return cols.filter(function (c) { return c.key === k; })[0]; }).filter(Boolean);
    } else {
      cols = cols.filter(function (c) { return !c.time; }); // the timeline shows when trials ran
    }
    return cols;
  }

  // timeColumn is a time (milliseconds from summary.t0) in UTC, to the second.
  function timeColumn(key, ms) {
    var t0 = D.summary.t0;
    return { key: key, time: true, get: function (i) { return ms && ms[i] != null ? new Date(t0 + ms[i]).toISOString().replace(/\.\d+Z$/, "Z") : ""; },
      sv: function (i) { return ms && ms[i] != null ? ms[i] : null; } };
  }

  function compare(a, b) {
    if (a === b) return 0;
    if (a == null) return 1;
    if (b == null) return -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    if (typeof a === "number") return -1;
    if (typeof b === "number") return 1;
    return a < b ? -1 : 1;
  }

  function drawTable() {
    var T = D.trials, cols = columns(), tb = $("leaderboard");
    var thead = tb.tHead, tbody = tb.tBodies[0];
    clear(thead); clear(tbody);
    var hr = el("tr");
    cols.forEach(function (c) {
      var th = el("th", { text: c.key, "data-key": c.key });
      if (table.sort === c.key) th.className = "sorted" + (table.desc ? " desc" : "");
      th.addEventListener("click", function () {
        if (table.sort === c.key) table.desc = !table.desc; else { table.sort = c.key; table.desc = false; }
        table.page = 0; drawTable();
      });
      hr.appendChild(th);
    });
    thead.appendChild(hr);
    var order = [];
    var limit = D.view.top > 0 ? D.view.top : T.n;
    for (var i = 0; i < T.n && order.length < limit; i++) order.push(i);
    if (table.filter) order = order.filter(function (i2) { return stateName(i2) === table.filter; });
    var sc = cols.filter(function (c) { return c.key === table.sort; })[0];
    if (sc) {
      order.sort(function (a, b) {
        var va = sc.sv(a), vb = sc.sv(b);
        if (va == null || vb == null) return compare(va, vb) || a - b; // empty last either way
        var r = compare(va, vb);
        return (table.desc ? -r : r) || a - b;
      });
    }
    var pages = Math.max(1, Math.ceil(order.length / PAGE));
    table.page = Math.min(table.page, pages - 1);
    var from = table.page * PAGE, to = Math.min(order.length, from + PAGE);
    for (var k = from; k < to; k++) {
      i = order[k];
      var tr = el("tr", { "data-trial": String(T.id[i]), "data-state": stateName(i) });
      if (T.rank[i] === 1) tr.className = "best";
      var id = T.id[i], hasLog = stateName(i) === "failed" && D.logs && D.logs[String(id)];
      cols.forEach(function (c) {
        var td;
        if (c.badge) td = el("td", null, el("span", { cls: "st st-" + stateName(i), text: stateName(i) }), hasLog ? logButton(id) : null);
        else td = el("td", { text: c.get(i) });
        if (c.num) td.className = "num";
        if (c.note) td.className = "note";
        if (c.title) { var t = c.title(i); if (t) td.title = t; }
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
      if (hasLog && table.open[id]) {
        tbody.appendChild(el("tr", { cls: "logrow", "data-log-of": String(id) }, el("td", { colspan: String(cols.length) }, logBlock(id))));
      }
    }
    if (from === to) tbody.appendChild(el("tr", null, el("td", { colspan: String(cols.length), cls: "empty", text: "no trials" + (table.filter ? " in state " + table.filter : "") })));
    $("page-info").textContent = order.length ? (from + 1) + "–" + to + " of " + order.length : "0 of 0";
    $("prev").disabled = table.page === 0;
    $("next").disabled = table.page >= pages - 1;
    $("table-hint").textContent = "click a column to sort" + (D.view.top > 0 ? "; the best " + D.view.top + " trials" : "");
  }

  // logButton opens and closes a failed trial's last lines under its row.
  function logButton(id) {
    var b = el("button", { type: "button", cls: "logbtn", "data-log-button": String(id), title: "the last lines this trial printed", text: table.open[id] ? "hide log" : "log" });
    b.addEventListener("click", function () { table.open[id] = !table.open[id]; drawTable(); });
    return b;
  }

  function setupTable() {
    var sel = $("state-filter");
    SUMMARY_ORDER.forEach(function (s) { sel.appendChild(el("option", { value: s, text: s })); });
    sel.addEventListener("change", function () { table.filter = sel.value; table.page = 0; drawTable(); });
    $("prev").addEventListener("click", function () { table.page--; drawTable(); });
    $("next").addEventListener("click", function () { table.page++; drawTable(); });
    var s = (D && D.view.sort) || "";
    if (s) {
      s = s.split(",")[0].trim();
      table.desc = s.charAt(0) === "-";
      table.sort = s.replace(/^[-+]/, "");
    }
  }

  // ---- tooltips ----

  function setupTooltips() {
    var tip = $("tooltip");
    document.addEventListener("mousemove", function (ev) {
      var t = ev.target;
      if (t && t.closest && t.closest("svg.svgplot")) t = t.closest("svg.svgplot");
      var f = t && (t.tagName === "CANVAS" || t.tagName === "svg") ? hits[t.id] : null;
      var text = null;
      if (f) { var r = t.getBoundingClientRect(); text = f(ev.clientX - r.left, ev.clientY - r.top); }
      if (!text) { tip.hidden = true; return; }
      tip.textContent = text;
      tip.hidden = false;
      var x = ev.clientX + 14, y = ev.clientY + 14;
      if (x + tip.offsetWidth > window.innerWidth - 8) x = ev.clientX - tip.offsetWidth - 14;
      if (y + tip.offsetHeight > window.innerHeight - 8) y = ev.clientY - tip.offsetHeight - 14;
      tip.style.left = x + "px"; tip.style.top = y + "px";
    });
  }

  // ---- putting it together ----

  function render() {
    if (!D || D.empty) {
      $("study-name").textContent = "no studies yet";
      $("study-meta").textContent = "run automl search; this page updates when a study starts";
      return;
    }
    var steps = [drawSummary, drawBest, drawReasons, drawPareto, drawHypervolume, drawHistory, drawImportance, drawCurves, drawParallel, drawSlices, drawTimeline, drawTable, drawVersions];
    steps.forEach(function (f) {
      try { f(); } catch (e) { if (window.console) console.error(f.name, e); }
    });
    $("space-file").textContent = D.study.space_file || "";
    $("space-text").textContent = D.study.space_text || "";
    document.body.dataset.rendered = String((+document.body.dataset.rendered || 0) + 1);
  }

  function load() {
    var node = $("automl-data");
    return prepare(node ? JSON.parse(node.textContent) : null);
  }

  // prepare checks the data's version and keeps each categorical level's
  // JSON type (for YAML) beside its text (for display).
  function prepare(data) {
    if (!data || data.empty) return data;
    if (data.version !== 1) throw new Error("automl: this page reads data version 1, got " + data.version);
    data.params.forEach(function (p) {
      if (!p.cat) return;
      p.raw = p.levels;
      p.levels = p.levels.map(String);
    });
    return data;
  }

  // ---- the dashboard: follow the server's events ----

  function live() {
    $("live").hidden = false;
    var sel = $("study-select"), current = D && !D.empty ? D.study.name : "", updated = D && !D.empty ? D.study.updated : "";
    var dot = $("live-dot"), text = $("live-text"), fetching = false, again = false;
    sel.addEventListener("change", function () { current = sel.value; updated = ""; history.replaceState(null, "", "?study=" + encodeURIComponent(current)); refresh(); });
    function studies(list) {
      clear(sel);
      list.forEach(function (s) { sel.appendChild(el("option", { value: s.name, text: s.name + " · " + s.status })); });
      if (!current && list.length) current = list[0].name;
      sel.value = current;
      var mine = list.filter(function (s) { return s.name === current; })[0];
      if (mine && mine.updated !== updated) refresh();
    }
    function refresh() {
      if (!current) return;
      if (fetching) { again = true; return; }
      fetching = true;
      fetch("api/study?name=" + encodeURIComponent(current), { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) throw new Error(r.status + " " + r.statusText);
        return r.json();
      }).then(function (d) {
        d = prepare(d);
        d.view = D && D.view ? D.view : { live: true };
        d.view.live = true;
        D = d; updated = d.study.updated; render();
      }).catch(function (e) { text.textContent = "error: " + e.message; }).then(function () {
        fetching = false;
        if (again) { again = false; refresh(); }
      });
    }
    function poll() {
      fetch("api/studies", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(studies).catch(function () { dot.className = "dot"; });
    }
    if (window.EventSource) {
      var es = new EventSource("api/events");
      es.onopen = function () { dot.className = "dot on"; text.textContent = "live"; };
      es.onmessage = function (ev) { studies(JSON.parse(ev.data)); };
      es.onerror = function () { dot.className = "dot"; text.textContent = "reconnecting"; };
    } else {
      setInterval(poll, 2000);
    }
    poll();
  }

  function main() {
    try { D = load(); } catch (e) { $("study-name").textContent = e.message; return; }
    setupTable();
    setupTooltips();
    $("history-log").addEventListener("change", function () { drawHistory(); });
    $("pareto-x").addEventListener("change", function () { pickObjective("x"); });
    $("pareto-y").addEventListener("change", function () { pickObjective("y"); });
    render();
    if (D && D.view && D.view.live) live();
    var timer = null;
    window.addEventListener("resize", function () { clearTimeout(timer); timer = setTimeout(render, 150); });
  }

  main();
})();
