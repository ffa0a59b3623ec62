"""postgres_sink against a real PostgreSQL server (Debian's, started here as
a private instance: pg_server.py): the clickstream table equals
usecase_models' rows, and running the same input again leaves the same
rows; values of every type, and text that COPY must escape, arrive exactly
by either write method; a server restart while records flow loses nothing;
an outage longer than reconnect_timeout fails the pipeline without
committing, and a rerun completes the table. The conninfo's password never
appears in the output."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import db_tables
import harness
import pg_server

CONFIGS = os.path.join(harness.SOURCE_DIR, "configs")
SECRET = "pw-Zq81xK"  # in every conninfo; the server (trust) never asks for it
SERVER = None


def setUpModule():
    global SERVER
    if not pg_server.available():
        raise unittest.SkipTest(f"no PostgreSQL server binaries in {pg_server.BIN}")
    SERVER = pg_server.PostgresServer(durable=False)


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def sink_yaml(table, method="copy", extra=""):
    """A postgres_sink entry of `sinks:`; the conninfo comes from the environment."""
    return (f"  - plugin: postgres_sink\n    name: {table.name}_{method}\n"
            f"    config: {{conninfo: \"${{PG_CONNINFO}}\", write_method: {method}, "
            f"{table.sink_config()}{extra}}}\n")


def row_count(table):
    return int(SERVER.psql(f'SELECT count(*) FROM "{table}"')[0][0])


class PostgresSinkTest(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="pipehost-pg-test-")
        self.addCleanup(shutil.rmtree, self.folder, True)
        self.env = {"PG_CONNINFO": SERVER.conninfo(password=SECRET)}

    def run_pipeline(self, path, env, expect=0):
        result = harness.run_pipehost("run", path, "--exit-at-end", env={**self.env, **env},
                                      timeout=120)
        self.assertEqual(result.returncode, expect, result.stderr[-3000:])
        self.assertNotIn(SECRET, result.stdout + result.stderr)
        return result.stderr

    def test_clickstream_table_equals_the_model_and_replays_in_place(self):
        partitions = 12
        count = 20000
        broker, want, rejected = db_tables.clickstream_backlog(self, partitions, count, seed=5)
        table = db_tables.PAGE_STATS

        # The SQLite variant with its sink swapped for postgres_sink.
        with open(os.path.join(CONFIGS, "clickstream-sqlite.yaml")) as f:
            text = f.read()
        sqlite_sink = text[text.index("  - plugin: sqlite_sink"):text.index("on_error:")]
        env = {"KAFKA_BROKERS": broker.bootstrap}
        for group, method in (("clickstream-pg", "copy"), ("clickstream-pg-replay", "insert")):
            pipeline = harness.write_pipeline(self.folder, text.replace(
                sqlite_sink, sink_yaml(table, method)).replace(
                "group: clickstream-analytics", f"group: {group}"), f"{group}.yaml")
            log = self.run_pipeline(pipeline, env)
            self.assertRegex(log, rf"{count} records in, \d+ out, {rejected} rejected")
            got = table.by_key(db_tables.postgres_rows(SERVER, table))
            self.assertEqual(got, want, method)
        print(f"clickstream into PostgreSQL: {len(want)} rows equal to the model, written by COPY "
              f"and again over themselves by INSERT (a replay of all {count} events)")

    def test_every_type_and_escape_arrives_exactly(self):
        broker = harness.Broker("typed:2", "typed-dlq:2")
        self.addCleanup(broker.stop)
        table = db_tables.Table("typed", [("id", "text"), ("n", "integer"), ("x", "real"),
                                          ("ok", "boolean"), ("doc", "json"), ("s", "text")],
                                ["id"])
        tricky = ("tab\there new\nline cr\rx back\\slash \\N quote'\" "
                  "\u00fcn\u00efc\u00f6d\u00e9 \u2713")
        rows = [
            {"id": "plain", "n": 9007199254740993, "x": 0.1, "ok": True,
             "doc": {"k": [1, 2.5, None, "t\tn\n\\"]}, "s": tricky},
            {"id": "\\N", "n": -9223372036854775808, "x": 1e-300, "ok": False, "doc": "str",
             "s": ""},
            {"id": "tab\tkey", "n": 9223372036854775807, "x": 1.7976931348623157e308, "doc": 5},
            {"id": "", "x": -2.5, "doc": [], "s": "\\\\"},
            {"id": "nulls"},
            {"id": "dup", "n": 1, "s": "first"},
            {"id": "dup", "n": 2, "s": "second"},  # the same key again: the latest wins
        ]
        lines = [json.dumps(r) for r in rows]
        harness.kcat_produce(broker.bootstrap, "typed", lines, partition=0)
        sinks = sink_yaml(table, "copy").replace("table: typed", "table: typed_copy") + \
            sink_yaml(table, "insert").replace("table: typed", "table: typed_insert")
        pipeline = harness.write_pipeline(self.folder, f"""
