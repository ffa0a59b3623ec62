"""The tables the database sinks write for the use cases (as
configs/*-sqlite.yaml define them), read back from SQLite or PostgreSQL
into the shape usecase_models gives results in, so that a table can be
compared with the model row by row."""

import json
import sqlite3

import harness
import topic_read
import usecase_models


class Table:
    def __init__(self, name, columns, keys):
        self.name = name
        self.columns = columns  # [(name, type)] with the sinks' types
        self.keys = keys

    def sink_config(self):
        """table, key_columns and columns of a sink's config, as YAML flow text."""
        columns = ", ".join(f"{name}: {kind}" for name, kind in self.columns)
        return f"table: {self.name}, key_columns: [{', '.join(self.keys)}], columns: {{{columns}}}"

    def project(self, row):
        """A result row (a model's or a sink's) restricted to the table's columns."""
        return {name: row.get(name) for name, _ in self.columns}

    def by_key(self, rows):
        """{key tuple: row projected on the columns}; fails on a repeated key."""
        keyed = {}
        for row in rows:
            key = tuple(row[k] for k in self.keys)
            assert key not in keyed, f"{self.name}: key {key} twice"
            keyed[key] = self.project(row)
        return keyed


PAGE_STATS = Table("page_stats", [
    ("page", "text"), ("window_start", "text"), ("window_end", "text"), ("partition", "integer"),
    ("events", "integer"), ("views", "integer"), ("users", "integer"), ("ratings", "integer"),
    ("rating_sum", "integer"), ("final", "boolean")], ["page", "window_start", "partition"])

DEVICE_STATS = Table("device_stats", [
    ("device_id", "text"), ("window_start", "text"), ("window_end", "text"), ("count", "integer"),
    ("temperature", "json"), ("pressure", "json"), ("humidity", "json"), ("final", "boolean")],
    ["device_id", "window_start"])

ALERTS = Table("alerts", [
    ("device_id", "text"), ("ts", "text"), ("rule", "text"), ("metric", "text"),
    ("value", "real"), ("threshold", "real")], ["device_id", "ts", "rule"])

CONVERSATIONS = Table("conversations", [
    ("conversation_id", "text"), ("started", "text"), ("ended", "text"), ("messages", "json"),
    ("agents", "json"), ("first_response_s", "real"), ("avg_response_s", "real"),
    ("duration_s", "real"), ("sentiment", "real"), ("topics", "json"), ("final", "boolean")],
    ["conversation_id"])


def sqlite_rows(path, table):
    """Every row of table in the SQLite file at path, as dicts: booleans
    (stored 0 and 1) as bool, json columns parsed."""
    names = [name for name, _ in table.columns]
    quoted = ", ".join(f'"{name}"' for name in names)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        fetched = db.execute(f'SELECT {quoted} FROM "{table.name}"').fetchall()
    rows = []
    for values in fetched:
        row = {}
        for (name, kind), value in zip(table.columns, values):
            if value is not None and kind == "boolean":
                assert value in (0, 1), f"{table.name}.{name} = {value!r}"
                value = bool(value)
            elif value is not None and kind == "json":
                value = json.loads(value)
            row[name] = value
        rows.append(row)
    return rows


def postgres_rows(server, table):
    """Every row of table on server (pg_server.PostgresServer), as dicts:
    PostgreSQL's own JSON of each row, so types come back as stored."""
    quoted = ", ".join(f'"{name}"' for name, _ in table.columns)
    lines = server.psql(f'SELECT row_to_json(t)::text FROM (SELECT {quoted} FROM "{table.name}") t')
    return [json.loads(line[0]) for line in lines]


def clickstream_backlog(test, partitions, count, seed):
    """A standalone broker (stopped with the test) holding `count`
    clickstream events, 2% of them malformed, from `pipehost produce`:
    (broker, the PAGE_STATS rows usecase_models expects by key, the number
    of records the model rejects)."""
    broker = harness.Broker(f"clickstream:{partitions}", f"page-stats:{partitions}",
                            f"clickstream-dlq:{partitions}")
    test.addCleanup(broker.stop)
    produced = harness.run_pipehost("produce", "--profile", "clickstream", "--brokers",
                                    broker.bootstrap, "--topic", "clickstream", "--count",
                                    str(count), "--seed", str(seed), "--bad-ratio", "0.02")
    test.assertEqual(produced.returncode, 0, produced.stderr)
    events = topic_read.read_topic(broker.bootstrap, "clickstream", partitions, count)
    test.assertEqual(len(events), count)
    expected, rejected = usecase_models.clickstream(events)
    return broker, PAGE_STATS.by_key(expected.values()), rejected
