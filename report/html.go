package report

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html"
	"io"
	"strings"
	"time"
)

//go:embed assets/page.css
var pageCSS string

//go:embed assets/page.js
var pageJS string

// WriteHTML writes the study as one self-contained HTML page: its styles,
// its script and the study's data are all inside, so it opens without a
// network and can be sent as a file. The script draws the plots on
// canvases from the data (see the package comment for why).
func WriteHTML(w io.Writer, d *Data, v View, generated time.Time) error {
	b := make([]byte, 0, 64<<10+len(d.Rows)*160)
	b = AppendPageHead(b, "automl · "+d.Study.Name)
	b = append(b, `<script type="application/json" id="automl-data">`...)
	b = d.AppendJSON(b, v, generated)
	b = append(b, "</script>\n"...)
	b = AppendPageTail(b)
	_, err := w.Write(b)
	return err
}

// AppendPageHead appends the page up to where its data goes. The dashboard
// serves the same page with the data fetched instead (View.Live).
func AppendPageHead(b []byte, title string) []byte {
	b = append(b, `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="automl">
<title>`...)
	b = append(b, html.EscapeString(title)...)
	b = append(b, "</title>\n<style>"...)
	b = append(b, styleText...)
	b = append(b, "</style>\n</head>\n<body>\n"...)
	b = append(b, pageBody...)
	return b
}

// AppendPageTail appends the script and closes the page.
func AppendPageTail(b []byte) []byte {
	b = append(b, "<script>"...)
	b = append(b, scriptText...)
	return append(b, "</script>\n</body>\n</html>\n"...)
}

// The inline style and script exactly as the page holds them.
var (
	styleText  = "\n" + pageCSS
	scriptText = "\n" + strings.ReplaceAll(pageJS, "</script", `<\/script`)
)

// ContentSecurityPolicy is a policy under which the page works and nothing
// else runs: its own inline style and script (by hash), canvases, and
// requests to its own origin (the dashboard's updates).
func ContentSecurityPolicy() string {
	return "default-src 'none'; script-src '" + hashOf(scriptText) + "'; style-src '" + hashOf(styleText) +
		"'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// pageBody is the page's skeleton; the script fills it from the data.
const pageBody = `<header class="top">
  <div class="brand">automl</div>
  <div class="title"><h1 id="study-name">study</h1><span id="study-status" class="badge"></span></div>
  <div class="meta" id="study-meta"></div>
  <div class="live" id="live" hidden><select id="study-select" aria-label="study"></select><span id="live-dot" class="dot"></span><span id="live-text">live</span></div>
</header>
<noscript><p class="noscript">This report draws its tables and plots with JavaScript; please allow it for this file.</p></noscript>
<main>
  <section class="cards" id="summary"></section>
  <section class="row">
    <div class="card grow"><h2>Best trial</h2><div id="best"></div></div>
    <div class="card grow"><h2>Why trials did not complete</h2><div id="reasons"></div></div>
  </section>
  <section class="row" id="pareto-row" hidden>
    <div class="card grow"><h2>Pareto front <span class="hint" id="pareto-hint"></span><span class="toggle" id="pareto-axes" hidden><select id="pareto-x" aria-label="x objective"></select> against <select id="pareto-y" aria-label="y objective"></select></span></h2><div class="plot" id="plot-pareto"><svg id="svg-pareto" class="svgplot" role="img" aria-label="Pareto front"></svg></div></div>
    <div class="card grow"><h2>Hypervolume <span class="hint" id="hv-hint"></span></h2><div class="plot"><canvas id="plot-hypervolume" height="340"></canvas></div></div>
  </section>
  <section class="card"><h2>Optimization history <span class="hint">every trial; the line is the best so far</span><label class="toggle"><input type="checkbox" id="history-log"> log scale</label></h2><div class="plot"><canvas id="plot-history" height="320"></canvas></div></section>
  <section class="row">
    <div class="card grow"><h2>Parameter importance <span class="hint" id="importance-hint"></span></h2><div class="plot"><canvas id="plot-importance" height="300"></canvas></div></div>
    <div class="card grow"><h2>Learning curves <span class="hint" id="curves-hint"></span></h2><div class="plot"><canvas id="plot-curves" height="300"></canvas></div></div>
  </section>
  <section class="card"><h2>Parallel coordinates <span class="hint">completed trials; darker is better</span></h2><div class="plot"><canvas id="plot-parallel" height="340"></canvas></div></section>
  <section class="card"><h2>Slices <span class="hint">the objective against each parameter; darker is later</span></h2><div class="slices" id="slices"></div></section>
  <section class="card"><h2>Timeline <span class="hint" id="timeline-hint"></span></h2><div class="plot"><canvas id="plot-timeline" height="200"></canvas></div></section>
  <section class="card" id="leaderboard-card"><h2>Leaderboard <span class="hint" id="table-hint"></span></h2>
    <div class="controls"><select id="state-filter" aria-label="state"><option value="">all states</option></select>
      <span class="pager"><button id="prev" type="button">‹ prev</button><span id="page-info"></span><button id="next" type="button">next ›</button></span></div>
    <div class="tablewrap"><table id="leaderboard"><thead></thead><tbody></tbody></table></div>
  </section>
  <section class="card" id="versions-card" hidden><h2>Space versions <span class="hint">the space was edited as the study went on; each trial ran under the version it was created in</span></h2><div id="versions"></div></section>
  <details class="card" id="space"><summary>Space file <span class="hint" id="space-file"></span></summary><pre id="space-text"></pre></details>
</main>
<div id="tooltip" class="tooltip" hidden></div>
<footer>made by automl · <span id="generated"></span></footer>
`
