package main

import (
	"bufio"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Only `automl plugin serve BUILTIN` skips the command tree; every other
// line (help, an unknown name, a flag) gets the tree's handling.
func TestServePluginDirectLeavesOtherLinesToTheTree(t *testing.T) {
	for _, args := range [][]string{
		{"plugin", "serve", "nope"}, {"plugin", "serve", "--help"}, {"plugin", "serve", "funcs", "--help"},
		{"plugin", "serve"}, {"plugin"}, {"search", "serve", "funcs"}, {"version"}, nil,
	} {
		if _, ok := servePluginDirect(args); ok {
			t.Errorf("servePluginDirect(%q) served", args)
		}
	}
}

// automl plugin serve funcs, as a worker slot starts it, prints the
// go-plugin handshake; run by hand (no cookie), it says it is a plugin and
// exits 1; an unknown name is a usage error naming the built-in trainers.
func TestPluginServeAsAWorkerStartsIt(t *testing.T) {
	cmd := exec.Command(automlBin, "plugin", "serve", "funcs")
	cmd.Env = append(cmd.Environ(), "AUTOML_PLUGIN_COOKIE=6f1c2a7e-automl-trainer")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		if !strings.HasPrefix(l, "1|1|unix|") || !strings.HasSuffix(strings.TrimSpace(l), "|grpc|") {
			t.Errorf("handshake line %q", l)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no handshake line in 30 s")
	}

	_, errOut, code := automl(t, t.TempDir(), "plugin", "serve", "funcs")
	if code != 1 || !strings.Contains(errOut, "This binary is a plugin") {
		t.Errorf("by hand: exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = automl(t, t.TempDir(), "plugin", "serve", "nope")
	if code != 2 || !strings.Contains(errOut, `unknown built-in trainer "nope"; built-in trainers: exec, funcs, mlp`) {
		t.Errorf("unknown name: exit %d, stderr %q", code, errOut)
	}
}

// What servePluginDirect saves each trainer launch: building the command
// tree and finding the command in it.
//
//	go test ./cmd/automl -run '^$' -bench CommandTree
func BenchmarkCommandTree(b *testing.B) {
	b.ReportAllocs()
	args := []string{"plugin", "serve", "funcs"}
	for b.Loop() {
		root := newRootCmd()
		if _, _, err := root.Find(normalizeArgs(root, args)); err != nil {
			b.Fatal(err)
		}
	}
}
