"""A node shared by a module's test-run tests: the integration tests' fixture."""

from tests.integration.conftest import node  # noqa: F401 - fixture
