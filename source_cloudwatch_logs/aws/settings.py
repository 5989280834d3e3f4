"""What the AWS layer is told of the configuration: where to connect, with which credentials or role, how fast.

The connector builds one `AwsSettings` from its config (spec.aws_settings); the session and the client
(credentials.py, client.py) read nothing else. The keys are secrets: they stay out of `repr` and `str`, so no log
line or error that shows the settings shows them (unit_tests/aws/test_settings.py). `hide` is told every secret
the layer obtains on its own (an assumed role's keys), so that the caller can keep it out of its output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


def _keep(secret: str) -> None:
    """Hides nothing: for callers with no output to keep secrets out of."""


@dataclass(frozen=True)
class AwsSettings:
    region: str
    endpoint_url: str | None = None  # CloudWatch Logs; None: the region's
    access_key_id: str | None = field(default=None, repr=False)  # None: botocore's default credential chain
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    role_arn: str | None = None  # assumed with the credentials above when set
    role_external_id: str | None = None
    session_duration_s: int = 3600  # of each assumed-role session
    sts_endpoint_url: str | None = None  # None: where botocore resolves STS (never `endpoint_url`)
    requests_per_second: float | None = None  # the FilterLogEvents budget; None: the region's quota (quotas.py)
    hide: Callable[[str], None] = field(default=_keep, repr=False, compare=False)
