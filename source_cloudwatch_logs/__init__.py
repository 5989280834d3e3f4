"""Airbyte source connector for AWS CloudWatch Logs."""

from source_cloudwatch_logs.source import SourceCloudwatchLogs

__all__ = ["SourceCloudwatchLogs"]
