"""Messages reach the destination exactly as they were logged: up to the 1 MB event maximum, with every control
character, with any unicode, and JSON-looking text that is not JSON (or is, but is still a log line)."""

from __future__ import annotations

from pathlib import Path

from testkit.connector import config, discovered_catalog, read_with_kill
from testkit.delivery import DeliveryLedger
from testkit.fake_logs import FakeCloudWatch
from testkit.seeding import MINUTE, logs_client, now_ms, put_events, reference_events

# CloudWatch's event size limit (1 MB since April 2025) counts the UTF-8 message plus 26 bytes per event.
MAX_MESSAGE_BYTES = 1_048_576 - 26

LARGE = [
    "a" * MAX_MESSAGE_BYTES,  # exactly at the limit
    "日本" * (MAX_MESSAGE_BYTES // 6),  # 3-byte characters
    "🚀" * (MAX_MESSAGE_BYTES // 4),  # 4-byte characters (surrogate pairs as JSON escapes)
    ('{"payload": "' + '\x00\x1f"\\\n' * (MAX_MESSAGE_BYTES // 5))[:MAX_MESSAGE_BYTES],  # all needs escaping
]

CONTROL = [
    *(f"C0 {code:02x} [{chr(code)}] end" for code in range(0x20)),
    "".join(chr(code) for code in range(0x20)),
    "\x00",  # a message that is only NUL
    "starts with NUL\x00 and ends with one\x00",
    "DEL [\x7f]",
    "C1 [" + "".join(chr(code) for code in range(0x80, 0xA0)) + "]",
    "NEL [\x85] LS [\u2028] PS [\u2029] VT [\x0b] FF [\x0c] FS GS RS [\x1c\x1d\x1e]",  # str.splitlines splits on all
    "CR LF\r\nCR only\rLF only\n",
    "\n",
    "\t",
]

UNICODE = [
    "\ufeffstarts with a byte-order mark",
    "noncharacters [\ufffe\uffff\ufdd0] and the last code point [\U0010ffff]",
    "private use [\ue000\U000f0000] replacement [\ufffd]",
    "é precomposed vs e\u0301 combining, Å vs A\u030a: no normalization",
    "zero width [\u200b\u200c\u200d\u2060] bidi override [\u202eabc\u202c]",
    "👩🏽\u200d💻 👨\u200d👩\u200d👧\u200d👦 🏳️\u200d🌈 🇯🇵 1️⃣",
    "Ελληνικά Кириллица עברית العربية हिन्दी ไทย 한국어 中文 日本語",
    "math letters [\U0001d544\U0001d552\U0001d565\U0001d559] gothic 𐍈 hieroglyph 𓀀 mahjong 🀄",
    'backslash escapes as text: \\u0000 \\n \\t \\" \\ud83d',
    "quotes ' \" ` and %s %d {0} ${x} <script>alert(1)</script> &amp;",
]

JSON_LOOKING = [
    '{"level": "info", "msg": "truncated',
    '{"a": 1}}',
    "{'single': 'quotes'}",
    '{"nan": NaN, "inf": Infinity}',
    '{"big": 123456789012345678901234567890, "float": 1e999}',
    "[1, 2, 3,]",
    '{"dup": 1, "dup": 2}',
    '{"a":1}\n{"b":2}',
    ' {"padded": true} ',
    '{"nested": "{\\"inner\\": {\\"deep\\": [1, 2]}}"}',
    "{}",
    "[]",
    "null",
    "true",
    "123",
    "-0",
    '"a JSON string"',
    "\ufeff{}",
]


def test_large_control_unicode_and_json_looking_messages_arrive_byte_exact(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    """Faked: pages of one event each, so a 1 MB event fills its page, as AWS's 1 MB page cap does (moto has
    no cap). Seeded through PutLogEvents: botocore and moto accept every message here (an empty message is
    rejected client-side, lone surrogates cannot be sent as UTF-8, and CloudWatch replaces invalid UTF-8, so
    none of those can exist in a log group). The connector's stdout is split on b"\\n" only and decoded
    strictly as UTF-8."""
    messages = LARGE + CONTROL + UNICODE + JSON_LOOKING
    assert len(set(messages)) == len(messages)
    assert max(len(m.encode()) for m in messages) == MAX_MESSAGE_BYTES
    client = logs_client(fake.url)
    base = now_ms() - 60 * MINUTE
    seeded = [(base + i, message) for i, message in enumerate(messages)]
    put_events(client, "fidelity", "s", seeded)
    reference = reference_events(client, ["fidelity"])
    assert sorted((e.timestamp, e.message) for e in reference.values()) == seeded  # what the API gives back
    connector_config = config(fake.url, requests_per_second=1000)
    catalog = discovered_catalog(connector_config)
    fake.plan.page_event_cap = 1

    run = read_with_kill(tmp_path, connector_config, catalog)

    assert run.returncode == 0, run.describe()
    delivered = sorted((r["timestamp"], r["message"]) for r in run.records_of("fidelity"))
    assert len(delivered) == len(seeded)
    for (timestamp, got), (expected_timestamp, expected) in zip(delivered, seeded, strict=True):
        assert timestamp == expected_timestamp
        assert got.encode("utf-8") == expected.encode("utf-8"), f"message at {timestamp} changed: {got[:200]!r}"
    ledger = DeliveryLedger(reference, ["fidelity"])
    ledger.add_run(run)
    ledger.finish()
    assert ledger.violations == [], "\n".join(v[:500] for v in ledger.violations)
    assert fake.calls["FilterLogEvents"] >= len(messages) + 1  # a page per event (and one for the oracle)
