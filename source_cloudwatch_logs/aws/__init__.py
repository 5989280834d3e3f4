"""The AWS layer: everything that talks to CloudWatch Logs and STS (the session, the paced client, the quotas, the
APIs' pages and failures, Logs Insights and its query text), configured by `settings.AwsSettings` alone.

It imports nothing from the Airbyte side (neither airbyte_cdk nor a connector module outside this package):
unit_tests/test_layers.py fails on such an import. Its failures are its own exceptions (`errors.AwsError`),
which the connector turns into Airbyte errors where its code hands control to the CDK (failures.py).
"""
