"""The installed SDK builds plugins out of tree: pipehost installed to a
temporary prefix, plugin-sdk/template copied elsewhere and built with
find_package(pipehost), its golden and C tests run by ctest, its pipeline
run by the installed pipehost against `pipehost broker` with records from
kcat; and a plugin built with nothing but pkg-config and gcc."""

import json
import os
import shutil
import subprocess
import tempfile
import textwrap
import unittest

import harness

BUILD_DIR = os.environ.get("PIPEHOST_BUILD_DIR", "build")

# What kcat produces (key TAB value) and what rename_fields makes of it with
# the template's pipeline.yaml (renames {user_id: user, ts: time}): written
# out by hand, not computed by the plugin's logic.
EVENTS = [
    ("u7", '{"user_id": 7, "page": "/home", "ts": "2024-05-01T10:00:00Z"}'),
    ("u8", '{"page": "/cart", "user_id": 8}'),
    ("u9", '{"user": "guest", "user_id": 9, "page": "/"}'),
    ("nokey", '["not", "an", "object"]'),
    ("u10", '{"page": "/about"}'),
]
RENAMED = [
    ("u7", {"user": 7, "page": "/home", "time": "2024-05-01T10:00:00Z"}),
    ("u8", {"page": "/cart", "user": 8}),
    ("u9", {"user": 9, "page": "/"}),
    ("u10", {"page": "/about"}),
]

TINY_PLUGIN = r"""
#include <stdlib.h>
#include <pipehost/plugin.h>
#include <pipehost/json_text.h>

/* value_size: emits {"bytes": N} for each record, N its value's length,
 * written with the SDK's helper library. */
typedef struct value_size {
    const ph_host_api *host;
    ph_context *ctx;
    ph_json_text text;
} value_size;

static int size_init(const ph_host_api *host, ph_context *ctx, const json_t *config,
                     void **instance, char *err, size_t err_size)
{
    (void)config; (void)err; (void)err_size;
    value_size *self = calloc(1, sizeof(*self));
    *instance = self;
    if (self == NULL)
        return -1;
    self->host = host;
    self->ctx = ctx;
    ph_json_text_init(&self->text);
    return 0;
}

static ph_status size_process(void *instance, const ph_record *records, size_t count)
{
    value_size *self = instance;
    for (size_t i = 0; i < count; i++) {
        ph_json_text_reset(&self->text);
        ph_json_text_begin_object(&self->text);
        ph_json_text_key(&self->text, "bytes");
        ph_json_text_int(&self->text, (int64_t)records[i].value_len);
        ph_json_text_end_object(&self->text);
        if (ph_json_text_failed(&self->text) ||
            self->host->emit(self->ctx, &records[i], NULL, 0, self->text.data,
                             self->text.length) != 0)
            return PH_FATAL;
    }
    return PH_OK;
}

static ph_status size_flush(void *instance, ph_flush_mode mode, int64_t *retain)
{
    (void)instance; (void)mode;
    *retain = PH_OFFSET_NONE;
    return PH_OK;
}

static void size_destroy(void *instance)
{
    value_size *self = instance;
    if (self != NULL)
        ph_json_text_free(&self->text);
    free(self);
}

static const ph_descriptor descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "value_size",
    .version = "0.1",
    .description = "built with pkg-config alone",
    .init = size_init,
    .process = size_process,
    .flush = size_flush,
    .destroy = size_destroy,
};

PH_EXPORT const ph_descriptor *ph_plugin_descriptor(void) { return &descriptor; }
"""

UNDEFINED_PLUGIN = r"""
#include <pipehost/plugin.h>
void not_defined_anywhere(void);
PH_EXPORT const ph_descriptor *ph_plugin_descriptor(void)
{
    not_defined_anywhere();
    return NULL;
}
"""


def run(args, **kwargs):
    kwargs.setdefault("timeout", 120)
    return subprocess.run(args, capture_output=True, text=True, **kwargs)


def exported_symbols(shared_object):
    """The code and data symbols the shared object exports."""
    listing = run(["nm", "-D", "--defined-only", shared_object])
    symbols = []
    for line in listing.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in ("T", "D", "B", "R", "W"):
            symbols.append(parts[2])
    return sorted(symbols)


class SdkTemplateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="pipehost-sdk-")
        cls.prefix = os.path.join(cls.dir, "prefix")
        install = run(["cmake", "--install", BUILD_DIR, "--prefix", cls.prefix])
        if install.returncode != 0:
            raise RuntimeError("cmake --install failed:\n" + install.stdout + install.stderr)
        cls.pipehost = os.path.join(cls.prefix, "bin", "pipehost")
        # Nothing of the build tree or the caller's search paths leaks in.
        cls.env = {k: v for k, v in os.environ.items()
                   if k not in ("PIPEHOST_PLUGIN_PATH", "CMAKE_PREFIX_PATH", "PKG_CONFIG_PATH")}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def build_template(self):
        source = os.path.join(self.dir, "rename_fields")
        shutil.copytree(os.path.join(harness.SOURCE_DIR, "plugin-sdk", "template"), source,
                        ignore=shutil.ignore_patterns("build"))
        build = os.path.join(source, "build")
        configure = run(["cmake", "-S", source, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                         "-DCMAKE_PREFIX_PATH=" + self.prefix], env=self.env)
        self.assertEqual(configure.returncode, 0, configure.stdout + configure.stderr)
        compiled = run(["cmake", "--build", build], env=self.env)
        self.assertEqual(compiled.returncode, 0, compiled.stdout + compiled.stderr)
        return source, build

    def test_template_builds_tests_and_runs_in_a_pipeline(self):
        source, build = self.build_template()
        plugin = os.path.join(build, "rename_fields.so")
        self.assertEqual(exported_symbols(plugin), ["ph_plugin_descriptor"])

        # Its tests: two golden cases through the installed pipehost, one C test.
        tests = run(["ctest", "--test-dir", build, "--output-on-failure"], env=self.env)
        self.assertEqual(tests.returncode, 0, tests.stdout + tests.stderr)
        self.assertIn("100% tests passed, 0 tests failed out of 3", tests.stdout)
        for name in ("golden.rename_fields.rename", "golden.rename_fields.require",
                     "unit.rename_fields"):
            self.assertIn(name, tests.stdout)
        listing = run(["ctest", "--test-dir", build, "-N", "-V"], env=self.env)
        self.assertIn(self.pipehost + ' "test-plugin"', listing.stdout)

        # Its pipeline, with the installed pipehost, against a standalone broker.
        broker = harness.Broker("events:1", "events-renamed:1", "events-dlq:1")
        try:
            payload = "".join(f"{key}\t{value}\n" for key, value in EVENTS).encode()
            subprocess.run(["kcat", "-P", "-b", broker.bootstrap, "-t", "events", "-K", "\t"],
                           input=payload, check=True, timeout=60)
            out = os.path.join(self.dir, "out")
            env = dict(self.env, KAFKA_BROKERS=broker.bootstrap, PIPEHOST_OUT=out)
            result = run([self.pipehost, "run", os.path.join(source, "pipeline.yaml"),
                          "--exit-at-end"], env=env, cwd=source)
            self.assertEqual(result.returncode, 0, result.stderr)
            with open(os.path.join(out, "renamed.jsonl")) as f:
                written = [json.loads(line) for line in f]
            self.assertEqual(written, [value for _, value in RENAMED])
            topic = harness.consume_all(broker.bootstrap, "events-renamed", expected=4)
            self.assertEqual([(m.key().decode(), json.loads(m.value())) for m in topic], RENAMED)
            dead = harness.consume_all(broker.bootstrap, "events-dlq", expected=1)
            self.assertEqual([(m.key(), m.value()) for m in dead],
                             [(b"nokey", b'["not", "an", "object"]')])
            headers = dict(dead[0].headers())
            self.assertEqual(headers["pipehost.error"], b"value is not a JSON object")
            self.assertEqual(headers["pipehost.stage"], b"rename_fields")
        finally:
            self.assertEqual(broker.stop(), 0)

        # Installed to pipehost's prefix, every pipeline finds it by name.
        installed = run(["cmake", "--install", build, "--prefix", self.prefix], env=self.env)
        self.assertEqual(installed.returncode, 0, installed.stderr)
        plugins = run([self.pipehost, "plugins"], env=self.env)
        self.assertRegex(plugins.stdout, r"(?m)^rename_fields\s+processor\s+1\.0\.0\s.*" +
                         os.path.join(self.prefix, "lib", "pipehost", "plugins",
                                      "rename_fields.so") + "$")

    def test_out_of_tree_plugins_build_with_z_defs(self):
        source = os.path.join(self.dir, "undefined")
        os.makedirs(source)
        with open(os.path.join(source, "undefined.c"), "w") as f:
            f.write(UNDEFINED_PLUGIN)
        with open(os.path.join(source, "CMakeLists.txt"), "w") as f:
            f.write(textwrap.dedent("""\
                cmake_minimum_required(VERSION 3.18)
                project(undefined LANGUAGES C)
                find_package(pipehost REQUIRED)
                pipehost_add_plugin(undefined SOURCES undefined.c)
                """))
        build = os.path.join(source, "build")
        configure = run(["cmake", "-S", source, "-B", build,
                         "-DCMAKE_PREFIX_PATH=" + self.prefix], env=self.env)
        self.assertEqual(configure.returncode, 0, configure.stdout + configure.stderr)
        compiled = run(["cmake", "--build", build], env=self.env)
        self.assertNotEqual(compiled.returncode, 0)
        self.assertIn("undefined reference to `not_defined_anywhere'",
                      compiled.stdout + compiled.stderr)

    def test_plugin_built_with_pkg_config_and_gcc(self):
        env = dict(self.env, PKG_CONFIG_PATH=os.path.join(self.prefix, "lib", "pkgconfig"))
        flags = run(["pkg-config", "--cflags", "--libs", "pipehost"], env=env)
        self.assertEqual(flags.returncode, 0, flags.stderr)
        words = flags.stdout.split()
        self.assertIn("-lpipehost_window", words)
        self.assertIn("-ljansson", words)
        include = [w[2:] for w in words if w.startswith("-I")]
        self.assertTrue(any(os.path.isfile(os.path.join(d, "pipehost", "plugin.h"))
                            for d in include), words)
        plugin_flags = []
        for variable in ("plugin_cflags", "plugin_ldflags"):
            value = run(["pkg-config", "--variable=" + variable, "pipehost"], env=env)
            plugin_flags.append(value.stdout.split())
        self.assertEqual(plugin_flags, [["-fPIC", "-fvisibility=hidden"],
                                        ["-shared", "-Wl,-z,defs"]])
        plugin_dir = os.path.join(self.dir, "pc-plugins")
        os.makedirs(plugin_dir, exist_ok=True)
        source = os.path.join(plugin_dir, "value_size.c")
        with open(source, "w") as f:
            f.write(TINY_PLUGIN)
        plugin = os.path.join(plugin_dir, "value_size.so")
        # Exactly what a plugin author types.
        build = run(["sh", "-c", 'gcc -std=c11 -Wall -Wextra -Werror '
                     '$(pkg-config --variable=plugin_cflags pipehost) '
                     '$(pkg-config --cflags pipehost) "$1" '
                     '$(pkg-config --variable=plugin_ldflags pipehost) '
                     '$(pkg-config --libs pipehost) -o "$2"', "sh", source, plugin], env=env)
        self.assertEqual(build.returncode, 0, build.stderr)
        # The helper library went in position-independent and hidden.
        self.assertEqual(exported_symbols(plugin), ["ph_plugin_descriptor"])
        listing = run([self.pipehost, "plugins"], env=dict(env, PIPEHOST_PLUGIN_PATH=plugin_dir))
        self.assertRegex(listing.stdout,
                         r"(?m)^value_size\s+processor\s+0\.1\s+built with pkg-config alone\s+" +
                         plugin + "$")
        values = os.path.join(plugin_dir, "values.jsonl")
        with open(values, "w") as f:
            f.write('{"a": 1}\n"four"\n\n')
        output = run([self.pipehost, "test-plugin", "value_size", "--input", values],
                     env=dict(env, PIPEHOST_PLUGIN_PATH=plugin_dir))
        self.assertEqual(output.returncode, 0, output.stderr)
        self.assertEqual(output.stdout.splitlines(), [
            '{"emit":{"bytes":8},"key":null,"offset":0}',
            '{"emit":{"bytes":6},"key":null,"offset":1}',
            '{"emit":{"bytes":0},"key":null,"offset":2}',
            '{"flush":"final","retain_offset":null}',
        ])
        # The same flags refuse an undefined symbol at link time.
        undefined = os.path.join(plugin_dir, "undefined.c")
        with open(undefined, "w") as f:
            f.write(UNDEFINED_PLUGIN)
        refused = run(["sh", "-c", 'gcc $(pkg-config --variable=plugin_cflags pipehost) '
                       '$(pkg-config --cflags pipehost) "$1" '
                       '$(pkg-config --variable=plugin_ldflags pipehost) '
                       '$(pkg-config --libs pipehost) -o "$2"', "sh", undefined,
                       os.path.join(plugin_dir, "undefined.so")], env=env)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("undefined reference to `not_defined_anywhere'", refused.stderr)


if __name__ == "__main__":
    harness.main()
