"""The metrics and health endpoint of `pipehost run`, over real HTTP:
/metrics parsed by a strict Prometheus text-format parser written here and
checked against counts known from what the test produced with kcat;
/health; /ready as partitions are assigned and while one is stalled by a
plugin that sleeps on demand."""

import http.client
import math
import os
import re
import signal
import tempfile
import time
import unittest

import harness
from confluent_kafka import Consumer, TopicPartition

TEST_PLUGINS = os.path.join(os.environ.get("PIPEHOST_BUILD_DIR", "build"), "tests", "plugins")
PARTITIONS = 3
PER_PARTITION = 100
LATE_ON_PARTITION_0 = 2


# ---- a Prometheus text-format (0.0.4) parser ---------------------------------------------

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ExpositionError(Exception):
    pass


def parse_value(text, line_number):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise ExpositionError(f"line {line_number}: '{text}' is not a number")
    return float(text)


def parse_labels(text, at, line_number):
    """Labels from text[at] == '{' to the matching '}': (dict, index after '}')."""
    labels = {}
    at += 1
    while True:
        if text[at:at + 1] == "}":
            return labels, at + 1
        match = LABEL_NAME.match(text, at)
        if not match:
            raise ExpositionError(f"line {line_number}: bad label name at column {at + 1}")
        name = match.group(0)
        at = match.end()
        if text[at:at + 2] != '="':
            raise ExpositionError(f"line {line_number}: label {name} needs =\"")
        at += 2
        value = []
        while True:
            if at >= len(text):
                raise ExpositionError(f"line {line_number}: unterminated label value")
            c = text[at]
            if c == "\\":
                escaped = text[at + 1:at + 2]
                if escaped not in ("\\", '"', "n"):
                    raise ExpositionError(f"line {line_number}: bad escape \\{escaped}")
                value.append("\n" if escaped == "n" else escaped)
                at += 2
            elif c == '"':
                at += 1
                break
            elif c == "\n":
                raise ExpositionError(f"line {line_number}: raw newline in a label value")
            else:
                value.append(c)
                at += 1
        if name in labels:
            raise ExpositionError(f"line {line_number}: label {name} twice")
        labels[name] = "".join(value)
        if text[at:at + 1] == ",":
            at += 1
        elif text[at:at + 1] != "}":
            raise ExpositionError(f"line {line_number}: expected , or }} after a label")


def family_of(sample_name, families):
    """The family a sample belongs to, given the TYPE lines seen."""
    if sample_name in families:
        return sample_name
    for suffix in ("_bucket", "_sum", "_count"):
        base = sample_name[:-len(suffix)]
        if sample_name.endswith(suffix) and families.get(base, {}).get("type") == "histogram":
            return base
    return None


