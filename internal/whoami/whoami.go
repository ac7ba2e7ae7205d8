// Package whoami names the person making a change to a study, as
// user@host, for its history.
package whoami

import (
	"os"
	"os/user"
)

// Name is user@host: the account's name ($USER when it has none; unknown
// when neither is known) and the host's.
func Name() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	host, _ := os.Hostname()
	return name + "@" + host
}
