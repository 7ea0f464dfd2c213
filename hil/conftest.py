"""HIL bench options: `pytest hil/` flies every scenario on the simulated board; `--full` adds the
long ones; `--board PORT` names a real board (its sensors are injected over the link in bench mode)."""

import pytest


def pytest_addoption(parser):
    parser.addoption("--full", action="store_true", help="run the long scenarios too")
    parser.addoption("--board", help="a real board's serial port instead of the simulated board")


@pytest.fixture
def full(request):
    return request.config.getoption("--full")


@pytest.fixture
def real_board(request):
    return request.config.getoption("--board")