def parse_exposition(text):
    """{family: {"type", "help", "samples": [(name, labels, value)]}}, checking
    the syntax and the rules of the format strictly."""
    if text and not text.endswith("\n"):
        raise ExpositionError("the text must end with a newline")
    families = {}
    finished = set()  # families whose samples are over: no more may follow
    current = None
    seen = set()
    for number, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) < 3 or parts[0] != "#" or parts[1] not in ("HELP", "TYPE"):
                raise ExpositionError(f"line {number}: only HELP and TYPE comments: {line!r}")
            name = parts[2]
            if not METRIC_NAME.fullmatch(name):
                raise ExpositionError(f"line {number}: bad metric name {name!r}")
            family = families.setdefault(name, {"type": None, "help": None, "samples": []})
            if family["samples"] or name in finished:
                raise ExpositionError(f"line {number}: {parts[1]} of {name} after its samples")
            if parts[1] == "HELP":
                if family["help"] is not None:
                    raise ExpositionError(f"line {number}: second HELP for {name}")
                help_text = parts[3] if len(parts) > 3 else ""
                if re.search(r"\\[^\\n]", help_text.replace("\\\\", "")):
                    raise ExpositionError(f"line {number}: bad escape in HELP")
                family["help"] = help_text.replace("\\n", "\n").replace("\\\\", "\\")
            else:
                kind = parts[3] if len(parts) > 3 else ""
                if kind not in TYPES or family["type"] is not None:
                    raise ExpositionError(f"line {number}: bad or second TYPE for {name}")
                family["type"] = kind
            continue
        match = METRIC_NAME.match(line)
        if not match:
            raise ExpositionError(f"line {number}: not a sample: {line!r}")
        sample = match.group(0)
        at = match.end()
        labels = {}
        if line[at:at + 1] == "{":
            labels, at = parse_labels(line, at, number)
        fields = line[at:].split(" ")
        if len(fields) not in (2, 3) or fields[0] != "":
            raise ExpositionError(f"line {number}: expected ' VALUE [TIMESTAMP]': {line!r}")
        value = parse_value(fields[1], number)
        name = family_of(sample, families)
        if name is None or families[name]["type"] is None:
            raise ExpositionError(f"line {number}: sample {sample} without a TYPE")
        if name != current:
            if current is not None:
                finished.add(current)
            if name in finished:
                raise ExpositionError(f"line {number}: samples of {name} are not together")
            current = name
        key = (sample, tuple(sorted(labels.items())))
        if key in seen:
            raise ExpositionError(f"line {number}: duplicate series {key}")
        seen.add(key)
        families[name]["samples"].append((sample, labels, value))
    for name, family in families.items():
        check_family(name, family)
    return families


def check_family(name, family):
    kind = family["type"]
    if kind == "counter":
        for sample, labels, value in family["samples"]:
            if not value >= 0:
                raise ExpositionError(f"counter {sample}{labels} is {value}")
    if kind != "histogram":
        return
    series = {}
    for sample, labels, value in family["samples"]:
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        entry = series.setdefault(rest, {"buckets": [], "sum": None, "count": None})
        if sample == name + "_bucket":
            if "le" not in labels:
                raise ExpositionError(f"{sample} without le")
            entry["buckets"].append((parse_value(labels["le"], 0), value))
        elif sample == name + "_sum":
            entry["sum"] = value
        elif sample == name + "_count":
            entry["count"] = value
        else:
            raise ExpositionError(f"{sample} in histogram {name}")
    for rest, entry in series.items():
        buckets = entry["buckets"]
        if not buckets or buckets[-1][0] != math.inf:
            raise ExpositionError(f"{name}{rest}: the last bucket must be le=\"+Inf\"")
        bounds = [b for b, _ in buckets]
        counts = [c for _, c in buckets]
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise ExpositionError(f"{name}{rest}: le bounds not ascending")
        if counts != sorted(counts):
            raise ExpositionError(f"{name}{rest}: buckets not cumulative")
        if entry["count"] is None or entry["sum"] is None:
            raise ExpositionError(f"{name}{rest}: _sum and _count are required")
        if counts[-1] != entry["count"]:
            raise ExpositionError(f"{name}{rest}: le=\"+Inf\" {counts[-1]} != _count "
                                  f"{entry['count']}")


def value_of(families, sample, **labels):
    name = family_of(sample, families)
    if name is None:
        raise KeyError(sample)
    for s, l, v in families[name]["samples"]:
        if s == sample and l == labels:
            return v
    raise KeyError(f"{sample}{labels}")


# ---- the test ------------------------------------------------------------------------------

