"""The use cases' results computed in Python from the specification,
independently of the plugins: what each partition's records should
produce, given in offset order."""

import datetime
import json
import re

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)?$")


def event_time_ms(value):
    """Epoch ms of an ISO-8601 string (no zone: UTC) or epoch-ms number, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    m = _ISO.match(value)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    try:
        moment = datetime.datetime(year, month, day, hour, minute, second,
                                   tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    ms = int((moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)).total_seconds()) * 1000
    if m.group(7):
        ms += int((m.group(7)[1:] + "000")[:3])
    zone = m.group(8)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset_min = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0)
        ms -= sign * offset_min * 60000
    return ms


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
        ok = (reading is not None and t is not None and nonempty_string(reading.get("device_id"))
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
