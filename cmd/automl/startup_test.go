package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// aJobKey is a well-formed job key (no scheduler holds it).
const aJobKey = "jobkey-Z9N1UIkliDp4khBNMkNAyj7dczOMrAxSkJLDH3Iqhd4"

// Every start-up that cannot work fails at once (well under 5 s) with
// exit status 2 and one line naming the cause: a --listen port that is
// taken, a space file or study file that cannot be read, a NATS server
// that is not there (connection refused), TLS files that cannot be used.
// Info lines said before the failure (a worker's slots) are allowed; no
// other line is.
func TestStartupFailsAtOnce(t *testing.T) {
	dir := t.TempDir()
	gpuTrainer(t, dir, "startup", 2, "")
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	if err := os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.pem"), []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "open.key"), []byte("not a key"), 0o644); err != nil {
		t.Fatal(err)
	}
	search := []string{"search", "-space", "space.yaml", "--db", "s.db"}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"port taken", append(search, "--listen", taken.Addr().String()), "address already in use"},
		{"space file unreadable", []string{"search", "-space", "."}, "is a directory, not a space file"},
		{"study file unreadable", append(search[:3:3], "--db", "file/s.db"), "study file file/s.db: cannot open it"},
		{"connection refused (search)", append(search, "--nats", "nats://127.0.0.1:1"), "connection refused"},
		{"connection refused (worker)", []string{"worker", "--nats", "nats://127.0.0.1:1", "--trust", aJobKey, "--gpus", "none", "--slots", "1"}, "connection refused"},
		{"unknown host (worker)", []string{"worker", "--nats", "nats://no-such-host.invalid:4222", "--trust", aJobKey, "--gpus", "none", "--slots", "1"}, "no such host"},
		{"TLS key missing", append(search, "--nats", "nats://127.0.0.1:1", "--tls-cert", "bad.pem", "--tls-key", "missing.key"), "missing.key: no such file"},
		{"TLS CA unreadable", append(search, "--nats", "nats://127.0.0.1:1", "--tls-ca", "bad.pem"), `parse root certificate from "bad.pem"`},
		{"TLS key open to others (--listen)", append(search, "--listen", "127.0.0.1:0", "--tls-cert", "bad.pem", "--tls-key", "open.key"), "open.key has mode 0644"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, errOut, code := automl(t, dir, c.args...)
			took := time.Since(start)
			var said []string
			for _, l := range strings.Split(strings.TrimSpace(errOut), "\n") {
				if !strings.Contains(l, "level=INFO") {
					said = append(said, l)
				}
			}
			if code != 2 || took > 5*time.Second || len(said) != 1 || !strings.HasPrefix(said[0], "automl: ") || !strings.Contains(said[0], c.want) {
				t.Errorf("automl %s: exit %d after %v, want 2 at once and one line with %q; stderr:\n%s", strings.Join(c.args, " "), code, took.Round(time.Millisecond), c.want, errOut)
			}
			if testing.Verbose() {
				fmt.Printf("%-36s exit %d in %v: %s\n", c.name, code, took.Round(time.Millisecond), said)
			}
		})
	}
}
