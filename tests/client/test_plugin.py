"""The pytest plugin (``client.pytest_plugin``, the ``sandex`` pytest11 entry point) as a user meets it:
a test file of theirs that names its fixtures, run by pytest itself (``pytester``)."""

from __future__ import annotations

from pathlib import Path

import client.pytest_plugin  # noqa: F401 (imported here, so the inner run reuses this process's modules)

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[2] / "README.md"
PLUGIN = ["-p", "no:sandex", "-p", "client.pytest_plugin"]  # no:sandex: when sandex is installed, its entry
# point loads this same module under the name "sandex", and pytest refuses one module under two names

USER_TESTS = """
import client


def test_a_fresh_funded_account(sandex_credential):
    balance = client.fetch_balance(sandex_credential)
    assert balance["USDT"]["free"] == 100000.0 and balance["BTC"]["free"] == 1.0
    order = client.create_limit_buy_order(sandex_credential, "BTC/USDT", 0.001, 45000.0)
    assert order["status"] == "open"
    assert client.fetch_balance(sandex_credential)["USDT"]["used"] == 45.0
    client.cancel_order(sandex_credential, order["id"], "BTC/USDT")


def test_each_test_gets_its_own_account(sandex_credential):
    assert client.fetch_balance(sandex_credential)["USDT"]["used"] == 0.0  # the order above is not here


def test_server_and_url(sandex_server, sandex_url):
    assert sandex_url == sandex_server.url and sandex_url.startswith("http://127.0.0.1:")
    assert sandex_server.simulator.venue.markets
"""


def test_a_users_tests_pass_with_the_plugin(pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest(*PLUGIN, "-q")
    result.assert_outcomes(passed=3)


def test_fixtures_are_listed_with_their_documentation(pytester) -> None:
    result = pytester.runpytest(*PLUGIN, "--fixtures")
    result.stdout.fnmatch_lines(["sandex_server*", "*embedded simulator*", "sandex_url*", "sandex_credential*"])


def test_the_readme_ci_example_passes(pytester) -> None:
    section = README.read_text().split("\n## Testing your code in CI", 1)[1].split("\n## ", 1)[0]
    pytester.makepyfile(test_readme=section.split("```python\n", 1)[1].split("```", 1)[0])
    pytester.runpytest(*PLUGIN, "-q").assert_outcomes(passed=1)
