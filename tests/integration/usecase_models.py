"""The use cases' results computed in Python from the specification,
independently of the plugins: what each partition's records should
produce, given in offset order."""

import collections
import datetime
import json
import re

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)?$")


def event_time_ms(value):
    """Epoch ms of an ISO-8601 string (no zone: UTC; Z and offsets) or of a
    number of epoch milliseconds (>= 0, a fraction truncated), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if value >= 0 and value == value and value < 2 ** 63 else None
    if not isinstance(value, str):
        return None
    m = _ISO.match(value)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    if not (1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)
            and hour <= 23 and minute <= 59 and second <= 59):
        return None
    ms = ((_days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60000 + second * 1000
    if m.group(7):
        ms += int((m.group(7)[1:] + "000")[:3])
    zone = m.group(8)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        ms -= sign * (int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0)) * 60000
    return ms


def _days_from_civil(year, month, day):
    """Days since 1970-01-01 of a proleptic Gregorian date (year 0 included)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _days_in_month(year, month):
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def iso(ms):
    moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(milliseconds=ms)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if ms % 1000:
        text += ".%03d" % (ms % 1000)
    return text + "Z"


def parse_object(raw):
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def nonempty_string(value):
    return isinstance(value, str) and value != "" and "\0" not in value


class WindowClock:
    """Tumbling windows and a watermark, per partition."""

    def __init__(self, window_ms, lateness_ms):
        self.window = window_ms
        self.lateness = lateness_ms
        self.newest = None

    def watermark(self):
        return None if self.newest is None else self.newest - self.lateness

    def start(self, t):
        return t - t % self.window

    def closed(self, start):
        w = self.watermark()
        return w is not None and w >= start + self.window

    def accept(self, t):
        self.newest = t if self.newest is None else max(self.newest, t)


def clickstream(records, window_ms=60000, lateness_ms=10000):
    """records: (partition, value bytes) in offset order per partition.
    Returns ({key: row}, rejected count)."""
    clocks, windows, results = {}, {}, {}
    rejected = 0
    for partition, raw in records:
        clock = clocks.setdefault(partition, WindowClock(window_ms, lateness_ms))
        event = parse_object(raw)
        t = event_time_ms(event.get("timestamp")) if event is not None else None
        ok = (event is not None and t is not None and t <= 253402300799999
              and all(nonempty_string(event.get(f)) for f in ("userid", "page", "action")))
        if ok and event["action"] == "rating":
            r = event.get("rating")
            ok = isinstance(r, int) and not isinstance(r, bool) and 1 <= r <= 5
        start = clock.start(t) if ok else None
        if not ok or clock.closed(start):
            rejected += 1
            continue
        key = (partition, start, event["page"])
        w = windows.setdefault(key, {"events": 0, "views": 0, "users": set(),
                                     "ratings": 0, "rating_sum": 0})
        w["events"] += 1
        if event["action"] == "view":
            w["views"] += 1
            w["users"].add(event["userid"])
        elif event["action"] == "rating":
            w["ratings"] += 1
            w["rating_sum"] += event["rating"]
        clock.accept(t)
        for k in [k for k in windows if k[0] == partition and clock.closed(k[1])]:
            results[k] = _clickstream_row(k, windows.pop(k), window_ms, True)
    for k, w in windows.items():
        results[k] = _clickstream_row(k, w, window_ms, False)
    return {f"{page}|{iso(start)}|{p}": row for (p, start, page), row in results.items()}, rejected


