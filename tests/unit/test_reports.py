"""Issue 12, reports: the records behind a scorecard number read as records (names, dates, what
the record is; no ids, field names or codes) and each opens its page."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest

from core import evaluations as ev
from core import i18n, metrics, reports
from db.models import Complaint, Deal
from tests.unit.test_evaluations import CSAT, MAY, cycle  # noqa: F401 - the fixture

CODE = re.compile(r"^[a-z]+(_[a-z0-9]+)+$|^[a-z_]+\.[a-z_.]+$")
MISSING = {"nan", "NaN", "None", "null", "NaT", ""}


def _assert_readable(rows: list[dict]) -> None:
    for row in rows:
        assert set(row) == set(ev.RECORD_COLUMNS)
        for column, value in row.items():
            if column == "link":
                continue
            assert isinstance(value, str) and value not in MISSING, (column, value)
            assert not CODE.match(value), (column, value)
            assert not value.isdigit(), (column, value)  # never a bare id


@pytest.mark.parametrize("lang,kind,date_text", [("en", "Survey", "03 May 2026 09:00"), ("zh", "满意度调查", "2026年5月3日 09:00")])
def test_survey_records_read_as_records_and_open_their_customer(session, world, cycle, lang, kind, date_text):
    rows = ev.records_table(session, world.actors["manager_a"], cycle["evals"]["Alice A1"], cycle["criteria"]["CSAT"], lang)
    _assert_readable(rows)
    assert [r["what"] for r in rows] == [kind, kind]
    assert {r["customer"] for r in rows} == {"Customer of Alice A1"} and {r["member"] for r in rows} == {"Alice A1"}
    assert rows[0]["date"] == date_text
    assert rows[0]["record"].endswith("4/5") and rows[1]["record"].endswith("5/5")
    assert {r["link"] for r in rows} == {f"customers?customer={world.customers['a1'].id}"}


def test_deals_and_complaints_open_the_pipeline_and_service_pages(session, world):
    manager = world.actors["manager_a"]
    a1, cust = world.members["a1"], world.customers["a1"]
    deal = Deal(customer_id=cust.id, owner_id=a1.id, title="Renewal", value=Decimal(3000), currency="CNY", stage="won",
                closed_on=date(2026, 5, 20))
    open_c = Complaint(customer_id=cust.id, team_id=world.teams["A1"].id, assignee_id=a1.id, severity="high",
                       title="Late delivery", status="open", opened_at=datetime(2026, 5, 4, 10))
    done_c = Complaint(customer_id=cust.id, team_id=world.teams["A1"].id, assignee_id=a1.id, severity="low",
                       title="Typo on invoice", status="resolved", opened_at=datetime(2026, 5, 5, 10),
                       first_response_at=datetime(2026, 5, 5, 11), resolved_at=datetime(2026, 5, 5, 12))
    session.add_all([deal, open_c, done_c])
    session.flush()
    criteria = [ev.CriterionInput("Sales", "measured", 50, "sales_won", {"thresholds": [1, 2, 3, 4], "higher_is_better": True}),
                ev.CriterionInput("Resolution", "measured", 50, "resolution_rate", {"thresholds": [60, 70, 80, 90], "higher_is_better": True})]
    template_id = ev.create_template(session, manager, world.teams["A"].id, "Sales and service", criteria)
    cycle_id = ev.create_cycle(session, manager, world.teams["A"].id, template_id, "May 2026", "month", MAY)
    session.commit()
    ids = {c["name"]: c["id"] for c in ev.list_templates(session, manager)[0]["criteria"]}
    evaluation_id = {e["member"]: e["evaluation_id"] for e in ev.evaluation_members(session, manager, cycle_id)}["Alice A1"]
    for lang in ("zh", "en"):
        sales = ev.records_table(session, manager, evaluation_id, ids["Sales"], lang)
        service = ev.records_table(session, manager, evaluation_id, ids["Resolution"], lang)
        _assert_readable(sales + service)
    assert sales == [{"what": "Deal", "record": "Renewal", "customer": "Customer of Alice A1", "member": "Alice A1",
                      "date": "20 May 2026", "detail": "¥3,000 · Won", "link": f"pipeline?deal={deal.id}"}]
    by_title = {r["record"]: r for r in service}
    assert by_title["Late delivery"]["link"] == f"service?complaint={open_c.id}"
    assert by_title["Typo on invoice"]["link"] == f"customers?customer={cust.id}"  # resolved: the customer page lists it
    assert by_title["Late delivery"]["detail"] == "High · Open"


# ---------------------------------------------------------------------------------------------
# One formatter for numbers, money and percentages
# ---------------------------------------------------------------------------------------------


def test_money_never_grows_cents_on_a_whole_amount_and_keeps_them_on_a_small_odd_one():
    assert [i18n.format_money(v, "en", "CNY") for v in (500, 3000, 12.5, 0)] == ["¥500", "¥3,000", "¥12.50", "¥0"]
    assert i18n.format_money(-500, "en", "USD") == "-$500"
    assert i18n.format_money(123456, "zh", "CNY") == "¥12.3万" and i18n.format_money(123456, "zh", "CNY", short=False) == "¥123,456"


def test_percentages_have_one_rule_whatever_their_source():
    assert i18n.format_percent(0.7091, "en") == "71%" and i18n.format_points(87.8, "en") == "88%"
    assert metrics.format_metric(70.91, "win_rate", "en", "CNY") == "71%"


@pytest.mark.parametrize("value", [None, float("nan"), pd.NaT])
def test_a_missing_value_reads_as_a_dash_in_every_formatter(value):
    for shown in (i18n.format_number(value, "en"), i18n.format_money(value, "en"), i18n.format_percent(value, "en"),
                  i18n.format_points(value, "zh"), i18n.format_decimal(value, "zh"), i18n.format_date(value, "en"),
                  metrics.format_metric(value, "csat_avg", "en", "CNY")):
        assert shown == "—"


def test_countable_things_are_whole_and_plural_right_in_english():
    assert metrics.format_metric(0.8, "new_customers", "zh", "CNY") == "1"
    assert i18n.format_count(1, "complaint", "en") == "1 complaint"
    assert i18n.format_count(3, "complaint", "en") == "3 complaints"


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------
def test_the_report_checker_finds_codes_missing_words_raw_numbers_and_stamps():
    frame = pd.DataFrame({"status": ["at_risk", "None", "70.91234", "2026-05-03 10:00:00", "Open"],
                          "metric.sales_won": ["a", "b", "c", "d", "e"]})
    problems = reports.report_problems(frame)
    assert any("a code 'at_risk'" in p for p in problems) and any("'None'" in p for p in problems)
    assert any("unformatted number" in p for p in problems) and any("timestamp" in p for p in problems)
    assert any("header" in p and "metric.sales_won" in p for p in problems)
    assert not any("Open" in p for p in problems)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_goals_workbook_is_a_report_in_the_users_language(session, world, lang):
    from core import goals

    frames = goals.export_frames(session, world.actors["manager_a"], world.teams["A"].id)
    assert "status" in frames["goals"].columns  # the raw sheet keeps its codes (for analysis)
    book = reports.goals_workbook(frames, lang, "CNY")
    sheet = book[i18n.t("reports.sheet.goals", lang)]
    assert list(sheet.columns)[:3] == [i18n.t("goals.goal", lang), i18n.t("goals.owner", lang), i18n.t("goals.metric", lang)]
    assert set(sheet[i18n.t("goals.status", lang)]) <= {i18n.t(f"goals.status.{s}", lang) for s in goals.STATUSES}
    for frame in book.values():
        assert reports.report_problems(frame) == []


def test_a_negative_number_in_a_report_is_text_a_spreadsheet_will_not_run():
    from core import safe_export

    frame = reports.formatted(pd.DataFrame({"NPS": [-12.0, 30.0], "Change": [-0.44, 0.2]}), "en", "CNY", {"Change": "change"})
    assert frame["NPS"].tolist() == ["\u221212", "30"] and frame["Change"].tolist() == [-0.4, 0.2]
    assert b"'" not in safe_export.to_csv_bytes(frame)


def test_english_counts_agree_with_their_number():
    assert i18n.t("service.breach_count", "en", n=1) == "1 complaint breached a target"
    assert i18n.t("service.breach_count", "en", n=2) == "2 complaints breached a target"
    assert i18n.t("assignment.queue_count", "en", n=1) == "1 customer waits for an owner"
    assert i18n.t("screens.release.gap.pending_self", "en", n=1) == "1 self-review is not done and will be dropped"
    assert i18n.t("service.breach_count", "zh", n=1) == "1 条投诉已超时"
    assert i18n.t("handover.applied", "en", customers=1, tasks=3) == "Handover done: 1 customer, 3 tasks."


COUNTED_NOUNS = ("complaints", "customers", "tasks", "deals", "goals", "sub-goals", "days", "rows", "columns", "members",
                 "teams", "sub-teams", "calls", "holidays", "follow-ups", "ratings", "scorecards", "items", "records",
                 "notifications", "problems", "moves", "gaps", "self-reviews", "sessions")


def test_no_english_text_counts_with_a_fixed_plural():
    """A count "{n} complaints" reads wrong for 1: use "[complaint|complaints]" (or count.*).
    Limits ("at least {n} characters", "{load}/{capacity} customers") stay as they are."""
    fixed = []
    nouns = "|".join(map(re.escape, COUNTED_NOUNS))
    for key, (_, en) in i18n.CATALOGUE.items():
        if key.startswith("count.") or re.search(r"(at least|at most) \{\w+\}", en, re.I):
            continue
        for m in re.finditer(r"(/?)\{(\w+)\} (?:open )?(" + nouns + r")\b", en):
            if m.group(1) != "/" and m.group(2) not in ("max", "min", "capacity", "limit"):
                fixed.append(f"{key}: {en}")
    assert fixed == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_complaints_history_reads_as_sentences(session, world, lang):
    from core import service

    admin = world.actors["admin"]
    cid = service.log_complaint(session, admin, customer_id=world.customers["a1"].id, severity="high", title="Late delivery")
    session.commit()
    item = service.get_complaint(session, admin, cid, lang=lang)
    assert item["history"], "logging a complaint leaves a history row"
    for row in item["history"]:
        assert "complaint.log" not in row["text"] and "Late delivery" in row["text"]
        assert not CODE.match(row["text"])
