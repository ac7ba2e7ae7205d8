package cause

import "testing"

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

func TestTextIsOneLineWithTheLastWords(t *testing.T) {
	for _, tc := range []struct{ reason, want string }{
		{"trial s/0/1: exec: python3 exited with status 1; its log ends:\nTraceback (most recent call last):\n  File \"t.py\", line 1\nModuleNotFoundError: No module named 'torch'\n",
			"exec: python3 exited with status 1; its log ends: … ModuleNotFoundError: No module named 'torch'"},
		{"trial s/0/1: exec: false exited with status 1; it printed no log", "exec: false exited with status 1; it printed no log"},
		{"ModuleNotFoundError: No module named 'torch'\nTraceback:\nModuleNotFoundError: No module named 'torch'", "ModuleNotFoundError: No module named 'torch'"},
		{"", ""},
	} {
		if got := Text(tc.reason); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.reason, got, tc.want)
		}
	}
}
