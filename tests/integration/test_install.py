"""An installed pipehost finds its shipped plugins with no configuration."""

import os
import shutil
import subprocess
import tempfile
import unittest

import harness

BUILD_DIR = os.environ.get("PIPEHOST_BUILD_DIR", "build")


class InstallTest(unittest.TestCase):
    def test_installed_binary_finds_shipped_plugins(self):
        prefix = tempfile.mkdtemp(prefix="pipehost-prefix-")
        self.addCleanup(shutil.rmtree, prefix)
        subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", prefix],
                       check=True, capture_output=True, timeout=120)
        binary = os.path.join(prefix, "bin", "pipehost")
        plugin_dir = os.path.join(prefix, "lib", "pipehost", "plugins")
        env = {k: v for k, v in os.environ.items()
               if k not in ("PIPEHOST_PLUGIN_PATH", "PIPEHOST_SHIPPED_PLUGIN_DIR")}
        listing = subprocess.run([binary, "plugins"], capture_output=True, text=True, env=env,
                                 timeout=60)
        self.assertEqual(listing.returncode, 0, listing.stderr)
        for line in listing.stdout.splitlines()[1:]:
            self.assertIn(plugin_dir + "/", line)
        self.assertRegex(listing.stdout, r"(?m)^json_filter\s")
        config = os.path.join(harness.SOURCE_DIR, "configs", "page-views.yaml")
        validate = subprocess.run([binary, "validate", config], capture_output=True, text=True,
                                  env=env, timeout=60)
        self.assertEqual(validate.returncode, 0, validate.stderr)


if __name__ == "__main__":
    harness.main()