def get(port, path, method="GET"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read().decode()
    finally:
        connection.close()


class ParserTest(unittest.TestCase):
    """The parser refuses what the format forbids, so that passing it means something."""

    def test_bad_texts_are_refused(self):
        bad = [
            "x 1\n",                                         # no TYPE
            "# TYPE x gauge\nx 1",                           # no final newline
            "# TYPE x gauge\nx{a=\"\\q\"} 1\n",              # bad escape
            "# TYPE x gauge\nx{a=\"1\",a=\"2\"} 1\n",         # label twice
            "# TYPE x gauge\nx one\n",                       # not a number
            "# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx 2\n",  # not together
            "# TYPE x gauge\nx 1\nx 2\n",                    # duplicate series
            "# TYPE x counter\nx -1\n",                      # negative counter
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",  # no +Inf
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
            "h_sum 1\nh_count 1\n",                          # not cumulative
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",  # +Inf != count
            "# a comment\n",                                 # only HELP and TYPE
        ]
        for text in bad:
            with self.assertRaises(ExpositionError, msg=text):
                parse_exposition(text)
        good = ("# HELP h Help with \\\\ and \\n.\n# TYPE h histogram\n"
                "h_bucket{s=\"a\\\"b\",le=\"0.5\"} 1\nh_bucket{s=\"a\\\"b\",le=\"+Inf\"} 2\n"
                "h_sum{s=\"a\\\"b\"} 3.5\nh_count{s=\"a\\\"b\"} 2\n")
        families = parse_exposition(good)
        self.assertEqual(families["h"]["help"], "Help with \\ and \n.")
        self.assertEqual(value_of(families, "h_count", s='a"b'), 2)


class MetricsEndpointTest(unittest.TestCase):
    def setUp(self):
        self.broker = harness.Broker(f"events:{PARTITIONS}")
        self.addCleanup(self.broker.stop)
        self.dir = tempfile.mkdtemp(prefix="pipehost-metrics-")
        self.log_path = os.path.join(self.dir, "pipehost.log")

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_for(self, what, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            self.assertIsNone(self.proc.poll(), f"pipehost exited waiting for {what}:\n"
                                                f"{self.log_text()}")
            time.sleep(0.2)
        self.fail(f"timed out waiting for {what}:\n{self.log_text()}")

    def start(self):
        path = harness.write_pipeline(self.dir, f"""
name: observed
kafka:
  brokers: {self.broker.bootstrap}
  topics: [events]
  properties: {{session.timeout.ms: 6000, fetch.wait.max.ms: 10}}
plugin_dirs: [{TEST_PLUGINS}]
processors:
  - plugin: sleeper
sinks:
  - {{type: file, path: {self.dir}/out.jsonl}}
http: {{listen: "127.0.0.1:0"}}
stall_after: 2s
commit_interval_ms: 200
""")
        self.log = open(self.log_path, "w")
        self.addCleanup(self.log.close)
        self.proc = harness.start_pipehost("run", path, log=self.log)
        self.addCleanup(lambda: self.proc.poll() is None and self.proc.kill())
        found = self.wait_for("the HTTP endpoint", lambda: re.search(
            r"serving /metrics, /health and /ready on http://127\.0\.0\.1:(\d+)",
            self.log_text()), 20)
        return int(found.group(1))

    def metrics(self, port):
        status, content_type, body = get(port, "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(content_type, "text/plain; version=0.0.4; charset=utf-8")
        return parse_exposition(body)

    def high_watermarks(self):
        consumer = Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": "watermarks"})
        try:
            return {p: consumer.get_watermark_offsets(TopicPartition("events", p), timeout=10)[1]
                    for p in range(PARTITIONS)}
        finally:
            consumer.close()

    def test_metrics_health_ready_and_a_stall(self):
        port = self.start()
        status, _, body = get(port, "/health")
        self.assertEqual((status, body), (200, "alive\n"))
        # Ready once the group assigned the partitions (the first join takes ~3 s).
        self.wait_for("/ready 200", lambda: get(port, "/ready")[0] == 200, 20)
        self.assertEqual(get(port, "/ready")[2], f"ready: {PARTITIONS} partitions assigned\n")
        self.assertEqual(get(port, "/nowhere")[0], 404)
        self.assertEqual(get(port, "/metrics", method="POST")[0], 405)

        for p in range(PARTITIONS):
            harness.kcat_produce(self.broker.bootstrap, "events",
                                 [f"record-{p}-{i}" for i in range(PER_PARTITION)], partition=p)
        harness.kcat_produce(self.broker.bootstrap, "events", ["late"] * LATE_ON_PARTITION_0,
                             partition=0)
        produced = PARTITIONS * PER_PARTITION + LATE_ON_PARTITION_0
        high = self.high_watermarks()
        self.assertEqual(sum(high.values()), produced)

        def caught_up():
            families = self.metrics(port)
            for p in range(PARTITIONS):
                labels = {"topic": "events", "partition": str(p)}
                if (value_of(families, "pipehost_partition_consumer_lag", **labels) != 0 or
                        value_of(families, "pipehost_partition_committed_offset", **labels)
                        != high[p]):
                    return None
            return families

        families = self.wait_for("lag 0 and commits at the high watermarks", caught_up, 30)
        stage = {"stage": "sleeper"}
        self.assertEqual(value_of(families, "pipehost_stage_records_in_total", **stage), produced)
        self.assertEqual(value_of(families, "pipehost_stage_records_out_total", **stage),
                         PARTITIONS * PER_PARTITION)
        self.assertEqual(value_of(families, "pipehost_stage_records_rejected_total", **stage),
                         LATE_ON_PARTITION_0)
        self.assertEqual(value_of(families, "pipehost_stage_records_late_total", **stage),
                         LATE_ON_PARTITION_0)
        self.assertEqual(value_of(families, "pipehost_dead_lettered_total"), LATE_ON_PARTITION_0)
        self.assertEqual(value_of(families, "pipehost_records_consumed_total"), produced)
        self.assertEqual(families["pipehost_stage_process_seconds"]["type"], "histogram")
        calls = value_of(families, "pipehost_stage_process_seconds_count", **stage)
        self.assertGreaterEqual(calls, PARTITIONS)  # at least one batch per partition
        self.assertLessEqual(calls, produced)
        self.assertEqual(value_of(families, "pipehost_assigned_partitions"), PARTITIONS)
        self.assertEqual(value_of(families, "pipehost_rebalances_total", event="assign"), 1)
        self.assertEqual(value_of(families, "pipehost_rebalances_total", event="revoke"), 0)
        self.assertGreaterEqual(value_of(families, "pipehost_commits_total"), 1)
        self.assertEqual(value_of(families, "pipehost_commit_failures_total"), 0)
        self.assertEqual(value_of(families, "pipehost_stalled_partitions"), 0)
        self.assertEqual(len(harness.read_lines(os.path.join(self.dir, "out.jsonl"))),
                         PARTITIONS * PER_PARTITION)

        # A record that makes the plugin sleep 5 s stalls partition 1 after 2 s.
        harness.kcat_produce(self.broker.bootstrap, "events", ["sleep 5000"], partition=1)
        started = time.monotonic()
        self.wait_for("/ready 503", lambda: get(port, "/ready")[0] == 503, 8)
        self.assertGreaterEqual(time.monotonic() - started, 1.5)  # not before stall_after
        self.assertEqual(get(port, "/ready")[2], "not ready: 1 stalled: events[1]\n")
        families = self.metrics(port)
        self.assertEqual(value_of(families, "pipehost_partition_stalled", topic="events",
                                  partition="1"), 1)
        self.assertEqual(value_of(families, "pipehost_partition_stalled", topic="events",
                                  partition="0"), 0)
        self.assertEqual(value_of(families, "pipehost_stalled_partitions"), 1)
        self.assertIn("events[1] is stalled", self.log_text())
        self.assertEqual(get(port, "/health")[0], 200)  # alive all the same

        self.wait_for("/ready 200 again", lambda: get(port, "/ready")[0] == 200, 10)
        families = self.metrics(port)
        self.assertEqual(value_of(families, "pipehost_partition_stalled", topic="events",
                                  partition="1"), 0)
        self.assertIn("events[1] is moving again", self.log_text())

        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=20), 0, self.log_text())


if __name__ == "__main__":
    harness.main()
