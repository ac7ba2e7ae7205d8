"""Tests of automl_trial under the interpreter automl's CI uses
(Debian's python3): python3 -m unittest discover -s clients/python"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def run_script(body, env=None, timeout=20):
    """Runs body as a script that imports automl_trial, with only env's
    AUTOML_ variables set; returns (exit status, stdout, stderr)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("AUTOML_")}
    base["PYTHONPATH"] = HERE
    base.update(env or {})
    p = subprocess.run([sys.executable, "-c", textwrap.dedent(body)], env=base,
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


class Params(unittest.TestCase):
    def test_reads_the_params_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"lr": 0.01, "layers": 3, "act": "relu"}, f)
        self.addCleanup(os.unlink, f.name)
        rc, out, err = run_script("""
            import json, automl_trial as t
            print(json.dumps(t.params(defaults={"lr": 1, "dropout": 0.5})))
        """, {"AUTOML_PARAMS": f.name})
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out), {"lr": 0.01, "layers": 3, "act": "relu", "dropout": 0.5})

    def test_by_hand_needs_defaults(self):
        rc, out, err = run_script("import automl_trial as t; print(t.params({'lr': 0.1}))")
        self.assertEqual((rc, out.strip()), (0, "{'lr': 0.1}"), err)
        rc, _, err = run_script("import automl_trial as t; t.params()")
        self.assertNotEqual(rc, 0)
        self.assertIn("not running under automl", err)

    def test_params_json_variable(self):
        rc, out, err = run_script("import automl_trial as t; print(t.params()['x'])",
                                  {"AUTOML_PARAMS_JSON": '{"x": 2.5}'})
        self.assertEqual((rc, out.strip()), (0, "2.5"), err)

    def test_not_an_object(self):
        rc, _, err = run_script("import automl_trial as t; t.params()", {"AUTOML_PARAMS_JSON": "[1, 2]"})
        self.assertNotEqual(rc, 0)
        self.assertIn("not a JSON object", err)


class Report(unittest.TestCase):
    def test_lines_automl_reads(self):
        rc, out, err = run_script("""
            import automl_trial as t
            t.report(1, val_loss=0.5, acc=1)
            t.report(2.5, val_loss=0.25)
            t.report(val_loss=0.125)
        """)
        self.assertEqual(rc, 0, err)
        lines = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(lines, [{"step": 1, "val_loss": 0.5, "acc": 1},
                                 {"step": 2.5, "val_loss": 0.25}, {"val_loss": 0.125}])

    def test_refuses_what_automl_would_fail_on(self):
        for call, want in [
            ("t.report(1, val_loss=float('nan'))", "val_loss is nan at this step: the model diverged"),
            ("t.report(1, val_loss=float('inf'))", "val_loss is inf"),
            ("t.report(1, val_loss='0.5')", "val_loss='0.5' is not a number"),
            ("t.report(1, ok=True)", "ok=True is not a number"),
            ("t.report(1)", "give at least one metric"),
            ("t.report(2, a=1); t.report(2, a=2)", "step 2 after step 2; steps must increase"),
        ]:
            with self.subTest(call=call):
                rc, out, err = run_script("import automl_trial as t\n" + call)
                self.assertNotEqual(rc, 0)
                self.assertIn(want, err)


class Span(unittest.TestCase):
    def test_span_and_checkpoint(self):
        rc, out, err = run_script("import automl_trial as t; print(t.resource_span(9), t.checkpoint_dir(), t.trial_id(), t.study(), t.seed())",
                                  {"AUTOML_RESOURCE_FROM": "3", "AUTOML_RESOURCE_TO": "27", "AUTOML_CHECKPOINT_DIR": "/ck",
                                   "AUTOML_TRIAL_ID": "7", "AUTOML_STUDY": "s", "AUTOML_SEED": "42"})
        self.assertEqual((rc, out.strip()), (0, "(3, 27) /ck 7 s 42"), err)

    def test_no_span_takes_the_default(self):
        rc, out, err = run_script("import automl_trial as t; print(t.resource_span(default_end=20), t.checkpoint_dir())",
                                  {"AUTOML_RESOURCE_FROM": "0", "AUTOML_RESOURCE_TO": "0"})
        self.assertEqual((rc, out.strip()), (0, "(0, 20) None"), err)
        rc, _, err = run_script("import automl_trial as t; t.resource_span()")
        self.assertNotEqual(rc, 0)
        self.assertIn("pass default_end=", err)

    def test_bad_number(self):
        rc, _, err = run_script("import automl_trial as t; t.resource_span(1)", {"AUTOML_RESOURCE_TO": "ten"})
        self.assertNotEqual(rc, 0)
        self.assertIn("$AUTOML_RESOURCE_TO is 'ten', not a number", err)


class Stop(unittest.TestCase):
    def test_sigterm_asks_the_loop_to_stop(self):
        # The script reports a step, waits for SIGTERM, then reports the
        # step it finished and exits 0 on its own: what automl's stop gives
        # a trial the 2 s for.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOML_")}
        env["PYTHONPATH"] = HERE
        p = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
            import time, automl_trial as t
            t.report(1, loss=1.0)
            for _ in range(2000):
                if t.should_stop():
                    t.report(2, loss=0.5)
                    break
                time.sleep(0.005)
            else:
                raise SystemExit("no stop seen")
        """)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = p.stdout.readline()
        self.assertEqual(json.loads(first), {"step": 1, "loss": 1.0})
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=20)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(json.loads(out), {"step": 2, "loss": 0.5})

    def test_false_until_asked(self):
        rc, out, err = run_script("import automl_trial as t; print(t.should_stop())")
        self.assertEqual((rc, out.strip()), (0, "False"), err)


if __name__ == "__main__":
    unittest.main()
