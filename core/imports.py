"""Import members, customers, deals and interactions from CSV or Excel files.

The flow the page walks through:
1. `read_table(data, filename)` -> every cell as text;
2. `guess_mapping(headers, kind)`: each of the file's own headers (any language: "客户名称",
   "Company", "Kunde") mapped to one of our fields by a synonyms table, then a fuzzy match; the user
   confirms or changes it;
3. `unknown_values(...)`: values we do not know (a new industry, a misspelt region "华冬", a size
   written "Groß") with the closest known value; the user maps each or keeps it as new;
4. `preview(...)`: the first rows as they will be saved, and every row-level error (spreadsheet row
   number, the file's column, what to fix);
5. `commit_import(...)`: all or nothing. Any error refuses the whole file; otherwise rows are written
   with bulk inserts in chunks, reporting progress through a callback.

Rows refer to each other by name, e-mail or external id: a deal's customer and owner, an interaction's
customer, a member's team and manager (who may be another row of the same file). References
resolve only to records inside the importing manager's scope.
"""
from __future__ import annotations

import difflib
import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import audit, i18n
from core import limits as value_limits
from core.assignment import (
    _candidates,
    active_rules,
    encode_reason,
    matching_rule,
    rule_target_team,
    score_candidate,
)
from core.communication import DEFAULT_CADENCE, cadence_for, next_follow_up_date
from core.errors import Conflict, FieldError, InvalidInput
from core.metrics import CLOSED
from core.permissions import (
    Actor,
    ensure_role,
    scope_clause,
    scope_for,
    subtree_team_ids,
)
from db.base import utcnow
from db.models import (
    CHANNELS,
    COMPLAINT_STATUSES,
    CUSTOMER_SIZES,
    CUSTOMER_STATUSES,
    CUSTOMER_TIERS,
    DEAL_STAGES,
    SEVERITIES,
    AssignmentHistory,
    AuditLog,
    Complaint,
    Contact,
    Customer,
    Deal,
    DealStage,
    Interaction,
    Member,
    Role,
    Survey,
    Team,
)

RECORD_TYPES = ("customers", "members", "deals", "interactions", "contacts", "surveys", "complaints")
CHUNK = 5000
MAX_ERRORS = 500
PREVIEW_ROWS = 20
KEEP = ""  # value_map target meaning "keep the value as a new one"
STANDARD_REGIONS = ("华东", "华南", "华北", "华中", "西南", "西北", "东北", "港澳台", "海外")
STANDARD_INDUSTRIES = ("retail", "manufacturing", "finance", "healthcare", "education", "logistics",
                       "technology", "energy", "government", "hospitality")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # text | free | enum | int | money | date | datetime | team | member | customer | role
    required: bool = False
    synonyms: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    label_prefix: str | None = None
    max_len: int | None = None


def _f(name, kind, required=False, synonyms="", choices=(), prefix=None, max_len=None) -> FieldSpec:
    return FieldSpec(name, kind, required, tuple(s.strip() for s in synonyms.split("|") if s.strip()), tuple(choices), prefix, max_len)


FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "customers": (
        _f("external_id", "text", False, "external id|id|code|customer id|customer code|account id|account number|account no|crm id|客户编号|客户编码|编号|代码|外部编号|账户编号", max_len=64),
        _f("name", "text", True, "name|customer|customer name|company|company name|account|account name|客户|客户名称|客户名|公司|公司名称|企业名称|名称", max_len=200),
        _f("industry", "free", True, "industry|sector|vertical|business|branche|branchen|industrie|行业|所属行业|行业类别", max_len=60),
        _f("size", "enum", True, "size|company size|segment|scale|employees|employee count|headcount|head count|number of employees|staff count|mitarbeiter|规模|企业规模|客户规模|员工人数|人数|员工数", CUSTOMER_SIZES, "size"),
        _f("region", "free", True, "region|area|territory|province|location|区域|地区|大区|省份|所在地区", max_len=60),
        _f("tier", "enum", False, "tier|level|grade|class|priority|等级|客户等级|级别|分级|客户分级", CUSTOMER_TIERS, "tier"),
        _f("status", "enum", False, "status|state|customer status|状态|客户状态", CUSTOMER_STATUSES, "customer_status"),
        _f("owner", "member", False, "owner|account manager|manager|sales rep|rep|assigned to|负责人|客户经理|跟进人|归属人|销售", ),
        _f("team", "team", False, "team|group|department|团队|小组|部门|所属团队"),
        _f("last_contact_at", "datetime", False, "last contact|last contacted|last contact date|最近联系|最近联系时间|上次联系|上次联系日期"),
        _f("notes", "text", False, "notes|note|remarks|comment|comments|备注|说明", max_len=4000),
    ),
    "members": (
        _f("external_id", "text", False, "external id|id|employee id|staff id|工号|员工编号|编号", max_len=64),
        _f("name", "text", True, "name|member|full name|employee|staff|姓名|成员|员工|名字", max_len=120),
        _f("email", "text", False, "email|e-mail|mail|邮箱|电子邮件|邮件", max_len=255),
        _f("phone", "text", False, "phone|mobile|tel|telephone|电话|手机|手机号|联系电话", max_len=40),
        _f("team", "team", True, "team|group|department|团队|小组|部门|所属团队"),
        _f("manager", "member", False, "manager|reports to|supervisor|line manager|上级|经理|直属上级|汇报对象"),
        _f("role", "role", True, "role|position|title|job|job title|角色|岗位|职位|职务"),
        _f("max_customers", "int", False, "max customers|capacity|customer capacity|客户容量|最大客户数|容量"),
        _f("max_open_tasks", "int", False, "max open tasks|task capacity|最大任务数|任务容量"),
        _f("joined_on", "date", False, "joined|joined on|start date|hire date|入职日期|加入日期|入职时间"),
        _f("office", "free", False, "office|branch|regional office|region|site|办公室|分公司|办事处|区域|大区", max_len=100),
    ),
    "deals": (
        _f("external_id", "text", False, "external id|deal id|id|opportunity id|商机编号|订单编号|编号", max_len=64),
        _f("title", "text", True, "title|deal|deal name|opportunity|name|商机|商机名称|标题|项目名称", max_len=200),
        _f("customer", "customer", True, "customer|company|account|customer name|客户|客户名称|公司|公司名称"),
        _f("owner", "member", False, "owner|sales rep|rep|负责人|销售|跟进人"),
        _f("value", "money", True, "value|amount|deal value|revenue|金额|商机金额|合同金额|价值"),
        _f("currency", "text", False, "currency|币种|货币", max_len=3),
        _f("stage", "enum", False, "stage|status|phase|阶段|销售阶段|状态", DEAL_STAGES, "stage"),
        _f("expected_close", "date", False, "expected close|close date|expected close date|预计成交日期|预计成交"),
        _f("closed_on", "date", False, "closed on|closed|closed date|成交日期|关闭日期"),
    ),
    "interactions": (
        _f("customer", "customer", True, "customer|company|account|customer name|客户|客户名称|公司"),
        _f("member", "member", False, "member|owner|by|contacted by|rep|负责人|联系人员|跟进人|员工"),
        _f("channel", "enum", True, "channel|type|method|medium|渠道|方式|沟通方式|联系方式", CHANNELS, "channel"),
        _f("occurred_at", "datetime", True, "date|time|occurred at|contact date|when|日期|时间|联系时间|沟通时间|联系日期"),
        _f("summary", "text", True, "summary|notes|content|subject|description|摘要|内容|沟通内容|记录|备注", max_len=2000),
        _f("outcome", "text", False, "outcome|result|结果|沟通结果", max_len=200),
        _f("next_follow_up", "date", False, "next follow up|follow up|next contact|下次跟进|下次回访|下次联系"),
    ),
}


