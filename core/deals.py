"""Deals: sales opportunities as first-class work - created, edited, moved through the workspace's
stages and closed won or lost, with products from the catalogue and collaborators.

Every write is one transaction owned by the caller and writes an audit row. Like tasks, a write
states the version of the deal it saw; the UPDATE only touches the row while that version is
current (`... WHERE id = :id AND version = :expected`), so of two people moving the same drawn deal
exactly one wins and the other gets `Conflict`, on SQLite and PostgreSQL alike.

Who may change a deal is core.permissions' rule: its owner, its deal collaborators, the owner of
its customer, managers of any of them, admins. A member cannot move a colleague's deal unless they
collaborate on it; the customer's account team may read it.

Stages: the open stages are the workspace's to add, rename, reorder and retire; one stage `won`
and one `lost` close a deal (they may be renamed, not removed), so every metric reads a deal's
outcome from its stage code.

The pipeline board never loads the pipeline: column totals (count, amount, weighted amount) are
grouped in SQL, and cards are fetched per column with a window function up to the number shown.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
from sqlalchemy import Numeric, and_, case, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from core import audit, i18n, limits
from core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from core.metrics import CLOSED, LOST, WON  # what "won" means lives in core.metrics
from core.permissions import (
    READ,
    WRITE,
    Actor,
    allowed,
    ensure,
    ensure_member,
    ensure_role,
    may_work_on,
    scope_clause,
    scope_for,
    subtree_team_ids,
)
from db.base import utcnow
from db.models import (
    Customer,
    Deal,
    DealCollaborator,
    DealLine,
    DealStage,
    Member,
    Product,
)
from db.session import rowcount

CLOSE_PERIODS = ("this_quarter", "next_quarter", "this_month", "overdue", "all")
SORTS = ("value", "expected_close", "probability", "created_at", "title", "stage_entered_at")
DEFAULT_CARDS_PER_COLUMN = 20
MAX_CARDS_PER_COLUMN = 200
LONG_IN_STAGE_DAYS = 30  # a card this many days or more in its stage is flagged on the board
# from core.limits: 200, 200, 60, 300, 60, 120
TITLE_MAX, NEXT_STEP_MAX, SOURCE_MAX, REASON_MAX = (limits.max_length(Deal, c) for c in ("title", "next_step", "source", "close_reason"))
STAGE_NAME_MAX, PRODUCT_NAME_MAX = limits.max_length(DealStage, "name"), limits.max_length(Product, "name")
AMOUNT_MAX = Decimal("999999999999.99")
QUANTITY_MAX = Decimal("9999999999.99")


def workspace_currency(session: Session) -> str:
    """The currency deals are entered and forecast in: the workspace's (one rule, core.metrics)."""
    from core.metrics import workspace_currency as currency

    return currency(session)


