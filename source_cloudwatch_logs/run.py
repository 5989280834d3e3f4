"""Console entry point: `source-cloudwatch-logs spec|check|discover|read ...`."""

import sys

from airbyte_cdk.entrypoint import launch

from source_cloudwatch_logs.source import SourceCloudwatchLogs


def run() -> None:
    launch(SourceCloudwatchLogs(), sys.argv[1:])


if __name__ == "__main__":
    run()
