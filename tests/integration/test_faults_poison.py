"""Poison records through a json_filter pipeline: malformed JSON, values
of the wrong type, empty and null values (tombstones), values over 1 MB,
binary and invalid UTF-8, huge keys, headers with odd bytes. Each bad
record goes to the dead letter with its reason and source position and
its bytes untouched, every good one comes out, the pipeline keeps going,
and the counts add up: in = out + dead-lettered.

Records over 1 MB: librdkafka's producers refuse values over
message.max.bytes (1,000,000 by default), so the pipeline raises it in
kafka.producer_properties (for the Kafka sink and the dead letter alike),
and so does this test's producer. The consumer needs nothing: a fetch
returns a record larger than its fetch limits whole."""

import json
import re
import shutil
import tempfile
import unittest

import harness

MB = 1 << 20
NOT_JSON = r"^value is not JSON"
NOT_OBJECT = r"^value is not a JSON object$"
ODD_HEADERS = [("\x00nul-name", b"\xff\x00\x01"), ("empty", b""), ("none", None),
               ("latin-\xe9", b"\xc3(")]


def view(n, **extra):
    return json.dumps({"action": "view", "n": n, **extra}).encode()


# (what, key, value, headers, None if it comes out or the reason it is rejected with)
POISON = [
    ("malformed JSON", b"k1", b'{"action": "view",', None, NOT_JSON),
    ("an array", b"k2", b"[1, 2, 3]", None, NOT_OBJECT),
    ("a string", b"k3", b'"view"', None, NOT_OBJECT),
    ("a number", b"k4", b"42", None, NOT_OBJECT),
    ("an empty value", b"k5", b"", None, NOT_JSON),
    ("a tombstone", b"k6", None, None, NOT_JSON),
    ("1.2 MB of JSON", b"k7", view(7, pad="x" * (MB + 200_000)), None, None),
    ("1.1 MB, unterminated", b"k8", b'{"action": "view", "pad": "' + b"y" * (MB + 100_000),
     None, NOT_JSON),
    ("binary", b"k9", bytes(range(256)) * 16, None, NOT_JSON),
    ("invalid UTF-8 in a string", b"k10", b'{"action": "view", "s": "\xff\xfe"}', None, NOT_JSON),
    ("trailing garbage", b"k11", b'{"action": "view"} and more', None, NOT_JSON),
    ("a 200 kB key", b"K" * 200_000, view(12), None, None),
    ("a 200 kB key on bad JSON", b"Q" * 200_000, b"{nope", None, NOT_JSON),
    ("a binary key", bytes(range(256)), view(14), None, None),
    ("headers with odd bytes", b"k15", view(15), ODD_HEADERS, None),
    ("headers with odd bytes on bad JSON", b"k16", b"\x00\x01", ODD_HEADERS, NOT_JSON),
    ("no key", None, view(17), None, None),
    ("no key, bad JSON", None, b"}{", None, NOT_JSON),
]


class PoisonTest(unittest.TestCase):
    def test_poison_records_go_to_the_dead_letter(self):
        broker = harness.Broker("events:1", "out:1", "poison-dlq:1")
        self.addCleanup(broker.stop)
        folder = tempfile.mkdtemp(prefix="pipehost-poison-")
        self.addCleanup(shutil.rmtree, folder)
        # Each poison record is followed by a good one: the pipeline keeps going.
        records = []
        for i, (what, key, value, headers, reason) in enumerate(POISON):
            records.append((what, key, value, headers, reason))
            records.append((f"good record after {what}", f"good{i}".encode(), view(1000 + i),
                            None, None))
        producer = harness.TrackedProducer(broker.bootstrap, "events",
                                           **{"message.max.bytes": 8 * MB})
        for index, (_, key, value, headers, _) in enumerate(records):
            producer.send(index, value, key=key, headers=headers)
        producer.flush()
        offsets = {index: position[1] for index, position in producer.positions.items()}

        path = harness.write_pipeline(folder, f"""
name: poison
kafka:
  brokers: {broker.bootstrap}
  topics: [events]
  properties: {{session.timeout.ms: 6000}}
  producer_properties: {{message.max.bytes: {8 * MB}}}
processors:
  - plugin: json_filter
    config: {{field: action, in: [view]}}
sinks:
  - {{type: kafka, topic: out}}
on_error: dead_letter
dead_letter: {{topic: poison-dlq}}
commit_interval_ms: 500
""")
        result = harness.run_pipehost("run", path, "--exit-at-end", timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])

        expected_out = [(key, value) for _, key, value, _, reason in records if reason is None]
        expected_dlq = {offsets[i]: records[i] for i in range(len(records))
                        if records[i][4] is not None}
        out = harness.consume_all(broker.bootstrap, "out", expected=len(expected_out))
        dlq = harness.consume_all(broker.bootstrap, "poison-dlq", expected=len(expected_dlq))
        figures = {"produced": len(records), "output": len(out), "dead-lettered": len(dlq)}

        # Every good record comes out once, key and value untouched, in order.
        self.assertEqual([(m.key(), m.value()) for m in out], expected_out)
        # Every bad one goes to the dead letter once, bytes untouched, with
        # its reason, stage and source position.
        seen = set()
        for m in dlq:
            headers = {name: value.decode() for name, value in m.headers() or []
                       if name.startswith("pipehost.")}
            offset = int(headers["pipehost.source.offset"])
            self.assertNotIn(offset, seen)
            seen.add(offset)
            what, key, value, _, reason = expected_dlq[offset]
            self.assertEqual((m.key(), m.value()), (key, value), what)
            self.assertRegex(headers["pipehost.error"], reason, what)
            self.assertEqual(headers["pipehost.stage"], "json_filter", what)
            self.assertEqual(headers["pipehost.source.topic"], "events", what)
            self.assertEqual(headers["pipehost.source.partition"], "0", what)
        self.assertEqual(seen, set(expected_dlq))
        # The counts add up, in the topics and in the pipeline's own report.
        report = re.search(r"poison: (\d+) records in, (\d+) out, (\d+) rejected "
                           r"\((\d+) to the dead letter\)", result.stderr)
        self.assertIsNotNone(report, result.stderr[-2000:])
        records_in, records_out, rejected, dead = map(int, report.groups())
        self.assertEqual((records_in, records_out, rejected, dead),
                         (len(records), len(expected_out), len(expected_dlq), len(expected_dlq)))
        self.assertEqual(records_in, records_out + dead)
        figures.update(duplicated=len(out) + len(dlq) - len(records),
                       lost=len(records) - len(out) - len(dlq))
        harness.print_figures("poison records", figures)
        self.assertEqual(harness.committed_offsets(broker.bootstrap, "poison", "events", 1),
                         {0: len(records)})


if __name__ == "__main__":
    harness.main()
