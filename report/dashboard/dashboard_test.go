package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"automl/backends/memory"
	"automl/report/reporttest"
	"automl/scheduler"
	"automl/trial"
)

func fixtureStore(t *testing.T) (*memory.Store, scheduler.Change) {
	t.Helper()
	c := reporttest.Study(reporttest.Options{Trials: 40, Seed: 2, Reports: true, Live: true})
	st := memory.New()
	if err := st.Commit(context.Background(), "fixture", c); err != nil {
		t.Fatal(err)
	}
	return st, c
}

func serve(t *testing.T, st scheduler.Store, opt Options) *httptest.Server {
	t.Helper()
	if opt.Poll == 0 {
		opt.Poll = 20 * time.Millisecond
	}
	d := New(st, opt)
	ts := httptest.NewServer(d)
	t.Cleanup(func() { d.Close(); ts.Close() })
	return ts
}

func get(t *testing.T, c *http.Client, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1] // net/http sends req.Host, not a Host header
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestCheckListen(t *testing.T) {
	for _, tc := range []struct {
		addr, token string
		loopback    bool
		err         error
	}{
		{"127.0.0.1:8080", "", true, nil},
		{"localhost:0", "", true, nil},
		{"[::1]:9000", "", true, nil},
		{"127.1.2.3:80", "", true, nil},
		{"0.0.0.0:8080", "", false, ErrTokenRequired},
		{":8080", "", false, ErrTokenRequired},
		{"192.168.1.5:8080", "", false, ErrTokenRequired},
		{"dash.example.com:8080", "", false, ErrTokenRequired},
		{"0.0.0.0:8080", "s3cret", false, nil},
	} {
		loopback, err := CheckListen(tc.addr, tc.token)
		if loopback != tc.loopback || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("CheckListen(%q, %q) = %v, %v; want %v, %v", tc.addr, tc.token, loopback, err, tc.loopback, tc.err)
		}
	}
	if _, err := CheckListen("8080", ""); err == nil {
		t.Error("an address without a port was accepted")
	}
}

// TestTokenGuardsEveryRoute: without the token nothing is served; with it
// in the header, in the cookie, or once in the page's URL (moved to a
// cookie and out of the address bar) everything is.
func TestTokenGuardsEveryRoute(t *testing.T) {
	st, _ := fixtureStore(t)
	ts := serve(t, st, Options{Token: "s3cret"})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/", "/api/studies", "/api/study?name=fixture", "/api/events", "/nope"} {
		for _, hdr := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Cookie", tokenCookie + "=wrong"}} {
			resp, _ := get(t, noRedirect, ts.URL+path, hdr...)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s with %v: %s, want 401", path, hdr, resp.Status)
			}
		}
	}
	if resp, _ := get(t, noRedirect, ts.URL+"/?token=wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token in the URL: %s", resp.Status)
	}
	resp, body := get(t, noRedirect, ts.URL+"/api/studies", "Authorization", "Bearer s3cret")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"fixture"`) {
		t.Errorf("bearer: %s %s", resp.Status, body)
	}
	resp, _ = get(t, noRedirect, ts.URL+"/?study=fixture&token=s3cret")
	loc := resp.Header.Get("Location")
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == tokenCookie {
			cookie = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || strings.Contains(loc, "s3cret") || !strings.Contains(loc, "study=fixture") ||
		cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("token in the URL: %s, Location %q, cookie %+v", resp.Status, loc, cookie)
	}
	resp, body = get(t, noRedirect, ts.URL+loc, "Cookie", tokenCookie+"=s3cret")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="automl-data"`) {
		t.Errorf("page with the cookie: %s", resp.Status)
	}
}

func TestHostsAndMethods(t *testing.T) {
	st, _ := fixtureStore(t)
	ts := serve(t, st, Options{LocalHostsOnly: true})
	if resp, _ := get(t, http.DefaultClient, ts.URL+"/api/studies", "Host", "attacker.example:80"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Host header: %s, want 403", resp.Status)
	}
	if resp, _ := get(t, http.DefaultClient, ts.URL+"/api/studies"); resp.StatusCode != http.StatusOK {
		t.Errorf("127.0.0.1: %s", resp.Status)
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		req, _ := http.NewRequest(m, ts.URL+"/api/studies", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s: %s, want 405", m, resp.Status)
		}
	}
}

