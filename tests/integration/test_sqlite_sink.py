"""sqlite_sink in real pipelines: configs/clickstream-sqlite.yaml against a
standalone broker must leave exactly the rows usecase_models computes from
the same input, and running the same input again (a new group replays it
all) must leave the same rows; records the sink refuses reach the dead
letter with the reason."""

import os
import re
import shutil
import sqlite3
import tempfile
import unittest

import db_tables
import harness
import topic_read

CONFIGS = os.path.join(harness.SOURCE_DIR, "configs")
PARTITIONS = 12


def rejected_count(log):
    m = re.search(r"records in, \d+ out, (\d+) rejected", log)
    assert m, log[-2000:]
    return int(m.group(1))


class SqliteSinkTest(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="pipehost-sqlite-")
        self.addCleanup(shutil.rmtree, self.folder, True)

    def run_pipeline(self, path, env):
        result = harness.run_pipehost("run", path, "--exit-at-end", env=env, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        return result.stderr

    def test_clickstream_table_equals_the_model_and_replays_in_place(self):
        count = 20000
        broker, want, rejected = db_tables.clickstream_backlog(self, PARTITIONS, count, seed=11)
        table = db_tables.PAGE_STATS

        env = {"KAFKA_BROKERS": broker.bootstrap, "PIPEHOST_OUT": self.folder}
        config = os.path.join(CONFIGS, "clickstream-sqlite.yaml")
        log = self.run_pipeline(config, env)
        self.assertEqual(rejected_count(log), rejected)
        database = os.path.join(self.folder, "clickstream.db")
        first = table.by_key(db_tables.sqlite_rows(database, table))
        self.assertEqual(first, want)

        # The same input again, from the start: every row is written again
        # over itself.
        with open(config) as f:
            text = f.read()
        self.assertIn("group: clickstream-analytics\n", text)
        replay = harness.write_pipeline(self.folder, text.replace(
            "group: clickstream-analytics\n", "group: clickstream-replay\n"), "replay.yaml")
        log = self.run_pipeline(replay, env)
        self.assertRegex(log, rf"{count} records in, \d+ out")
        again = table.by_key(db_tables.sqlite_rows(database, table))
        self.assertEqual(again, want)
        with sqlite3.connect(database) as db:
            self.assertEqual(db.execute("PRAGMA journal_mode").fetchone()[0], "wal")
        views = sum(row["views"] for row in want.values())
        print(f"clickstream into SQLite: {len(want)} rows, {views} views, {rejected} rejected, "
              f"equal to the model; the same after a replay of all {count} events")

    def test_refused_records_reach_the_dead_letter(self):
        broker = harness.Broker("readings:1", "readings-dlq:1")
        self.addCleanup(broker.stop)
        lines = [
            '{"id": "a", "n": 1, "x": 0.5, "ok": true, "tags": ["p", "q"]}',
            '{"id": "b", "n": 2}',
            '{"n": 3}',
            '{"id": "c", "n": "four"}',
            '{"id": "d", "x": "half"}',
            '{"id": "e", "ok": 1}',
            '{"id": "a", "n": 10, "x": 1.5}',
            'not json',
            '{"kind": "other", "id": "z"}',
        ]
        harness.kcat_produce(broker.bootstrap, "readings", lines)
        database = os.path.join(self.folder, "readings.db")
        pipeline = harness.write_pipeline(self.folder, f"""
name: readings
kafka: {{brokers: {broker.bootstrap}, topics: [readings]}}
sinks:
  - plugin: sqlite_sink
    config:
      path: {database}
      table: readings
      key_columns: [id]
      columns: {{id: text, n: integer, x: real, ok: boolean, tags: json}}
      where: {{kind: null}}
on_error: dead_letter
""")
        self.run_pipeline(pipeline, {})
        with sqlite3.connect(database) as db:
            rows = db.execute("SELECT id, n, x, ok, tags FROM readings ORDER BY id").fetchall()
        # The latest record of "a" replaced the first; "z" is not matched by where.
        self.assertEqual(rows, [("a", 10, 1.5, None, None), ("b", 2, None, None, None)])
        # Waits for a sixth, to see that there is none.
        dead = topic_read.read_messages(broker.bootstrap, "readings-dlq", 1, 6, timeout=2)
        reasons = [(m.value().decode(), dict(m.headers())["pipehost.error"].decode())
                   for m in dead]
        self.assertEqual(reasons[:4], [
            ('{"n": 3}', "missing key field 'id'"),
            ('{"id": "c", "n": "four"}', "field 'n' must be an integer"),
            ('{"id": "d", "x": "half"}', "field 'x' must be a number"),
            ('{"id": "e", "ok": 1}', "field 'ok' must be true or false"),
        ])
        self.assertEqual(reasons[4][0], "not json")
        self.assertTrue(reasons[4][1].startswith("value is not JSON"), reasons[4][1])
        self.assertEqual(len(dead), 5)

    def test_bad_table_name_stops_before_consuming(self):
        pipeline = harness.write_pipeline(self.folder, f"""
name: bad
kafka: {{brokers: embedded, topics: [t]}}
sinks:
  - plugin: sqlite_sink
    config: {{path: {self.folder}/x.db, table: "drop table", key_columns: [a],
              columns: {{a: text}}}}
""")
        result = harness.run_pipehost("run", pipeline, "--exit-at-end", timeout=60)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("table: name 'drop table' is not a plain identifier: use letters, digits "
                      "and '_', not starting with a digit, at most 63 characters", result.stderr)


if __name__ == "__main__":
    harness.main()
