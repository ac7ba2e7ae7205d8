package exec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"

	"automl/spacefile"
)

// scriptExt are the file names an interpreter's first argument has when it
// is the script to run (python3 train.py): a missing one fails every trial.
var scriptExt = []string{".py", ".sh", ".bash", ".r", ".jl", ".rb", ".pl", ".js", ".lua"}

// preflight finds the program as a worker slot of this machine will: the
// workdir exists, the command's program resolves on PATH (or, with a
// slash, is an executable file relative to the workdir), and a script
// named right after it (python3 train.py) exists. A program or script
// with a placeholder in its name is not looked for. With the trials on
// other machines (local false), nothing is: it is their PATH and files.
func preflight(s *spacefile.File, local bool) ([]string, []error) {
	c, errs := parseConfig(s.Trainer.Config)
	switch {
	case len(errs) > 0:
		return nil, nil // check has reported them
	case !local:
		return []string{fmt.Sprintf("command %s: not looked for here, where no trial runs; each worker runs it", c.Command[0])}, nil
	}
	dir := c.Workdir
	if dir != "" {
		fi, err := os.Stat(dir)
		switch {
		case err != nil:
			return nil, []error{s.ConfigError("workdir", "%s: %s", dir, statText(err))}
		case !fi.IsDir():
			return nil, []error{s.ConfigError("workdir", "%s is not a directory", dir)}
		}
	}
	prog := c.Command[0]
	if strings.Contains(prog, "{") {
		return nil, nil
	}
	where, err := findProgram(prog, dir)
	if err != nil {
		return nil, []error{s.ConfigError("command", "%v", err)}
	}
	checked := fmt.Sprintf("command %s: %s", prog, where)
	if len(c.Command) > 1 {
		script := c.Command[1]
		if isScript(script) {
			path := inDir(dir, script)
			if _, err := os.Stat(path); err != nil {
				return nil, []error{s.ConfigError("command", "script %s: %s (relative to %s)", script, statText(err), workdirName(dir))}
			}
			checked += ", script " + path
		}
	}
	return []string{checked}, nil
}

// findProgram resolves a command's program as exec.Command will in the
// trainer: a name without a slash on PATH, one with a slash relative to
// the workdir. It returns where it is.
func findProgram(prog, dir string) (string, error) {
	if !strings.Contains(prog, "/") {
		path, err := osexec.LookPath(prog)
		switch {
		case errors.Is(err, osexec.ErrDot):
			return "", fmt.Errorf("%q resolves to the current directory; write ./%s to run it from there", prog, prog)
		case err != nil:
			return "", fmt.Errorf("program %q not found on PATH (%s)", prog, os.Getenv("PATH"))
		}
		return path, nil
	}
	path := inDir(dir, prog)
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return "", fmt.Errorf("program %s: %s (relative to %s)", prog, statText(err), workdirName(dir))
	case fi.IsDir():
		return "", fmt.Errorf("program %s is a directory", path)
	case fi.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("program %s is not executable (mode %#o); chmod +x it", path, fi.Mode().Perm())
	}
	return path, nil
}

// isScript tells an interpreter's script argument (train.py) from an
// option or a value.
func isScript(arg string) bool {
	if strings.HasPrefix(arg, "-") || strings.ContainsAny(arg, "{=") {
		return false
	}
	ext := strings.ToLower(filepath.Ext(arg))
	for _, e := range scriptExt {
		if ext == e {
			return true
		}
	}
	return false
}

func inDir(dir, name string) string {
	if dir == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
}

func workdirName(dir string) string {
	if dir == "" {
		wd, _ := os.Getwd()
		return "the working directory, " + wd
	}
	return "workdir " + dir
}

func statText(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "no such file or directory"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