func TestPageAndStudyData(t *testing.T) {
	st, c := fixtureStore(t)
	ts := serve(t, st, Options{})
	resp, body := get(t, http.DefaultClient, ts.URL+"/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'sha256-") ||
		!strings.Contains(body, `"live":true`) || !strings.Contains(body, `"name":"fixture"`) {
		t.Errorf("page: %s %s", resp.Status, resp.Header)
	}
	resp, body = get(t, http.DefaultClient, ts.URL+"/api/study?name=fixture")
	var d struct {
		Study   struct{ Name string }
		Metrics []string // the leaderboard's columns of metrics besides the objective
		Trials  struct {
			N int
			M [][]*float64
		}
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &d) != nil || d.Trials.N != len(c.Trials) {
		t.Errorf("study data: %s %.200s", resp.Status, body)
	}
	if len(d.Metrics) != 1 || d.Metrics[0] != "train_loss" || len(d.Trials.M) != 1 || len(d.Trials.M[0]) != len(c.Trials) {
		t.Errorf("study data's metrics %v, %d columns: want train_loss for every trial", d.Metrics, len(d.Trials.M))
	}
	for _, path := range []string{"/api/study?name=nope", "/?study=nope"} {
		if resp, _ := get(t, http.DefaultClient, ts.URL+path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", path, resp.Status)
		}
	}
	if resp, _ := get(t, http.DefaultClient, ts.URL+"/api/study"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no name: %s", resp.Status)
	}
	empty := serve(t, memory.New(), Options{})
	if resp, body := get(t, http.DefaultClient, empty.URL+"/"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"empty":true`) {
		t.Errorf("empty store: %s", resp.Status)
	}
}

// TestEventsFollowCommits: the stream sends the listing at once and again
// after a commit changes the study, and the study's data then shows it.
func TestEventsFollowCommits(t *testing.T) {
	st, c := fixtureStore(t)
	ts := serve(t, st, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() []studyInfo {
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				var l []studyInfo
				if err := json.Unmarshal([]byte(data), &l); err != nil {
					t.Fatal(err)
				}
				return l
			}
		}
		t.Fatalf("stream ended: %v", lines.Err())
		return nil
	}
	first := next()
	if len(first) != 1 || first[0].Trials["running"] != 2 {
		t.Fatalf("first listing %+v", first)
	}
	// A running trial completes.
	var running trial.Record
	for _, r := range c.Trials {
		if r.State == trial.Running {
			running = r
			break
		}
	}
	running.State, running.Value, running.HasValue = trial.Completed, 0.01, true
	running.Finished = running.Started.Add(time.Minute)
	stc := *c.Study
	stc.Updated = stc.Updated.Add(time.Minute)
	if err := st.Commit(ctx, "fixture", scheduler.Change{Study: &stc, Trials: []trial.Record{running}}); err != nil {
		t.Fatal(err)
	}
	second := next()
	if second[0].Trials["running"] != 1 || !second[0].Updated.Equal(stc.Updated) {
		t.Fatalf("listing after the commit %+v", second)
	}
	_, body := get(t, http.DefaultClient, ts.URL+"/api/study?name=fixture")
	var d struct {
		Trials struct {
			ID   []int
			Rank []int
		}
	}
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	if d.Trials.ID[0] != running.ID || d.Trials.Rank[0] != 1 {
		t.Errorf("the completed trial is not the new best: ids %v", d.Trials.ID[:3])
	}
}

// TestRefPoint: the dashboard's reference point holds for the studies of
// as many objectives; a study of one objective still loads.
func TestRefPoint(t *testing.T) {
	st, _ := fixtureStore(t)
	mo := &scheduler.Study{Name: "mo", Status: scheduler.StudyDone, Objective: trial.Objective{Metric: "f1", Direction: trial.Minimize},
		Objectives: []trial.Objective{{Metric: "f1", Direction: trial.Minimize}, {Metric: "f2", Direction: trial.Maximize}}, Updated: time.Unix(1e9, 0)}
	var recs []trial.Record
	for i, m := range []trial.Metrics{{"f1": 1, "f2": 1}, {"f1": 2, "f2": 4}, {"f1": 3, "f2": 3}} {
		recs = append(recs, trial.Record{ID: i, State: trial.Completed, Value: m["f1"], HasValue: true, Metrics: m})
	}
	if err := st.Commit(context.Background(), "mo", scheduler.Change{Study: mo, Trials: recs}); err != nil {
		t.Fatal(err)
	}
	ts := serve(t, st, Options{RefPoint: "5,0"})
	var d struct {
		Pareto *struct {
			Ref      []float64 `json:"ref"`
			RefGiven bool      `json:"ref_given"`
			HV       float64   `json:"hv"`
			Front    int       `json:"front"`
		} `json:"pareto"`
	}
	resp, body := get(t, http.DefaultClient, ts.URL+"/api/study?name=mo")
	if err := json.Unmarshal([]byte(body), &d); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %v\n%.300s", resp.Status, err, body)
	}
	// Losses (1,-1), (2,-4) against (5, 0): 1 x 1 + 3 x 4.
	if p := d.Pareto; p == nil || !p.RefGiven || len(p.Ref) != 2 || p.Ref[0] != 5 || p.Front != 2 || p.HV != 13 {
		t.Errorf("pareto %+v, want the given (5, 0), a front of 2, hypervolume 13", p)
	}
	d.Pareto = nil
	resp, body = get(t, http.DefaultClient, ts.URL+"/api/study?name=fixture")
	if err := json.Unmarshal([]byte(body), &d); err != nil || resp.StatusCode != http.StatusOK || d.Pareto != nil {
		t.Errorf("a study of one objective: %s, %v, pareto %+v", resp.Status, err, d.Pareto)
	}
}