def quarter_of(day: date, offset: int = 0) -> tuple[date, date]:
    """First and last day of the calendar quarter of `day`, shifted by `offset` quarters."""
    index = (day.year * 4 + (day.month - 1) // 3) + offset
    year, q = divmod(index, 4)
    start = date(year, q * 3 + 1, 1)
    end_year, end_q = divmod(index + 1, 4)
    return start, date(end_year, end_q * 3 + 1, 1) - timedelta(days=1)


def period_bounds(period: str, today: date) -> tuple[date | None, date | None]:
    """Close-date window of a board filter (None, None = any)."""
    if period == "this_quarter":
        return quarter_of(today)
    if period == "next_quarter":
        return quarter_of(today, 1)
    if period == "this_month":
        start = today.replace(day=1)
        nxt = (start + timedelta(days=32)).replace(day=1)
        return start, nxt - timedelta(days=1)
    if period == "overdue":
        return None, today - timedelta(days=1)
    if period == "all":
        return None, None
    raise InvalidInput("error.invalid", [FieldError("pipeline.error.bad_filter", {"value": period})])


# ---------------------------------------------------------------------------------------------
# Stages and products
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StageInfo:
    code: str
    name: str | None  # the workspace's name; None: the built-in translated name of the code
    position: int
    probability: int
    kind: str
    active: bool

    def label(self, lang: str) -> str:
        return self.name or i18n.choice_label("stage", self.code, lang)


def _stage_order():
    return (case((DealStage.kind == "open", 0), (DealStage.kind == WON, 1), else_=2), DealStage.position, DealStage.id)


def list_stages(session: Session, actor: Actor | None = None, include_inactive: bool = False) -> list[StageInfo]:
    """The workspace's stages in board order: open stages by position, then won, then lost."""
    stmt = select(DealStage).order_by(*_stage_order())
    if not include_inactive:
        stmt = stmt.where(DealStage.active.is_(True))
    return [StageInfo(s.code, s.name, s.position, s.probability, s.kind, s.active) for s in session.scalars(stmt)]


def _stage(session: Session, code: str) -> DealStage:
    stage = session.scalar(select(DealStage).where(DealStage.code == code))
    if stage is None or not stage.active:
        raise InvalidInput("error.invalid", [FieldError("pipeline.error.bad_stage", {"value": code}, column="pipeline.col.stage")])
    return stage


def save_stage(session: Session, actor: Actor, code: str | None, *, name: str | None, probability: int,
               position: int, active: bool = True) -> str:
    """Add an open stage (code None) or change one. Admins only. The won and lost stages keep their
    probability (100 and 0) and cannot be retired; a stage that still holds open deals cannot be
    retired either (move them first). Returns the stage's code."""
    ensure_role(actor, "admin")
    name = (name or "").strip() or None
    errors = []
    if name and len(name) > STAGE_NAME_MAX:
        errors.append(FieldError("pipeline.error.too_long", {"max": STAGE_NAME_MAX}, column="pipeline.col.stage_name"))
    if not isinstance(probability, int) or not 0 <= probability <= 100:
        errors.append(FieldError("pipeline.error.probability", column="pipeline.col.probability"))
    if code is None and not name:
        errors.append(FieldError("pipeline.error.required", column="pipeline.col.stage_name"))
    if errors:
        raise InvalidInput("error.invalid", errors)
    if code is None:
        stage = DealStage(code="tmp", name=name, position=position, probability=probability, kind="open", active=active)
        session.add(stage)
        session.flush()
        stage.code = f"s{stage.id}"
        session.flush()
        audit.record(session, actor, "deal_stage.create", "deal_stage", stage.id, None, audit.snapshot(stage))
        return stage.code
    stage = session.scalar(select(DealStage).where(DealStage.code == code))
    if stage is None:
        raise NotFound("error.not_found")
    before = audit.snapshot(stage)
    if stage.kind != "open":
        probability, active = stage.probability, True
    if stage.active and not active:
        holding = session.scalar(select(func.count()).select_from(Deal).where(Deal.stage == code)) or 0
        if holding:
            raise InvalidInput("pipeline.error.stage_in_use", n=holding)
    stage.name, stage.probability, stage.position, stage.active = name, probability, position, active
    session.flush()
    audit.record(session, actor, "deal_stage.update", "deal_stage", stage.id, *audit.changed(before, audit.snapshot(stage)))
    return stage.code


@dataclass(frozen=True)
class ProductInfo:
    id: int
    code: str | None
    name: str
    unit_price: Decimal
    currency: str
    active: bool


def list_products(session: Session, actor: Actor | None = None, include_inactive: bool = False) -> list[ProductInfo]:
    stmt = select(Product).order_by(Product.name)
    if not include_inactive:
        stmt = stmt.where(Product.active.is_(True))
    return [ProductInfo(p.id, p.code, p.name, p.unit_price, p.currency, p.active) for p in session.scalars(stmt)]


def save_product(session: Session, actor: Actor, product_id: int | None, *, name: str, unit_price: Any,
                 code: str | None = None, active: bool = True) -> int:
    """Add or change a catalogue product. Admins only; names and codes are unique."""
    ensure_role(actor, "admin")
    errors: list[FieldError] = []
    name = (name or "").strip()
    code = (code or "").strip() or None
    if not name:
        errors.append(FieldError("pipeline.error.required", column="pipeline.col.product"))
    elif len(name) > PRODUCT_NAME_MAX:
        errors.append(FieldError("pipeline.error.too_long", {"max": PRODUCT_NAME_MAX}, column="pipeline.col.product"))
    price = _money(unit_price, "pipeline.col.unit_price", errors)
    if errors:
        raise InvalidInput("error.invalid", errors)
    clash = session.scalar(select(Product.id).where(or_(Product.name == name, and_(Product.code == code, Product.code.is_not(None)))))
    if clash is not None and clash != product_id:
        raise Conflict("pipeline.error.product_exists", name=name)
    if product_id is None:
        product = Product(name=name, code=code, unit_price=price, currency=workspace_currency(session), active=active)
        session.add(product)
        session.flush()
        audit.record(session, actor, "product.create", "product", product.id, None, audit.snapshot(product))
        return product.id
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("error.not_found")
    before = audit.snapshot(product)
    product.name, product.code, product.unit_price, product.active = name, code, price, active
    session.flush()
    audit.record(session, actor, "product.update", "product", product.id, *audit.changed(before, audit.snapshot(product)))
    return product.id


# ---------------------------------------------------------------------------------------------
# Reads: the pipeline board and the list
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DealFilters:
    """What the pipeline shows. None means any."""

    team_id: int | None = None
    owner_id: int | None = None
    product_id: int | None = None
    period: str = "this_quarter"
    search: str = ""


@dataclass(frozen=True)
class DealCard:
    id: int
    version: int
    title: str
    customer_id: int
    customer: str
    owner_id: int | None
    owner: str | None
    value: Decimal
    currency: str
    probability: int
    stage: str
    expected_close: date | None
    closed_on: date | None
    in_commit: bool
    next_step: str | None
    days_in_stage: int | None
    overdue: bool

    @property
    def long_in_stage(self) -> bool:
        """Flagged on the board: LONG_IN_STAGE_DAYS or more in the current stage."""
        return self.days_in_stage is not None and self.days_in_stage >= LONG_IN_STAGE_DAYS


@dataclass(frozen=True)
class StageColumn:
    stage: StageInfo
    count: int
    amount: Decimal
    weighted: Decimal
    cards: tuple[DealCard, ...]

    @property
    def hidden(self) -> int:
        return max(0, self.count - len(self.cards))


@dataclass(frozen=True)
class Pipeline:
    columns: tuple[StageColumn, ...]
    currency: str
    today: date

    @property
    def shown(self) -> int:
        return sum(len(c.cards) for c in self.columns)

    @property
    def total(self) -> int:
        return sum(c.count for c in self.columns)

    def column(self, code: str) -> StageColumn | None:
        return next((c for c in self.columns if c.stage.code == code), None)


def _clauses(session: Session, actor: Actor, filters: DealFilters, today: date) -> list:
    scope = scope_for(session, actor)
    clauses = [scope_clause(scope, Deal)]
    if filters.team_id is not None:
        teams = sorted(subtree_team_ids(session, {filters.team_id}))
        clauses.append(Deal.owner_id.in_(select(Member.id).where(Member.team_id.in_(teams))))
    if filters.owner_id is not None:
        clauses.append(Deal.owner_id == filters.owner_id)
    if filters.product_id is not None:
        clauses.append(Deal.id.in_(select(DealLine.deal_id).where(DealLine.product_id == filters.product_id)))
    lo, hi = period_bounds(filters.period, today)
    if filters.period == "overdue":
        clauses.append(and_(Deal.stage.not_in(CLOSED), Deal.expected_close <= hi))
    elif lo is not None:
        clauses.append(or_(
            and_(Deal.stage.not_in(CLOSED), Deal.expected_close >= lo, Deal.expected_close <= hi),
            and_(Deal.stage.in_(CLOSED), Deal.closed_on >= lo, Deal.closed_on <= hi),
        ))
    text = (filters.search or "").strip().lower()
    if text:
        like = f"%{text}%"
        clauses.append(or_(func.lower(Deal.title).like(like), func.lower(Customer.name).like(like)))
    return clauses


def _weighted():
    return func.sum(Deal.value * Deal.probability / 100.0)


def pipeline(session: Session, actor: Actor, filters: DealFilters = DealFilters(), *, limit: int = DEFAULT_CARDS_PER_COLUMN,
             limits: Sequence[tuple[str, int]] = (), today: date | None = None) -> Pipeline:
    """The board: every active stage with its count, amount and weighted amount (grouped in SQL)
    and its first `limit` deals (largest first). `limits` raises the limit for some columns."""
    today = today or date.today()
    stages = list_stages(session)
    currency = workspace_currency(session)
    clauses = _clauses(session, actor, filters, today)
    clauses.append(Deal.currency == currency)
    grouped = select(Deal.stage, func.count(), func.sum(Deal.value), _weighted()).where(*clauses)
    if not scope_for(session, actor).everything or (filters.search or "").strip():
        grouped = grouped.join(Customer, Customer.id == Deal.customer_id)
    totals = {
        stage: (int(n), Decimal(str(amount or 0)), Decimal(str(weighted or 0)))
        for stage, n, amount, weighted in session.execute(grouped.group_by(Deal.stage)).all()
    }
    per = dict(limits)
    scope = scope_for(session, actor)
    needs_customer = not scope.everything or bool((filters.search or "").strip())
    rows: list[Any] = []
    for stage in stages:  # one short query per column: the (stage, value) index serves it in order
        n = max(0, min(per.get(stage.code, limit), MAX_CARDS_PER_COLUMN))
        if not n or not totals.get(stage.code, (0,))[0]:
            continue
        ids = select(Deal.id).where(Deal.stage == stage.code, *clauses)
        if needs_customer:
            ids = ids.join(Customer, Customer.id == Deal.customer_id)
        picked = ids.order_by(Deal.value.desc(), Deal.id).limit(n).subquery()
        rows += session.execute(
            select(Deal.id, Deal.version, Deal.title, Deal.customer_id, Customer.name.label("customer"), Deal.owner_id,
                   Member.name.label("owner"), Deal.value, Deal.currency, Deal.probability, Deal.stage,
                   Deal.expected_close, Deal.closed_on, Deal.in_commit, Deal.next_step, Deal.stage_entered_at)
            .join(picked, picked.c.id == Deal.id).join(Customer, Customer.id == Deal.customer_id)
            .outerjoin(Member, Member.id == Deal.owner_id).order_by(Deal.value.desc(), Deal.id)
        ).all()
    now = utcnow()
    cards: dict[str, list[DealCard]] = {}
    for r in rows:
        is_open = r.stage not in CLOSED
        cards.setdefault(r.stage, []).append(DealCard(
            r.id, r.version, r.title, r.customer_id, r.customer, r.owner_id, r.owner, Decimal(r.value), r.currency,
            r.probability, r.stage, r.expected_close, r.closed_on, bool(r.in_commit), r.next_step,
            (now - r.stage_entered_at).days if r.stage_entered_at and is_open else None,
            bool(is_open and r.expected_close and r.expected_close < today),
        ))
    columns = tuple(
        StageColumn(s, *totals.get(s.code, (0, Decimal(0), Decimal(0))), tuple(cards.get(s.code, ())))
        for s in stages
    )
    return Pipeline(columns, currency, today)


LIST_COLUMNS = ["id", "title", "customer", "owner", "stage", "value", "currency", "probability", "weighted",
                "expected_close", "closed_on", "in_commit", "next_step", "version"]


@dataclass(frozen=True)
class DealPage:
    rows: pd.DataFrame
    total: int
    offset: int
    limit: int


def list_deals(session: Session, actor: Actor, filters: DealFilters = DealFilters(), sort: str = "value",
               descending: bool = True, offset: int = 0, limit: int = 50, today: date | None = None) -> DealPage:
    """One page of the pipeline as a sortable list (sorted and paged in the database)."""
    if sort not in SORTS:
        raise InvalidInput("error.invalid", [FieldError("pipeline.error.bad_filter", {"value": sort})])
    today = today or date.today()
    clauses = _clauses(session, actor, filters, today)
    total = session.scalar(
        select(func.count(Deal.id)).select_from(Deal).join(Customer, Customer.id == Deal.customer_id).where(*clauses)
    ) or 0
    column = getattr(Deal, sort)
    order = column.desc().nulls_last() if descending else column.asc().nulls_last()
    rows = session.execute(
        select(Deal.id, Deal.title, Customer.name, Member.name, Deal.stage, Deal.value, Deal.currency, Deal.probability,
               cast(Deal.value * Deal.probability / 100.0, Numeric(14, 2)), Deal.expected_close, Deal.closed_on,
               Deal.in_commit, Deal.next_step, Deal.version)
        .join(Customer, Customer.id == Deal.customer_id).outerjoin(Member, Member.id == Deal.owner_id)
        .where(*clauses).order_by(order, Deal.id).offset(max(0, offset)).limit(max(1, min(limit, 500)))
    ).all()
    frame = pd.DataFrame.from_records([tuple(r) for r in rows], columns=LIST_COLUMNS)
    return DealPage(frame, int(total), offset, limit)


@dataclass(frozen=True)
class DealDetail:
    id: int
    version: int
    title: str
    customer_id: int
    customer: str
    owner_id: int | None
    owner: str | None
    value: Decimal
    currency: str
    stage: str
    probability: int
    expected_close: date | None
    closed_on: date | None
    next_step: str | None
    source: str | None
    in_commit: bool
    close_reason: str | None
    lines: tuple[dict, ...]
    collaborator_ids: tuple[int, ...]
    collaborators: tuple[str, ...]
    can_edit: bool
    history: tuple[dict, ...] = field(default_factory=tuple)


def _visible(session: Session, actor: Actor, deal_id: Any) -> Deal:
    try:
        deal = session.get(Deal, int(deal_id))
    except (TypeError, ValueError):
        deal = None
    if deal is None or not allowed(session, actor, READ, deal):
        raise NotFound("pipeline.error.not_found")  # do not reveal deals outside the scope
    return deal


def get_deal(session: Session, actor: Actor, deal_id: int) -> DealDetail:
    deal = _visible(session, actor, deal_id)
    customer = session.get(Customer, deal.customer_id)
    owner = session.get(Member, deal.owner_id) if deal.owner_id else None
    lines = tuple(
        {"product_id": pid, "product": name, "quantity": qty, "unit_price": price}
        for pid, name, qty, price in session.execute(
            select(DealLine.product_id, Product.name, DealLine.quantity, DealLine.unit_price)
            .join(Product, Product.id == DealLine.product_id).where(DealLine.deal_id == deal.id).order_by(DealLine.id)
        ).all()
    )
    collab = session.execute(
        select(Member.id, Member.name).join(DealCollaborator, DealCollaborator.member_id == Member.id)
        .where(DealCollaborator.deal_id == deal.id).order_by(Member.name)
    ).all()
    return DealDetail(
        deal.id, deal.version, deal.title, deal.customer_id, customer.name, deal.owner_id, owner.name if owner else None,
        deal.value, deal.currency, deal.stage, deal.probability, deal.expected_close, deal.closed_on, deal.next_step,
        deal.source, bool(deal.in_commit), deal.close_reason, lines, tuple(m for m, _ in collab), tuple(n for _, n in collab),
        allowed(session, actor, WRITE, deal), tuple(audit.history(session, "deal", deal.id, limit=30)),
    )


# ---------------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DealResult:
    deal_id: int
    version: int
    changed: bool
    title: str = ""
    stage: str = ""


_AUDIT_FIELDS = ("title", "customer_id", "owner_id", "value", "currency", "stage", "probability", "expected_close",
                 "closed_on", "next_step", "source", "in_commit", "close_reason", "version")


def _money(raw: Any, column: str, errors: list[FieldError]) -> Decimal | None:
    try:
        value = Decimal(str(raw)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        errors.append(FieldError("pipeline.error.amount", column=column))
        return None
    if not value.is_finite() or value < 0 or value > AMOUNT_MAX:
        errors.append(FieldError("pipeline.error.amount", column=column))
        return None
    return value


def _clean_text(fields: dict, name: str, limit: int, column: str, errors: list[FieldError], required: bool = False) -> None:
    if name not in fields:
        return
    value = fields[name]
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if "\x00" in value:
        errors.append(FieldError("pipeline.error.bad_text", column=column))
    if required and not value:
        errors.append(FieldError("pipeline.error.required", column=column))
    elif len(value) > limit:
        errors.append(FieldError("pipeline.error.too_long", {"max": limit}, column=column))
    fields[name] = value or None


def _validate(session: Session, fields: dict, lines: Sequence[dict] | None, errors: list[FieldError]) -> list[dict] | None:
    _clean_text(fields, "title", TITLE_MAX, "pipeline.col.title", errors, required=True)
    _clean_text(fields, "next_step", NEXT_STEP_MAX, "pipeline.col.next_step", errors)
    _clean_text(fields, "source", SOURCE_MAX, "pipeline.col.source", errors)
    if "probability" in fields and fields["probability"] is not None:
        p = fields["probability"]
        if not isinstance(p, int) or isinstance(p, bool) or not 0 <= p <= 100:
            errors.append(FieldError("pipeline.error.probability", column="pipeline.col.probability"))
    if "expected_close" in fields and fields["expected_close"] is not None and not isinstance(fields["expected_close"], date):
        errors.append(FieldError("pipeline.error.bad_date", column="pipeline.col.expected_close"))
    if "value" in fields and fields["value"] is not None:
        fields["value"] = _money(fields["value"], "pipeline.col.amount", errors)
    if lines is None:
        return None
    clean: list[dict] = []
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_([l.get("product_id") for l in lines])))}
    for n, line in enumerate(lines, start=1):
        product = products.get(line.get("product_id"))
        if product is None:
            errors.append(FieldError("pipeline.error.bad_product", row=n, column="pipeline.col.product"))
            continue
        try:
            qty = Decimal(str(line.get("quantity"))).quantize(Decimal("0.01"))
            if not qty.is_finite() or qty <= 0 or qty > QUANTITY_MAX:
                raise InvalidOperation
        except (InvalidOperation, ValueError, TypeError):
            errors.append(FieldError("pipeline.error.quantity", row=n, column="pipeline.col.quantity"))
            continue
        raw_price = line.get("unit_price")
        price = product.unit_price if raw_price is None else _money(raw_price, "pipeline.col.unit_price", errors)
        if price is None:
            continue
        clean.append({"product_id": product.id, "quantity": qty, "unit_price": Decimal(price)})
    return clean


