package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"automl/report/reporttest"
)

func fixtureData(t testing.TB, n int, live bool) *Data {
	t.Helper()
	c := reporttest.Study(reporttest.Options{Trials: n, Seed: 5, Reports: true, Live: live})
	return Build(Input{Study: c.Study, Trials: c.Trials, Curves: reporttest.Curves(c.Reports)})
}

var generated = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// pageParts splits a page into its inline style, data and script.
func pageParts(t *testing.T, page string) (style, data, script string) {
	t.Helper()
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>.*<script type="application/json" id="automl-data">(.*?)</script>\s*<script>(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("page lacks its style, data or script:\n%.2000s", page)
	}
	return m[1], m[2], m[3]
}

// TestHTMLIsSelfContainedAndSafe: the page needs no network, its data is
// one JSON document whose strings cannot end the script element (a
// trial's error text is anything a training program printed), the CSP
// hashes match the inline style and script, and the same data writes the
// same bytes.
func TestHTMLIsSelfContainedAndSafe(t *testing.T) {
	d := fixtureData(t, 60, true)
	evil := `</script><script>alert("x")</script> & <b>`
	d.Rows[len(d.Rows)-1].Error, d.Rows[len(d.Rows)-1].Cause = evil, evil
	d.Study.Reason = "<img src=x onerror=alert(1)>"
	var b bytes.Buffer
	if err := WriteHTML(&b, d, View{Sort: "-duration", Top: 20, Columns: []string{"trial", "val_loss"}}, generated); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, evil) || strings.Contains(page, "<img src=x") {
		t.Fatal("user text appears raw in the page")
	}
	style, data, script := pageParts(t, page)
	markup := strings.Replace(page, data, "", 1) // the page without the study's own text
	for _, ref := range []string{"http://", "https://", " src=", "<link", "@import", "url("} {
		if strings.Contains(markup, ref) {
			t.Errorf("page refers to %q: it must need no network", ref)
		}
	}
	var doc struct {
		Version int `json:"version"`
		View    View
		Study   struct{ Name, Reason string }
		Trials  struct {
			N  int
			ID []int
			P  [][]*float64
		}
		Strings []string
	}
	if err := json.Unmarshal([]byte(data), &doc); err != nil {
		t.Fatalf("page data is not JSON: %v", err)
	}
	if doc.Version != dataVersion || doc.Trials.N != 60 || len(doc.Trials.ID) != 60 || len(doc.Trials.P) != 5 || doc.View.Top != 20 {
		t.Errorf("page data: %+v", doc)
	}
	if doc.Study.Reason != d.Study.Reason || !contains(doc.Strings, evil) {
		t.Error("user text did not survive the escaping")
	}
	csp := ContentSecurityPolicy()
	for _, inline := range []string{style, script} {
		sum := sha256.Sum256([]byte(inline))
		if !strings.Contains(csp, "sha256-"+base64.StdEncoding.EncodeToString(sum[:])) {
			t.Errorf("CSP %q lacks the hash of an inline block", csp)
		}
	}
	var again bytes.Buffer
	WriteHTML(&again, d, View{Sort: "-duration", Top: 20, Columns: []string{"trial", "val_loss"}}, generated)
	if again.String() != page {
		t.Error("the same data wrote a different page")
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestHTMLEmptyStudy: a study without trials still makes a page.
func TestHTMLEmptyStudy(t *testing.T) {
	d := Build(Input{Study: study()})
	var b bytes.Buffer
	if err := WriteHTML(&b, d, View{}, generated); err != nil {
		t.Fatal(err)
	}
	_, data, _ := pageParts(t, b.String())
	if !json.Valid([]byte(data)) {
		t.Fatalf("data not JSON: %s", data)
	}
}
