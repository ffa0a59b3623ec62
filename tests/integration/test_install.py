"""`cmake --install` to a prefix: the binary, which finds its shipped
plugins with no configuration, and the SDK (headers, helper libraries, the
CMake package, the pkg-config module), the plugin template and the
deployment files."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness

BUILD_DIR = os.environ.get("PIPEHOST_BUILD_DIR", "build")


def install(test):
    prefix = tempfile.mkdtemp(prefix="pipehost-prefix-")
    test.addCleanup(shutil.rmtree, prefix)
    subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", prefix],
                   check=True, capture_output=True, timeout=120)
    return prefix


class InstallTest(unittest.TestCase):
    def test_installed_binary_finds_shipped_plugins(self):
        prefix = install(self)
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

    def test_sdk_layout(self):
        prefix = install(self)
        sdk_headers = sorted(os.listdir(os.path.join(harness.SOURCE_DIR, "plugin-sdk", "include",
                                                     "pipehost")))
        self.assertEqual(sorted(os.listdir(os.path.join(prefix, "include", "pipehost"))),
                         sdk_headers)
        for header in ("plugin.h", "testkit.h", "window.h"):
            self.assertIn(header, sdk_headers)
        expected = [
            "bin/pipehost",
            "lib/libpipehost_window.a",
            "lib/libpipehost_testkit.a",
            "lib/cmake/pipehost/pipehostConfig.cmake",
            "lib/cmake/pipehost/pipehostConfigVersion.cmake",
            "lib/cmake/pipehost/pipehostTargets.cmake",
            "lib/cmake/pipehost/PipehostPlugin.cmake",
            "lib/pkgconfig/pipehost.pc",
            "lib/systemd/system/pipehost@.service",
            "share/pipehost/deploy/cloud-sasl-ssl.env.example",
            "share/pipehost/plugin-template/CMakeLists.txt",
            "share/pipehost/plugin-template/rename_fields.c",
            "share/pipehost/plugin-template/pipeline.yaml",
            "share/pipehost/plugin-template/README.md",
            "share/pipehost/plugin-template/tests/rename.expect.jsonl",
        ]
        missing = [path for path in expected if not os.path.isfile(os.path.join(prefix, path))]
        self.assertEqual(missing, [])
        # The one PipehostPlugin.cmake serves the tree and the installed SDK.
        with open(os.path.join(harness.SOURCE_DIR, "plugin-sdk", "cmake", "PipehostPlugin.cmake"),
                  "rb") as source, \
             open(os.path.join(prefix, "lib", "cmake", "pipehost", "PipehostPlugin.cmake"),
                  "rb") as installed:
            self.assertEqual(source.read(), installed.read())

    def test_pkg_config_module_is_relocatable(self):
        prefix = install(self)
        moved = prefix + "-moved"
        shutil.copytree(prefix, moved, symlinks=True)
        self.addCleanup(shutil.rmtree, moved)
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(moved, "lib", "pkgconfig"))
        def variable(name):
            return subprocess.run(["pkg-config", "--variable=" + name, "pipehost"], env=env,
                                  capture_output=True, text=True, timeout=60).stdout.strip()
        self.assertEqual(os.path.realpath(variable("includedir")),
                         os.path.join(moved, "include"))
        self.assertEqual(os.path.realpath(variable("plugindir")),
                         os.path.join(moved, "lib", "pipehost", "plugins"))
        version = subprocess.run(["pkg-config", "--modversion", "pipehost"], env=env,
                                 capture_output=True, text=True, timeout=60).stdout.strip()
        with open(os.path.join(harness.SOURCE_DIR, "CMakeLists.txt")) as f:
            declared = re.search(r"project\(pipehost VERSION ([0-9.]+)", f.read()).group(1)
        self.assertEqual(version, declared)


if __name__ == "__main__":
    harness.main()