def _lines_total(lines: Iterable[dict]) -> Decimal:
    total = sum((l["quantity"] * l["unit_price"] for l in lines), Decimal(0)).quantize(Decimal("0.01"))
    if total > AMOUNT_MAX:
        raise InvalidInput("error.invalid", [FieldError("pipeline.error.amount", column="pipeline.col.amount")])
    return total


def _check_owner(session: Session, actor: Actor, owner_id: int | None) -> None:
    if actor.role == "member":
        if owner_id != actor.member_id:
            raise PermissionDenied("pipeline.error.member_owner")
        return
    if owner_id is not None:
        member = session.get(Member, owner_id)
        if member is None:
            raise NotFound("error.not_found")
        if member.status == "left":
            raise InvalidInput("pipeline.error.member_left", name=member.name)
        ensure_member(scope_for(session, actor), owner_id)


def _set_collaborators(session: Session, deal: Deal, member_ids: Sequence[int]) -> None:
    wanted = {int(m) for m in member_ids if m is not None and m != deal.owner_id}
    known = set(session.scalars(select(Member.id).where(Member.id.in_(sorted(wanted)), Member.status != "left"))) if wanted else set()
    if wanted - known:
        raise InvalidInput("error.invalid", [FieldError("pipeline.error.bad_member", column="pipeline.col.collaborators")])
    current = set(session.scalars(select(DealCollaborator.member_id).where(DealCollaborator.deal_id == deal.id)))
    if current - wanted:
        session.execute(delete(DealCollaborator).where(DealCollaborator.deal_id == deal.id,
                                                        DealCollaborator.member_id.in_(sorted(current - wanted))))
    for member_id in sorted(wanted - current):
        session.add(DealCollaborator(deal_id=deal.id, member_id=member_id))


