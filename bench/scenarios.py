"""Issue-specific bench scenarios, registered with bench.pages.scenario. Each `prepare(at)` puts the
AppTest into the state to time (filters set, a drop pending...); the timed part is the rerun."""
from __future__ import annotations


# Customers (issue 3): the customer list with filters set, at the large scale (100,000 customers).
from bench.pages import scenario  # noqa: E402


@scenario("customers: list with filters", "pages/customers.py", "manager")
def _customers_filtered(at) -> None:
    at.text_input(key="f_search").set_value("1")
    at.multiselect(key="f_tier").set_value(["A", "B"])
    at.checkbox(key="f_overdue").check()
    at.selectbox(key="f_sort").set_value("next_follow_up")