def _clickstream_row(key, w, window_ms, final):
    partition, start, page = key
    return {"window_start": iso(start), "window_end": iso(start + window_ms), "page": page,
            "partition": partition, "events": w["events"], "views": w["views"],
            "users": len(w["users"]), "ratings": w["ratings"], "rating_sum": w["rating_sum"],
            "final": final}


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def iot(records, rules, metrics=("temperature", "pressure", "humidity"),
        window_ms=60000, lateness_ms=10000):
    """records: (partition, value bytes) in offset order per partition;
    rules: (name, metric, "above"|"below", threshold). Returns
    ({DEVICE|WINDOW_START: stats row}, [alert rows], rejected count)."""
    clocks, windows, stats, alerts = {}, {}, {}, []
    in_alert = set()
    rejected = 0
    for partition, raw in records:
        clock = clocks.setdefault(partition, WindowClock(window_ms, lateness_ms))
        reading = parse_object(raw)
        t = event_time_ms(reading.get("ts")) if reading is not None else None
        ok = (reading is not None and t is not None and t <= 253402300799999
              and nonempty_string(reading.get("device_id"))
              and all(_number(reading.get(m)) for m in metrics)
              and all(_number(reading[r[1]]) for r in rules if r[1] in reading))
        start = clock.start(t) if ok else None
        if not ok or clock.closed(start):
            rejected += 1
            continue
        device = reading["device_id"]
        for name, metric, direction, threshold in rules:
            if metric not in reading:
                continue
            value = reading[metric]
            outside = value > threshold if direction == "above" else value < threshold
            if outside and (device, name) not in in_alert:
                in_alert.add((device, name))
                alerts.append({"type": "alert", "device_id": device, "ts": iso(t), "rule": name,
                               "metric": metric, "value": float(value),
                               "threshold": float(threshold)})
            elif not outside:
                in_alert.discard((device, name))
        key = (partition, device, start)
        w = windows.setdefault(key, {"count": 0, "values": {m: [] for m in metrics}})
        w["count"] += 1
        for m in metrics:
            w["values"][m].append(float(reading[m]))
        clock.accept(t)
        for k in [k for k in windows if k[0] == partition and clock.closed(k[2])]:
            stats[k] = _iot_row(k, windows.pop(k), metrics, window_ms, True)
    for k, w in windows.items():
        stats[k] = _iot_row(k, w, metrics, window_ms, False)
    return {f"{device}|{iso(start)}": row for (_, device, start), row in stats.items()}, alerts, rejected


def _iot_row(key, w, metrics, window_ms, final):
    _, device, start = key
    row = {"type": "stats", "device_id": device, "window_start": iso(start),
           "window_end": iso(start + window_ms), "count": w["count"], "final": final}
    for m in metrics:
        values = w["values"][m]
        row[m] = {"min": min(values), "max": max(values), "mean": sum(values) / len(values)}
    return row


# --- chat_analytics ---------------------------------------------------------

CHAT_LEXICON = {
    "positive": ["thanks", "thank", "thx", "great", "perfect", "awesome", "love", "helpful",
                 "resolved", "solved", "excellent", "happy", "amazing", "wonderful", "fantastic",
                 "appreciate", "appreciated", "glad", "quick", "brilliant"],
    "negative": ["angry", "terrible", "broken", "worst", "useless", "disappointed",
                 "disappointing", "slow", "cancel", "awful", "horrible", "bad", "annoyed",
                 "frustrated", "frustrating", "unacceptable", "ridiculous", "hate", "poor",
                 "crash", "crashing"],
}

CHAT_TOPICS = {
    "billing": ["invoice", "invoices", "charge", "charged", "charges", "refund", "refunds",
                "billing", "payment", "payments", "bill"],
    "shipping": ["delivery", "delivered", "shipping", "shipped", "tracking", "package",
                 "parcel", "courier", "carrier"],
    "account": ["login", "password", "account", "reset", "locked", "username", "signin"],
}

_CHAT_SENDERS = ("customer", "agent", "bot")
_FIRST_MS = -62167219200000    # 0000-01-01T00:00:00.000Z
_LAST_MS = 253402300799999     # 9999-12-31T23:59:59.999Z
_WORD = re.compile("[A-Za-z0-9\u0080-\U0010ffff]+")


def chat_time_ms(value):
    """Epoch ms of a chat `ts`, "range" for a time outside years
    0000-9999, or None for anything that is no time at all."""
    ms = event_time_ms(value)
    if ms is None:
        return None
    return ms if _FIRST_MS <= ms <= _LAST_MS else "range"


