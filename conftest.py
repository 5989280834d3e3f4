"""Repository-wide pytest setup.

pytest reads `pytest_plugins` only from the top-level conftest.py (a nested one is an error since pytest 8).
The CDK plugin adds the standard suite's options (`--connector-image`, `--read-from-streams`, ...) and
parametrizes its tests with the scenarios of acceptance-test-config.yml; it touches no other test.
testkit.fixtures gives the tests of integration_tests/ and testkit/tests/ the fake CloudWatch endpoint
(`fake`, `fake_server`).
"""

pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks", "testkit.fixtures"]
