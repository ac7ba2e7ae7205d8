package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"automl/backends/bolt"
)

// smallStudy runs a finished study of n fast trials in dir (automl.db)
// and returns the trials as automl trials --json lists them.
func smallStudy(t *testing.T, dir string, n int, args ...string) []fleetTrial {
	t.Helper()
	fleetSpace(t, dir, "small", n, 0)
	out, errOut, code := automl(t, dir, append([]string{"search", "-space", "space.yaml", "--workers", "2"}, args...)...)
	if code != 0 {
		t.Fatalf("search: exit %d\n%s%s", code, out, errOut)
	}
	trs, ok := fleetTrials(t, dir, "small")
	if !ok || len(trs) != n {
		t.Fatalf("%d trials after the study, want %d", len(trs), n)
	}
	return trs
}

// usedPages returns the byte ranges of the bbolt file's leaf and branch
// pages in use (not freed), in page order, and the page size.
func usedPages(t *testing.T, path string) ([][2]int64, int64) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pageSize := int64(db.Info().PageSize)
	var used [][2]int64
	err = db.View(func(tx *bbolt.Tx) error {
		for id := 2; int64(id)*pageSize < tx.Size(); id++ {
			p, err := tx.Page(id)
			if err != nil {
				return err
			}
			if p != nil && (p.Type == "leaf" || p.Type == "branch") {
				used = append(used, [2]int64{int64(id) * pageSize, int64(id+1+p.OverflowCount) * pageSize})
				id += p.OverflowCount
			}
		}
		return nil
	})
	if err != nil || len(used) == 0 {
		t.Fatalf("no page in use found: %v", err)
	}
	return used, pageSize
}

// overwriteUsedPage writes 4 KiB of random bytes over the in-use page
// nearest the middle of the bbolt file.
func overwriteUsedPage(t *testing.T, path string) {
	t.Helper()
	used, _ := usedPages(t, path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	target := used[0][0]
	for _, r := range used {
		if abs(r[0]-fi.Size()/2) < abs(target-fi.Size()/2) {
			target = r[0]
		}
	}
	junk := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(4, 4))
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(junk, target); err != nil {
		t.Fatal(err)
	}
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// flipTrialBit flips one bit inside the stored record of trial id of
// study in the file at path (its copy in a page in use).
func flipTrialBit(t *testing.T, path, study string, id int) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var v []byte
	db.View(func(tx *bbolt.Tx) error {
		key := []byte{0, 0, 0, 0, 0, 0, 0, byte(id)}
		v = bytes.Clone(tx.Bucket([]byte("studies")).Bucket([]byte(study)).Bucket([]byte("trials")).Get(key))
		return nil
	})
	db.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	at := int64(-1)
	used, _ := usedPages(t, path)
	for _, r := range used {
		if i := bytes.Index(b[r[0]:r[1]], v); len(v) > 0 && i >= 0 {
			if at >= 0 {
				t.Fatalf("trial %d's record is in two pages in use", id)
			}
			at = r[0] + int64(i)
		}
	}
	if at < 0 {
		t.Fatalf("trial %d's record is in no page in use", id)
	}
	b[at+int64(len(v))/2] ^= 0x10
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// everyCommand runs each command that opens the study file on dir's
// automl.db and returns its exit status and output (stdout, stderr) by
// name.
func everyCommand(t *testing.T, dir string) map[string][2]string {
	t.Helper()
	got := map[string][2]string{}
	for name, args := range map[string][]string{
		"search":    {"search", "-space", "space.yaml", "--workers", "1", "--trials", "60"},
		"studies":   {"studies"},
		"trials":    {"trials", "small"},
		"report":    {"report", "small", "--format", "csv"},
		"dashboard": {"dashboard", "--listen", "127.0.0.1:0"},
		"stop":      {"stop", "small"},
		"check":     {"check"},
	} {
		out, errOut, code := automl(t, dir, args...)
		got[name] = [2]string{fmt.Sprint(code), out + errOut}
	}
	return got
}

// TestDamagedFileRefusedByEveryCommand: 4 KiB of garbage over a page of a
// study file in use: search, studies, trials, report, dashboard, stop and
// check all refuse it with exit status 1 and one message naming the file,
// what is wrong and how to recover, and the file is left as it was (no
// trial appended).
func TestDamagedFileRefusedByEveryCommand(t *testing.T) {
	dir := t.TempDir()
	smallStudy(t, dir, 40)
	db := filepath.Join(dir, "automl.db")
	overwriteUsedPage(t, db)
	before, _ := os.ReadFile(db)
	for name, r := range everyCommand(t, dir) {
		code, errOut := r[0], r[1]
		if code != "1" || !strings.Contains(errOut, "automl.db is damaged") || !strings.Contains(errOut, "restore") {
			t.Errorf("automl %s on a damaged file: exit %s, stderr:\n%s", name, code, errOut)
		}
		if name != "check" && !strings.Contains(errOut, "automl check --db automl.db") {
			t.Errorf("automl %s: the message does not say to run automl check:\n%s", name, errOut)
		}
		if name == "search" {
			t.Logf("automl search on a damaged file:\n%s", errOut)
		}
	}
	if after, _ := os.ReadFile(db); !bytes.Equal(after, before) {
		t.Error("a command changed the damaged file")
	}
}

// TestEmptyAndForeignFilesRefused: a 0-byte automl.db and one holding
// text are refused by every command (exit status 1) and left as they
// were: automl search does not start over in them.
func TestEmptyAndForeignFilesRefused(t *testing.T) {
	for name, content := range map[string][]byte{"empty": nil, "text": []byte("my notes\n")} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			fleetSpace(t, dir, "small", 10, 0)
			db := filepath.Join(dir, "automl.db")
			if err := os.WriteFile(db, content, 0o644); err != nil {
				t.Fatal(err)
			}
			for cmd, r := range everyCommand(t, dir) {
				code, errOut := r[0], r[1]
				if code != "1" || !strings.Contains(errOut, "automl.db is not an automl study file") {
					t.Errorf("automl %s on a %s file: exit %s, stderr:\n%s", cmd, name, code, errOut)
				}
			}
			after, err := os.ReadFile(db)
			if err != nil || !bytes.Equal(after, content) {
				t.Errorf("the %s file changed: %q, %v", name, after, err)
			}
			if _, err := os.Stat(db + ".nats"); err == nil {
				t.Error("automl search started its NATS server beside a refused file")
			}
		})
	}
}