name: typed
kafka: {{brokers: {broker.bootstrap}, topics: [typed]}}
sinks:
{sinks}""")
        self.run_pipeline(pipeline, {})
        # The latest row of each key (dict order: a later row replaces an earlier one).
        want = {(r["id"],): table.project(r) for r in rows}
        for name in ("typed_copy", "typed_insert"):
            got = table.by_key(db_tables.postgres_rows(SERVER, db_tables.Table(
                name, table.columns, table.keys)))
            self.assertEqual(got, want, name)
        types = SERVER.psql("SELECT column_name, data_type, is_nullable FROM "
                            "information_schema.columns WHERE table_name = 'typed_copy' "
                            "ORDER BY ordinal_position")
        self.assertEqual(types, [("id", "text", "NO"), ("n", "bigint", "YES"),
                                 ("x", "double precision", "YES"), ("ok", "boolean", "YES"),
                                 ("doc", "jsonb", "YES"), ("s", "text", "YES")])

    def test_server_restart_mid_run_loses_nothing(self):
        partitions = 4
        broker = harness.Broker(f"events:{partitions}", f"events-dlq:{partitions}")
        self.addCleanup(broker.stop)
        count = 4000
        table = db_tables.Table("events", [("id", "integer"), ("grp", "integer"), ("v", "real"),
                                           ("s", "text")], ["id"])
        source = os.path.join(self.folder, "events.jsonl")
        with open(source, "w") as f:
            for i in range(count):
                f.write(f'{{"id": {i}, "grp": {i % 7}, "v": {i * 0.25}, "s": "r\\t{i}"}}\n')
        pipeline = harness.write_pipeline(self.folder, f"""
name: events
kafka: {{brokers: {broker.bootstrap}, topics: [events]}}
sinks:
{sink_yaml(table, "copy")}
commit_interval_ms: 100
""")
        log_path = os.path.join(self.folder, "pipeline.log")
        with open(log_path, "w") as log:
            pipeline_proc = harness.start_pipehost("run", pipeline, env=self.env, log=log)
        producer = None
        try:
            producer = subprocess.Popen(
                [harness.PIPEHOST, "produce", "--from-file", source, "--key-field", "id",
                 "--brokers", broker.bootstrap, "--topic", "events", "--rate", "1000"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            started = pg_server.wait_until(
                lambda: _table_exists("events") and row_count("events") > count // 5, 30)
            self.assertTrue(started, "no rows arrived before the restart")
            before = row_count("events")
            SERVER.stop(mode="fast")  # ends every session: the sink sees the server go away
            time.sleep(1.0)
            SERVER.start()
            _, produce_err = producer.communicate(timeout=60)
            self.assertEqual(producer.returncode, 0, produce_err)
            done = pg_server.wait_until(lambda: row_count("events") == count, 60)
            self.assertTrue(done, f"{row_count('events')} of {count} rows")
            pipeline_proc.send_signal(signal.SIGTERM)
            self.assertEqual(pipeline_proc.wait(timeout=60), 0)
        finally:
            for proc in (producer, pipeline_proc):
                if proc is not None and proc.poll() is None:
                    proc.kill()
                    proc.wait()
            pipeline_proc.stdout.close()
        with open(log_path) as f:
            log = f.read()
        self.assertNotIn(SECRET, log)
        self.assertIn("password=***", log)
        self.assertRegex(log, r"reconnected; wrote \d+ rows to events after \d+ failed attempts")
        self.assertLess(before, count, "the restart came after the last record")
        got = sorted(db_tables.postgres_rows(SERVER, table), key=lambda r: r["id"])
        self.assertEqual(got, [{"id": i, "grp": i % 7, "v": i * 0.25, "s": f"r\t{i}"}
                               for i in range(count)])
        reconnects = re.findall(r"after (\d+) failed attempts", log)
        print(f"restart mid-run: {before} of {count} rows in before the restart; all {count} "
              f"exact after it ({len(reconnects)} flushes reconnected)")

    def test_outage_beyond_the_timeout_commits_nothing_then_a_rerun_completes(self):
        partitions = 2
        broker = harness.Broker(f"outage:{partitions}", f"outage-dlq:{partitions}")
        self.addCleanup(broker.stop)
        table = db_tables.Table("outage", [("id", "integer"), ("v", "text")], ["id"])
        first = [f'{{"id": {i}, "v": "a{i}"}}' for i in range(300)]
        second = [f'{{"id": {i}, "v": "b{i}"}}' for i in range(200, 500)]
        pipeline = harness.write_pipeline(self.folder, f"""
