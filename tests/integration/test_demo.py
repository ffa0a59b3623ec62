"""`pipehost demo`, the README's first command, for each use case. The demo
writes its results to SQLite (configs/USE_CASE-sqlite.yaml) and prints a
summary from SQL over those tables. Both are checked against usecase_models
given the same events, which `pipehost produce` (same profile, seed, count,
bad ratio and partitions as the demo) writes to a standalone broker."""

import collections
import os
import re
import shutil
import unittest

import db_tables
import harness
import topic_read
import usecase_models

COUNT = 20000
SEED = 3
PARTITIONS = 12  # the use-case configs' embedded_partitions


def produced_events(profile, topic):
    """(partition, value) of the events the demo produces, in offset order per partition."""
    broker = harness.Broker(f"{topic}:{PARTITIONS}")
    try:
        result = harness.run_pipehost("produce", "--profile", profile, "--brokers",
                                      broker.bootstrap, "--topic", topic, "--count", str(COUNT),
                                      "--seed", str(SEED), "--bad-ratio", "0.01")
        assert result.returncode == 0, result.stderr
        records = topic_read.read_topic(broker.bootstrap, topic, PARTITIONS, COUNT)
    finally:
        broker.stop()
    assert len(records) == COUNT, len(records)
    return records


def table_lines(text, header):
    """The lines of the table under the line starting with header."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(header))
    rows = []
    for line in lines[start + 1:]:
        if not line.startswith("  ") or not line.strip():
            break
        rows.append(line.split())
    return rows


class DemoTest(unittest.TestCase):
    def run_demo(self, use_case):
        result = harness.run_pipehost("demo", use_case, "--count", str(COUNT), "--seed", str(SEED),
                                      timeout=180)
        self.assertEqual(result.returncode, 0, result.stderr)
        m = re.search(r"(\d+) records in [\d.]+ s: (\d+) records/s; (\d+) rejected to \S+; "
                      r"results in (\S+)", result.stdout)
        self.assertIsNotNone(m, result.stdout)
        self.assertEqual(int(m.group(1)), COUNT)
        database = m.group(4)
        self.addCleanup(shutil.rmtree, os.path.dirname(database), True)
        return result.stdout, int(m.group(3)), database

    def test_clickstream(self):
        out, rejected, database = self.run_demo("clickstream")
        expected, model_rejected = usecase_models.clickstream(
            produced_events("clickstream", "clickstream"))
        self.assertEqual(rejected, model_rejected)
        table = db_tables.PAGE_STATS
        got = table.by_key(db_tables.sqlite_rows(database, table))
        self.assertEqual(got, table.by_key(expected.values()))

        # The summary: views per page summed over windows and partitions.
        pages = collections.defaultdict(lambda: [0, 0, 0, 0])
        for row in expected.values():
            sums = pages[row["page"]]
            for i, field in enumerate(("views", "users", "ratings", "rating_sum")):
                sums[i] += row[field]
        self.assertIn(f"{len(expected)} (page, window, partition) rows for {len(pages)} pages", out)
        top = sorted(pages.items(), key=lambda item: (-item[1][0], item[0]))[:10]
        want = [[page, str(v), str(u), str(r), f"{s / r:.2f}" if r else "-"]
                for page, (v, u, r, s) in top]
        self.assertEqual(table_lines(out, "page "), want)
        print(f"clickstream demo: {len(got)} rows equal to the model; top page {top[0][0]} "
              f"with {top[0][1][0]} views")

    def test_iot(self):
        out, rejected, database = self.run_demo("iot")
        rules = [("overheating", "temperature", "above", 30),
                 ("low-pressure", "pressure", "below", 990)]
        stats, alerts, model_rejected = usecase_models.iot(produced_events("iot", "telemetry"),
                                                           rules)
        self.assertEqual(rejected, model_rejected)
        got_alerts = db_tables.ALERTS.by_key(db_tables.sqlite_rows(database, db_tables.ALERTS))
        self.assertEqual(got_alerts, db_tables.ALERTS.by_key(alerts))
        table = db_tables.DEVICE_STATS
        got = table.by_key(db_tables.sqlite_rows(database, table))
        want = table.by_key(stats.values())
        self.assertEqual(sorted(got), sorted(want))
        for key, row in want.items():
            have = dict(got[key])
            for metric in ("temperature", "pressure", "humidity"):
                self.assertAlmostEqual(have[metric].pop("mean"), row[metric]["mean"], places=6)
                row = dict(row, **{metric: {k: v for k, v in row[metric].items() if k != "mean"}})
            self.assertEqual(have, row, key)

        devices = {r["device_id"] for r in stats.values()} | {a["device_id"] for a in alerts}
        alerting = collections.Counter(a["device_id"] for a in alerts)
        self.assertIn(f"{len(devices)} devices, {len(stats)} (device, window) rows in "
                      f"device_stats, {len(alerts)} alerts from {len(alerting)} devices", out)
        top = sorted(alerting.items(), key=lambda item: (-item[1], item[0]))[:10]
        lines = table_lines(out, "device ")
        self.assertEqual([line[:4] for line in lines], [
            [device, str(n)] + [str(sum(1 for a in alerts
                                        if a["device_id"] == device and a["rule"] == rule))
                                for rule in ("overheating", "low-pressure")]
            for device, n in top])
        # Each range is printed "min / mean / max".
        for line in lines:
            windows = [r for r in stats.values() if r["device_id"] == line[0]]
            readings = sum(r["count"] for r in windows)
            for metric, at in (("temperature", 4), ("pressure", 9)):
                low = min(r[metric]["min"] for r in windows)
                mean = sum(r[metric]["mean"] * r["count"] for r in windows) / readings
                high = max(r[metric]["max"] for r in windows)
                self.assertEqual(line[at], f"{low:.1f}")
                self.assertAlmostEqual(float(line[at + 2]), mean, delta=0.051)
                self.assertEqual(line[at + 4], f"{high:.1f}")
        print(f"iot demo: {len(got)} window rows and {len(got_alerts)} alerts equal to the model")

    def test_chat(self):
        out, rejected, database = self.run_demo("chat")
        expected, model_rejected, _ = usecase_models.chat(produced_events("chat", "chat"))
        self.assertEqual(rejected, model_rejected)
        table = db_tables.CONVERSATIONS
        got = table.by_key(db_tables.sqlite_rows(database, table))
        want = table.by_key(expected.values())
        self.assertEqual(sorted(got), sorted(want))
        for key, row in want.items():
            have, row = dict(got[key]), dict(row)
            self.assertAlmostEqual(have.pop("sentiment"), row.pop("sentiment"), places=9)
            self.assertEqual(have, row, key)

        finals = sum(1 for r in expected.values() if r["final"])
        agents = collections.defaultdict(list)
        for row in expected.values():
            for agent in row["agents"]:
                agents[agent].append(row)
        self.assertIn(f"{len(expected)} conversations ({finals} ended, {len(expected) - finals} "
                      f"still open at the end), {len(agents)} agents.", out)
        top = sorted(agents.items(), key=lambda item: (-len(item[1]), item[0]))[:10]
        lines = table_lines(out, "agent ")
        self.assertEqual([line[:2] for line in lines], [[a, str(len(rows))] for a, rows in top])
        for line, (_, rows) in zip(lines, top):
            answered = [r["first_response_s"] for r in rows if r["first_response_s"] is not None]
            self.assertAlmostEqual(float(line[2]), sum(answered) / len(answered), delta=0.051)
            self.assertAlmostEqual(float(line[3]), sum(r["sentiment"] for r in rows) / len(rows),
                                   delta=0.0051)
        topics = collections.Counter(t for r in expected.values() for t in r["topics"])
        self.assertIn("Conversations per topic: " +
                      " ".join(f"{t} {n}" for t, n in sorted(topics.items())), out)
        print(f"chat demo: {len(got)} conversations equal to the model")

    def test_unknown_use_case(self):
        result = harness.run_pipehost("demo", "weather")
        self.assertEqual(result.returncode, 2)
        self.assertIn("unknown use case 'weather'", result.stderr)


if __name__ == "__main__":
    harness.main()
