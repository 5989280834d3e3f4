"""pytest fixtures of the fake, for every test directory: the top-level conftest.py loads this module as a
plugin (`pytest_plugins`), the only way pytest shares fixtures across directories.

moto is imported when a test first asks for the fake, not when pytest loads this module (unit tests never do).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from testkit.fake_logs import FakeCloudWatch


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeCloudWatch]:
    """The fake CloudWatch Logs endpoint (moto behind testkit.fake_logs), serving in this process."""
    from testkit.fake_logs import FakeCloudWatch

    with FakeCloudWatch() as server:
        yield server


@pytest.fixture
def fake(fake_server: FakeCloudWatch) -> FakeCloudWatch:
    """The fake, emptied, with a fresh fault plan."""
    from testkit.faults import FaultPlan

    fake_server.plan = FaultPlan()
    fake_server.reset()
    return fake_server
