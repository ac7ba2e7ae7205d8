// Package report is the read side: it turns a stored study into what people
// look at. The leaderboard (Leaderboard: trials ranked; Columns and the
// Markdown, CSV and JSON writers), a data model (Build) with a summary,
// parameter importance, learning curves and a timeline of trials per worker
// slot; one self-contained HTML page (WriteHTML) whose plots are drawn in
// the browser from the embedded data; and single plots as PNG or SVG drawn
// with gonum/plot (WritePlot). The live page of every study is its
// sub-package dashboard. It reads studies through scheduler.Reader only, so
// it works on a study that is still running, and nothing in the control
// plane depends on it.
//
// Why two renderers: a study may hold 100,000 trials. The HTML page embeds
// the trials once, as compact column arrays, and its script draws every
// plot on a canvas from them: the file stays a few bytes per trial per
// plot-independent column and the page is written in well under a second.
// Inline SVG would repeat every point in every plot as markup (tens of
// megabytes, and seconds to write and to render). Exported plots are single
// images, where gonum/plot's vector and raster output is the right tool.
//
// Importance is fANOVA (Hutter et al., 2014) on a random-forest surrogate:
// a forest of regression trees is fitted to the completed trials' objective
// values over the parameters in the unit cube, and each parameter's
// importance is the share of the forest's variance explained by that
// parameter alone, computed exactly from the trees' leaves.
package report
