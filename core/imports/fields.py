"""What each import kind holds: its fields, the mapping of an upload's columns onto them, the template."""
from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from core import i18n
from core.errors import FieldError, InvalidInput
from db.models import (
    CHANNELS,
    COMPLAINT_STATUSES,
    CUSTOMER_SIZES,
    CUSTOMER_STATUSES,
    CUSTOMER_TIERS,
    DEAL_STAGES,
    SEVERITIES,
    Complaint,
    Contact,
    Customer,
    Deal,
    Interaction,
    Member,
    Survey,
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
    kind: str  # text | free | enum | bool | int | score | money | date | datetime | team | member | customer | role | interaction
    required: bool = False
    synonyms: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    label_prefix: str | None = None
    max_len: int | None = None
    bounds: tuple[int, int] | None = None  # a score's whole-number range, both ends included


def _f(name, kind, required=False, synonyms="", choices=(), prefix=None, max_len=None, bounds=None) -> FieldSpec:
    return FieldSpec(name, kind, required, tuple(s.strip() for s in synonyms.split("|") if s.strip()), tuple(choices), prefix, max_len,
                     bounds)


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
    # Satisfaction surveys (the Service page's upload too): the customer by its code or name, at
    # least one score, the date (blank: when imported), the interaction it followed (that
    # customer's, by id); the survey counts for the member named, else the interaction's, else
    # the customer's owner.
    "surveys": (
        _f("customer", "customer", True, "customer|company|account|customer name|customer id|customer code|external id|客户|客户名称|客户编号|公司"),
        _f("member", "member", False, "member|agent|owner|rep|served by|负责人|客服|坐席|员工"),
        _f("csat", "score", False, "csat|satisfaction|score|rating|满意度|评分|满意度评分", bounds=(1, 5)),
        _f("nps", "score", False, "nps|net promoter|recommend|推荐值|推荐意愿|净推荐值", bounds=(0, 10)),
        _f("comment", "text", False, "comment|comments|feedback|verbatim|评论|意见|反馈|备注", max_len=4000),
        _f("responded_at", "datetime", False, "date|responded at|response date|survey date|time|日期|时间|回复时间|调查日期"),
        _f("interaction_id", "interaction", False, "interaction|interaction id|沟通记录|沟通记录编号"),
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


def _enum_lookup(spec: FieldSpec) -> dict[str, str]:
    table = {}
    for code in spec.choices:
        table[code.lower()] = code
        if spec.label_prefix:
            for lang in i18n.LANGUAGES:
                table[i18n.t(f"{spec.label_prefix}.{code}", lang).strip().lower()] = code
    return table


def template_frame(kind: str, lang: str = "zh") -> pd.DataFrame:
    """An empty file with our field names as headers, for users starting from scratch."""
    return pd.DataFrame(columns=[s.name for s in fields_for(kind)])
