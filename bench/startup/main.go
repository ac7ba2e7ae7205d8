// Command startup measures how long automl takes to start, for each
// binary it is given, runs alternating so that the machine's load falls
// on all of them alike:
//
//   - version: `automl version`, from exec until it exits, and the CPU
//     time (user + system) the process took;
//   - plugin:  `automl plugin serve funcs`, from exec until it prints the
//     go-plugin handshake line on stdout (what a worker slot waits for
//     before a fresh trainer process takes its trial), and its CPU time
//     until it is killed right after;
//   - init:    with -inittrace, the Go runtime's GODEBUG=inittrace=1 of the
//     plugin launch: the package initialisation's clock time summed, and
//     the packages that take most (medians over the runs).
//
// It prints each figure's median and the 10th and 90th percentiles.
//
//	go run ./bench/startup -n 50 ./automl                   # one binary
//	go run ./bench/startup -n 50 -inittrace old=./a new=./b # side by side
//
// bench/startup/run.sh REV builds REV and the working tree and runs both.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The cookie plugins.Serve checks (plugins/handshake.go): without it the
// process says it is a plugin and exits.
const cookie = "AUTOML_PLUGIN_COOKIE=6f1c2a7e-automl-trainer"

// socketDir is the plugin processes' TMPDIR: each leaves its go-plugin
// socket there when it is killed, and the directory goes at the end.
var socketDir string

type binary struct {
	label, path string
	version     []time.Duration
	plugin      []time.Duration
	versionCPU  []time.Duration // user + system time of the process
	pluginCPU   []time.Duration
	initTotal   []time.Duration
	initPkg     map[string][]time.Duration
}

func main() {
	n := flag.Int("n", 30, "runs of each measurement per binary")
	trace := flag.Bool("inittrace", false, "also run the plugin launch under GODEBUG=inittrace=1 and report package init")
	top := flag.Int("top", 8, "with -inittrace: the packages to list")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: startup [-n N] [-inittrace] [LABEL=]BINARY...")
		os.Exit(2)
	}
	var bins []*binary
	for _, a := range flag.Args() {
		label, path, ok := strings.Cut(a, "=")
		if !ok {
			label, path = a, a
		}
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(os.Stderr, "startup: %s: %v\n", label, err)
			os.Exit(2)
		}
		bins = append(bins, &binary{label: label, path: path, initPkg: map[string][]time.Duration{}})
	}
	dir, err := os.MkdirTemp("", "automl-startup-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
	socketDir = dir
	defer os.RemoveAll(dir)
	for i := 0; i < *n; i++ {
		for _, b := range bins {
			d, cpu, err := timeVersion(b.path)
			check(b, "version", err)
			b.version, b.versionCPU = append(b.version, d), append(b.versionCPU, cpu)
			d, cpu, err = timePlugin(b.path, nil)
			check(b, "plugin serve", err)
			b.plugin, b.pluginCPU = append(b.plugin, d), append(b.pluginCPU, cpu)
			if *trace {
				var lines []string
				_, _, err = timePlugin(b.path, &lines)
				check(b, "plugin serve (inittrace)", err)
				total, per := parseInittrace(lines)
				b.initTotal = append(b.initTotal, total)
				for p, d := range per {
					b.initPkg[p] = append(b.initPkg[p], d)
				}
			}
		}
	}
	fmt.Printf("%d runs each; median (p10..p90); wall: from exec; cpu: the process's user + system time\n\n", *n)
	fmt.Printf("%-12s %-26s %-26s %-26s %-26s", "binary", "version: wall to exit", "version: cpu", "plugin: wall to handshake", "plugin: cpu to handshake")
	if *trace {
		fmt.Printf(" %-26s", "plugin: package init")
	}
	fmt.Println()
	for _, b := range bins {
		fmt.Printf("%-12s %-26s %-26s %-26s %-26s", b.label, spread(b.version), spread(b.versionCPU), spread(b.plugin), spread(b.pluginCPU))
		if *trace {
			fmt.Printf(" %-26s", spread(b.initTotal))
		}
		fmt.Println()
	}
	if !*trace || *top <= 0 {
		return
	}
	for _, b := range bins {
		type pkg struct {
			name string
			med  time.Duration
		}
		var pkgs []pkg
		for p, ds := range b.initPkg {
			pkgs = append(pkgs, pkg{p, quantile(ds, 0.5)})
		}
		sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].med > pkgs[j].med })
		fmt.Printf("\n%s: slowest package inits (median clock)\n", b.label)
		for i := 0; i < len(pkgs) && i < *top; i++ {
			fmt.Printf("  %-60s %s\n", pkgs[i].name, ms(pkgs[i].med))
		}
	}
}

func check(b *binary, what string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "startup: %s %s: %v\n", b.label, what, err)
		os.RemoveAll(socketDir)
		os.Exit(1)
	}
}

func timeVersion(path string) (wall, cpu time.Duration, err error) {
	cmd := exec.Command(path, "version")
	start := time.Now()
	out, err := cmd.Output()
	wall = time.Since(start)
	if err != nil {
		return 0, 0, err
	}
	if !strings.HasPrefix(string(out), "automl ") {
		return 0, 0, fmt.Errorf("printed %q", out)
	}
	return wall, cpuOf(cmd), nil
}

// cpuOf is the user and system time of an ended command: on a loaded
// machine, steadier than wall time, which includes waiting for a core.
func cpuOf(cmd *exec.Cmd) time.Duration {
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// timePlugin starts `automl plugin serve funcs` as a worker slot would and
// returns the time until its handshake line ("1|1|unix|/tmp/...|grpc|"),
// and the CPU time the process took until it was killed right after.
// With trace, it runs under GODEBUG=inittrace=1 and returns stderr's lines.
func timePlugin(path string, trace *[]string) (wall, cpu time.Duration, err error) {
	cmd := exec.Command(path, "plugin", "serve", "funcs")
	cmd.Env = append(os.Environ(), cookie, "TMPDIR="+socketDir)
	if trace != nil {
		cmd.Env = append(cmd.Env, "GODEBUG=inittrace=1")
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	wall = time.Since(start)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if err != nil {
		return 0, 0, fmt.Errorf("no handshake line (%v): stderr %q", err, stderr.String())
	}
	if !strings.HasPrefix(line, "1|1|") || !strings.Contains(line, "|grpc") {
		return 0, 0, fmt.Errorf("handshake line %q", line)
	}
	if trace != nil {
		*trace = strings.Split(stderr.String(), "\n")
	}
	return wall, cpuOf(cmd), nil
}

// parseInittrace sums the clock of each "init PKG @T ms, C ms clock, ..."
// line of GODEBUG=inittrace=1.
func parseInittrace(lines []string) (time.Duration, map[string]time.Duration) {
	per := map[string]time.Duration{}
	var total time.Duration
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 7 || f[0] != "init" || f[6] != "clock," {
			continue
		}
		c, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			continue
		}
		d := time.Duration(c * float64(time.Millisecond))
		per[f[1]] += d
		total += d
	}
	return total, per
}

func quantile(ds []time.Duration, q float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	return s[int(q*float64(len(s)-1)+0.5)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func spread(ds []time.Duration) string {
	return fmt.Sprintf("%s (%s..%s)", ms(quantile(ds, 0.5)), strings.TrimSuffix(ms(quantile(ds, 0.1)), " ms"), ms(quantile(ds, 0.9)))
}
