"""Issue-specific bench scenarios, registered with `scenario` below. Each `prepare(at)` puts the
AppTest into the state to time (filters set, a drop pending...); the timed part is the rerun."""
from __future__ import annotations

from collections.abc import Callable

# name -> (page file, username, prepare(at) run before timing)
SCENARIOS: dict[str, tuple[str, str, Callable]] = {}


def scenario(name: str, file: str, username: str = "manager"):
    def register(fn: Callable) -> Callable:
        SCENARIOS[name] = (file, username, fn)
        return fn

    return register


# Customers (issue 3): the customer list with filters set, at the large scale (100,000 customers).


def _set_filters(at) -> None:
    at.session_state["f_panel"] = True  # open the filter panel
    at.run()
    at.text_input(key="f_search").set_value("1")
    at.multiselect(key="f_tier").set_value(["A", "B"])
    at.checkbox(key="f_overdue").check()
    at.selectbox(key="f_sort").set_value("next_follow_up")


@scenario("customers: list with filters", "pages/customers.py", "manager")
def _customers_filtered(at) -> None:
    """Filters set, then the panel closed (the filters keep applying)."""
    _set_filters(at)
    at.run()
    at.session_state["f_panel"] = False


@scenario("customers: filter panel open", "pages/customers.py", "manager")
def _customers_filter_panel(at) -> None:
    """Filters set and the panel left open: every filter widget is drawn on each rerun."""
    _set_filters(at)