def _set_lines(session: Session, deal: Deal, lines: list[dict]) -> None:
    session.execute(delete(DealLine).where(DealLine.deal_id == deal.id))
    for line in lines:
        session.add(DealLine(deal_id=deal.id, **line))


def create_deal(
    session: Session,
    actor: Actor,
    *,
    customer_id: int,
    title: str,
    stage: str = "lead",
    owner_id: int | None = None,
    amount: Any = None,
    expected_close: date | None = None,
    probability: int | None = None,
    next_step: str | None = None,
    source: str | None = None,
    in_commit: bool = False,
    collaborator_ids: Sequence[int] = (),
    lines: Sequence[dict] | None = None,
) -> int:
    """Create an open deal on a customer the actor may work on (its owner, account team, or a
    manager who sees it). A member's deals are their own; the amount is the sum of the product
    lines when there are any. The probability defaults to the stage's."""
    customer = session.get(Customer, customer_id) if isinstance(customer_id, int) else None
    if customer is None or not may_work_on(session, actor, customer):
        raise NotFound("customers.not_found", id=str(customer_id))
    owner_id = actor.member_id if owner_id is None and actor.role == "member" else owner_id
    if owner_id is None:
        owner_id = actor.member_id if actor.member_id is not None else customer.owner_id
    _check_owner(session, actor, owner_id)
    target = _stage(session, stage)
    if target.kind != "open":
        raise InvalidInput("pipeline.error.create_closed")
    fields = dict(title=title, next_step=next_step, source=source, probability=probability, expected_close=expected_close,
                  value=amount if amount not in (None, "") else 0)
    errors: list[FieldError] = []
    clean_lines = _validate(session, fields, lines, errors)
    if errors:
        raise InvalidInput("error.invalid", errors)
    value = _lines_total(clean_lines) if clean_lines else fields["value"]
    now = utcnow()
    deal = Deal(customer_id=customer.id, owner_id=owner_id, title=fields["title"], value=value,
                currency=workspace_currency(session), stage=target.code,
                probability=target.probability if fields["probability"] is None else fields["probability"],
                expected_close=expected_close, next_step=fields["next_step"], source=fields["source"],
                in_commit=bool(in_commit), stage_entered_at=now, version=1, created_by=actor.user_id,
                created_at=now, updated_at=now)
    session.add(deal)
    session.flush()
    ensure(session, actor, WRITE, deal)
    if clean_lines:
        _set_lines(session, deal, clean_lines)
    if collaborator_ids:
        _set_collaborators(session, deal, collaborator_ids)
    session.flush()
    audit.record(session, actor, "deal.create", "deal", deal.id, None,
                 {**audit.snapshot(deal, _AUDIT_FIELDS), "lines": len(clean_lines or ()),
                  "collaborators": sorted(int(m) for m in collaborator_ids)})
    return deal.id


