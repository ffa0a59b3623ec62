"""README.md's "Write a plugin in five minutes", followed to the letter: the
sh blocks between <!-- walkthrough:start --> and <!-- walkthrough:end -->
run in order in one shell, in a fresh home folder, from a folder whose
`build` is this build tree; then what each step says it does is checked.

PIPEHOST_WALKTHROUGH_FILE reads the section from another Markdown file
(for checking a draft before it goes into README.md)."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import textwrap
import unittest

import harness

BUILD_DIR = os.path.realpath(os.environ.get("PIPEHOST_BUILD_DIR", "build"))
START = "<!-- walkthrough:start -->"
END = "<!-- walkthrough:end -->"
STEP = "### walkthrough step "

# What the steps say, written out by hand from the walkthrough's text.
STRICT_OUTPUT = [
    '{"offset":1,"reject":"missing field \'user_id\'"}',
    '{"emit":{"page":"/home","time":"2024-05-01T10:00:00Z","user":1},"key":null,"offset":0}',
    '{"flush":"final","retain_offset":null}',
]
RENAMED = [
    {"user": 1, "time": "2024-05-01T10:00:00Z", "page": "/home"},
    {"page": "/cart"},
]


def walkthrough_blocks():
    path = os.environ.get("PIPEHOST_WALKTHROUGH_FILE",
                          os.path.join(harness.SOURCE_DIR, "README.md"))
    with open(path) as f:
        text = f.read()
    if START not in text or END not in text:
        raise AssertionError(f"{path} has no walkthrough: the section \"Write a plugin in five "
                             f"minutes\" must sit between {START} and {END}")
    section = text[text.index(START) + len(START):text.index(END)]
    blocks = re.findall(r"^([ \t]*)```sh\n(.*?)^\1```", section, re.M | re.S)
    return [textwrap.dedent(body) for _, body in blocks]


def step_outputs(stdout):
    """{step number: what it printed}, from the markers between steps."""
    outputs = {}
    for chunk in stdout.split(STEP)[1:]:
        number, _, printed = chunk.partition("\n")
        outputs[int(number)] = printed
    return outputs


class ReadmeWalkthroughTest(unittest.TestCase):
    def test_five_minute_plugin(self):
        blocks = walkthrough_blocks()
        self.assertEqual(len(blocks), 6, "the walkthrough has six steps, one sh block each")
        top = tempfile.mkdtemp(prefix="pipehost-walkthrough-")
        self.addCleanup(shutil.rmtree, top, ignore_errors=True)
        home = os.path.join(top, "home")
        clone = os.path.join(top, "clone")
        os.makedirs(home)
        os.makedirs(clone)
        os.symlink(BUILD_DIR, os.path.join(clone, "build"))
        script = "set -eu\n" + "".join(f"echo '{STEP}{i}'\n{block}\n"
                                       for i, block in enumerate(blocks, 1))
        env = {k: v for k, v in os.environ.items()
               if k not in ("PIPEHOST_PLUGIN_PATH", "CMAKE_PREFIX_PATH", "PKG_CONFIG_PATH",
                            "KAFKA_BROKERS", "PIPEHOST_OUT")}
        env["HOME"] = home
        shell = subprocess.Popen(["bash", "-c", script], cwd=clone, env=env, text=True,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, start_new_session=True)
        try:
            stdout, stderr = shell.communicate(timeout=300)
        finally:
            # Whatever a step left running (the broker of step 5 on failure).
            try:
                os.killpg(shell.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if shell.poll() is None:
                shell.communicate()
        steps = step_outputs(stdout)
        failed_at = max(steps) if steps else 0
        self.assertEqual(shell.returncode, 0,
                         f"step {failed_at} failed:\n{blocks[failed_at - 1] if failed_at else ''}"
                         f"\n--- stdout\n{stdout[-3000:]}\n--- stderr\n{stderr[-3000:]}")

        prefix = os.path.join(home, "pipehost")
        plugin_folder = os.path.join(home, "my-plugin")
        # 1: pipehost installed.
        self.assertTrue(os.access(os.path.join(prefix, "bin", "pipehost"), os.X_OK))
        # 2: the template's three tests passed.
        self.assertIn("100% tests passed, 0 tests failed out of 3", steps[2])
        # 3: test-plugin's transcript: the rejection, the emit, the flush.
        self.assertEqual(steps[3].splitlines(), STRICT_OUTPUT)
        # 4: the recorded golden case, run as a fourth test.
        with open(os.path.join(plugin_folder, "tests", "strict.expect.jsonl")) as f:
            self.assertEqual(f.read().splitlines(), STRICT_OUTPUT)
        self.assertIn("golden.rename_fields.strict", steps[4])
        self.assertIn("100% tests passed, 0 tests failed out of 4", steps[4])
        # 5: the pipeline renamed both records into out/renamed.jsonl.
        with open(os.path.join(plugin_folder, "out", "renamed.jsonl")) as f:
            self.assertEqual([json.loads(line) for line in f], RENAMED)
        printed = [json.loads(line) for line in steps[5].splitlines() if line.startswith("{")]
        self.assertEqual(printed, RENAMED)
        # 6: installed beside the shipped plugins, found by name.
        installed = os.path.join(prefix, "lib", "pipehost", "plugins", "rename_fields.so")
        self.assertTrue(os.path.isfile(installed))
        self.assertRegex(steps[6], r"(?m)^path: +" + re.escape(installed) + "$")


if __name__ == "__main__":
    harness.main()
