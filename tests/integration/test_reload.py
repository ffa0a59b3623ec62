"""Hot reload end to end, each against a running producer: an edit of a
watched pipeline file switches the chain at a flush boundary without a
rebalance, every record's effect exactly once; a broken edit is reported
with FILE:LINE:COL and changes nothing; a plugin .so replaced on disk is
loaded anew on SIGHUP; a change of topics resubscribes and loses nothing; a change of Kafka
properties starts a new consumer in the same group, which goes on from the
commits.

Records are {"seq": N, "kind": "a"|"b"}, produced to partition N % P so
that each partition's input, in order, is known without pipehost. The
tagger test plugin adds "version" (its build) and "label" (its config) to
every record: which chain handled a record is in the output."""

import collections
import json
import os
import shutil
import signal
import tempfile
import threading
import time
import unittest

import harness
from confluent_kafka import Consumer, Producer, TopicPartition

BUILD_DIR = os.environ.get("PIPEHOST_BUILD_DIR", "build")
TAGGER_V1 = os.path.join(BUILD_DIR, "tests", "plugins", "tagger-v1")
TAGGER_V2 = os.path.join(BUILD_DIR, "tests", "plugins", "tagger-v2")
TEST_PLUGINS = os.path.join(BUILD_DIR, "tests", "plugins")  # group_counter
PARTITIONS = 4
RATE = 400  # records per second, per producer


def kind_of(seq):
    return "b" if seq % 3 == 0 else "a"


class SteadyProducer:
    """Produces {"seq", "kind"} records to topic, seq N to partition N % P,
    at RATE per second from a thread, until stopped."""

    def __init__(self, bootstrap, topic, first_seq=0, partitions=PARTITIONS):
        self.topic = topic
        self.partitions = partitions
        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
        self.next_seq = first_seq
        self.first_seq = first_seq
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        started = time.monotonic()
        while not self.stopping.is_set():
            due = self.first_seq + int((time.monotonic() - started) * RATE) + 1
            while self.next_seq < due:
                seq = self.next_seq
                value = json.dumps({"seq": seq, "kind": kind_of(seq)}, separators=(",", ":"))
                self.producer.produce(self.topic, value=value.encode(),
                                      partition=seq % self.partitions)
                self.next_seq += 1
            self.producer.poll(0)
            time.sleep(0.02)

    def stop(self):
        """Stop and wait for delivery; returns the seqs produced per partition."""
        if self.stopping.is_set():
            return None
        self.stopping.set()
        self.thread.join()
        left = self.producer.flush(30)
        if left:
            raise RuntimeError(f"{left} records were not delivered")
        by_partition = collections.defaultdict(list)
        for seq in range(self.first_seq, self.next_seq):
            by_partition[seq % self.partitions].append(seq)
        return by_partition


def high_watermarks(bootstrap, topic):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"hw-{time.time_ns()}"})
    try:
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in range(PARTITIONS)}
    finally:
        consumer.close()


class ReloadTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = harness.Broker("grouped:1", *(f"{t}:{PARTITIONS}" for t in
                                                   ("watched", "hup", "plugged", "old-topic",
                                                    "new-topic", "rejoined")))

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pipehost-reload-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.out = os.path.join(self.dir, "out.jsonl")
        self.log_path = os.path.join(self.dir, "run.log")

    # ---- helpers ----------------------------------------------------------

    def pipeline(self, name, middle, topic=None, properties="{fetch.wait.max.ms: 10}", tail=""):
        """A pipeline file: NAME reading TOPIC (default NAME) from the test's
        broker with PROPERTIES, MIDDLE (plugin_dirs and processors), the
        file sink, a 200 ms commit interval, then TAIL."""
        return (f"name: {name}\nkafka:\n  brokers: {self.broker.bootstrap}\n"
                f"  topics: [{topic or name}]\n  properties: {properties}\n{middle}"
                f"sinks:\n  - {{type: file, path: {self.out}}}\ncommit_interval_ms: 200\n{tail}")

    # The embedded broker keeps a member that left until its session times
    # out, and holds a rejoin until session.timeout.ms - 1 s: a short
    # session lets a new consumer or a resubscription come in soon.
    QUICK_REJOIN = "{fetch.wait.max.ms: 10, session.timeout.ms: 6000, heartbeat.interval.ms: 500}"

    def run_flowing(self, pipeline, group, topic=None, partitions=PARTITIONS, first_output=100):
        """Write and run pipeline in group, wait for its partitions of TOPIC
        (default the group's name), start a producer and wait for the first
        output: the producer."""
        topic = topic or group
        self.write(pipeline)
        self.start(group)
        self.wait_for_log(f"assigned {topic}[", count=partitions)
        producer = self.produce(topic, partitions=partitions)
        self.wait_for_output(first_output)
        return producer

    def write(self, text):
        self.path = harness.write_pipeline(self.dir, text)
        return self.path

    def start(self, group):
        self.group = group
        log = open(self.log_path, "w")
        self.proc = harness.start_pipehost("run", self.path, log=log)
        log.close()
        self.addCleanup(lambda: self.proc.poll() is None and self.proc.kill())
        self.addCleanup(self.proc.stdout.close)

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_for_log(self, text, count=1, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log().count(text) >= count:
                return
            self.assertIsNone(self.proc.poll(), f"pipehost exited:\n{self.log()}")
            time.sleep(0.1)
        self.fail(f"no {text!r} (x{count}) in the log within {timeout} s:\n{self.log()}")

    def wait_for_output(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        while len(harness.read_lines(self.out)) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertGreaterEqual(len(harness.read_lines(self.out)), count, self.log())

    def wait_committed(self, topic, expected, timeout=30):
        """Until the group's committed offsets of topic are `expected`."""
        deadline = time.monotonic() + timeout
        offsets = None
        while time.monotonic() < deadline:
            offsets = harness.committed_offsets(self.broker.bootstrap, self.group, topic,
                                                PARTITIONS)
            if offsets == expected:
                return offsets
            time.sleep(0.3)
        self.fail(f"committed {offsets}, expected {expected}:\n{self.log()}")

    def stop(self):
        """SIGTERM; returns the log as it was before the signal."""
        before = self.log()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.assertEqual(self.proc.returncode, 0, self.log())
        return before

    def produce(self, topic, first_seq=0, partitions=PARTITIONS):
        producer = SteadyProducer(self.broker.bootstrap, topic, first_seq, partitions)
        self.addCleanup(producer.stopping.set)
        return producer

    def output(self):
        return [json.loads(line) for line in harness.read_lines(self.out)]

    def assert_switched_once(self, produced, records, tag, old, new, passes_new):
        """Per partition, the records handled by the old chain (tag == old)
        are exactly the partition's first records, every one of them, and
        the rest are exactly those the new chain passes (passes_new(seq)),
        each once: nothing lost, nothing twice, one clean switch."""
        seen = collections.Counter(r["seq"] for r in records)
        self.assertEqual([s for s, n in seen.items() if n > 1], [], "records written twice")
        old_total = new_total = 0
        for p, seqs in produced.items():
            mine = [r for r in records if r["seq"] % PARTITIONS == p]
            old_seqs = sorted(r["seq"] for r in mine if r[tag] == old)
            new_seqs = sorted(r["seq"] for r in mine if r[tag] == new)
            self.assertEqual(len(old_seqs) + len(new_seqs), len(mine))
            cut = old_seqs[-1] if old_seqs else -1
            self.assertEqual(old_seqs, [s for s in seqs if s <= cut], f"partition {p}")
            self.assertEqual(new_seqs, [s for s in seqs if s > cut and passes_new(s)],
                             f"partition {p}")
            old_total += len(old_seqs)
            new_total += len(new_seqs)
        # The switch came while records flowed.
        self.assertGreater(old_total, 0)
        self.assertGreater(new_total, 0)
        return old_total, new_total

    # ---- the tests -----------------------------------------------------------

    def test_a_watched_edit_switches_the_chain_without_a_rebalance(self):
        pipeline = self.pipeline("watched", f"""plugin_dirs: [{TAGGER_V1}]
processors:
  - plugin: json_filter
    config: {{field: kind, in: [a, b]}}
  - plugin: tagger
    config: {{label: first}}
""", tail="workers: 2\nwatch: true\n")
        producer = self.run_flowing(pipeline, "watched")
        # The edit: the filter now drops kind b, and the label changes.
        self.write(pipeline.replace("in: [a, b]", "in: [a]").replace("label: first",
                                                                      "label: second")
                   .replace("workers: 2", "workers: 1"))
        self.wait_for_log("now running version 2")
        time.sleep(1.5)  # records go on flowing through the new chain
        produced = producer.stop()
        counts = {p: len(s) for p, s in produced.items()}
        self.assertEqual(high_watermarks(self.broker.bootstrap, "watched"), counts)
        self.wait_committed("watched", counts)
        log = self.stop()

        self.assertIn("changed: processors[0].config, processors[1].config, workers", log)
        self.assertIn("[reload] 1 workers", log)
        # The partitions stayed assigned: 4 assigns at the start, no revoke.
        self.assertEqual(log.count("assigned watched["), PARTITIONS, log)
        self.assertNotIn("revoked", log)
        old, new = self.assert_switched_once(produced, self.output(), "label", "first", "second",
                                             lambda s: kind_of(s) == "a")
        print(f"watched edit: {sum(counts.values())} records, {old} through the old chain, "
              f"{new} through the new one, 0 lost, 0 twice, no rebalance")

    def test_a_broken_edit_is_reported_and_the_pipeline_goes_on(self):
        pipeline = self.pipeline("hup", """processors:
  - plugin: json_filter
    config: {field: kind, in: [a, b]}
""")
        producer = self.run_flowing(pipeline, "hup")
        broken = pipeline.replace("in: [a, b]", "inn: [a, b]")
        self.write(broken)
        line_no = next(i for i, line in enumerate(broken.split("\n"), 1) if "inn:" in line)
        col = broken.split("\n")[line_no - 1].index("inn") + 1
        self.proc.send_signal(signal.SIGHUP)
        self.wait_for_log("the running pipeline continues unchanged")
        before = len(harness.read_lines(self.out))
        self.wait_for_output(before + 200)  # output goes on
        produced = producer.stop()
        counts = {p: len(s) for p, s in produced.items()}
        self.wait_committed("hup", counts)
        log = self.stop()

        self.assertIn(f"{self.path}:{line_no}:{col}: unknown key 'inn' in the config of "
                      f"'json_filter' (expected one of: field, in)", log)
        self.assertNotIn("now running version", log)
        self.assertNotIn("revoked", log)
        # Every record, each once, through the unchanged filter.
        seqs = sorted(r["seq"] for r in self.output())
        self.assertEqual(seqs, sorted(s for p in produced.values() for s in p))
        print(f"broken edit: reported at {line_no}:{col}; {len(seqs)} records written once "
              f"each, before and after")

    def test_a_plugin_replaced_on_disk_is_loaded_anew_on_sighup(self):
        plugins = os.path.join(self.dir, "plugins")
        os.mkdir(plugins)
        plugin = os.path.join(plugins, "tagger.so")
        shutil.copy(os.path.join(TAGGER_V1, "tagger.so"), plugin)
        producer = self.run_flowing(self.pipeline("plugged", f"""plugin_dirs: [{plugins}]
processors:
  - plugin: tagger
"""), "plugged")
        # Replaced as an install or a build does: a new file renamed over
        # the old one (writing into a loaded .so would corrupt the running
        # code).
        shutil.copy(os.path.join(TAGGER_V2, "tagger.so"), plugin + ".new")
        os.rename(plugin + ".new", plugin)
        self.proc.send_signal(signal.SIGHUP)
        self.wait_for_log("now running version 2")
        time.sleep(1.5)
        produced = producer.stop()
        counts = {p: len(s) for p, s in produced.items()}
        self.wait_committed("plugged", counts)
        # The new version runs from the private copy; the old one, which
        # no task uses any more, is unloaded (its file, renamed over, would
        # show as deleted while mapped).
        mapped = set()  # the files mapped into the process
        with open(f"/proc/{self.proc.pid}/maps") as f:
            for line in f:
                fields = line.split(maxsplit=5)
                if len(fields) == 6:
                    mapped.add(fields[5].strip())
        log = self.stop()
        self.assertIn(f"/memfd:pipehost-plugin:{plugin} (deleted)", mapped)
        self.assertNotIn(f"{plugin} (deleted)", mapped)
        self.assertNotIn(plugin, mapped)

        self.assertIn(f"plugin tagger replaced on disk ({plugin})", log)
        self.assertNotIn("revoked", log)
        records = self.output()
        old, new = self.assert_switched_once(produced, records, "version", "v1", "v2",
                                             lambda s: True)
        last = max(records, key=lambda r: r["seq"])
        self.assertEqual(last["version"], "v2")
        print(f"plugin replaced: {old} records through v1, then {new} through v2, "
              f"0 lost, 0 twice")

    def test_a_change_of_topics_resubscribes_and_loses_nothing(self):
        pipeline = self.pipeline("topics", f"""plugin_dirs: [{TAGGER_V1}]
processors:
  - plugin: tagger
""", topic="old-topic", properties=self.QUICK_REJOIN)
        old_producer = self.run_flowing(pipeline, "topics", topic="old-topic")
        self.write(pipeline.replace("topics: [old-topic]", "topics: [new-topic]"))
        self.proc.send_signal(signal.SIGHUP)
        self.wait_for_log("subscribed to the new topics")
        new_producer = self.produce("new-topic", first_seq=1_000_000)
        self.wait_for_log("assigned new-topic[", count=PARTITIONS)
        time.sleep(1.0)
        old_produced = old_producer.stop()  # went on producing to the old topic
        new_produced = new_producer.stop()
        new_counts = {p: len(s) for p, s in new_produced.items()}
        self.wait_committed("new-topic", new_counts)
        log = self.stop()

        self.assertIn("changed: kafka.topics", log)
        self.assertEqual(log.count("its topic is no longer subscribed"), PARTITIONS)
        old_committed = harness.committed_offsets(self.broker.bootstrap, "topics", "old-topic",
                                                  PARTITIONS)
        records = self.output()
        seen = collections.Counter(r["seq"] for r in records)
        self.assertEqual([s for s, n in seen.items() if n > 1], [], "records written twice")
        # Of the old topic: everything before the final commit, nothing
        # after it (the rest waits there for whoever subscribes next).
        old_written = 0
        for p, seqs in old_produced.items():
            self.assertGreater(old_committed[p], 0)
            self.assertLessEqual(old_committed[p], len(seqs))
            mine = sorted(r["seq"] for r in records if r["seq"] < 1_000_000
                          and r["seq"] % PARTITIONS == p)
            self.assertEqual(mine, seqs[:old_committed[p]], f"old-topic[{p}]")
            old_written += len(mine)
        # Of the new topic: everything.
        new_written = sorted(r["seq"] for r in records if r["seq"] >= 1_000_000)
        self.assertEqual(new_written, sorted(s for p in new_produced.values() for s in p))
        print(f"topics: {old_written} records of the old topic up to its commit, "
              f"{len(new_written)} of the new one, 0 lost, 0 twice")

    def test_new_kafka_properties_start_a_new_consumer_that_goes_on_from_the_commits(self):
        pipeline = self.pipeline("rejoined", f"""plugin_dirs: [{TAGGER_V1}]
processors:
  - plugin: tagger
    config: {{label: first}}
""", properties=self.QUICK_REJOIN)
        producer = self.run_flowing(pipeline, "rejoined")
        self.write(pipeline.replace("fetch.wait.max.ms: 10", "fetch.wait.max.ms: 20")
                   .replace("label: first", "label: second"))
        self.proc.send_signal(signal.SIGHUP)
        self.wait_for_log("to join with a new consumer")
        self.wait_for_log("assigned rejoined[", count=2 * PARTITIONS)
        time.sleep(1.0)
        produced = producer.stop()
        counts = {p: len(s) for p, s in produced.items()}
        self.wait_committed("rejoined", counts)
        log = self.stop()

        self.assertIn("changed: kafka.properties, processors[0].config", log)
        self.assertEqual(log.count("revoked rejoined["), PARTITIONS)
        old, new = self.assert_switched_once(produced, self.output(), "label", "first", "second",
                                             lambda s: True)
        print(f"new consumer: {old} records before, {new} after the rejoin, 0 lost, 0 twice")

    def test_a_stateful_stage_gets_its_state_back_by_replay(self):
        """group_counter holds an open group of 7 records between emits and
        retains its first offset: across the reload the open group is
        emitted as provisional, then rebuilt by replay with nothing emitted,
        and completed by the new chain. Every record is in exactly one
        final group."""
        every = 7
        pipeline = self.pipeline("grouped", f"""plugin_dirs: [{TEST_PLUGINS}, {TAGGER_V1}]
processors:
  - plugin: group_counter
    config: {{every: {every}}}
  - plugin: tagger
    config: {{label: first}}
""")
        producer = self.run_flowing(pipeline, "grouped", partitions=1, first_output=20)
        self.write(pipeline.replace("label: first", "label: second"))
        self.proc.send_signal(signal.SIGHUP)
        self.wait_for_log("now running version 2")
        time.sleep(1.0)
        total = len(producer.stop()[0])
        deadline = time.monotonic() + 30
        finals = []
        while len(finals) < total // every and time.monotonic() < deadline:
            finals = [g for g in self.output() if g["final"]]
            time.sleep(0.2)
        log = self.stop()

        self.assertNotIn("revoked", log)
        groups = self.output()
        finals = sorted((g["first"], g["last"], g["count"]) for g in groups if g["final"])
        self.assertEqual(finals, [(i * every, i * every + every - 1, every)
                                  for i in range(total // every)])
        labels = [g["label"] for g in sorted((g for g in groups if g["final"]),
                                             key=lambda g: g["first"])]
        switch = labels.index("second")
        self.assertEqual(labels, ["first"] * switch + ["second"] * (len(labels) - switch))
        self.assertGreater(switch, 0)
        # The new chain's instance started from the old one's checkpoint.
        after = [g for g in groups if g["final"] and g["label"] == "second"]
        self.assertTrue(all(g.get("resumed", "").startswith("last=") for g in after))
        provisional = [g for g in groups if not g["final"]]
        print(f"stateful: {total} records in {len(finals)} final groups of {every}, each once; "
              f"{len(provisional)} provisional at the reload and the stop")


if __name__ == "__main__":
    harness.main()
