package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Real-browser tests drive Debian's chromium headless. CI installs it and
// sets AUTOML_BROWSER_TESTS=1, which turns a missing browser into a
// failure; elsewhere the tests skip without one. AUTOML_CHROMIUM names
// the binary; AUTOML_SCREENSHOTS a folder to keep the screenshots in.

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AUTOML_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("AUTOML_BROWSER_TESTS") == "1" {
		t.Fatal("no chromium on PATH, and AUTOML_BROWSER_TESTS=1 requires the browser tests (apt-get install chromium)")
	}
	t.Skip("no chromium on PATH (set AUTOML_BROWSER_TESTS=1 to make this a failure)")
	return ""
}

// chromiumArgs are the flags every run uses: headless, no sandbox (CI
// runs as root), no GPU, no network of its own, a fresh profile.
func chromiumArgs(t *testing.T, extra ...string) []string {
	return append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--no-first-run", "--user-data-dir=" + t.TempDir(), "--hide-scrollbars", "--disable-dev-shm-usage"}, extra...)
}

// dumpAndShoot loads url once, prints its DOM after the scripts ran and
// saves a screenshot of the window.
func dumpAndShoot(t *testing.T, url, shot string, width, height int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := chromiumArgs(t, fmt.Sprintf("--window-size=%d,%d", width, height), "--screenshot="+shot, "--dump-dom", url)
	cmd := exec.CommandContext(ctx, chromiumPath(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, tail(errb.String(), 2000))
	}
	return out.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// checkScreenshot fails unless the PNG shows a page: many colours, and
// well over a few percent of the pixels differ from the background.
func checkScreenshot(t *testing.T, b []byte, name string) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	bg := img.At(img.Bounds().Max.X-3, img.Bounds().Max.Y-3)
	seen := map[[3]uint32]bool{}
	differ, total := 0, 0
	bnd := img.Bounds()
	for y := bnd.Min.Y; y < bnd.Max.Y; y += 2 {
		for x := bnd.Min.X; x < bnd.Max.X; x += 2 {
			c := img.At(x, y)
			r, g, b, _ := c.RGBA()
			seen[[3]uint32{r >> 8, g >> 8, b >> 8}] = true
			if c != bg {
				differ++
			}
			total++
		}
	}
	if len(seen) < 200 || differ*100 < total*20 {
		t.Errorf("%s looks blank: %d colours, %d%% of pixels off the background", name, len(seen), differ*100/max(1, total))
	}
	if dir := os.Getenv("AUTOML_SCREENSHOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Error(err)
		}
	}
}

// cdp is a client of chromium's DevTools protocol over
// --remote-debugging-pipe: the browser reads commands on its fd 3 and
// writes answers and events on fd 4, each a JSON message ended by a NUL.
// Enough to load a page, read its DOM while it updates, and screenshot it.
type cdp struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	stderr *bytes.Buffer

	mu      sync.Mutex
	next    int
	waiting map[int]chan cdpAnswer
	readErr error
	session string
}

type cdpAnswer struct {
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func startBrowser(t *testing.T, width, height int) *cdp {
	t.Helper()
	toR, toW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromR, fromW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	args := chromiumArgs(t, "--remote-debugging-pipe", fmt.Sprintf("--window-size=%d,%d", width, height), "about:blank")
	c := &cdp{cmd: exec.Command(chromiumPath(t), args...), in: toW, stderr: &bytes.Buffer{}, waiting: map[int]chan cdpAnswer{}}
	c.cmd.ExtraFiles = []*os.File{toR, fromW} // fd 3 and fd 4
	c.cmd.Stderr = c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toR.Close()
	fromW.Close()
	go c.read(fromR)
	t.Cleanup(func() { c.close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var target struct{ TargetID string }
	if err := c.call(ctx, false, "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		t.Fatalf("chromium: %v\n%s", err, tail(c.stderr.String(), 2000))
	}
	var att struct{ SessionID string }
	if err := c.call(ctx, false, "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		t.Fatal(err)
	}
	c.session = att.SessionID
	if err := c.call(ctx, true, "Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *cdp) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		msg, err := br.ReadBytes(0)
		if err != nil {
			c.mu.Lock()
			c.readErr = err
			for id, ch := range c.waiting {
				close(ch)
				delete(c.waiting, id)
			}
			c.mu.Unlock()
			return
		}
		var a cdpAnswer
		if json.Unmarshal(msg[:len(msg)-1], &a) != nil || a.ID == 0 {
			continue // an event
		}
		c.mu.Lock()
		ch := c.waiting[a.ID]
		delete(c.waiting, a.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- a
		}
	}
}

// call sends a command (to the page's session when onPage) and decodes its result into out.
func (c *cdp) call(ctx context.Context, onPage bool, method string, params any, out any) error {
	c.mu.Lock()
	if c.readErr != nil {
		c.mu.Unlock()
		return fmt.Errorf("browser gone: %w", c.readErr)
	}
	c.next++
	id := c.next
	ch := make(chan cdpAnswer, 1)
	c.waiting[id] = ch
	msg := map[string]any{"id": id, "method": method, "params": params}
	if onPage {
		msg["sessionId"] = c.session
	}
	b, _ := json.Marshal(msg)
	_, err := c.in.Write(append(b, 0))
	c.mu.Unlock()
	if err != nil {
		return err
	}
	select {
	case a, ok := <-ch:
		if !ok {
			return errors.New("browser closed the pipe")
		}
		if a.Error != nil {
			return fmt.Errorf("%s: %s", method, a.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(a.Result, out)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// eval runs a JavaScript expression in the page and returns its value as JSON.
func (c *cdp) eval(ctx context.Context, expr string) (string, error) {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := c.call(ctx, true, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r); err != nil {
		return "", err
	}
	if r.ExceptionDetails != nil {
		return "", fmt.Errorf("evaluate %s: %s", expr, r.ExceptionDetails.Text)
	}
	return string(r.Result.Value), nil
}

// waitFor evaluates expr until it returns want.
func (c *cdp) waitFor(t *testing.T, ctx context.Context, expr, want string) {
	t.Helper()
	var got string
	var err error
	for ctx.Err() == nil {
		if got, err = c.eval(ctx, expr); err == nil && got == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("waited for %s == %s; last %s (%v)", expr, want, got, err)
}

func (c *cdp) screenshot(ctx context.Context) ([]byte, error) {
	var r struct{ Data string }
	if err := c.call(ctx, true, "Page.captureScreenshot", map[string]any{"format": "png"}, &r); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}

func (c *cdp) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.call(ctx, false, "Browser.close", map[string]any{}, nil)
	c.in.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// countOf counts the occurrences of an attribute pattern in a DOM dump.
func countOf(dom, s string) int { return strings.Count(dom, s) }
