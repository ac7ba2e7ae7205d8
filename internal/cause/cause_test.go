package cause

import (
	"strings"
	"testing"
)

const traceback = `Traceback (most recent call last):
  File "/work/train.py", line 3, in <module>
    import torch
ModuleNotFoundError: No module named 'torch'`

func TestOf(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"a message as it was stored before causes (its log ends:)",
			"trial pt/4/1: exec: python3 exited with status 1; its log ends:\n" + traceback,
			"exec: python3 exited with status 1: ModuleNotFoundError: No module named 'torch'"},
		{"the exec trainer's own form",
			"trial pt/4/1: exec: python3 exited with status 1: ModuleNotFoundError: No module named 'torch'\nits stderr ends:\n" + traceback,
			"exec: python3 exited with status 1: ModuleNotFoundError: No module named 'torch'"},
		{"no traceback: the last line that is not indented",
			"trial s/2/1: plugin handshake failed: plugin ./p exited before the handshake; its stderr ends:\nsetup\nopen model.bin: no such file\n  at load()\n",
			"plugin handshake failed: plugin ./p exited before the handshake; its output ends with: open model.bin: no such file"},
		{"keys inside the message and pids",
			"trial s/3/1: plugin crashed: plugin ./p (pid 4242) died during trial s/3/1: exit status 2; panic: boom\n\ngoroutine 1 [running]:",
			"plugin crashed: plugin ./p died during the trial: exit status 2; panic: boom"},
		{"the scheduler's prefix nests the trial's", "trial 4: trial s/4/2: loss diverged", "trial 4: loss diverged"},
		{"a chained traceback: the last exception",
			"exec: x; its log ends:\n" + traceback + "\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"a.py\", line 9\nRuntimeError: CUDA error: out of memory",
			"exec: x: RuntimeError: CUDA error: out of memory"},
		{"a syntax error without a traceback",
			"exec: x; its log ends:\n  File \"/w/train.py\", line 3\n    print(\n         ^\nSyntaxError: '(' was never closed",
			"exec: x: SyntaxError: '(' was never closed"},
		{"a note", "pruned at step 3 by the median rule", "pruned at step 3 by the median rule"},
	} {
		if got := Of(tc.in); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestOfClipsLongCauses(t *testing.T) {
	got := Of("exec: x: ValueError: " + strings.Repeat("tensor ", 200))
	if n := len([]rune(got)); n != MaxLen || !strings.HasSuffix(got, "…") {
		t.Errorf("%d characters ending %q; want %d ending in …", n, got[len(got)-10:], MaxLen)
	}
}

func TestDetail(t *testing.T) {
	in := "trial pt/4/1: exec: python3 exited with status 1: ModuleNotFoundError: No module named 'torch'\nits stderr ends:\n" + traceback + "\n"
	if got := Detail(in); got != traceback {
		t.Errorf("Detail = %q, want the traceback alone", got)
	}
	if got := Detail("one line"); got != "" {
		t.Errorf("Detail of one line = %q", got)
	}
}

func TestGroupMasksNumbersOnly(t *testing.T) {
	a := Group("loss diverged to 2.546213060608e+14 at epoch 1 (learning_rate 88.6 may be too high)")
	b := Group("loss diverged to 8.8e+14 at epoch 3 (learning_rate 85 may be too high)")
	if a != b {
		t.Errorf("divergences differ only in numbers but group apart:\n%s\n%s", a, b)
	}
	if Group("No module named 'x1'") == Group("No module named 'x2'") {
		t.Error("digits inside a name were masked")
	}
	for in, want := range map[string]string{
		"exited with status 1":                "exited with status #",
		"/tmp/automl-exec-12345/params.json":  "/tmp/automl-exec-#/params.json",
		"tried 256.00 MiB (GPU 3; 79.2 GiB)":  "tried # MiB (GPU #; # GiB)",
		"at 0x5f, 256MiB, x1, 1e-3, 2.5E+14.": "at 0x5f, 256MiB, x1, #, #.",
		"no digits":                           "no digits",
	} {
		if got := Group(in); got != want {
			t.Errorf("Group(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPythonErrorIgnoresIndentedLines(t *testing.T) {
	lines := strings.Split("Traceback (most recent call last):\n  File \"a.py\", line 1\n    raise ValueError('x')\n    ^^^^^^^^^^^^^^^^^^^^^\nValueError: x\nsome later output", "\n")
	if got, ok := PythonError(lines); !ok || got != "ValueError: x" {
		t.Errorf("PythonError = %q, %v", got, ok)
	}
	if _, ok := PythonError([]string{"epoch 1 loss 0.5", "Killed"}); ok {
		t.Error("found a Python error where there is none")
	}
}
func TestSameCauseWhateverTheTrial(t *testing.T) {
	traceback := func(key, tmp string) string {
		return "trial " + key + ": exec: python3 exited with status 1; its log ends:\n" +
			"Traceback (most recent call last):\n" +
			"  File \"" + tmp + "/train.py\", line 3, in <module>\n" +
			"    import torch\n" +
			"ModuleNotFoundError: No module named 'torch'\n\n"
	}
	for _, tc := range []struct {
		name string
		a, b string
		same bool
	}{
		{"trial keys and temp dirs differ", traceback("mlp/0/1", "/tmp/automl-exec-123456"), traceback("mlp/17/3", "/tmp/automl-exec-987654"), true},
		{"lost counts and keys differ", "lost 6 times; last: trial s/0/6: lost: plugin handshake failed: plugin /bin/true printed nothing on stdout",
			"lost 5 times; last: trial s/12/5: lost: plugin handshake failed: plugin /bin/true printed nothing on stdout", true},
		{"values differ", "trial s/1/1: objective metric \"loss\" is NaN at step 3", "trial s/2/1: objective metric \"loss\" is NaN at step 14", true},
		{"another last line", traceback("s/0/1", "/w"), "trial s/1/1: exec: python3 exited with status 1; its log ends:\nTraceback (most recent call last):\nKeyError: 'lr'", false},
		{"another message", "trial s/0/1: exec: false exited with status 1", "trial s/1/1: exec: false was killed by signal 9 (SIGKILL)", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Key(tc.a) == Key(tc.b); got != tc.same {
				t.Errorf("same cause %v, want %v:\n%q\n%q", got, tc.same, Key(tc.a), Key(tc.b))
			}
		})
	}
}

// TestCommonest: failures alike by their cause (numbers masked) count
// together; the most common wins, the first seen among equals.
func TestCommonest(t *testing.T) {
	if c, n := Commonest(nil); c != "" || n != 0 {
		t.Errorf("no failures: %q, %d", c, n)
	}
	errs := []string{"exec: exit 1: OSError: disk full", "loss diverged to 2.5e+14", "exec: exit 1: OSError: disk full", "loss diverged to 8.8e+14"}
	if c, n := Commonest(errs); c != Of(errs[0]) || n != 2 {
		t.Errorf("two causes twice each: %q, %d; want the first seen, %q, 2", c, n, Of(errs[0]))
	}
	if c, n := Commonest(append(errs, "loss diverged to 1e+15")); c != "loss diverged to 2.5e+14" || n != 3 {
		t.Errorf("the divergence three times: %q, %d; want it as its first error says, 3", c, n)
	}
}
