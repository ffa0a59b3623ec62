"""Each use case end to end: `pipehost produce` writes synthetic events
(malformed ones among them) into 12 partitions of a standalone broker,
`pipehost run configs/USE_CASE.yaml --exit-at-end` processes them, and the
results must equal what usecase_models computes from the same input, read
back from the topic by an outside client."""

import collections
import json
import os
import tempfile
import unittest

import harness
import usecase_models
from confluent_kafka import Consumer

CONFIGS = os.path.join(harness.SOURCE_DIR, "configs")


def read_topic(bootstrap, topic, count):
    """(partition, offset, value) of `count` records, in offset order per partition."""
    records = harness.consume_all(bootstrap, topic, expected=count, timeout=60)
    rows = sorted((m.partition(), m.offset(), m.value() or b"") for m in records)
    return rows


def latest_per_key(rows, key_of):
    latest = {}
    for row in rows:
        latest[key_of(row)] = row
    return latest


class UseCaseTest(unittest.TestCase):
    def run_use_case(self, config, profile, topic, count, sink_file, outputs, dlq):
        broker = harness.Broker(f"{topic}:12", f"{outputs}:12", f"{dlq}:12")
        self.addCleanup(broker.stop)
        out_dir = tempfile.mkdtemp(prefix="pipehost-usecase-")
        produced = harness.run_pipehost("produce", "--profile", profile, "--brokers",
                                        broker.bootstrap, "--topic", topic, "--count", str(count),
                                        "--seed", "11", "--bad-ratio", "0.02")
        self.assertEqual(produced.returncode, 0, produced.stderr)
        env = {"KAFKA_BROKERS": broker.bootstrap, "PIPEHOST_OUT": out_dir}
        result = harness.run_pipehost("run", os.path.join(CONFIGS, config), "--exit-at-end",
                                      env=env, timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr)
        inputs = read_topic(broker.bootstrap, topic, count)
        self.assertEqual(len(inputs), count, "the broker trimmed input: use more partitions")
        written = [json.loads(line) for line in harness.read_lines(os.path.join(out_dir, sink_file))]
        dead = harness.consume_all(broker.bootstrap, dlq, timeout=10)
        published = harness.consume_all(broker.bootstrap, outputs, expected=len(written), timeout=60)
        return inputs, written, dead, published

    def test_clickstream(self):
        inputs, written, dead, published = self.run_use_case(
            "clickstream.yaml", "clickstream", "clickstream", 60000, "page-stats.jsonl",
            "page-stats", "clickstream-dlq")
        expected, rejected = usecase_models.clickstream([(p, v) for p, _, v in inputs])
        key_of = lambda r: f"{r['page']}|{r['window_start']}|{r['partition']}"
        got = latest_per_key(written, key_of)
        self.assertEqual(len(got), len(expected))
        self.assertEqual(got, expected)
        self.assertEqual(len(dead), rejected)
        # The Kafka sink carries the same rows, keyed PAGE|WINDOW_START|PARTITION.
        by_key = {m.key().decode(): json.loads(m.value()) for m in
                  sorted(published, key=lambda m: (m.partition(), m.offset()))}
        self.assertEqual(by_key, expected)
        views = sum(r["views"] for r in expected.values())
        print(f"clickstream: {len(inputs)} events, {len(expected)} (page, window, partition) "
              f"rows, {views} views, {rejected} rejected: all equal to the model")

    def assert_stats_equal(self, got, expected):
        """Equal, means within rounding: summation order is the plugin's own."""
        self.assertEqual(sorted(got), sorted(expected))
        for key, want in expected.items():
            have = got[key]
            for metric in ("temperature", "pressure", "humidity"):
                self.assertAlmostEqual(have[metric].pop("mean"), want[metric]["mean"], places=6,
                                       msg=key)
                want = dict(want, **{metric: {k: v for k, v in want[metric].items() if k != "mean"}})
            self.assertEqual(have, want, key)

    def test_iot(self):
        inputs, written, dead, published = self.run_use_case(
            "iot.yaml", "iot", "telemetry", 60000, "device-stats.jsonl", "device-stats",
            "telemetry-dlq")
        rules = [("overheating", "temperature", "above", 30), ("low-pressure", "pressure", "below", 990)]
        expected_stats, expected_alerts, rejected = usecase_models.iot(
            [(p, v) for p, _, v in inputs], rules)
        stats = latest_per_key([r for r in written if r["type"] == "stats"],
                               lambda r: f"{r['device_id']}|{r['window_start']}")
        alerts = [r for r in written if r["type"] == "alert"]
        self.assertGreater(len(expected_alerts), 10, "the generated data should cross thresholds")
        key = lambda a: (a["device_id"], a["ts"], a["rule"], a["value"])
        self.assertEqual(sorted(alerts, key=key), sorted(expected_alerts, key=key))
        self.assert_stats_equal(stats, expected_stats)
        self.assertEqual(len(dead), rejected)
        print(f"iot: {len(inputs)} readings, {len(expected_stats)} (device, window) rows, "
              f"{len(expected_alerts)} alerts, {rejected} rejected: all equal to the model")

    def assert_conversations_equal(self, got, expected):
        """Equal; sentiment within rounding, as the division is the plugin's own."""
        self.assertEqual(sorted(got), sorted(expected))
        for key, want in expected.items():
            have = dict(got[key])
            want = dict(want)
            self.assertAlmostEqual(have.pop("sentiment"), want.pop("sentiment"), places=9, msg=key)
            self.assertEqual(have, want, key)

    def test_chat(self):
        inputs, written, dead, published = self.run_use_case(
            "chat.yaml", "chat", "chat", 60000, "conversations.jsonl", "conversations",
            "chat-dlq")
        expected, rejected, reasons = usecase_models.chat(
            [(p, v) for p, _, v in inputs], session_gap_ms=30 * 60000, lateness_ms=10000)
        got = latest_per_key(written, lambda r: r["conversation_id"])
        self.assert_conversations_equal(got, expected)
        self.assertEqual(len(dead), rejected)
        # Each dead letter names the reason; the parser's message after "value is not JSON" is
        # jansson's own.
        got_reasons = collections.Counter(
            dict(m.headers())["pipehost.error"].decode().split(": ")[0] for m in dead)
        self.assertEqual(got_reasons, reasons)
        # The Kafka sink carries the same rows, keyed by conversation_id.
        by_key = {m.key().decode(): json.loads(m.value()) for m in
                  sorted(published, key=lambda m: (m.partition(), m.offset()))}
        self.assert_conversations_equal(by_key, expected)
        finals = sum(1 for r in expected.values() if r["final"])
        messages = sum(sum(r["messages"].values()) for r in expected.values())
        print(f"chat: {len(inputs)} events, {len(written)} summaries, {len(expected)} "
              f"conversations ({finals} final, {len(expected) - finals} open at the end), "
              f"{messages} messages in the latest summaries, {rejected} rejected "
              f"({reasons['late event']} late): all equal to the model")


if __name__ == "__main__":
    harness.main()
