"""Shared pytest configuration. Fixtures live in tests/fixtures/, one module per concern."""

pytest_plugins = [
    "tests.fixtures.mnist",
    "tests.fixtures.networks",
    "tests.fixtures.hub_server",
    "tests.fixtures.browser",
    "tests.fixtures.postgres",
    "tests.fixtures.users",
]
