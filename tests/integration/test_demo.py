"""`pipehost demo`, the README's first command, for each use case."""

import re
import unittest

import harness


class DemoTest(unittest.TestCase):
    def run_demo(self, use_case, count=20000):
        result = harness.run_pipehost("demo", use_case, "--count", str(count), "--seed", "3",
                                      timeout=180)
        self.assertEqual(result.returncode, 0, result.stderr)
        m = re.search(r"(\d+) records in [\d.]+ s: (\d+) records/s; (\d+) rejected", result.stdout)
        self.assertIsNotNone(m, result.stdout)
        self.assertEqual(int(m.group(1)), count)
        self.assertGreater(int(m.group(3)), 0)  # 1% malformed by default
        return result.stdout

    def test_clickstream(self):
        out = self.run_demo("clickstream")
        self.assertRegex(out, r"Top pages by views")
        self.assertRegex(out, r"(?m)^  /product\d+\s+\d+\s+\d+")

    def test_iot(self):
        out = self.run_demo("iot")
        self.assertRegex(out, r"\d+ devices, \d+ \(device, window\) rows, \d+ alerts")

    def test_chat(self):
        out = self.run_demo("chat")
        self.assertRegex(out, r"\d+ conversations \(\d+ ended, \d+ still open at the end\)")
        self.assertRegex(out, r"(?m)^  agent-\d+\s+\d+")

    def test_unknown_use_case(self):
        result = harness.run_pipehost("demo", "weather")
        self.assertEqual(result.returncode, 2)
        self.assertIn("unknown use case 'weather'", result.stderr)


if __name__ == "__main__":
    harness.main()
