package exec

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"automl/spacefile"
)

var configKeys = []string{"command", "workdir", "env", "timeout"}

// Config is the exec trainer's parsed config.
type Config struct {
	// Command is the program and its arguments, templated ({name}); no shell.
	Command []string
	// Workdir is the program's working directory (default: the worker's).
	Workdir string
	// Env adds variables (templated values) to the program's environment.
	Env map[string]string
	// Timeout bounds one run (0: none); the program's group is killed then.
	Timeout time.Duration
}

// keyError is a mistake in one config key.
type keyError struct{ key, msg string }

func (e keyError) Error() string { return e.key + ": " + e.msg }

// ParseConfig reads the trainer config of a spec or a space file.
func ParseConfig(cfg map[string]any) (Config, error) {
	c, errs := parseConfig(cfg)
	if len(errs) > 0 {
		all := make([]error, len(errs))
		for i, e := range errs {
			all[i] = e
		}
		return c, errors.Join(all...)
	}
	return c, nil
}

func parseConfig(cfg map[string]any) (Config, []keyError) {
	var c Config
	var errs []keyError
	bad := func(key, format string, args ...any) {
		errs = append(errs, keyError{key, fmt.Sprintf(format, args...)})
	}
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := cfg[k]
		switch k {
		case "command":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				bad(k, "want a list: the program and its arguments, e.g. [python3, train.py, --lr, \"{lr}\"], got %v", v)
				continue
			}
			for i, a := range list {
				s, ok := scalar(a)
				if !ok {
					bad(k, "argument %d: want a string, got %v", i, a)
					continue
				}
				c.Command = append(c.Command, s)
			}
			if len(c.Command) > 0 && c.Command[0] == "" {
				bad(k, "the program (first item) is empty")
			}
		case "workdir":
			s, ok := v.(string)
			if !ok || s == "" {
				bad(k, "want a directory path, got %v", v)
				continue
			}
			c.Workdir = s
		case "env":
			m, ok := v.(map[string]any)
			if !ok {
				bad(k, "want a mapping of variable names to values, got %v", v)
				continue
			}
			c.Env = map[string]string{}
			for name, val := range m {
				s, ok := scalar(val)
				switch {
				case name == "" || strings.ContainsAny(name, "=\x00"):
					bad(k, "variable name %q: must be non-empty, without '=' or NUL", name)
				case strings.HasPrefix(name, "AUTOML_"):
					bad(k, "variable %s: names starting with AUTOML_ are set by the trainer", name)
				case !ok:
					bad(k, "variable %s: want a string or number, got %v", name, val)
				default:
					c.Env[name] = s
				}
			}
		case "timeout":
			s, _ := v.(string)
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				bad(k, "want a positive duration such as 30m, got %v", v)
				continue
			}
			c.Timeout = d
		default:
			bad(k, "unknown key; the exec trainer takes %s", strings.Join(configKeys, ", "))
		}
	}
	if _, ok := cfg["command"]; !ok {
		bad("command", "missing: the program to run and its arguments, e.g. [python3, train.py]")
	}
	return c, errs
}

// scalar formats a YAML scalar as an argument: strings as they are,
// numbers and bools as written.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// check validates a space file's exec trainer section: its keys, and that
// every placeholder names a parameter, the resource or a trial variable.
func check(s *spacefile.File) []error {
	c, errs := parseConfig(s.Trainer.Config)
	var out []error
	for _, e := range errs {
		out = append(out, s.ConfigError(e.key, "%s", e.msg))
	}
	known := map[string]bool{}
	for _, n := range trialVars {
		known[n] = true
	}
	if s.Resource != "" {
		known[s.Resource] = true
	}
	for _, p := range s.Space.Params {
		known[p.Name] = true
	}
	checkPlaceholders := func(key, text string) {
		for _, name := range placeholders(text) {
			prm, isParam := s.Space.Param(name)
			switch {
			case !known[name]:
				out = append(out, s.ConfigError(key, "{%s} names no parameter; placeholders are parameters, the resource (%s) or %s",
					name, orNone(s.Resource), strings.Join(trialVars, ", ")))
			case isParam && len(prm.When) > 0:
				out = append(out, s.ConfigError(key, "{%s} is conditional (when:), so some trials have no value for it; read it from the AUTOML_PARAMS file instead", name))
			}
		}
	}
	for _, a := range c.Command {
		checkPlaceholders("command", a)
	}
	for _, v := range c.Env {
		checkPlaceholders("env", v)
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none set"
	}
	return s
}