def chat_words(text):
    """The words of a message, lowercased as the specification says: ASCII
    and the capitals of Latin-1 (À-Þ), Latin Extended-A (Ā-Ž, Ÿ), basic
    Greek (Α-Ϋ) and basic Cyrillic (Ѐ-Я); İ and everything else as is."""
    def lower(ch):
        c = ord(ch)
        if (0x41 <= c <= 0x5A or 0xC0 <= c <= 0xDE or (0x100 <= c <= 0x17D and c != 0x130)
                or c == 0x178 or 0x391 <= c <= 0x3AB or 0x400 <= c <= 0x42F):
            return ch.lower()
        return ch
    return ["".join(lower(ch) for ch in word) for word in _WORD.findall(text)]


def _seconds(ms):
    return ms // 1000 if ms % 1000 == 0 else ms / 1000


_NOT_JSON = object()


def _parse_json(raw):
    """The JSON value of a record, or _NOT_JSON (NaN and Infinity are not JSON)."""
    def no_constant(name):
        raise ValueError(name)
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=no_constant)
    except (UnicodeDecodeError, ValueError):
        return _NOT_JSON


def _utf8_order(text):
    return text.encode("utf-8", "surrogatepass")


class ChatPartition:
    """One partition task's chat_analytics instance: feed values in offset
    order; `emitted` collects the summaries in emission order, `rejected`
    counts rejections by reason (parser messages left out)."""

    def __init__(self, session_gap_ms, lateness_ms, lexicon, topics):
        self.gap = session_gap_ms
        self.lateness = lateness_ms
        self.sentiment = {}
        for word in lexicon.get("positive", []):
            self.sentiment[chat_words(word)[0]] = 1
        for word in lexicon.get("negative", []):
            self.sentiment[chat_words(word)[0]] = -1
        self.topics = {}
        for name, keywords in topics.items():
            for word in keywords:
                self.topics.setdefault(chat_words(word)[0], set()).add(name)
        self.latest = None
        self.open = {}
        self.ended_at = {}      # conversation id -> E of its last ended session
        self.emitted = []
        self.rejected = collections.Counter()

    def watermark(self):
        return None if self.latest is None else self.latest - self.lateness

    def process(self, raw):
        record = _parse_json(raw)
        t, problem = self._valid_time(record)
        if problem:
            self.rejected[problem] += 1
            return
        if self.latest is None or t > self.latest:
            self.latest = t
            self._expire()
        cid = record["conversation_id"]
        closing = record.get("event") is not None
        conversation = self.open.get(cid)
        if conversation is None:
            remembered = self.ended_at.get(cid)
            if ((remembered is not None and t < remembered + self.gap)
                    or t + self.gap <= self.watermark()):
                self.rejected["late event"] += 1
                return
            if closing:
                self.rejected["field 'event' closes a conversation with no messages"] += 1
                return
            conversation = self.open[cid] = {"messages": [], "agents": set(), "positive": 0,
                                             "negative": 0, "topics": set()}
        if closing:
            self._end(cid, t, True)
            return
        sender = record["sender"]
        conversation["messages"].append((t, len(conversation["messages"]), sender))
        if sender == "agent":
            conversation["agents"].add(record["agent_id"])
        for word in chat_words(record["text"]):
            conversation["topics"] |= self.topics.get(word, set())
            if sender == "customer":
                score = self.sentiment.get(word, 0)
                conversation["positive"] += score > 0
                conversation["negative"] += score < 0

    def final_flush(self):
        for cid in sorted(self.open, key=_utf8_order):
            conversation = self.open[cid]
            self.emitted.append(self._summary(cid, conversation, self._last(conversation), False))
        self.open = {}

    @staticmethod
    def _valid_time(record):
        """(event time, None) for a record all of whose fields are valid, else
        (None, the first problem in the specification's order)."""
        if record is _NOT_JSON:
            return None, "value is not JSON"
        if not isinstance(record, dict):
            return None, "value is not a JSON object"
        if "conversation_id" not in record:
            return None, "missing field 'conversation_id'"
        if not nonempty_string(record["conversation_id"]):
            return None, "field 'conversation_id' must be a non-empty string"
        if "ts" not in record:
            return None, "missing field 'ts'"
        t = chat_time_ms(record["ts"])
        if t is None:
            return None, "field 'ts' must be an ISO-8601 time or epoch milliseconds"
        if t == "range":
            return None, "field 'ts' must be a time from year 0000 to 9999"
        if record.get("event") is not None:
            return (t, None) if record["event"] == "closed" else (None, "field 'event' must be \"closed\"")
        if "sender" not in record:
            return None, "missing field 'sender'"
        if not isinstance(record["sender"], str) or record["sender"] not in _CHAT_SENDERS:
            return None, "field 'sender' must be customer, agent or bot"
        if record["sender"] == "agent":
            if "agent_id" not in record:
                return None, "missing field 'agent_id'"
            if not (isinstance(record["agent_id"], str) and record["agent_id"] != ""):
                return None, "field 'agent_id' must be a non-empty string"
        if "text" not in record:
            return None, "missing field 'text'"
        if not isinstance(record["text"], str):
            return None, "field 'text' must be a string"
        return t, None

    @staticmethod
    def _last(conversation):
        return max(t for t, _, _ in conversation["messages"])

    def _expire(self):
        watermark = self.watermark()
        due = [(self._last(c) + self.gap, _utf8_order(cid), cid) for cid, c in self.open.items()
               if self._last(c) + self.gap <= watermark]
        for _, _, cid in sorted(due):
            self._end(cid, self._last(self.open[cid]), True)

    def _end(self, cid, ended, final):
        conversation = self.open.pop(cid)
        self.ended_at[cid] = ended
        self.emitted.append(self._summary(cid, conversation, ended, final))

    def _summary(self, cid, conversation, ended, final):
        messages = sorted(conversation["messages"])
        started = messages[0][0]
        responses, waiting, previous = [], [], None
        answered_first = None
        for t, _, sender in messages:
            if sender == "customer" and previous != "customer":
                waiting.append(t)
            elif sender == "agent":
                responses += [t - start for start in waiting]
                waiting = []
            previous = sender
        if responses:
            answered_first = responses[0]
        positive, negative = conversation["positive"], conversation["negative"]
        sentiment = 0
        if positive + negative:
            sentiment = (positive - negative) / (positive + negative)
            if sentiment.is_integer():
                sentiment = int(sentiment)
        avg = None
        if responses:
            # mean in ms, rounded half away from zero (responses are never negative)
            avg = _seconds((2 * sum(responses) + len(responses)) // (2 * len(responses)))
        return {"type": "conversation", "conversation_id": cid, "started": iso(started),
                "ended": iso(ended),
                "messages": {s: sum(1 for m in messages if m[2] == s) for s in _CHAT_SENDERS},
                "agents": sorted(conversation["agents"], key=_utf8_order),
                "first_response_s": None if answered_first is None else _seconds(answered_first),
                "avg_response_s": avg, "duration_s": _seconds(ended - started),
                "sentiment": sentiment, "topics": sorted(conversation["topics"], key=_utf8_order),
                "final": final}


def chat(records, session_gap_ms=30 * 60000, lateness_ms=10000, lexicon=None, topics=None):
    """records: (partition, value bytes) in offset order per partition.
    Returns ({conversation_id: its last summary}, rejected count,
    Counter of rejections by reason)."""
    partitions = {}
    for partition, raw in records:
        if partition not in partitions:
            partitions[partition] = ChatPartition(session_gap_ms, lateness_ms,
                                                  CHAT_LEXICON if lexicon is None else lexicon,
                                                  CHAT_TOPICS if topics is None else topics)
        partitions[partition].process(raw)
    latest, reasons = {}, collections.Counter()
    for task in partitions.values():
        task.final_flush()
        reasons += task.rejected
        for row in task.emitted:
            latest[row["conversation_id"]] = row
    return latest, sum(reasons.values()), reasons
