package whoami

import (
	"os"
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	host, _ := os.Hostname()
	name := Name()
	user, h, ok := strings.Cut(name, "@")
	if !ok || user == "" || h != host {
		t.Errorf("Name() = %q, want user@%s", name, host)
	}
}
