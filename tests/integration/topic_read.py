"""Reading a whole topic quickly: a consumer assigned every partition from
the beginning, without joining a group (a group join costs seconds)."""

import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition


def read_messages(bootstrap, topic, partitions, expected, timeout=30.0):
    """The messages of topic, in offset order per partition; stops at
    `expected` messages or after timeout seconds."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "topic-read",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    messages = []
    deadline = time.monotonic() + timeout
    try:
        while len(messages) < expected and time.monotonic() < deadline:
            messages += [m for m in consumer.consume(10000, 0.2) if not m.error()]
    finally:
        consumer.close()
    return sorted(messages, key=lambda m: (m.partition(), m.offset()))


def read_topic(bootstrap, topic, partitions, expected, timeout=30.0):
    """(partition, value) of every record of topic, in offset order per partition."""
    return [(m.partition(), m.value())
            for m in read_messages(bootstrap, topic, partitions, expected, timeout)]