# Issue 11: contacts, surveys and complaints go through the same mapping, modes and error file.
FIELDS.update({
    "contacts": (
        _f("customer", "customer", True, "customer|company|account|account name|customer name|客户|客户名称|公司|公司名称"),
        _f("name", "text", True, "name|contact|contact name|full name|person|联系人|姓名|联系人姓名", max_len=120),
        _f("title", "text", False, "title|job title|position|role|职位|职务|岗位", max_len=120),
        _f("phone", "text", False, "phone|mobile|tel|telephone|电话|手机|手机号|联系电话", max_len=40),
        _f("email", "text", False, "email|e-mail|mail|邮箱|电子邮件", max_len=255),
        _f("is_primary", "bool", False, "primary|main contact|is primary|主要联系人|首要联系人"),
    ),
    "surveys": (
        _f("customer", "customer", True, "customer|company|account|customer name|客户|客户名称|公司"),
        _f("member", "member", False, "member|agent|owner|rep|served by|负责人|客服|坐席|员工"),
        _f("csat", "int", False, "csat|satisfaction|score|rating|满意度|评分|满意度评分"),
        _f("nps", "int", False, "nps|net promoter|recommend|推荐值|推荐意愿|净推荐值"),
        _f("comment", "text", False, "comment|comments|feedback|verbatim|评论|意见|反馈|备注", max_len=4000),
        _f("responded_at", "datetime", True, "date|responded at|response date|survey date|time|日期|时间|回复时间|调查日期"),
    ),
    "complaints": (
        _f("customer", "customer", True, "customer|company|account|customer name|客户|客户名称|公司"),
        _f("title", "text", True, "title|subject|issue|summary|标题|主题|问题|投诉标题", max_len=200),
        _f("description", "text", False, "description|details|detail|content|描述|详情|内容", max_len=4000),
        _f("severity", "enum", False, "severity|priority|level|严重程度|级别|优先级", SEVERITIES, "severity"),
        _f("status", "enum", False, "status|state|状态", COMPLAINT_STATUSES, "complaint_status"),
        _f("assignee", "member", False, "assignee|assigned to|owner|agent|处理人|负责人|受理人"),
        _f("opened_at", "datetime", True, "opened|opened at|created|date|received|投诉时间|创建时间|日期|受理时间"),
        _f("first_response_at", "datetime", False, "first response|responded|first response at|首次响应|首次响应时间"),
        _f("resolved_at", "datetime", False, "resolved|resolved at|closed|解决时间|关闭时间"),
    ),
})


# The table each kind of row is written to: its columns' limits (core.limits) apply to every row.
MODELS = {"customers": Customer, "members": Member, "deals": Deal, "interactions": Interaction,
          "contacts": Contact, "surveys": Survey, "complaints": Complaint}


def fields_for(kind: str) -> tuple[FieldSpec, ...]:
    if kind not in FIELDS:
        raise InvalidInput("imports.bad_kind", [FieldError("imports.bad_kind", {"kind": kind})])
    return FIELDS[kind]


# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------
def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """Every cell as stripped text ("" for empty). CSV in UTF-8 (with or without BOM) or GB18030
    (what Chinese Excel saves); .xlsx via openpyxl."""
    name = filename.lower()
    try:
        if name.endswith((".xlsx", ".xlsm")):
            frame = pd.read_excel(io.BytesIO(data), dtype=object, engine="openpyxl")
        else:
            frame = None
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    first_line = data.split(b"\n", 1)[0].decode(encoding)
                except UnicodeDecodeError:
                    continue
                sep = max([",", "\t", ";", "|"], key=first_line.count)
                try:
                    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding=encoding, sep=sep)
                    break
                except UnicodeDecodeError:
                    continue
            if frame is None:
                raise InvalidInput("imports.unreadable", [FieldError("imports.bad_encoding")])
    except InvalidInput:
        raise
    except Exception as error:  # noqa: BLE001 - any parser failure is the user's file
        raise InvalidInput("imports.unreadable", [FieldError("imports.parse_error", {"detail": str(error)[:200]})]) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if name.endswith((".xlsx", ".xlsm")):
        frame = frame.map(_cell_text)
    else:
        frame = frame.apply(lambda column: column.str.strip())
    frame = frame.loc[~(frame == "").all(axis=1)]  # skip fully blank lines
    if frame.empty:
        raise InvalidInput("imports.empty", [FieldError("imports.empty_file")])
    return frame.reset_index(drop=True)


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# ---------------------------------------------------------------------------------------------
# Mapping headers
# ---------------------------------------------------------------------------------------------
def _norm(text: str) -> str:
    return re.sub(r"[\s_\-—–:：()（）\[\]【】*#./\\]+", "", str(text).strip().lower())


def guess_mapping(headers: list[str], kind: str) -> dict[str, str | None]:
    """Our field for each header (None when nothing fits): an exact synonym (normalised), else the
    closest synonym by similarity (>= 0.8), each field used at most once (leftmost header wins)."""
    specs = fields_for(kind)
    table: dict[str, str] = {}
    for spec in specs:
        for word in (spec.name, *spec.synonyms):
            table.setdefault(_norm(word), spec.name)
    result: dict[str, str | None] = {}
    used: set[str] = set()
    for header in headers:
        key = _norm(header)
        target = table.get(key)
        if target is None or target in used:
            close = [w for w in difflib.get_close_matches(key, list(table), n=5, cutoff=0.8) if table[w] not in used]
            target = table[close[0]] if close else None
        if target in used:
            target = None
        result[header] = target
        if target:
            used.add(target)
    return result


def optional_here(kind: str, mapped: set[str], default_role: str | None = None) -> set[str]:
    """Required fields a file may leave out: a member file with a manager or office column builds
    its teams; a default role stands in for a missing role column."""
    if kind != "members":
        return set()
    optional = set()
    if mapped & {"manager", "office"}:
        optional.add("team")
    if default_role:
        optional.add("role")
    return optional


def mapping_problems(mapping: dict[str, str | None], kind: str, default_role: str | None = None) -> list[FieldError]:
    """Required fields no header maps to, and fields mapped twice."""
    specs = fields_for(kind)
    counts = Counter(v for v in mapping.values() if v)
    optional = optional_here(kind, set(counts), default_role)
    errors = [FieldError("imports.missing_field", {"field": s.name}) for s in specs
              if s.required and not counts.get(s.name) and s.name not in optional]
    errors += [FieldError("imports.field_twice", {"field": name}) for name, n in counts.items() if n > 1]
    known = {s.name for s in specs}
    errors += [FieldError("imports.unknown_field", {"field": name}) for name in counts if name not in known]
    return errors


# ---------------------------------------------------------------------------------------------
# Reference data (what names resolve to)
# ---------------------------------------------------------------------------------------------
@dataclass
class _Refs:
    teams: dict[str, list[int]] = field(default_factory=dict)
    team_names: dict[int, str] = field(default_factory=dict)
    members: dict[str, list[int]] = field(default_factory=dict)
    member_team: dict[int, int] = field(default_factory=dict)
    customers: dict[str, list[int]] = field(default_factory=dict)
    customer_info: dict[int, tuple] = field(default_factory=dict)  # id -> (owner_id, team_id, tier, last_contact_at)
    roles: dict[str, int] = field(default_factory=dict)
    free: dict[str, Counter] = field(default_factory=dict)


def _add(index: dict[str, list[int]], key: Any, value: int) -> None:
    if key:
        bucket = index.setdefault(str(key).strip().lower(), [])
        if value not in bucket:
            bucket.append(value)


def _load_refs(session: Session, actor: Actor, kind: str) -> _Refs:
    scope = scope_for(session, actor)
    refs = _Refs()
    for tid, name in session.execute(select(Team.id, Team.name).where(scope_clause(scope, Team))).all():
        _add(refs.teams, name, tid)
        refs.team_names[tid] = name
    for mid, name, email, ext, team_id in session.execute(
        select(Member.id, Member.name, Member.email, Member.external_id, Member.team_id).where(scope_clause(scope, Member), Member.status != "left")
    ).all():
        for key in (ext, email, name):
            _add(refs.members, key, mid)
        refs.member_team[mid] = team_id
    for rid, code, zh, en in session.execute(select(Role.id, Role.code, Role.name_zh, Role.name_en).where(Role.active.is_(True))).all():
        for key in (code, zh, en, i18n.t(f"member_role.{code}", "zh"), i18n.t(f"member_role.{code}", "en")):
            refs.roles[str(key).strip().lower()] = rid
    if kind in ("deals", "interactions", "contacts", "surveys", "complaints"):
        for cid, name, ext, owner, team, tier, last in session.execute(
            select(Customer.id, Customer.name, Customer.external_id, Customer.owner_id, Customer.team_id, Customer.tier,
                   Customer.last_contact_at).where(scope_clause(scope, Customer))
        ).all():
            _add(refs.customers, ext, cid)
            _add(refs.customers, name, cid)
            refs.customer_info[cid] = (owner, team, tier, last)
    if kind == "customers":
        for column, standard in (("industry", STANDARD_INDUSTRIES), ("region", STANDARD_REGIONS)):
            col = getattr(Customer, column)
            counts = Counter({v: n for v, n in session.execute(
                select(col, func.count()).where(scope_clause(scope, Customer)).group_by(col)).all()})
            for value in standard:
                counts.setdefault(value, 0)
            refs.free[column] = counts
    return refs