def _load_for_write(session: Session, actor: Actor, deal_id: int) -> Deal:
    deal = _visible(session, actor, deal_id)  # NotFound outside the scope
    if not allowed(session, actor, WRITE, deal):
        raise PermissionDenied("pipeline.error.not_yours", title=deal.title)
    return deal


def _guarded_update(session: Session, deal: Deal, expected_version: int, values: dict) -> int:
    """UPDATE ... SET values, version = version + 1 WHERE id AND version = expected; Conflict when
    nothing matched (someone changed the deal after it was drawn). Returns the new version."""
    result = session.execute(
        update(Deal).where(Deal.id == deal.id, Deal.version == expected_version)
        .values(**values, version=Deal.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise Conflict("pipeline.error.conflict", title=deal.title)
    session.expire(deal)
    return expected_version + 1


def _check_version(deal: Deal, expected_version: int) -> None:
    if deal.version != expected_version:
        raise Conflict("pipeline.error.conflict", title=deal.title)


def _stage_values(deal: Deal, target: DealStage, *, reason: str | None = None, closed_on: date | None = None,
                  today: date | None = None) -> dict:
    values: dict[str, Any] = {"stage": target.code, "probability": target.probability, "stage_entered_at": utcnow()}
    if target.kind == "open":
        values.update(closed_on=None, close_reason=None)
    else:
        values.update(closed_on=closed_on or today or date.today(), close_reason=reason, in_commit=False)
    return values


def move_stage(session: Session, actor: Actor, deal_id: int, expected_version: int, to_stage: str,
               *, reason: str | None = None, closed_on: date | None = None) -> DealResult:
    """Move a deal to another stage: its probability becomes the stage's default and its time in
    stage starts again. Moving to the won stage closes it won; to the lost stage needs a reason.
    Moving a closed deal to an open stage reopens it. One transaction, version-checked."""
    deal = _load_for_write(session, actor, deal_id)
    target = _stage(session, to_stage)
    _check_version(deal, expected_version)
    if target.code == deal.stage:
        return DealResult(deal.id, deal.version, False, deal.title, deal.stage)
    reason = (reason or "").strip() or None
    if target.kind == LOST and not reason:
        raise InvalidInput("error.invalid", [FieldError("pipeline.error.reason_required", column="pipeline.col.reason")])
    if reason and len(reason) > REASON_MAX:
        raise InvalidInput("error.invalid", [FieldError("pipeline.error.too_long", {"max": REASON_MAX}, column="pipeline.col.reason")])
    if closed_on is not None and closed_on > date.today():
        raise InvalidInput("error.invalid", [FieldError("pipeline.error.future_close", column="pipeline.col.closed_on")])
    title = deal.title
    before = audit.snapshot(deal, ("stage", "probability", "closed_on", "close_reason", "in_commit", "version"))
    values = _stage_values(deal, target, reason=reason, closed_on=closed_on)
    version = _guarded_update(session, deal, expected_version, values)
    after = {**before, **{k: v for k, v in values.items() if k in before}, "version": version}
    action = {"open": "deal.move", WON: "deal.won", LOST: "deal.lost"}[target.kind]
    audit.record(session, actor, action, "deal", deal_id, *audit.changed(before, after))
    return DealResult(deal_id, version, True, title, target.code)


def close_won(session: Session, actor: Actor, deal_id: int, expected_version: int, reason: str | None = None,
              closed_on: date | None = None) -> DealResult:
    return move_stage(session, actor, deal_id, expected_version, WON, reason=reason, closed_on=closed_on)


def close_lost(session: Session, actor: Actor, deal_id: int, expected_version: int, reason: str,
               closed_on: date | None = None) -> DealResult:
    return move_stage(session, actor, deal_id, expected_version, LOST, reason=reason, closed_on=closed_on)


_EDITABLE = {"title", "owner_id", "amount", "expected_close", "probability", "next_step", "source", "in_commit",
             "collaborator_ids", "lines"}


def update_deal(session: Session, actor: Actor, deal_id: int, expected_version: int, **changes: Any) -> DealResult:
    """Edit a deal's fields (title, owner_id, amount, expected_close, probability, next_step, source,
    in_commit, collaborator_ids, lines). Stage changes go through `move_stage`. Members cannot give
    their deal to someone else. Conflict when the deal changed since the form was opened."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise InvalidInput("error.invalid", [FieldError("pipeline.error.bad_field", {"value": ", ".join(sorted(unknown))})])
    deal = _load_for_write(session, actor, deal_id)
    _check_version(deal, expected_version)
    fields = {k: v for k, v in changes.items() if k not in ("collaborator_ids", "lines", "amount")}
    if "amount" in changes:
        fields["value"] = changes["amount"] if changes["amount"] not in (None, "") else 0
    if "in_commit" in fields:
        fields["in_commit"] = bool(fields["in_commit"])
        if fields["in_commit"] and deal.stage in CLOSED:
            raise InvalidInput("pipeline.error.commit_closed")
    errors: list[FieldError] = []
    lines = _validate(session, fields, changes.get("lines"), errors)
    if errors:
        raise InvalidInput("error.invalid", errors)
    if "owner_id" in fields and fields["owner_id"] != deal.owner_id:
        if actor.role == "member":
            raise PermissionDenied("pipeline.error.member_owner")
        _check_owner(session, actor, fields["owner_id"])
    if lines:
        fields["value"] = _lines_total(lines)
    before = {**audit.snapshot(deal, _AUDIT_FIELDS)}
    values = {k: v for k, v in fields.items() if getattr(deal, k) != v}
    line_change = lines is not None
    collab_change = "collaborator_ids" in changes
    if not values and not line_change and not collab_change:
        return DealResult(deal.id, deal.version, False, deal.title, deal.stage)
    title = values.get("title", deal.title)
    if line_change:
        _set_lines(session, deal, lines)
    if collab_change:
        _set_collaborators(session, deal, changes["collaborator_ids"] or ())
    version = _guarded_update(session, deal, expected_version, values)
    after = {**before, **values, "version": version}
    old, new = audit.changed(before, after)
    if line_change:
        new["lines"] = len(lines)
    if collab_change:
        new["collaborators"] = sorted(int(m) for m in changes["collaborator_ids"] or ())
    audit.record(session, actor, "deal.update", "deal", deal_id, old, new)
    return DealResult(deal_id, version, True, title, values.get("stage", deal.stage))


def deal_history(session: Session, actor: Actor, deal_id: int, limit: int = 30) -> list[dict]:
    _visible(session, actor, deal_id)
    return audit.history(session, "deal", deal_id, limit=limit)


def stuck_deals(session: Session, actor: Actor, days: int, filters: DealFilters = DealFilters(period="all"),
                limit: int = 50, today: date | None = None) -> pd.DataFrame:
    """Open deals that have sat in their stage for more than `days` days, longest first."""
    today = today or date.today()
    since = datetime.combine(today, datetime.min.time()) - timedelta(days=days)
    clauses = _clauses(session, actor, filters, today)
    rows = session.execute(
        select(Deal.id, Deal.title, Customer.name, Member.name, Deal.stage, Deal.value, Deal.stage_entered_at)
        .join(Customer, Customer.id == Deal.customer_id).outerjoin(Member, Member.id == Deal.owner_id)
        .where(*clauses, Deal.stage.not_in(CLOSED), Deal.stage_entered_at < since)
        .order_by(Deal.stage_entered_at, Deal.id).limit(limit)
    ).all()
    frame = pd.DataFrame.from_records([tuple(r) for r in rows],
                                      columns=["id", "title", "customer", "owner", "stage", "value", "since"])
    frame["days"] = [(today - s.date()).days if s is not None else None for s in frame["since"]]
    return frame


__all__ = [
    "WON", "LOST", "CLOSE_PERIODS", "SORTS", "DEFAULT_CARDS_PER_COLUMN", "StageInfo", "ProductInfo", "DealFilters",
    "DealCard", "StageColumn", "Pipeline", "DealPage", "DealDetail", "DealResult", "quarter_of", "period_bounds",
    "workspace_currency", "list_stages", "save_stage", "list_products", "save_product", "pipeline", "list_deals",
    "get_deal", "create_deal", "update_deal", "move_stage",
    "close_won", "close_lost", "deal_history", "stuck_deals",
]