// TestCheckCommand: automl check exits 0 on a clean file, 1 on a damaged
// one (naming the damaged trial), 2 on no file; --json says the same; on
// a file a running search holds, that search checks it.
func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	smallStudy(t, dir, 20)
	out, errOut, code := automl(t, dir, "check")
	if code != 0 || !strings.Contains(out, "automl.db: clean") || !strings.Contains(out, "1 studies, 20 trials") {
		t.Fatalf("check of a clean file: exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = automl(t, dir, "check", "--json")
	var res struct {
		Clean  bool `json:"clean"`
		Trials int  `json:"trials"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || !res.Clean || res.Trials != 20 {
		t.Fatalf("check --json of a clean file: exit %d\n%s", code, out)
	}
	if _, errOut, code := automl(t, dir, "check", "--db", "nosuch.db"); code != 2 || !strings.Contains(errOut, "no study file nosuch.db") {
		t.Errorf("check of no file: exit %d, %s", code, errOut)
	}
	if out, errOut, code := automl(t, dir, "check", "--help"); code != 0 || !strings.Contains(out, "Examples:") {
		t.Errorf("check --help: exit %d\n%s%s", code, out, errOut)
	}

	// A clean copy to restore, then one damaged trial.
	good, _ := os.ReadFile(filepath.Join(dir, "automl.db"))
	flipTrialBit(t, filepath.Join(dir, "automl.db"), "small", 7)
	out, errOut, code = automl(t, dir, "check")
	if code != 1 || !strings.Contains(out, "DAMAGED") || !strings.Contains(out, `study "small" trial 7: checksum mismatch`) || !strings.Contains(errOut, "automl.db is damaged") {
		t.Fatalf("check of a damaged file: exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = automl(t, dir, "check", "--json")
	var dres struct {
		Clean   bool          `json:"clean"`
		Damaged []bolt.Damage `json:"damaged"`
	}
	if code != 1 || json.Unmarshal([]byte(out), &dres) != nil || dres.Clean || len(dres.Damaged) != 1 || dres.Damaged[0].Trial == nil || *dres.Damaged[0].Trial != 7 {
		t.Fatalf("check --json of a damaged file: exit %d\n%s", code, out)
	}

	// A clean file held by a running search: that search checks it.
	if err := os.WriteFile(filepath.Join(dir, "automl.db"), good, 0o600); err != nil {
		t.Fatal(err)
	}
	fleetSpace(t, dir, "held", 40, 200*time.Millisecond)
	search := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--workers", "1")
	waitFor(t, time.Minute, "a trial of the running study", func() bool {
		out, _, code := automl(t, dir, "studies", "--json")
		return code == 0 && strings.Contains(out, `"name": "held"`)
	})
	out, errOut, code = automl(t, dir, "check")
	if code != 0 || !strings.Contains(out, "checked by the running automl search (pid") || !strings.Contains(out, "2 studies") {
		t.Errorf("check of a held file: exit %d\n%s%s", code, out, errOut)
	}
	search.signal(t, syscall.SIGINT)
	search.wait(t, time.Minute)
}

// TestBackupMadeAndRestores: automl search says where its backup is and
// leaves a clean one; when the study file is damaged, commands point to
// it, and copied over the damaged file it restores the study, which then
// continues.
func TestBackupMadeAndRestores(t *testing.T) {
	dir := t.TempDir()
	fleetSpace(t, dir, "small", 30, 0)
	out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2")
	if code != 0 || !strings.Contains(errOut, "backup of the study file: automl.db.backup") {
		t.Fatalf("search: exit %d\n%s%s", code, out, errOut)
	}
	want, _ := fleetTrials(t, dir, "small")
	if out, errOut, code := automl(t, dir, "check", "--db", "automl.db.backup"); code != 0 {
		t.Fatalf("check of the backup: exit %d\n%s%s", code, out, errOut)
	}
	flipTrialBit(t, filepath.Join(dir, "automl.db"), "small", 3)
	_, errOut, code = automl(t, dir, "trials", "small")
	if code != 1 || !strings.Contains(errOut, `study "small" trial 3: checksum mismatch`) || !strings.Contains(errOut, "cp automl.db.backup automl.db") || !strings.Contains(errOut, "rm -r automl.db.nats") {
		t.Fatalf("trials of a damaged file: exit %d\n%s", code, errOut)
	}
	// Do as it says.
	backup, _ := os.ReadFile(filepath.Join(dir, "automl.db.backup"))
	if err := os.WriteFile(filepath.Join(dir, "automl.db"), backup, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "automl.db.nats")); err != nil {
		t.Fatal(err)
	}
	got, ok := fleetTrials(t, dir, "small")
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("trials after the restore differ:\n got  %+v\n want %+v", got, want)
	}
	if out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2", "--trials", "40", "--backup-every", "0", "--backup-interval", "0"); code != 0 || !strings.Contains(errOut, "no backup of the study file") {
		t.Fatalf("continue the restored study: exit %d\n%s%s", code, out, errOut)
	}
	if trs, _ := fleetTrials(t, dir, "small"); len(trs) != 40 || !reflect.DeepEqual(trs[:30], want) {
		t.Errorf("continued study: %d trials (the first 30 changed: %v)", len(trs), len(trs) >= 30 && !reflect.DeepEqual(trs[:30], want))
	}
}

// TestDiskFullThenResume: automl search on a study file that may not
// grow past 160 KiB (a full disk, as bbolt's MaxSize makes it) stops with
// an error naming the file and the free space, keeping every completed
// trial; the same command with room completes the study, none of those
// trials changed or run again.
func TestDiskFullThenResume(t *testing.T) {
	dir := t.TempDir()
	fleetSpace(t, dir, "full", 400, 0)
	args := []string{"search", "-space", "space.yaml", "--workers", "2"}
	out, errOut, code := automl(t, dir, append(args, "--db-max-size", "163840")...)
	if code != 1 {
		t.Fatalf("search into a full disk: exit %d\n%s%s", code, out, errOut)
	}
	for _, w := range []string{"no space left to grow the study file automl.db", "free on", "run the same command again"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("the error lacks %q:\n%s", w, errOut)
		}
	}
	if strings.Contains(errOut, "panic") {
		t.Errorf("a panic:\n%s", errOut)
	}
	before, ok := fleetTrials(t, dir, "full")
	done := map[int]fleetTrial{}
	for _, tr := range before {
		if tr.State == "completed" {
			done[tr.ID] = tr
		}
	}
	if !ok || len(done) == 0 || len(done) >= 400 {
		t.Fatalf("after the full disk: %d trials, %d completed", len(before), len(done))
	}
	t.Logf("full at %d completed trials: %s", len(done), strings.TrimSpace(errOut))
	evalsBefore := evaluations(t, dir)
	if out, errOut, code := automl(t, dir, args...); code != 0 {
		t.Fatalf("the same command with room: exit %d\n%s%s", code, out, errOut)
	}
	after, _ := fleetTrials(t, dir, "full")
	if len(after) != 400 {
		t.Fatalf("%d trials after the rerun, want 400", len(after))
	}
	evals := evaluations(t, dir)
	for id, tr := range done {
		if !reflect.DeepEqual(after[id], tr) {
			t.Errorf("trial %d changed: %+v -> %+v", id, tr, after[id])
		}
		if len(evals[id]) != len(evalsBefore[id]) {
			t.Errorf("completed trial %d was evaluated again", id)
		}
	}
}