def _enum_lookup(spec: FieldSpec) -> dict[str, str]:
    table = {}
    for code in spec.choices:
        table[code.lower()] = code
        if spec.label_prefix:
            for lang in i18n.LANGUAGES:
                table[i18n.t(f"{spec.label_prefix}.{code}", lang).strip().lower()] = code
    return table


# ---------------------------------------------------------------------------------------------
# Unknown values
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnknownValue:
    field: str
    column: str
    value: str
    count: int
    suggestion: str | None
    options: tuple[str, ...]
    may_create: bool  # a new industry/region may be kept as new; an enum or team must be mapped


SUGGEST_RATIO = 0.8  # difflib ratio of a misspelling ("helthcare" ~ healthcare 0.95; "medical" ~ education 0.5 is not one)


def _close_enough(value: str, option: str, ratio: float) -> bool:
    """A misspelling of the option: similar by ratio, or for a short word (two or three characters,
    as Chinese region names are) the same length with one character different."""
    if ratio >= SUGGEST_RATIO:
        return True
    if len(value) == len(option) and 2 <= len(value) <= 3:
        return sum(a != b for a, b in zip(value, option)) == 1
    return False


def _similar(value: str, options: list[str], weights: Counter[str] | None = None) -> str | None:
    """The closest option that is a likely misspelling of it (see `_close_enough`), else None (the
    value is then proposed as a new one); ties go to the most used option."""
    best, best_key = None, None
    v = value.strip().lower()
    for option in options:
        ratio = difflib.SequenceMatcher(None, v, option.strip().lower()).ratio()
        if not _close_enough(v, option.strip().lower(), ratio):
            continue
        key = (ratio, weights.get(option, 0) if weights else 0)
        if best_key is None or key > best_key:
            best, best_key = option, key
    return best


def unknown_values(session: Session, actor: Actor, kind: str, frame: pd.DataFrame,
                   mapping: dict[str, str | None]) -> list[UnknownValue]:
    """Values of mapped columns that match nothing we know, each with the closest known value."""
    ensure_role(actor, "admin", "manager")
    refs = _load_refs(session, actor, kind)
    specs = {s.name: s for s in fields_for(kind)}
    result: list[UnknownValue] = []
    for column, target in mapping.items():
        if not target or column not in frame.columns:
            continue
        spec = specs[target]
        counts = Counter(v for v in frame[column] if v)
        if spec.kind == "free":
            if target not in refs.free:
                continue  # a free text without a known list (a member's office): nothing to ask
            known = refs.free.get(target, Counter())
            lower = {k.lower() for k in known}
            for value, n in sorted(counts.items()):
                if value.lower() not in lower:
                    options = sorted(known, key=lambda k: -known[k])
                    result.append(UnknownValue(target, column, value, n, _similar(value, options, known), tuple(options), True))
        elif spec.kind == "enum":
            if counts and all(_number(v) is not None for v in counts):
                continue  # numbers (a head count for the size): bucket limits are asked once instead
            table = _enum_lookup(spec)
            for value, n in sorted(counts.items()):
                if value.lower() not in table:
                    labels = list(table)
                    close = _similar(value, labels)
                    result.append(UnknownValue(target, column, value, n, table[close] if close else None, spec.choices, False))
        elif spec.kind == "team":
            for value, n in sorted(counts.items()):
                if value.lower() not in refs.teams:
                    options = sorted(refs.team_names.values())
                    result.append(UnknownValue(target, column, value, n, _similar(value, options), tuple(options), False))
    return result


def _number(text: str) -> float | None:
    try:
        value = float(str(text).replace(",", "").strip())
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def numeric_category_columns(kind: str, frame: pd.DataFrame, mapping: dict[str, str | None]) -> list[tuple[str, str]]:
    """(column, field) of every column holding only numbers mapped to a category (a head count
    mapped to the company size): the page asks for the band limits once."""
    specs = {s.name: s for s in fields_for(kind)}
    found = []
    for column, target in mapping.items():
        if target and column in frame.columns and specs[target].kind == "enum":
            values = [v for v in frame[column] if v]
            if values and all(_number(v) is not None for v in values):
                found.append((column, target))
    return found


DEFAULT_BUCKETS = {"size": (50.0, 250.0, 1000.0)}  # head count: < 50 small, < 250 medium, < 1000 large, else enterprise


def bucket_of(value: float, limits: tuple[float, ...] | list[float], choices: tuple[str, ...]) -> str:
    """The category of a number: the first band whose upper limit it stays under (limits ascending,
    one fewer than the categories; the last category takes everything above)."""
    for limit, code in zip(limits, choices):
        if value < limit:
            return code
    return choices[len(limits)] if len(limits) < len(choices) else choices[-1]


def check_buckets(limits: list[float], choices: tuple[str, ...]) -> None:
    if len(limits) != len(choices) - 1 or any(b <= a for a, b in zip(limits, limits[1:])) or any(x <= 0 for x in limits):
        raise InvalidInput("move.buckets_invalid", [FieldError("move.buckets_invalid")])


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------
_MONEY_MARKS = tuple(sorted({*i18n.CURRENCY_SYMBOLS.values(), *i18n.CURRENCY_SYMBOLS, "\uffe5", ","}, key=len, reverse=True))


def _strip_currency(text: str) -> str:
    """An amount as written in a file: thousands separators and any currency sign or code dropped."""
    for mark in _MONEY_MARKS:
        text = text.replace(mark, "")
    return text.strip()


def _parse_date(text: str) -> date | None:
    text = text.strip().replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d-%m-%Y", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _parse_datetime(text: str) -> datetime | None:
    clean = text.strip().replace("年", "-").replace("月", "-").replace("日", " ").replace("/", "-").replace("T", " ").strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(clean, fmt)
        except ValueError:
            continue
    return None


@dataclass
class Prepared:
    rows: list[dict[str, Any]]
    errors: list[FieldError]
    error_count: int
    total: int
    new: int = 0
    updated: int = 0
    unchanged: int = 0


MODES = ("create", "update", "upsert")
KEYS: dict[str, tuple[str, ...]] = {
    "customers": ("external_id", "name_region", "name"),
    "members": ("external_id", "email", "name"),
    "deals": ("external_id", "customer_title"),
    "interactions": ("customer_time",),
    "contacts": ("customer_name", "email"),
    "surveys": ("customer_time_only",),
    "complaints": ("customer_title_time",),
}
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id",), "name_region": ("name", "region"), "name": ("name",), "email": ("email",),
    "customer_title": ("customer", "title"), "customer_time": ("customer", "occurred_at", "channel"),
    "customer_name": ("customer", "name"), "customer_time_only": ("customer", "responded_at"),
    "customer_title_time": ("customer", "title", "opened_at"),
}
_ROW_KEY = {"customer": "customer_id"}  # a reference field's value in a prepared row
# Fields compared with the existing record in "update" modes (the row's name -> the column).
COMPARED: dict[str, tuple[str, ...]] = {
    "customers": ("external_id", "name", "industry", "size", "region", "tier", "status", "notes", "last_contact_at",
                  "owner_id", "team_id"),
    "members": ("external_id", "name", "email", "phone", "team_id", "role_id", "manager_id", "max_customers",
                "max_open_tasks", "joined_on"),
    "deals": ("external_id", "title", "customer_id", "owner_id", "value", "currency", "stage", "expected_close", "closed_on"),
    "interactions": ("member_id", "summary", "outcome", "next_follow_up"),
    "contacts": ("name", "title", "phone", "email", "is_primary"),
    "surveys": ("member_id", "csat", "nps", "comment"),
    "complaints": ("title", "description", "severity", "status", "assignee_id", "first_response_at", "resolved_at"),
}
_KEYED_EXTRA = {"contacts": ("customer_id",), "surveys": ("customer_id", "responded_at"),
                "complaints": ("customer_id", "opened_at")}


def default_key(kind: str, mapping: dict[str, str | None]) -> str:
    """External id when the file has one, else the first natural key whose fields are mapped."""
    mapped = set(mapping.values())
    for key in KEYS[kind]:
        if set(KEY_FIELDS[key]) <= mapped:
            return key
    return KEYS[kind][0]