name: outage
kafka:
  brokers: {broker.bootstrap}
  group: outage
  topics: [outage]
  # The failed run leaves no member behind for long: the rerun joins at once.
  properties: {{session.timeout.ms: 6000}}
sinks:
{sink_yaml(table, "insert", ", reconnect_timeout: 1s")}
commit_interval_ms: 100
""")
        log_path = os.path.join(self.folder, "pipeline.log")
        with open(log_path, "w") as log:
            proc = harness.start_pipehost("run", pipeline, env=self.env, log=log)
        try:
            harness.kcat_produce(broker.bootstrap, "outage", first, key_field="id")
            self.assertTrue(pg_server.wait_until(
                lambda: _table_exists("outage") and row_count("outage") == 300, 30))
            committed = pg_server.wait_until(lambda: sum(
                max(o, 0) for o in harness.committed_offsets(
                    broker.bootstrap, "outage", "outage", partitions).values()) == 300, 20)
            self.assertTrue(committed, "the first records were not committed")
            SERVER.stop(mode="fast")
            harness.kcat_produce(broker.bootstrap, "outage", second, key_field="id")
            self.assertEqual(proc.wait(timeout=60), 1)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            if not SERVER.running:
                SERVER.start()
        with open(log_path) as f:
            log = f.read()
        self.assertNotIn(SECRET, log)
        self.assertRegex(log, r"still failing after [\d.]+ s \(\d+ attempts\), \d+ rows for outage "
                              r"are not written and nothing of them is committed")
        # Nothing of the second batch was committed...
        offsets = harness.committed_offsets(broker.bootstrap, "outage", "outage", partitions)
        self.assertEqual(sum(max(o, 0) for o in offsets.values()), 300)
        self.assertEqual(row_count("outage"), 300)
        # ...so a rerun of the same group writes it.
        self.run_pipeline(pipeline, {})
        got = SERVER.psql('SELECT id, v FROM "outage" ORDER BY id')
        self.assertEqual(got, [(str(i), f"a{i}" if i < 200 else f"b{i}") for i in range(500)])

    def test_unreachable_server_stops_at_start_without_the_password(self):
        pipeline = harness.write_pipeline(self.folder, """
name: nowhere
kafka: {brokers: embedded, topics: [t]}
sinks:
  - plugin: postgres_sink
    config: {conninfo: "${PG_CONNINFO}", table: t, key_columns: [a], columns: {a: text}}
""")
        env = {"PG_CONNINFO": f"host=127.0.0.1 port={pg_server.free_port()} user=u "
                              f"password={SECRET} connect_timeout=5"}
        result = harness.run_pipehost("run", pipeline, "--exit-at-end", env=env, timeout=60)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertNotIn(SECRET, result.stdout + result.stderr)
        self.assertRegex(result.stderr, r"cannot connect to user=u password=\*\*\* "
                                        r"connect_timeout=5 host=127.0.0.1 port=\d+: "
                                        r".*Connection refused")


def _table_exists(name):
    return SERVER.psql(f"SELECT to_regclass('{name}') IS NOT NULL")[0][0] == "t"


if __name__ == "__main__":
    harness.main()
