"""Test support for the connector: a fake CloudWatch Logs service, and helpers to seed it, run the connector
against it and check what the connector delivered. See testkit/README.md for what each module is for.

Importing this package (and `testkit.server_process`) needs only the standard library: the demo imports it
from the PyAirbyte environment, which has no moto.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The repository's root directory."""