def _key_part(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value.strip().lower()
    if isinstance(value, datetime):
        return value.replace(second=0, microsecond=0)
    return value


def _row_key(row: dict, key: str) -> tuple | None:
    parts = tuple(_key_part(row.get(_ROW_KEY.get(f, f))) for f in KEY_FIELDS[key])
    return None if any(p is None for p in parts) else parts


def _existing_records(session: Session, actor: Actor, kind: str) -> list[dict]:
    """The records an import may match (inside the actor's scope), with the compared columns."""
    scope = scope_for(session, actor)
    if kind == "customers":
        query = select(Customer.id, *[getattr(Customer, c) for c in COMPARED[kind]]).where(scope_clause(scope, Customer))
    elif kind == "members":
        query = select(Member.id, *[getattr(Member, c) for c in COMPARED[kind]]).where(scope_clause(scope, Member), Member.status != "left")
    elif kind == "deals":
        query = (select(Deal.id, *[getattr(Deal, c) for c in COMPARED[kind]])
                 .join(Customer, Customer.id == Deal.customer_id).where(scope_clause(scope, Customer)))
    elif kind == "interactions":
        query = (select(Interaction.id, Interaction.customer_id, Interaction.occurred_at, Interaction.channel,
                        *[getattr(Interaction, c) for c in COMPARED[kind]])
                 .join(Customer, Customer.id == Interaction.customer_id).where(scope_clause(scope, Customer)))
    else:
        model = _MODELS[kind]
        wanted = dict.fromkeys([*_KEYED_EXTRA[kind], *COMPARED[kind]])
        query = (select(model.id, *[getattr(model, c) for c in wanted])
                 .join(Customer, Customer.id == model.customer_id).where(scope_clause(scope, Customer)))
    return [dict(r._mapping) for r in session.execute(query)]


def _same(new: Any, old: Any) -> bool:
    if isinstance(new, Decimal) or isinstance(old, Decimal):
        try:
            return Decimal(str(new)) == Decimal(str(old))
        except InvalidOperation:
            return False
    if isinstance(new, datetime) and isinstance(old, datetime):
        return new.replace(microsecond=0) == old.replace(microsecond=0)
    return new == old


def _classify(session: Session, actor: Actor, kind: str, rows: list[dict], columns, mode: str, key: str,  # noqa: C901 - issue 16 point 3: to be split
              errors_of: Callable[[dict], list[FieldError]]) -> tuple[int, int, int]:
    """Match every valid row with an existing record by `key`; note what would change. Adds the
    row errors that follow from the mode (a match in "create only", none in "update existing")."""
    mapped = {s.name for _, s in columns}
    if not set(KEY_FIELDS[key]) <= mapped:
        if mode != "create":
            raise InvalidInput("imports.mapping_incomplete", [FieldError("move.key_not_mapped")])
        for row in rows:  # nothing to match by: every row is new (unique columns still checked)
            for _, column, value, _owner in row.pop("_unique_hits", []):
                errors_of(row).append(FieldError("imports.duplicate_existing", {"value": value}, row=row["_line"], column=column))
        return sum(1 for r in rows if not errors_of(r)), 0, 0
    key_column = next(c for c, s in columns if s.name == KEY_FIELDS[key][0])
    index: dict[tuple, list[dict]] = {}
    for record in _existing_records(session, actor, kind):
        found = _row_key(record, key)
        if found is not None:
            index.setdefault(found, []).append(record)
    compared = [f for f in COMPARED[kind]]
    seen: dict[tuple, int] = {}
    matched_ids: dict[int, int] = {}  # file reference -(i+1) -> matched member id (members' managers)
    for row in rows:
        found = _row_key(row, key)
        hits = index.get(found, []) if found is not None else []
        if found is not None and found in seen:
            errors_of(row).append(FieldError("imports.duplicate_in_file", {"value": row.get(KEY_FIELDS[key][0]), "first": seen[found]},
                                             row=row["_line"], column=key_column))
            continue
        if found is not None:
            seen[found] = row["_line"]
        if len(hits) > 1:
            errors_of(row).append(FieldError("imports.ambiguous", {"value": row.get(KEY_FIELDS[key][0])}, row=row["_line"], column=key_column))
            continue
        if hits:
            row["_match"] = hits[0]["id"]
            row["_existing"] = hits[0]
            matched_ids[-(row["_line"] - 1)] = hits[0]["id"]
    new = updated = unchanged = 0
    for row in rows:
        for _field, column, value, owner in row.pop("_unique_hits", []):
            if row.get("_match") != owner:
                errors_of(row).append(FieldError("imports.duplicate_existing", {"value": value}, row=row["_line"], column=column))
        if errors_of(row):
            continue
        existing = row.get("_existing")
        if existing is None:
            if mode == "update":
                errors_of(row).append(FieldError("move.not_found", row=row["_line"], column=key_column))
            else:
                new += 1
            continue
        if mode == "create":
            errors_of(row).append(FieldError("move.exists", row=row["_line"], column=key_column))
            continue
        changes = {}
        for field_name in compared:
            if field_name not in row or row[field_name] is None:
                continue  # an empty cell keeps what the record has
            value = row[field_name]
            if field_name == "manager_id" and isinstance(value, int) and value < 0:
                value = matched_ids.get(value, value)
                if value < 0:
                    changes[field_name] = row[field_name]  # a new row of this file: resolved after the insert
                    continue
            if not _same(value, existing.get(field_name)):
                changes[field_name] = value
        row["_changes"] = changes
        if changes:
            updated += 1
        else:
            unchanged += 1
    return new, updated, unchanged


def prepare(session: Session, actor: Actor, kind: str, frame: pd.DataFrame, mapping: dict[str, str | None],  # noqa: C901 - issue 16 point 3: to be split
            value_map: dict[str, dict[str, str]] | None = None,
            progress: Callable[[float, str], None] | None = None, *, mode: str = "create", key: str | None = None,
            buckets: dict[str, list[float]] | None = None, default_role: str | None = None) -> Prepared:
    """Every row converted to our fields, with every problem located (spreadsheet row = index + 2,
    the header being row 1; column = the file's own header), matched with the existing records by
    `key` and classified as new / updated / unchanged (or refused, with its errors; all of them)."""
    ensure_role(actor, "admin", "manager")
    if mode not in MODES:
        raise InvalidInput("error.invalid")
    match_key = key or default_key(kind, mapping)
    if match_key not in KEYS[kind]:
        raise InvalidInput("error.invalid")
    problems = mapping_problems(mapping, kind, default_role=default_role)
    if problems:
        raise InvalidInput("imports.mapping_incomplete", problems)
    specs = {s.name: s for s in fields_for(kind)}
    value_map = value_map or {}
    refs = _load_refs(session, actor, kind)
    columns = [(c, specs[f]) for c, f in mapping.items() if f and c in frame.columns]
    enum_tables = {s.name: _enum_lookup(s) for _, s in columns if s.kind == "enum"}
    team_map = {k.lower(): v for k, v in value_map.get("team", {}).items()}
    file_keys: dict[str, list[int]] = {}
    if kind == "members":  # managers may be other rows of this file
        for i, (name, email, ext) in enumerate(zip(*[
            frame[c] if c else [""] * len(frame)
            for c in [next((c for c, s in columns if s.name == f), None) for f in ("name", "email", "external_id")]
        ])):
            for key in (ext, email, name):
                _add(file_keys, key, -(i + 1))
    seen_unique: dict[str, dict[str, int]] = {"external_id": {}, "email": {}}
    existing_unique = _existing_unique(session, kind, frame, columns)
    errors: list[FieldError] = []
    error_count = 0
    rows: list[dict[str, Any]] = []
    buckets = {k: list(v) for k, v in (buckets or {}).items()}
    for field_name, limits in buckets.items():
        check_buckets(limits, specs[field_name].choices)
    default_role_id = refs.roles.get(str(default_role).lower()) if default_role else None
    if kind == "members" and "role" not in set(mapping.values()) and default_role_id is None:
        raise InvalidInput("imports.mapping_incomplete", [FieldError("imports.missing_field", {"field": "role"})])
    records = frame.to_dict("records")
    total = len(records)
    for index, raw in enumerate(records):
        if progress and index % CHUNK == 0:
            progress(index / max(total, 1), "validate")
        line = index + 2
        row: dict[str, Any] = {"_line": line}
        row_errors: list[FieldError] = []

        def bad(column: str, key: str, **params: Any) -> None:
            row_errors.append(FieldError(key, params, row=line, column=column))  # noqa: B023 - used in this iteration only

        for column, spec in columns:
            text = raw.get(column, "")
            mapped = value_map.get(spec.name, {})
            if text in mapped and mapped[text] != KEEP:
                text = mapped[text]
            if not text:
                if spec.required:
                    bad(column, "imports.required")
                row[spec.name] = None
                continue
            if spec.max_len and len(text) > spec.max_len:
                bad(column, "customers.too_long", max=spec.max_len)
                continue
            if spec.kind in ("text", "free"):
                row[spec.name] = text
            elif spec.kind == "enum":
                code = enum_tables[spec.name].get(text.lower())
                number = _number(text) if code is None and spec.name in buckets else None
                if number is not None:
                    code = bucket_of(number, buckets[spec.name], spec.choices)
                if code is None:
                    bad(column, "imports.bad_choice", value=text, allowed=", ".join(spec.choices))
                row[spec.name] = code
            elif spec.kind == "bool":
                lowered = text.lower()
                if lowered in ("1", "yes", "y", "true", "x", "是", "√", "✓"):
                    row[spec.name] = True
                elif lowered in ("0", "no", "n", "false", "否"):
                    row[spec.name] = False
                else:
                    bad(column, "imports.bad_choice", value=text, allowed="yes, no")
            elif spec.kind == "int":
                try:
                    number = int(float(text))  # "inf" raises OverflowError, "nan" ValueError
                    if number < 0:
                        raise ValueError
                    row[spec.name] = number
                except (ValueError, OverflowError):
                    bad(column, "imports.bad_count", value=text)
            elif spec.kind == "money":
                try:
                    amount = Decimal(_strip_currency(text))
                    if amount < 0 or not amount.is_finite():
                        raise InvalidOperation
                    row[spec.name] = amount
                except InvalidOperation:
                    bad(column, "imports.bad_money", value=text)
            elif spec.kind == "date":
                parsed = _parse_date(text)
                if parsed is None:
                    bad(column, "imports.bad_date", value=text)
                row[spec.name] = parsed
            elif spec.kind == "datetime":
                parsed = _parse_datetime(text)
                if parsed is None:
                    bad(column, "imports.bad_date", value=text)
                row[spec.name] = parsed
            elif spec.kind == "team":
                ids = refs.teams.get(team_map.get(text.lower(), text).lower(), [])
                if len(ids) != 1:
                    bad(column, "imports.unknown_team" if not ids else "imports.ambiguous", value=text)
                row["team_id"] = ids[0] if len(ids) == 1 else None
            elif spec.kind == "member":
                # a person named by a row of this same file is that row (re-imports name them twice)
                ids = file_keys.get(text.lower()) or refs.members.get(text.lower(), [])
                if len(ids) != 1:
                    bad(column, "imports.unknown_member" if not ids else "imports.ambiguous", value=text)
                row[spec.name + "_id"] = ids[0] if len(ids) == 1 else None
            elif spec.kind == "customer":
                ids = refs.customers.get(text.lower(), [])
                if len(ids) != 1:
                    bad(column, "imports.unknown_customer" if not ids else "imports.ambiguous", value=text)
                row["customer_id"] = ids[0] if len(ids) == 1 else None
            elif spec.kind == "role":
                rid = refs.roles.get(text.lower())
                if rid is None:
                    bad(column, "imports.unknown_role", value=text)
                row["role_id"] = rid
        # the same limits as every other write (NUL bytes, lengths, finite and bounded numbers),
        # named by the file's own column
        headers = {spec.name: column for column, spec in columns if spec.kind in ("text", "free", "int", "money")}
        row_errors.extend(value_limits.problems(MODELS[kind], {n: row[n] for n in headers if n in row}, row=line, columns=headers))
        if kind == "customers" and row.get("owner_id") is not None:  # the owner's team, as the writer does
            row["team_id"] = refs.member_team.get(row["owner_id"], row.get("team_id"))
        if default_role_id is not None and "role_id" not in row and kind == "members":
            row["role_id"] = default_role_id
        if kind == "deals" and row.get("stage") in CLOSED and not row.get("closed_on") and row.get("expected_close"):
            row["closed_on"] = row["expected_close"]  # a closed deal's date is when it closed
        for unique in ("external_id", "email"):
            value = row.get(unique)
            if value and unique in existing_unique:
                column = next(c for c, s in columns if s.name == unique)
                low = value.lower()
                if low in existing_unique[unique]:  # fine when it is the record this row updates
                    row.setdefault("_unique_hits", []).append((unique, column, value, existing_unique[unique][low]))
                if low in seen_unique[unique]:
                    bad(column, "imports.duplicate_in_file", value=value, first=seen_unique[unique][low])
                else:
                    seen_unique[unique][low] = line
        if kind == "members" and row.get("email") and "@" not in row["email"]:
            bad(next(c for c, s in columns if s.name == "email"), "customers.bad_email")
        if kind == "members" and row.get("manager_id") == -(index + 1):
            bad(next(c for c, s in columns if s.name == "manager"), "imports.own_manager")
        if kind == "surveys":
            for name, low, high in (("csat", 1, 5), ("nps", 0, 10)):
                if row.get(name) is not None and not low <= row[name] <= high:
                    bad(next(c for c, s in columns if s.name == name), "imports.bad_choice", value=row[name], allowed=f"{low}-{high}")
            if row.get("csat") is None and row.get("nps") is None and not row_errors:
                bad(next((c for c, s in columns if s.name in ("csat", "nps")), ""), "imports.required")
        if kind == "complaints":
            for name in ("first_response_at", "resolved_at"):
                if row.get(name) and row.get("opened_at") and row[name] < row["opened_at"]:
                    bad(next(c for c, s in columns if s.name == name), "imports.bad_date", value=row[name].isoformat(sep=" "))
        if kind == "interactions" and row.get("occurred_at") and row["occurred_at"] > utcnow() + timedelta(days=1):
            bad(next(c for c, s in columns if s.name == "occurred_at"), "comm.future_contact")
        row["_errors"] = row_errors
        rows.append(row)
    new, updated, unchanged = _classify(session, actor, kind, [r for r in rows if not r["_errors"]], columns, mode, match_key,
                                        lambda r: r["_errors"])
    for row in rows:
        if row["_errors"]:
            error_count += 1
            errors.extend(row["_errors"])
    if progress:
        progress(1.0, "validate")
    return Prepared(rows, errors, error_count, total, new, updated, unchanged)


def _existing_unique(session: Session, kind: str, frame: pd.DataFrame, columns) -> dict[str, dict[str, int]]:
    """Existing external ids / e-mails (all records, whatever the scope: they must stay unique)."""
    model: Any = {"customers": Customer, "members": Member, "deals": Deal}.get(kind)
    result: dict[str, dict[str, int]] = {}
    if model is None:
        return result
    for column, spec in columns:
        if spec.name in ("external_id", "email") and hasattr(model, spec.name):
            values = {v for v in frame[column] if v}
            col = getattr(model, spec.name)
            found: dict[str, int] = {}
            ordered = sorted(values)
            for start in range(0, len(ordered), 900):
                found.update({str(v).lower(): i for i, v in session.execute(
                    select(model.id, col).where(col.in_(ordered[start:start + 900])))})
            result[spec.name] = found
    return result


@dataclass(frozen=True)
class ImportPreview:
    """The dry run: the first rows as they will be saved, every error, and what would happen."""
    rows: pd.DataFrame
    errors: tuple[FieldError, ...]
    error_rows: int
    total: int
    new: int = 0
    updated: int = 0
    unchanged: int = 0


def preview(session: Session, actor: Actor, kind: str, frame: pd.DataFrame, mapping: dict[str, str | None],
            value_map: dict[str, dict[str, str]] | None = None, limit: int = PREVIEW_ROWS, **options: Any) -> ImportPreview:
    """Nothing is written: `options` are commit_import's mode, key, buckets and default_role."""
    prepared = prepare(session, actor, kind, frame, mapping, value_map, **options)
    shown = []
    names = [s.name for s in fields_for(kind) if s.name in set(mapping.values())]
    bad_lines = {e.row for e in prepared.errors}
    for row in prepared.rows[:limit]:
        line = row["_line"]
        record = {"row": line, "ok": line not in bad_lines}
        source = frame.iloc[line - 2]
        for column, target in mapping.items():
            if target:
                record[target] = source[column]
        shown.append(record)
    return ImportPreview(pd.DataFrame.from_records(shown, columns=["row", "ok", *names]), tuple(prepared.errors),
                         prepared.error_count, prepared.total, prepared.new, prepared.updated, prepared.unchanged)


# ---------------------------------------------------------------------------------------------
# Commit
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    kind: str
    created: int
    assigned: int = 0
    queued: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    errors: tuple[FieldError, ...] = ()
    logins: tuple[tuple[str, str, str], ...] = ()  # (member, username, one-time password)
    teams: int = 0


def commit_import(session: Session, actor: Actor, kind: str, frame: pd.DataFrame, mapping: dict[str, str | None],
                  value_map: dict[str, dict[str, str]] | None = None,
                  progress: Callable[[float, str], None] | None = None, filename: str = "", *, mode: str = "create",
                  key: str | None = None, partial: bool = False, buckets: dict[str, list[float]] | None = None,
                  default_role: str | None = None, create_logins: bool = False) -> ImportResult:
    """Validate everything, then write, in the caller's one transaction. Without `partial` a single
    bad row refuses the file and nothing is written; with it the valid rows are written and the
    result lists the errors of the others (`error_frame` / `rejected_rows` give them back as files).
    `mode`: create only / update existing / create and update, matched by `key`.
    `progress(fraction, phase)` is called as it goes."""
    def report(fraction: float, phase: str) -> None:
        if progress:
            progress(min(max(fraction, 0.0), 1.0), phase)

    prepared = prepare(session, actor, kind, frame, mapping, value_map, lambda f, p: report(f * 0.3, p), mode=mode, key=key,
                       buckets=buckets, default_role=default_role)
    if prepared.errors and not partial:
        raise InvalidInput("imports.has_errors", prepared.errors, rows=prepared.error_count, total=prepared.total)
    valid = [r for r in prepared.rows if not r["_errors"]]
    fresh = [r for r in valid if r.get("_match") is None]
    changed = [r for r in valid if r.get("_match") is not None and r.get("_changes")]
    writers: dict[str, Callable[..., ImportResult]] = {
        "customers": _write_customers, "members": _write_members, "deals": _write_deals, "interactions": _write_interactions,
        "contacts": _write_simple, "surveys": _write_simple, "complaints": _write_simple}
    writer = writers[kind]
    if writer is _write_simple:
        writer = lambda s_, a_, rows_, report_: _write_simple(s_, a_, kind, rows_, report_)  # noqa: E731
    extra: dict[str, Any] = {}
    if kind == "members":
        result = _write_members(session, actor, fresh, lambda f: report(0.3 + f * 0.5, "write"),
                                matched=[r for r in valid if r.get("_match") is not None], create_logins=create_logins)
        extra = {"logins": result.logins, "teams": result.teams}
    else:
        result = writer(session, actor, fresh, lambda f: report(0.3 + f * 0.5, "write")) if fresh else ImportResult(kind, 0)
    _apply_updates(session, actor, kind, changed)
    report(0.95, "write")
    session.expire_all()  # bulk statements bypass the identity map: reload what callers read next
    audit.record(session, actor, f"import.{kind}", "import", None, None,
                 {"file": filename, "rows": result.created, "assigned": result.assigned, "queued": result.queued,
                  "mode": mode, "updated": len(changed), "refused": prepared.error_count})
    report(1.0, "done")
    return ImportResult(kind, result.created, result.assigned, result.queued, len(changed), prepared.unchanged,
                        prepared.error_count, tuple(prepared.errors), **extra)


_MODELS: dict[str, Any] = {"customers": Customer, "members": Member, "deals": Deal, "interactions": Interaction, "contacts": Contact,
           "surveys": Survey, "complaints": Complaint}
_ENTITY = {"customers": "customer", "members": "member", "deals": "deal", "interactions": "interaction", "contacts": "contact",
           "surveys": "survey", "complaints": "complaint"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _apply_updates(session: Session, actor: Actor, kind: str, rows: list[dict]) -> None:
    """Write what changed on matched records (grouped by the set of changed columns, by primary
    key), each change audited with before and after; a customer's new owner enters its history."""
    if not rows:
        return
    model = _MODELS[kind]
    now = utcnow()
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        changes = dict(row["_changes"])
        if kind == "members" and isinstance(changes.get("manager_id"), int) and changes["manager_id"] < 0:
            changes["manager_id"] = row.get("_manager_resolved")
            if changes["manager_id"] is None or changes["manager_id"] == row["_match"]:
                changes.pop("manager_id")
        if changes:
            groups.setdefault(tuple(sorted(changes)), []).append({"id": row["_match"], **changes})
    for _, items in groups.items():
        for _, chunk in _chunks(items):
            session.execute(update(model), chunk)
    logs, history = [], []
    for row in rows:
        before = {k: _jsonable(row["_existing"].get(k)) for k in row["_changes"]}
        after = {k: _jsonable(v) for k, v in row["_changes"].items()}
        logs.append({"at": now, "user_id": actor.user_id, "action": f"{_ENTITY[kind]}.import_update", "entity": _ENTITY[kind],
                     "entity_id": row["_match"], "before": before, "after": after})
        if kind == "customers" and "owner_id" in row["_changes"]:
            history.append({"customer_id": row["_match"], "from_member_id": row["_existing"].get("owner_id"),
                            "to_member_id": row["_changes"]["owner_id"], "changed_by": actor.user_id, "changed_at": now,
                            "reason": encode_reason("assignment.reason_import")})
    _bulk(session, AssignmentHistory, history)
    _bulk(session, AuditLog, logs)


def error_frame(errors: list[FieldError] | tuple[FieldError, ...], frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Every error as a row: spreadsheet row, the file's column, the value there, and the reason
    in the user's language (the downloadable error file)."""
    records = []
    for e in errors:
        value = ""
        if e.row is not None and e.column in frame.columns and 0 <= e.row - 2 < len(frame):
            value = frame.iloc[e.row - 2][e.column]
        records.append({i18n.t("move.err.row", lang): e.row, i18n.t("move.err.column", lang): e.column or "",
                        i18n.t("move.err.value", lang): value, i18n.t("move.err.reason", lang): i18n.t(e.key, lang, **e.params)})
    return pd.DataFrame.from_records(records, columns=[i18n.t(f"move.err.{c}", lang) for c in ("row", "column", "value", "reason")])


def rejected_rows(errors: list[FieldError] | tuple[FieldError, ...], frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The rows that were not imported, as they were in the file, with a column saying why: fix
    them and import this file again."""
    reasons: dict[int, list[str]] = {}
    for e in errors:
        if e.row is not None:
            reasons.setdefault(e.row, []).append(f"{e.column or ''}: {i18n.t(e.key, lang, **e.params)}")
    lines = sorted(reasons)
    rest = frame.iloc[[line - 2 for line in lines if 0 <= line - 2 < len(frame)]].copy()
    rest[i18n.t("move.err.reason", lang)] = ["; ".join(reasons[line]) for line in lines if 0 <= line - 2 < len(frame)]
    return rest.reset_index(drop=True)


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield start, items[start:start + size]


def _insert_returning_ids(session: Session, model, rows: list[dict], report: Callable[[float], None],
                          share: float = 0.6) -> list[int]:
    """Bulk-insert `rows` (all stamped with the same `created_at`) and return their ids in order.
    RETURNING with a guaranteed order degrades to one statement per row on SQLite, so the rows
    are inserted with a plain executemany and their ids read back: this transaction's rows are
    the ones above the previous maximum id carrying this exact timestamp, in id order."""
    if not rows:
        return []
    stamp = rows[0]["created_at"]
    floor = session.scalar(select(func.max(model.id))) or 0
    table = model.__table__
    for start, chunk in _chunks(rows):
        session.execute(table.insert(), chunk)
        report(share * (start + len(chunk)) / len(rows))
    ids = list(session.scalars(select(model.id).where(model.id > floor, model.created_at == stamp).order_by(model.id)))
    if len(ids) != len(rows):  # someone else inserted with the very same timestamp: refuse, all rolls back
        raise Conflict("error.conflict")
    return ids


def _bulk(session: Session, model, rows: list[dict]) -> None:
    table = model.__table__
    for _, chunk in _chunks(rows):
        session.execute(table.insert(), chunk)


def _write_customers(session: Session, actor: Actor, rows: list[dict], report) -> ImportResult:
    scope = scope_for(session, actor)
    now = utcnow()
    people = {c.member_id: c for c in _candidates(session, scope)}
    by_team: dict[int, list] = {}
    for c in people.values():
        by_team.setdefault(c.team_id, []).append(c)
    subtree_cache: dict[int, list] = {}

    def pool(team_id: int | None) -> list:
        if team_id is None:
            return list(people.values())
        if team_id not in subtree_cache:
            subtree_cache[team_id] = [c for t in subtree_team_ids(session, {team_id}) for c in by_team.get(t, [])]
        return subtree_cache[team_id]

    member_team = {mid: c.team_id for mid, c in people.items()}
    member_team.update(dict(session.execute(select(Member.id, Member.team_id).where(scope_clause(scope, Member))).all()))
    cadences: dict[int | None, dict[str, int]] = {}
    rules = active_rules(session, scope)
    subtrees: dict[int, set[int]] = {}  # team -> its sub-teams, for matching rules to rows
    inserts, why_by_row = [], []
    assigned = queued = 0
    for row in rows:
        attrs = {"industry": row["industry"], "size": row["size"], "region": row["region"], "team_id": row.get("team_id")}
        owner_id = row.get("owner_id")
        team_id = row.get("team_id")
        why: tuple[str, dict[str, Any]] | None = None
        if owner_id is not None:
            team_id = member_team.get(owner_id, team_id)
            why = ("assignment.reason_import", {})
        else:
            rule = matching_rule(session, scope, attrs, rules, subtrees)
            if rule and rule.target_team_id and team_id is None:
                team_id = rule.target_team_id
                attrs["team_id"] = team_id
            rule_member = rule.target_member_id if rule else None
            candidates = pool(rule_target_team(session, rule, team_id, subtrees))
            best = _best_with_room(candidates, attrs, rule_member)
            if best is not None:
                owner_id = best.member_id
                team_id = member_team.get(owner_id, team_id)
                why = ("assignment.reason_auto", {"why": [list(r) for r in score_candidate(best, attrs, owner_id == rule_member).reasons]})
                best.load += 1
            else:
                queued += 1
        if owner_id is not None:
            assigned += 1
        if team_id is None and not scope.everything:
            team_id = next(iter(sorted(scope.team_ids)), None)
        if team_id not in cadences:
            cadences[team_id] = cadence_for(session, team_id) if team_id else dict(DEFAULT_CADENCE)
        tier = row.get("tier") or "B"
        last = row.get("last_contact_at")
        follow = next_follow_up_date(last or now, tier, cadences[team_id])
        inserts.append({
            "external_id": row.get("external_id"), "name": row["name"], "industry": row["industry"], "size": row["size"],
            "region": row["region"], "tier": tier, "status": row.get("status") or "active", "owner_id": owner_id,
            "team_id": team_id, "last_contact_at": last, "next_follow_up": follow, "notes": row.get("notes"),
            "created_at": now,
        })
        why_by_row.append(why)
    ids = _insert_returning_ids(session, Customer, inserts, report)
    history, logs = [], []
    for cid, values, why in zip(ids, inserts, why_by_row):
        if values["owner_id"] is not None:
            history.append({"customer_id": cid, "from_member_id": None, "to_member_id": values["owner_id"],
                            "changed_by": actor.user_id, "changed_at": now, "reason": encode_reason(why[0], **why[1])})
        logs.append({"at": now, "user_id": actor.user_id, "action": "customer.import", "entity": "customer", "entity_id": cid,
                     "before": None, "after": {"name": values["name"], "owner_id": values["owner_id"], "team_id": values["team_id"],
                                               "tier": values["tier"]}})
    report(0.75)
    _bulk(session, AssignmentHistory, history)
    report(0.85)
    _bulk(session, AuditLog, logs)
    report(1.0)
    return ImportResult("customers", len(ids), assigned, queued)


def _best_with_room(candidates: list, attrs: dict[str, Any], rule_member: int | None):
    """The candidate `suggest_owner` would rank first among those with room (same score and
    tie-breaks as core.assignment), computed without building every suggestion: imports score
    100,000 rows."""
    wanted = [(kind, str(attrs[kind]).strip().lower()) for kind in ("industry", "size", "region") if attrs.get(kind)]
    best, best_key = None, None
    for c in candidates:
        if c.load >= c.capacity:
            continue
        specs = c.specialties
        matches = sum(1 for kind, value in wanted if value in specs.get(kind, ()))
        score = round(2.0 * matches + max(1 - c.load / c.capacity, 0.0) + (3.0 if c.member_id == rule_member else 0.0), 4)
        key = (-score, c.load / c.capacity, c.member_id)
        if best_key is None or key < best_key:
            best, best_key = c, key
    return best


def _write_members(session: Session, actor: Actor, rows: list[dict], report, matched: list[dict] | None = None,
                   create_logins: bool = False) -> ImportResult:
    """New members (and, for a file with manager/office columns but no team column, the team tree:
    office -> one team per manager, led by that manager); managers may be rows of the same file."""
    scope = scope_for(session, actor)
    now = utcnow()
    known: dict[int, int] = {-(r["_line"] - 1): r["_match"] for r in (matched or [])}  # file ref -> member id
    teams_made = _plan_teams(session, actor, rows, matched or [], known) if any(r.get("team_id") is None for r in rows) else {}
    inserts = []
    for row in rows:
        if row.get("team_id") is not None and not scope.has_team(row["team_id"]) and row["team_id"] not in teams_made.get("ids", ()):
            raise InvalidInput("imports.has_errors", [FieldError("imports.unknown_team", {"value": row["team_id"]}, row=row["_line"])])
        inserts.append({
            "external_id": row.get("external_id"), "name": row["name"], "email": row.get("email"), "phone": row.get("phone"),
            "team_id": row["team_id"], "role_id": row["role_id"], "max_customers": row.get("max_customers") if row.get("max_customers") is not None else 40,
            "max_open_tasks": row.get("max_open_tasks") if row.get("max_open_tasks") is not None else 15,
            "status": "active", "joined_on": row.get("joined_on"), "created_at": now,
        })
    ids = _insert_returning_ids(session, Member, inserts, report, 0.7) if inserts else []
    for row, mid in zip(rows, ids):
        known[-(row["_line"] - 1)] = mid
    updates = []
    for row, mid in zip(rows, ids):
        manager = row.get("manager_id")
        if manager is not None:
            resolved = known.get(manager) if manager < 0 else manager
            if resolved is not None and resolved != mid:
                updates.append({"id": mid, "manager_id": resolved})
    for row in matched or []:
        manager = (row.get("_changes") or {}).get("manager_id")
        if isinstance(manager, int) and manager < 0:
            row["_manager_resolved"] = known.get(manager)
    if updates:
        session.execute(update(Member), updates)
    leaders = teams_made.get("leaders", {})
    for team_id, ref in leaders.items():
        leader = known.get(ref) if ref < 0 else ref
        if leader is not None:
            team = session.get(Team, team_id)
            team.leader_id = leader
    session.flush()
    _bulk(session, AuditLog, [{"at": now, "user_id": actor.user_id, "action": "member.import", "entity": "member", "entity_id": mid,
                               "before": None, "after": {"name": v["name"], "team_id": v["team_id"]}} for mid, v in zip(ids, inserts)])
    logins = _create_logins(session, actor, ids) if create_logins else ()
    report(1.0)
    return ImportResult("members", len(ids), logins=logins, teams=len(teams_made.get("ids", ())))


def _plan_teams(session: Session, actor: Actor, rows: list[dict], matched: list[dict], known: dict[int, int]) -> dict:
    """Find or create the teams a one-file roster implies: one team per office (top level for an
    admin, under the manager's own team otherwise) and, inside it, one team per manager, named
    after them and led by them. Sets `team_id` on every new row that had none."""
    from core import roster
    from core.workspace import get_settings

    lang = get_settings(session).language
    scope = scope_for(session, actor)
    everyone = rows + matched
    name_of = {-(r["_line"] - 1): r.get("name") or "" for r in everyone}
    office_of = {-(r["_line"] - 1): r.get("office") for r in everyone}
    bosses = {r.get("manager_id") for r in everyone if r.get("manager_id") is not None}
    existing_names = dict(session.execute(select(Member.id, Member.name).where(Member.id.in_([b for b in bosses if b > 0] or [0]))).all())
    base_parent = None
    if not actor.is_admin:
        base_parent = next(iter(sorted(scope.team_ids)), None)
    created: set[int] = set()
    leaders: dict[int, int] = {}
    cache: dict[tuple, int] = {}

    def team(name: str, parent: int | None) -> int:
        probe = (name.lower(), parent)
        if probe in cache:
            return cache[probe]
        found = session.scalar(select(Team.id).where(func.lower(Team.name) == name.lower(),
                                                    Team.parent_id.is_(None) if parent is None else Team.parent_id == parent))
        if found is None:
            found = roster.create_team(session, actor, name, parent)
            created.add(found)
        cache[probe] = found
        return found

    def office_team(office: str | None) -> int:
        return team(office or i18n.t("move.no_office", lang), base_parent)

    def team_of(boss: int, office: str | None) -> int:
        boss_name = name_of.get(boss) if boss < 0 else existing_names.get(boss, "")
        tid = team(i18n.t("move.team_of", lang, name=boss_name), office_team(office_of.get(boss) or office))
        leaders.setdefault(tid, boss)
        return tid

    for row in rows:
        if row.get("team_id") is not None:
            continue
        me = -(row["_line"] - 1)
        boss = row.get("manager_id")
        if boss is not None:
            row["team_id"] = team_of(boss, row.get("office"))
        elif me in bosses:
            row["team_id"] = team_of(me, row.get("office"))
        else:
            row["team_id"] = office_team(row.get("office"))
    for row in matched:  # a manager already on the roster still leads the team named after them
        me = -(row["_line"] - 1)
        if me in bosses:
            team_of(me, row.get("office"))
    return {"ids": created, "leaders": {t: ref for t, ref in leaders.items()}}


def _login_name(member: Member, taken: set[str]) -> str:
    base = ""
    if member.email and "@" in member.email:
        base = re.sub(r"[^a-z0-9._-]", "", member.email.split("@", 1)[0].lower())
    if len(base) < 2:
        base = re.sub(r"[^a-z0-9]+", ".", member.name.lower()).strip(".")
    if len(base) < 2:
        base = f"member{member.id}"
    base = base[:56]
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    taken.add(name)
    return name


def _create_logins(session: Session, actor: Actor, member_ids: list[int]) -> tuple[tuple[str, str, str], ...]:
    """A login with a one-time password for every new member (leaders become managers)."""
    from core.member_logins import create_login
    from db.models import User

    taken = set(session.scalars(select(User.username)))
    made = []
    for mid in member_ids:
        member = session.get(Member, mid)
        username = _login_name(member, taken)
        user, password = create_login(session, actor, mid, username)
        made.append((member.name, user.username, password))
    return tuple(made)


def _write_deals(session: Session, actor: Actor, rows: list[dict], report) -> ImportResult:
    from core.workspace import currency

    workspace_currency = currency(session)
    refs_owner = {}
    now = utcnow()
    cids = sorted({r["customer_id"] for r in rows})
    for start in range(0, len(cids), 900):
        refs_owner.update(dict(session.execute(select(Customer.id, Customer.owner_id).where(Customer.id.in_(cids[start:start + 900]))).all()))
    probability = dict(session.execute(select(DealStage.code, DealStage.probability)).all())  # the stage's default
    inserts = [{
        "external_id": r.get("external_id"), "customer_id": r["customer_id"],
        "owner_id": r.get("owner_id") if r.get("owner_id") is not None else refs_owner.get(r["customer_id"]),
        "title": r["title"], "value": r["value"], "currency": (r.get("currency") or workspace_currency).upper(), "stage": r.get("stage") or "lead",
        "expected_close": r.get("expected_close"), "closed_on": r.get("closed_on"), "created_at": now,
        "probability": probability.get(r.get("stage") or "lead", 0), "stage_entered_at": now, "version": 1,
    } for r in rows]
    ids = _insert_returning_ids(session, Deal, inserts, report, 0.8)
    _bulk(session, AuditLog, [{"at": now, "user_id": actor.user_id, "action": "deal.import", "entity": "customer",
                               "entity_id": v["customer_id"], "before": None,
                               "after": {"deal_id": i, "title": v["title"], "value": float(v["value"]), "stage": v["stage"]}}
                              for i, v in zip(ids, inserts)])
    report(1.0)
    return ImportResult("deals", len(ids))


def _write_interactions(session: Session, actor: Actor, rows: list[dict], report) -> ImportResult:
    now = utcnow()
    cids = sorted({r["customer_id"] for r in rows})
    info: dict[int, tuple] = {}
    for start in range(0, len(cids), 900):
        for cid, owner, team, tier, last, nxt in session.execute(
            select(Customer.id, Customer.owner_id, Customer.team_id, Customer.tier, Customer.last_contact_at, Customer.next_follow_up)
            .where(Customer.id.in_(cids[start:start + 900]))
        ).all():
            info[cid] = (owner, team, tier, last, nxt)
    inserts = [{
        "customer_id": r["customer_id"],
        "member_id": r.get("member_id") if r.get("member_id") is not None else info[r["customer_id"]][0],
        "channel": r["channel"], "occurred_at": r["occurred_at"], "summary": r["summary"], "outcome": r.get("outcome"),
        "next_follow_up": r.get("next_follow_up"), "created_by": actor.user_id,
    } for r in rows]
    _bulk(session, Interaction, inserts)
    report(0.7)
    latest: dict[int, dict] = {}
    for r in inserts:
        current = latest.get(r["customer_id"])
        if current is None or r["occurred_at"] > current["occurred_at"]:
            latest[r["customer_id"]] = r
    cadences: dict[int | None, dict[str, int]] = {}
    updates = []
    for cid, r in latest.items():
        owner, team, tier, last, nxt = info[cid]
        if last is not None and last >= r["occurred_at"]:
            continue
        if team not in cadences:
            cadences[team] = cadence_for(session, team)
        follow = r["next_follow_up"] or next_follow_up_date(r["occurred_at"], tier, cadences[team])
        updates.append({"id": cid, "last_contact_at": r["occurred_at"], "next_follow_up": follow})
    for _, chunk in _chunks(updates):
        session.execute(update(Customer), chunk)
    _bulk(session, AuditLog, [{"at": now, "user_id": actor.user_id, "action": "customer.contacted", "entity": "customer",
                               "entity_id": u["id"], "before": None,
                               "after": {"last_contact_at": u["last_contact_at"].isoformat(), "next_follow_up": u["next_follow_up"].isoformat(),
                                         "source": "import"}} for u in updates])
    report(1.0)
    return ImportResult("interactions", len(inserts))


def _write_simple(session: Session, actor: Actor, kind: str, rows: list[dict], report) -> ImportResult:
    """Contacts, surveys and complaints: bulk inserts; a survey counts for the customer's owner and
    a complaint goes to the customer's team and owner unless the file names someone."""
    now = utcnow()
    cids = sorted({r["customer_id"] for r in rows})
    info: dict[int, tuple] = {}
    for start in range(0, len(cids), 900):
        info.update({cid: (owner, team) for cid, owner, team in session.execute(
            select(Customer.id, Customer.owner_id, Customer.team_id).where(Customer.id.in_(cids[start:start + 900])))})
    if kind == "contacts":
        inserts = [{"customer_id": r["customer_id"], "name": r["name"], "title": r.get("title"), "phone": r.get("phone"),
                    "email": r.get("email"), "is_primary": bool(r.get("is_primary"))} for r in rows]
    elif kind == "surveys":
        inserts = [{"customer_id": r["customer_id"], "interaction_id": None,
                    "member_id": r.get("member_id") if r.get("member_id") is not None else info[r["customer_id"]][0],
                    "csat": r.get("csat"), "nps": r.get("nps"), "comment": r.get("comment"), "responded_at": r["responded_at"]}
                   for r in rows]
    else:
        inserts = [{"customer_id": r["customer_id"], "interaction_id": None, "team_id": info[r["customer_id"]][1],
                    "assignee_id": r.get("assignee_id") if r.get("assignee_id") is not None else info[r["customer_id"]][0],
                    "severity": r.get("severity") or "medium", "title": r["title"], "description": r.get("description"),
                    "status": r.get("status") or ("resolved" if r.get("resolved_at") else "responded" if r.get("first_response_at") else "open"),
                    "opened_at": r["opened_at"], "first_response_at": r.get("first_response_at"), "resolved_at": r.get("resolved_at"),
                    "created_by": actor.user_id} for r in rows]
    _bulk(session, _MODELS[kind], inserts)
    report(0.8)
    _bulk(session, AuditLog, [{"at": now, "user_id": actor.user_id, "action": f"{_ENTITY[kind]}.import", "entity": "customer",
                               "entity_id": v["customer_id"], "before": None, "after": {"kind": _ENTITY[kind]}} for v in inserts])
    report(1.0)
    return ImportResult(kind, len(inserts))


def template_frame(kind: str, lang: str = "zh") -> pd.DataFrame:
    """An empty file with our field names as headers, for users starting from scratch."""
    return pd.DataFrame(columns=[s.name for s in fields_for(kind)])


__all__ = [
    "RECORD_TYPES", "FIELDS", "FieldSpec", "fields_for", "read_table", "guess_mapping", "mapping_problems", "unknown_values",
    "UnknownValue", "prepare", "preview", "commit_import", "ImportPreview", "ImportResult", "template_frame", "KEEP",
    "MODES", "KEYS", "default_key", "error_frame", "rejected_rows", "numeric_category_columns", "bucket_of", "DEFAULT_BUCKETS",
]
