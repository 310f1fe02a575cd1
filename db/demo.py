"""The demo workspace: a realistic, deterministic organisation for first start, and the same
generator at load-test size.

- `ensure_demo(engine)` builds the small demo when the database has no users (first start).
- `build_demo(engine, scale, seed, today)` builds into an empty (migrated) database and returns the
  row count of every table.
- `python -m db.demo [--scale small|large] [--url URL] [--if-empty]` migrates, builds and prints the
  counts and the elapsed time.

Demo logins, password `demo1234`: `admin`; `manager` (manages 华东客户部 and its three sub-teams);
`member` (an account manager in 大客户组, under `manager`); `zhang.wei`, `li.na`, `wang.fang` manage
the other top teams.

Determinism: every choice comes from `random.Random(seed)` and a Faker seeded with `seed`, and every
date is relative to `today`, so the same seed and day give the same rows (and, on a fresh database,
the same ids). Nothing happens after `today` 00:00 UTC except planned dates (due dates, follow-ups).

Speed: rows go in with bulk `insert()` executemany in chunks (never one ORM object per row); ids
come back through `RETURNING` (sorted by parameter order) only for the tables whose ids are needed
later; customers are matched back through their unique `external_id`. No explicit ids are passed,
so PostgreSQL sequences stay right. The whole build is one transaction (`unit_of_work`).

The numbers follow `core.metrics` (same definitions), so goals start out partly on track and partly
at risk, and the released evaluation cycle's stored totals agree with what core would compute.
"""
from __future__ import annotations

import argparse
import bisect
import os
import random
import sys
import time as clock
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from collections.abc import Callable, Sequence

import bcrypt
from faker import Faker
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from db.base import Base
from db.models import (
    ActionItem,
    AssignmentHistory,
    AssignmentRule,
    AuditLog,
    CheckIn,
    Complaint,
    Contact,
    Criterion,
    Customer,
    CustomerCollaborator,
    Deal,
    DealCollaborator,
    DealLine,
    DealStage,
    Evaluation,
    EvaluationCycle,
    Feedback,
    FollowUpCadence,
    Goal,
    Interaction,
    Meeting,
    Member,
    MemberSpecialty,
    Product,
    Notification,
    OneOnOne,
    PeerReviewer,
    Rating,
    Recognition,
    Responsibility,
    ResponsibilityAssignment,
    Reward,
    RewardRule,
    Role,
    ScorecardTemplate,
    ServiceTarget,
    Setting,
    Survey,
    Task,
    TaskNote,
    Team,
    Training,
    TrainingAttendance,
    User,
)
from db.session import read_session, unit_of_work

DEMO_PASSWORD = "demo1234"
DEFAULT_SEED = 20261123
EMAIL_DOMAIN = "clientcrew.demo"

Progress = Callable[[str, float], None]


# ---------------------------------------------------------------------------------------------
# Scales
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scale:
    """How much of everything. Members, customers, interactions, tasks and goals are exact."""

    extra_sub_teams: tuple[int, int, int, int]  # generated sub-teams per top team, beyond the named ones
    members: int
    customers: int
    interactions: int
    deals: int
    tasks: int
    goals: int
    complaints: int
    surveys: int
    trainings: int
    recognitions: int
    chunk: int = 20_000  # rows per executemany
    customer_chunk: int = 4_000  # customers per interaction batch


SCALES: dict[str, Scale] = {
    "small": Scale((0, 0, 0, 0), members=25, customers=400, interactions=2_400, deals=260, tasks=300, goals=120,
                   complaints=60, surveys=320, trainings=8, recognitions=24),
    "large": Scale((6, 3, 6, 1), members=500, customers=100_000, interactions=1_000_000, deals=200_000, tasks=50_000,
                   goals=5_000, complaints=12_000, surveys=60_000, trainings=40, recognitions=1_500),
}


# ---------------------------------------------------------------------------------------------
# Vocabulary (Chinese-first: the UI is)
# ---------------------------------------------------------------------------------------------
INDUSTRIES = ("制造业", "零售", "金融", "医疗", "教育", "物流", "互联网", "能源")
REGIONS = ("华东", "华南", "华北", "西南", "华中", "东北", "西北")
SIZE_WEIGHTS = (("small", 35), ("medium", 35), ("large", 20), ("enterprise", 10))
TIER_BY_SIZE = {
    "small": (("A", 3), ("B", 37), ("C", 60)),
    "medium": (("A", 10), ("B", 60), ("C", 30)),
    "large": (("A", 40), ("B", 50), ("C", 10)),
    "enterprise": (("A", 75), ("B", 25), ("C", 0)),
}
DEAL_VALUE_BY_SIZE = {"small": (20_000, 80_000), "medium": (80_000, 300_000), "large": (300_000, 1_200_000),
                      "enterprise": (800_000, 3_000_000)}
PRODUCTS = ("CRM 标准版", "CRM 企业版", "数据分析平台", "智能客服云", "实施与培训服务")
DEAL_KINDS = ("新购", "续约", "扩容", "升级", "增购模块")
PRODUCT_CATALOGUE = (  # name, code, list unit price (CNY)
    ("CRM 标准版", "CRM-STD", Decimal("3600")), ("CRM 企业版", "CRM-ENT", Decimal("9800")),
    ("数据分析平台", "BI-PLAT", Decimal("58000")), ("智能客服云", "CS-CLOUD", Decimal("2400")),
    ("实施与培训服务", "SVC-IMPL", Decimal("12000")),
)
DEAL_SOURCES = ("老客户推荐", "官网咨询", "展会", "电话拓展", "合作伙伴", "续约")
NEXT_STEPS = ("发送报价单", "安排产品演示", "约见采购负责人", "提交技术方案", "确认合同条款", "等待客户内部审批", "安排试用")
WON_REASONS = ("价格与服务综合最优", "产品功能匹配", "老客户续约", "实施周期短")
LOST_REASONS = ("预算取消", "选择了竞争对手", "价格过高", "项目延期", "需求不匹配")
LANGUAGE_SPECIALTIES = ("普通话", "英语", "粤语")
CHANNEL_WEIGHTS = (("phone", 30), ("wechat", 28), ("email", 15), ("visit", 11), ("meeting", 11), ("other", 5))
SEVERITY_WEIGHTS = (("low", 35), ("medium", 40), ("high", 20), ("critical", 5))
DEAL_STAGE_WEIGHTS = (("lead", 14), ("qualified", 13), ("proposal", 14), ("negotiation", 10), ("won", 32), ("lost", 17))
TASK_STATUS_WEIGHTS = (("todo", 30), ("in_progress", 28), ("blocked", 8), ("done", 34))
DEFAULT_CADENCE = {"A": 7, "B": 30, "C": 90}
# Service targets (seconds) per top team; sub-teams inherit (core.service walks up the tree).
HOUR = 3600
SERVICE_TARGETS = {
    "core": {"critical": (2 * HOUR, 12 * HOUR), "high": (4 * HOUR, 24 * HOUR), "medium": (8 * HOUR, 72 * HOUR),
             "low": (24 * HOUR, 168 * HOUR)},
    "support": {"critical": (1 * HOUR, 8 * HOUR), "high": (2 * HOUR, 24 * HOUR), "medium": (4 * HOUR, 48 * HOUR),
                "low": (12 * HOUR, 120 * HOUR)},
}
DEFAULT_TARGETS = {"critical": (1 * HOUR, 8 * HOUR), "high": (4 * HOUR, 24 * HOUR), "medium": (8 * HOUR, 72 * HOUR),
                   "low": (24 * HOUR, 168 * HOUR)}

SURNAMES = (("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
            ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
            ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"), ("罗", "luo"),
            ("高", "gao"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"),
            ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"), ("彭", "peng"), ("曾", "zeng"),
            ("萧", "xiao"), ("田", "tian"), ("董", "dong"), ("潘", "pan"), ("袁", "yuan"), ("蒋", "jiang"))
GIVEN_NAMES = (("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
               ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
               ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"),
               ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("晨", "chen"), ("宇", "yu"), ("浩", "hao"),
               ("欣", "xin"), ("婷", "ting"), ("思远", "siyuan"), ("子涵", "zihan"), ("雨萱", "yuxuan"),
               ("建国", "jianguo"), ("海燕", "haiyan"), ("晓东", "xiaodong"), ("志强", "zhiqiang"),
               ("文博", "wenbo"), ("佳怡", "jiayi"), ("俊杰", "junjie"), ("梦琪", "mengqi"), ("家豪", "jiahao"),
               ("嘉欣", "jiaxin"), ("一鸣", "yiming"), ("晓雯", "xiaowen"), ("振华", "zhenhua"), ("丹", "dan"),
               ("鹏", "peng"), ("慧", "hui"), ("琳", "lin"), ("博", "bo"), ("颖", "ying"))
CONTACT_TITLES = ("采购经理", "IT 总监", "总经理", "运营主管", "财务经理", "客服主管", "信息化负责人", "副总裁",
                  "项目经理", "行政主管")
CUSTOMER_NOTES = ("年度预算在第四季度确定。", "关键决策人为信息化负责人。", "对价格较敏感，偏好分期付款。",
                  "计划明年扩展到华南分公司。", "要求每月提供服务报告。", "与竞品有合作，需重点维护。",
                  "上季度提出过系统性能问题，已解决。", "重视数据安全与合规。")

TOPICS = ("续约事宜", "扩容需求", "新版本功能", "报价方案", "实施进度", "回款安排", "培训安排", "使用问题",
          "年度合作计划", "数据迁移方案", "合同条款", "满意度回访", "接口对接", "上线验收")
REACTIONS = ("客户反馈积极", "客户需要内部讨论", "客户希望下周收到报价", "客户对价格有顾虑", "客户已确认推进",
             "客户暂时没有新需求", "客户提出了两个改进建议", "客户要求安排技术支持", "客户对服务表示满意",
             "客户关注上线时间")
SUMMARY_TEMPLATES = {
    "phone": ("电话沟通{topic}，{reaction}。", "致电客户跟进{topic}，{reaction}。", "接到客户来电咨询{topic}，{reaction}。"),
    "wechat": ("微信跟进{topic}，{reaction}。", "企业微信群同步{topic}，{reaction}。", "微信回复客户关于{topic}的问题，{reaction}。"),
    "email": ("发送{topic}相关邮件，{reaction}。", "邮件确认{topic}，{reaction}。", "邮件发送会议纪要（{topic}），{reaction}。"),
    "visit": ("上门拜访客户，讨论{topic}，{reaction}。", "拜访客户现场，了解{topic}，{reaction}。", "陪同交付顾问拜访，沟通{topic}，{reaction}。"),
    "meeting": ("召开线上会议，确认{topic}，{reaction}。", "季度业务回顾会，回顾{topic}，{reaction}。", "与客户管理层会面，交流{topic}，{reaction}。"),
    "other": ("在展会上与客户交流{topic}，{reaction}。", "客户通过官网留言咨询{topic}，{reaction}。", "通过合作伙伴转达{topic}，{reaction}。"),
}
OUTCOMES = ("有意向", "待报价", "问题已解决", "需继续跟进", "暂无需求", "已下单", "约定再次拜访", "等待客户反馈",
            "已安排技术支持", "已发送资料")
COMPLAINTS = (
    ("发票开具错误", "客户反映上月发票抬头有误，需要重开。"),
    ("系统登录异常", "客户多名员工无法登录系统，影响日常工作。"),
    ("实施进度延误", "项目上线时间比计划推迟两周，客户不满。"),
    ("客服响应太慢", "客户提交的工单两天未得到回复。"),
    ("账单金额有误", "本期账单多计了一个模块的费用。"),
    ("功能与合同不符", "合同约定的报表导出功能尚未提供。"),
    ("物流配送延迟", "硬件设备配送比承诺时间晚了五天。"),
    ("数据导出失败", "导出客户数据时系统报错，无法完成月结。"),
    ("培训安排不满意", "培训讲师临时更换，内容与需求不匹配。"),
    ("服务态度问题", "客户投诉值班人员沟通态度生硬。"),
)
SURVEY_COMMENTS = ("响应很及时，点赞！", "问题解决得很专业。", "希望能提供更多培训资料。", "整体满意，价格略高。",
                   "客户经理很负责。", "处理速度还需提高。", "系统稳定性有待加强。", "沟通顺畅，继续保持。")
TASK_CUSTOMER_TITLES = ("回访{c}", "为{c}准备报价方案", "跟进{c}回款", "安排{c}产品培训", "处理{c}服务工单",
                        "整理{c}需求清单", "确认{c}续约合同", "准备{c}季度业务回顾")
TASK_TITLES = ("整理本周客户拜访记录", "更新客户资料", "准备季度业务回顾材料", "参加产品新版本培训",
               "梳理续约客户清单", "完成月度服务报告", "复盘上月投诉案例", "更新销售漏斗预测", "编写客户成功案例",
               "检查合同归档情况", "优化客户分级标准", "整理常见问题知识库")
TASK_NOTES = ("已与客户确认时间。", "材料初稿完成，待主管审核。", "客户暂未回复，明天再跟进。", "遇到系统权限问题，已提工单。",
              "进度正常。", "已完成一半。", "需要技术支持协助。")
MANUAL_GOALS = (("撰写客户成功案例", 2, "篇"), ("完成客户拜访报告", 12, "篇"), ("组织客户培训", 4, "场"),
                ("完成产品认证", 1, "项"), ("编写知识库文章", 6, "篇"), ("完成 CRM 数据治理", 100, "%"))
METRIC_UNITS = {"sales_won": "", "new_customers": "", "csat_avg": "/5", "nps": "", "retention_rate": "%",
                "first_response_hours": "h", "resolution_rate": "%", "follow_ups_done": "", "tasks_on_time": ""}
METRIC_LABELS = {"sales_won": "成交额", "new_customers": "新增客户", "csat_avg": "客户满意度", "nps": "净推荐值",
                 "retention_rate": "客户留存率", "first_response_hours": "首次响应时长", "resolution_rate": "投诉解决率",
                 "follow_ups_done": "客户跟进次数", "tasks_on_time": "按时完成任务数"}
ADDITIVE = ("sales_won", "new_customers", "follow_ups_done", "tasks_on_time")
# Member goal sequences by role family: (metric, "q"uarter/"m"onth, offset from the current period).
MEMBER_GOALS = {
    "sales": (("sales_won", "q", 0), ("follow_ups_done", "q", 0), ("manual", "q", 0), ("csat_avg", "q", 0),
              ("new_customers", "q", 0), ("sales_won", "q", -1), ("follow_ups_done", "m", 0), ("follow_ups_done", "m", -1),
              ("tasks_on_time", "q", 0), ("retention_rate", "q", 0), ("nps", "q", 0), ("sales_won", "m", -1)),
    "service": (("first_response_hours", "q", 0), ("resolution_rate", "q", 0), ("manual", "q", 0), ("csat_avg", "q", 0),
                ("nps", "q", 0), ("follow_ups_done", "q", 0), ("first_response_hours", "q", -1), ("resolution_rate", "m", -1),
                ("tasks_on_time", "q", 0), ("tasks_on_time", "m", -1), ("csat_avg", "m", -1), ("first_response_hours", "m", 0)),
    "office": (("tasks_on_time", "q", 0), ("manual", "q", 0), ("tasks_on_time", "q", -1), ("follow_ups_done", "q", 0),
               ("tasks_on_time", "m", -1), ("tasks_on_time", "m", -2), ("manual", "m", -1), ("tasks_on_time", "m", 0),
               ("follow_ups_done", "m", -1), ("tasks_on_time", "q", -2), ("follow_ups_done", "m", -2), ("manual", "q", -1)),
}
ROLE_FAMILY = {"account_manager": "sales", "sales_specialist": "sales", "project_manager": "office", "team_lead": "sales",
               "cs_specialist": "service", "tech_support": "service", "finance_support": "office",
               "logistics_support": "office"}
OWNER_WEIGHT = {"account_manager": 1.0, "sales_specialist": 0.8, "cs_specialist": 0.35, "project_manager": 0.2}
TRAININGS = (("大客户谈判技巧", "谈判", "sales_won", "外部讲师 周老师"), ("投诉处理与情绪管理", "沟通", "first_response_hours", "李娜"),
             ("产品新版本功能培训", "产品", "csat_avg", "产品部 王工"), ("CRM 系统高效使用", "工具", "follow_ups_done", "张伟"),
             ("数据安全与合规", "合规", None, "法务部"), ("客户成功方法论", "客户成功", "nps", "外部讲师 Emily Zhao"),
             ("时间管理与任务优先级", "效率", "tasks_on_time", "陈静"), ("客户留存策略", "客户成功", "retention_rate", "外部讲师 周老师"))
RESPONSIBILITIES = {
    "core": (("客户分配与交接", {"team_lead": "A", "account_manager": "R", "sales_specialist": "C", "cs_specialist": "I"}),
             ("日常跟进与沟通记录", {"account_manager": "R", "sales_specialist": "R", "team_lead": "A", "project_manager": "I"}),
             ("报价与合同审批", {"sales_specialist": "R", "team_lead": "A", "finance_support": "C", "account_manager": "C"}),
             ("回款跟踪", {"account_manager": "R", "finance_support": "A", "team_lead": "I"}),
             ("季度业务回顾（QBR）", {"account_manager": "R", "team_lead": "A", "project_manager": "C", "tech_support": "C"}),
             ("新客户拓展", {"sales_specialist": "R", "team_lead": "A", "account_manager": "C"})),
    "support": (("投诉受理与响应", {"cs_specialist": "R", "team_lead": "A", "account_manager": "I"}),
                ("技术问题排查", {"tech_support": "R", "team_lead": "A", "cs_specialist": "C"}),
                ("满意度回访", {"cs_specialist": "R", "team_lead": "A", "account_manager": "I"}),
                ("知识库维护", {"tech_support": "R", "cs_specialist": "C", "team_lead": "A"})),
    "management": (("合同归档", {"finance_support": "R", "team_lead": "A", "project_manager": "C"}),
                   ("交付项目管理", {"project_manager": "R", "team_lead": "A", "logistics_support": "C"}),
                   ("物流与设备配送", {"logistics_support": "R", "project_manager": "A", "cs_specialist": "I"})),
    None: (("客户数据安全与隐私", {"team_lead": "A", "account_manager": "R", "cs_specialist": "R", "tech_support": "C"}),
           ("价格与折扣政策", {"team_lead": "A", "sales_specialist": "C", "finance_support": "R", "account_manager": "I"})),
}
FEEDBACK_TEXTS = {
    "team": ("希望周会能更聚焦在客户问题上，减少流程性汇报。", "新人带教做得很好，上手快了很多。", "跨组协作时信息同步不够及时。",
             "工作量分配不太均衡，有的同事明显超负荷。", "希望多组织一些产品培训。", "团队氛围很好，大家互相帮忙。",
             "客户资料录入规范需要统一。", "建议建立投诉案例复盘机制。"),
    "manager": ("希望主管能更早同步目标调整的原因。", "一对一沟通很有帮助，希望保持频率。", "决策很果断，但有时缺少解释。",
                "感谢主管在客户升级时的支持。", "希望能给更多独立负责大客户的机会。", "反馈及时具体，很受用。"),
}
RECOGNITIONS = ("成功签下年度大单，感谢你的坚持！", "本月客户满意度全组第一，继续保持！", "主动帮助新同事熟悉客户，团队协作满分。",
                "深夜处理紧急投诉，客户专门来信感谢。", "提前完成季度目标，干得漂亮！", "把复杂的续约谈判处理得很专业。",
                "整理的知识库文章帮了大家很多忙。")
ONE_ON_ONE_AGENDA = ("季度目标进展与困难", "客户分配与工作量", "职业发展与培训需求", "重点客户续约风险", "近期投诉复盘")
ONE_ON_ONE_NOTES = ("目标进展正常，需关注两个续约风险客户。", "工作量偏高，下周调整两个客户。", "希望参加谈判技巧培训，已安排。",
                    "讨论了晋升路径，下季度承担一个重点项目。", "投诉处理及时，继续保持。")
MEETING_NOTES = ("回顾上周成交与跟进情况；讨论重点客户续约风险；确认本周优先事项。",
                 "通报投诉处理情况；讨论服务目标达成；安排新人带教。",
                 "同步季度目标进度；讨论资源协调；确认培训安排。")
ACTION_ITEMS = ("整理重点客户续约风险清单", "更新本周客户拜访计划", "跟进逾期回款客户", "准备下周产品演示",
                "复盘上周投诉案例", "确认培训报名名单", "更新销售漏斗预测", "联系技术支持排查客户问题")
EVAL_SUMMARIES = ((4.5, "本季度表现突出，业绩与客户口碑俱佳。"), (3.8, "整体表现良好，目标基本达成。"),
                  (3.0, "表现稳定，部分指标仍有提升空间。"), (0.0, "本季度表现未达预期，需制定改进计划。"))
ENGLISH_SHARE = 0.08


@dataclass(frozen=True)
class _TopTeam:
    name: str
    kind: str
    username: str  # the manager's login
    manager_name: tuple[str, str]  # (Chinese name, pinyin "surname.given")
    description: str
    regions: tuple[str, ...]  # where its customers mostly are
    customer_share: float
    sub_teams: tuple[tuple[str, tuple[str, ...]], ...]
    extra_name: str  # name pattern for generated sub-teams at larger scales
    roles: tuple[str, ...]  # role mix of generated members
    goal_metrics: tuple[str, ...]
    cadence: dict[str, int] | None


TOP_TEAMS = (
    _TopTeam("华东客户部", "core", "manager", ("陈静", "chen.jing"), "负责华东区重点客户的销售、续约与日常维护。",
             ("华东", "华中", "华北"), 1.0,
             (("大客户组", ("account_manager", "account_manager", "project_manager")),
              ("成长客户组", ("account_manager", "sales_specialist", "account_manager")),
              ("新客拓展组", ("sales_specialist", "sales_specialist"))),
             "华东{n}组", ("account_manager", "account_manager", "sales_specialist", "account_manager", "sales_specialist",
                          "project_manager", "cs_specialist"),
             ("sales_won", "new_customers", "csat_avg", "manual"), {"A": 7, "B": 30, "C": 90}),
    _TopTeam("客户服务中心", "support", "zhang.wei", ("张伟", "zhang.wei"), "售后服务、投诉处理与技术支持。",
             ("华东", "华南", "华北", "西南"), 0.45,
             (("售后服务组", ("cs_specialist", "cs_specialist", "cs_specialist")),
              ("技术支持组", ("tech_support", "tech_support"))),
             "服务{n}组", ("cs_specialist", "cs_specialist", "tech_support", "cs_specialist"),
             ("first_response_hours", "resolution_rate", "csat_avg", "nps"), None),
    _TopTeam("华南客户部", "core", "li.na", ("李娜", "li.na"), "负责华南与西南区域客户的拓展与维护。",
             ("华南", "西南"), 0.9,
             (("深圳组", ("account_manager", "sales_specialist", "account_manager")),
              ("广州组", ("account_manager", "cs_specialist"))),
             "华南{n}组", ("account_manager", "sales_specialist", "account_manager", "account_manager", "cs_specialist"),
             ("sales_won", "follow_ups_done", "retention_rate"), {"A": 7, "B": 21, "C": 60}),
    _TopTeam("运营管理部", "management", "wang.fang", ("王芳", "wang.fang"), "合同、财务、物流与交付项目管理。",
             ("华东",), 0.0,
             (("交付与支持组", ("project_manager", "finance_support", "logistics_support")),),
             "运营{n}组", ("project_manager", "finance_support", "logistics_support"),
             ("tasks_on_time", "manual"), None),
)
DEMO_MEMBER = ("刘洋", "liu.yang")  # the `member` login: second member of 大客户组


# ---------------------------------------------------------------------------------------------
# Plans (plain in-memory records; ids are filled in as rows are inserted)
# ---------------------------------------------------------------------------------------------
@dataclass
class _T:
    idx: int
    name: str
    kind: str
    top: int  # index into TOP_TEAMS
    parent: int | None
    description: str
    id: int = 0
    leader: int | None = None  # member idx


@dataclass
class _M:
    idx: int
    name: str
    email: str
    team: int
    role: str
    is_top_lead: bool
    is_sub_lead: bool
    username: str | None = None
    status: str = "active"
    manager: int | None = None
    quality: float = 0.0
    owner_weight: float = 0.0
    owned: int = 0
    cap: int = 0  # max_customers
    cap_tasks: int = 15  # max_open_tasks
    id: int = 0
    user_id: int | None = None


class _C:
    """One customer's plan (slots: there can be 100,000 of them)."""

    __slots__ = ("idx", "id", "owner", "team", "prev_owner", "reassigned_at", "tier", "status", "size", "created_at",
                 "start", "r_last", "next_fu", "n_reg", "complaints", "n_surveys", "name", "cadence")

    idx: int
    id: int
    owner: int | None
    team: int
    prev_owner: int | None
    reassigned_at: datetime | None
    tier: str
    status: str
    size: str
    created_at: datetime
    start: datetime
    r_last: datetime | None
    next_fu: date | str | None  # "overdue" marks a follow-up still to be dated
    n_reg: int
    complaints: list[int]  # indexes into complaint_plan
    n_surveys: int
    name: str
    cadence: int


class _Stats:
    """Per-member day buckets of what core.metrics measures, to set realistic targets and scores."""

    def __init__(self) -> None:
        self.days: dict[tuple[str, int], dict[int, float]] = defaultdict(lambda: defaultdict(float))
        self.complaints: dict[int, list[tuple[int, int | None]]] = defaultdict(list)  # (opened day, resolved day)
        self.cohort: dict[int, list[tuple[int, bool]]] = defaultdict(list)  # (created day, churned)

    def add(self, metric: str, member: int | None, day: int, value: float = 1.0) -> None:
        if member is not None:
            self.days[(metric, member)][day] += value

    def _sum(self, metric: str, members: Sequence[int], start: int, end: int) -> float:
        total = 0.0
        for m in members:
            bucket = self.days.get((metric, m))
            if bucket:
                total += sum(v for d, v in bucket.items() if start <= d <= end)
        return total

    def measure(self, metric: str, members: Sequence[int], start: date, end: date) -> float | None:
        s, e = start.toordinal(), end.toordinal()
        if metric in ADDITIVE:
            return self._sum(metric, members, s, e)
        if metric == "csat_avg":
            n = self._sum("csat_n", members, s, e)
            return self._sum("csat_sum", members, s, e) / n if n else None
        if metric == "nps":
            n = self._sum("nps_n", members, s, e)
            return 100.0 * (self._sum("nps_pro", members, s, e) - self._sum("nps_det", members, s, e)) / n if n else None
        if metric == "first_response_hours":
            n = self._sum("resp_n", members, s, e)
            return self._sum("resp_h", members, s, e) / n if n else None
        if metric == "resolution_rate":
            rows = [r for m in members for r in self.complaints.get(m, ()) if s <= r[0] <= e]
            return 100.0 * sum(1 for _, res in rows if res is not None and res <= e) / len(rows) if rows else None
        if metric == "retention_rate":
            flags = [churned for m in members for created, churned in self.cohort.get(m, ()) if created < s]
            return 100.0 * sum(1 for churned in flags if not churned) / len(flags) if flags else None
        raise ValueError(metric)


class _Picker:
    """Fast repeated weighted choice (cumulative weights + bisect)."""

    def __init__(self, weighted: Sequence[tuple[Any, float]]) -> None:
        self.values = [v for v, _ in weighted]
        self.cum: list[float] = []
        total = 0.0
        for _, w in weighted:
            total += w
            self.cum.append(total)
        self.total = total

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _quarter(d: date, offset: int = 0) -> tuple[date, date]:
    q = (d.month - 1) // 3 + offset
    year, q = d.year + q // 4, q % 4
    start = date(year, 3 * q + 1, 1)
    nxt = date(year + 1, 1, 1) if q == 3 else date(year, 3 * q + 4, 1)
    return start, nxt - timedelta(days=1)


def _month(d: date, offset: int = 0) -> tuple[date, date]:
    m = d.month - 1 + offset
    year, m = d.year + m // 12, m % 12
    start = date(year, m + 1, 1)
    nxt = date(year + 1, 1, 1) if m == 11 else date(year, m + 2, 1)
    return start, nxt - timedelta(days=1)


def _hash_password(password: str) -> str:
    """bcrypt, same cost setting as core.auth (db/ does not import core)."""
    rounds = int(os.environ.get("CLIENTCREW_BCRYPT_ROUNDS", "12"))
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=rounds)).decode("ascii")


# ---------------------------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------------------------
class _Builder:
    def __init__(self, session: Session, scale: Scale, seed: int, today: date, progress: Progress | None) -> None:
        self.s = session
        self.scale = scale
        self.rng = random.Random(seed)
        self.seed = seed
        self.today = today
        self.midnight = datetime.combine(today, time.min)  # nothing happens at or after this instant
        self.window_start = min(today - timedelta(days=182), _quarter(today, -1)[0])
        self.cur_q = _quarter(today)
        self.prev_q = _quarter(today, -1)
        self.fake_zh = Faker("zh_CN")
        self.fake_zh.seed_instance(seed)
        self.fake_en = Faker("en_US")
        self.fake_en.seed_instance(seed + 1)
        self.progress = progress or (lambda label, fraction: None)
        self.stats = _Stats()
        self.teams: list[_T] = []
        self.members: list[_M] = []
        self.customers: list[_C] = []
        self.users: dict[str, int] = {}
        self.role_ids: dict[str, int] = {}
        self.owned: dict[int, list[int]] = defaultdict(list)  # member idx -> customer ids
        self.goal_ids_by_member: dict[int, list[int]] = defaultdict(list)
        self.task_ids_by_member: dict[int, list[int]] = defaultdict(list)
        self.complaint_plan: list[dict[str, Any]] = []
        self.used_emails: set[str] = set()
        self.specialty_industry: dict[int, str] = {}  # member id -> first industry specialty
        self.audit_rows: list[dict[str, Any]] = []
        self.goal_rows: list[tuple[int, dict[str, Any]]] = []

    # -- helpers ------------------------------------------------------------------------------
    def insert(self, model: type[Base], rows: list[dict[str, Any]], returning: bool = False) -> list[int]:
        """Bulk insert in chunks; with `returning`, the new ids in the order of `rows`."""
        ids: list[int] = []
        step = self.scale.chunk
        # render_nulls: bind None as NULL instead of leaving the key out, so rows are not split into
        # one batch per combination of missing keys (JSON columns: leave the key out for SQL NULL).
        stmt = insert(model).execution_options(render_nulls=True)
        if returning:
            stmt = stmt.returning(model.__table__.c.id, sort_by_parameter_order=True)
        for start in range(0, len(rows), step):
            chunk = rows[start:start + step]
            if returning:
                ids.extend(self.s.scalars(stmt, chunk).all())
            else:
                self.s.execute(stmt, chunk)
        return ids

    def dt(self, day: date | int, minutes: int | None = None) -> datetime:
        """A working-hours timestamp (09:00-18:00 Beijing = 01:00-10:00 UTC) on a day."""
        if isinstance(day, int):
            day = date.fromordinal(day)
        if minutes is None:
            minutes = 60 + int(self.rng.random() * 540)
        return datetime.combine(day, time.min) + timedelta(minutes=minutes)

    def past_dt(self, start: datetime, end: datetime | None = None) -> datetime:
        end = end or self.midnight
        return start + timedelta(seconds=int(self.rng.random() * max(1, (end - start).total_seconds())))

    def person(self, english: bool = False, unique: bool = True) -> tuple[str, str]:
        """(display name, email local part; unique across calls with `unique`)."""
        if english:
            first, last = self.fake_en.first_name(), self.fake_en.last_name()
            name, local = f"{first} {last}", f"{first}.{last}".lower()
        else:
            (sn, sp), (gn, gp) = self.rng.choice(SURNAMES), self.rng.choice(GIVEN_NAMES)
            name, local = sn + gn, f"{sp}.{gp}"
        if not unique:
            return name, local
        base, n = local, 1
        while local in self.used_emails:
            n += 1
            local = f"{base}{n}"
        self.used_emails.add(local)
        return name, local

    def phone(self) -> str:
        return f"1{self.rng.choice('35789')}{self.rng.randint(0, 999_999_999):09d}"

    def members_of(self, top: int) -> list[_M]:
        return [m for m in self.members if self.teams[m.team].top == top]

    def subtree(self, team: int) -> list[int]:
        result, stack = [], [team]
        while stack:
            t = stack.pop()
            result.append(t)
            stack.extend(x.idx for x in self.teams if x.parent == t)
        return result

    def user_of(self, m: int | None) -> int | None:
        return self.members[m].user_id if m is not None else None

    def top_manager_user(self, m: _M) -> int:
        return self.users[TOP_TEAMS[self.teams[m.team].top].username]

    def cadence(self, team: int) -> dict[str, int]:
        return TOP_TEAMS[self.teams[team].top].cadence or DEFAULT_CADENCE

    def target(self, team: int, severity: str) -> tuple[int, int]:
        kind = TOP_TEAMS[self.teams[team].top].kind
        return SERVICE_TARGETS.get(kind, DEFAULT_TARGETS)[severity]

    # -- the build ----------------------------------------------------------------------------
    def build(self) -> None:
        steps = [
            ("users and teams", self.build_org),
            ("responsibilities and rules", self.build_rules),
            ("customers", self.build_customers),
            ("interactions, complaints and surveys", self.build_interactions),
            ("deals", self.build_deals),
            ("tasks and goals", self.build_tasks_and_goals),
            ("evaluations and rewards", self.build_evaluations),
            ("meetings, 1:1s, feedback and training", self.build_team_life),
        ]
        for n, (label, step) in enumerate(steps):
            self.progress(label, n / len(steps))
            step()
        self.progress("done", 1.0)

    # -- organisation -------------------------------------------------------------------------
    def build_org(self) -> None:  # noqa: C901 - issue 16 point 3: to be split
        rng, scale = self.rng, self.scale
        self.role_ids = dict(self.s.execute(select(Role.code, Role.id)).all())
        missing = sorted(set(ROLE_FAMILY) - set(self.role_ids))
        if missing:
            raise RuntimeError(f"roles missing (run the migrations first): {missing}")

        # Teams: the top teams first, then their sub-teams (named ones, then generated ones).
        for k, top in enumerate(TOP_TEAMS):
            self.teams.append(_T(len(self.teams), top.name, top.kind, k, None, top.description))
        subs_by_top: dict[int, list[tuple[_T, tuple[str, ...]]]] = defaultdict(list)
        for k, top in enumerate(TOP_TEAMS):
            named = list(top.sub_teams)
            for n in range(scale.extra_sub_teams[k]):
                named.append((top.extra_name.format(n=len(top.sub_teams) + n + 1), ()))
            for name, roles in named:
                t = _T(len(self.teams), name, top.kind, k, k, f"{top.name}下属小组。")
                self.teams.append(t)
                subs_by_top[k].append((t, roles))

        # Members: one lead per top team (the manager's own record), then each sub-team.
        for k, top in enumerate(TOP_TEAMS):
            name, local = top.manager_name
            self.used_emails.add(local)
            m = _M(len(self.members), name, f"{local}@{EMAIL_DOMAIN}", k, "team_lead", True, False, top.username)
            self.members.append(m)
            self.teams[k].leader = m.idx
        all_subs = [pair for k in range(len(TOP_TEAMS)) for pair in subs_by_top[k]]
        others = scale.members - len(TOP_TEAMS)
        named_total = sum(len(roles) for _, roles in all_subs)
        sizes = [len(roles) for _, roles in all_subs]
        if others > named_total:  # larger scales: spread the rest evenly over every sub-team
            base, extra = divmod(others, len(all_subs))
            sizes = [base + (1 if i < extra else 0) for i in range(len(all_subs))]
        elif others < named_total:
            raise ValueError("a scale needs at least as many members as the named sub-teams hold")
        self.used_emails.add(DEMO_MEMBER[1])
        for (t, roles), size in zip(all_subs, sizes):
            pattern = TOP_TEAMS[t.top].roles
            for j in range(size):
                role = roles[j] if j < len(roles) else pattern[(j - len(roles)) % len(pattern)]
                if t.name == "大客户组" and j == 1:
                    name, local, username = DEMO_MEMBER[0], DEMO_MEMBER[1], "member"
                else:
                    (name, local), username = self.person(english=rng.random() < ENGLISH_SHARE), None
                m = _M(len(self.members), name, f"{local}@{EMAIL_DOMAIN}", t.idx, role, False, j == 0, username)
                if j == 0:
                    t.leader = m.idx
                self.members.append(m)
        for m in self.members:
            team = self.teams[m.team]
            m.quality = rng.gauss(0.0, 1.0)
            if m.is_top_lead:
                m.manager = None
            elif m.is_sub_lead:
                m.manager = self.teams[team.top].leader
            else:
                m.manager = team.leader
            m.owner_weight = 0.0 if m.is_top_lead else OWNER_WEIGHT.get(m.role, 0.0) * TOP_TEAMS[team.top].customer_share
            if m.is_sub_lead:
                m.owner_weight *= 0.7
        # A few members are leaving (their customers and tasks wait for a handover).
        candidates = [m for m in self.members if not m.is_top_lead and not m.is_sub_lead and m.username is None]
        for m in rng.sample(candidates, max(2, len(self.members) // 100)):
            m.status = "leaving"
        # `manager` sees a leaving member in their own tree.
        if not any(m.status == "leaving" and self.teams[m.team].top == 0 for m in self.members):
            next(m for m in candidates if self.teams[m.team].top == 0).status = "leaving"

        # Users: admin, the top-team managers, member. One bcrypt hash for all.
        password_hash = _hash_password(DEMO_PASSWORD)
        created = datetime.combine(self.today - timedelta(days=400), time(2, 0))
        user_rows: list[dict[str, Any]] = [dict(username="admin", display_name="系统管理员", email=f"admin@{EMAIL_DOMAIN}",
                          password_hash=password_hash, role="admin", language="zh", active=True, failed_logins=0,
                          created_at=created)]
        for m in self.members:
            if m.username:
                user_rows.append(dict(username=m.username, display_name=m.name, email=m.email, password_hash=password_hash,
                                      role="manager" if m.is_top_lead else "member", language="zh", active=True,
                                      failed_logins=0, created_at=created))
        ids = self.insert(User, user_rows, returning=True)
        self.users = {row["username"]: uid for row, uid in zip(user_rows, ids)}
        for m in self.members:
            if m.username:
                m.user_id = self.users[m.username]

        team_created = datetime.combine(self.today - timedelta(days=900), time(2, 0))
        for level in (True, False):  # parents before children
            level_teams = [t for t in self.teams if (t.parent is None) == level]
            rows = [dict(name=t.name, kind=t.kind, parent_id=self.teams[t.parent].id if t.parent is not None else None,
                         manager_user_id=self.users[TOP_TEAMS[t.top].username] if t.parent is None else None,
                         description=t.description, created_at=team_created) for t in level_teams]
            for t, tid in zip(level_teams, self.insert(Team, rows, returning=True)):
                t.id = tid

        # Capacity is decided after the customers are planned (see build_customers); insert now with
        # the defaults and let build_customers/build_tasks_and_goals set the real numbers.
        rows = []
        for m in self.members:
            joined = self.today - timedelta(days=rng.randint(90, 2600))
            rows.append(dict(external_id=f"E{m.idx + 1:05d}", name=m.name, email=m.email, phone=self.phone(),
                             user_id=m.user_id, team_id=self.teams[m.team].id, manager_id=None,
                             role_id=self.role_ids[m.role], max_customers=0, max_open_tasks=15, status=m.status,
                             joined_on=joined, created_at=datetime.combine(joined, time(2, 0))))
        for m, mid in zip(self.members, self.insert(Member, rows, returning=True)):
            m.id = mid
        self.s.execute(update(Member), [{"id": m.id, "manager_id": self.members[m.manager].id}
                                        for m in self.members if m.manager is not None])
        self.s.execute(update(Team), [{"id": t.id, "leader_id": self.members[t.leader].id} for t in self.teams])

        specialties: list[dict[str, Any]] = []
        for m in self.members:
            top = TOP_TEAMS[self.teams[m.team].top]
            values: list[tuple[str, str]] = [("industry", v) for v in rng.sample(INDUSTRIES, rng.randint(1, 2))]
            values.append(("region", top.regions[0] if rng.random() < 0.7 else rng.choice(top.regions)))
            if rng.random() < 0.3:
                values.append(("region", rng.choice(REGIONS)))
            sizes_for_team = ("large", "enterprise") if self.teams[m.team].name == "大客户组" else ("small", "medium", "large")
            values.append(("size", rng.choice(sizes_for_team)))
            values.append(("product", rng.choice(PRODUCTS)))
            values.append(("language", "普通话"))
            if rng.random() < 0.3:
                values.append(("language", "英语"))
            if top.regions[0] == "华南" and rng.random() < 0.5:
                values.append(("language", "粤语"))
            seen = set()
            for kind, value in values:
                if (kind, value) not in seen:
                    seen.add((kind, value))
                    specialties.append(dict(member_id=m.id, kind=kind, value=value))
        for row in specialties:
            if row["kind"] == "industry":
                self.specialty_industry.setdefault(row["member_id"], row["value"])
        self.insert(MemberSpecialty, specialties)

    # -- responsibilities, assignment rules, cadences, service targets -----------------------
    def build_rules(self) -> None:
        rng = self.rng
        tops = [t for t in self.teams if t.parent is None]
        resp_rows, resp_cells = [], []
        for team in [*tops, None]:
            kind = team.kind if team else None
            for name, cells in RESPONSIBILITIES[kind]:
                resp_rows.append(dict(team_id=team.id if team else None, name=name,
                                      description=f"{name}的职责分工（RACI）。"))
                resp_cells.append((team, cells))
        ids = self.insert(Responsibility, resp_rows, returning=True)
        rows = []
        for rid, (team, cells) in zip(ids, resp_cells):
            for role, letter in cells.items():
                if letter == "A" and team is not None and rng.random() < 0.4:
                    # Accountable is sometimes a named person: the team's lead.
                    rows.append(dict(responsibility_id=rid, role_id=None, member_id=self.members[team.leader].id, raci="A"))
                else:
                    rows.append(dict(responsibility_id=rid, role_id=self.role_ids[role], member_id=None, raci=letter))
        self.insert(ResponsibilityAssignment, rows)

        by_name = {t.name: t for t in self.teams}
        east, south = self.teams[0], self.teams[2]
        east_member = next(m for m in self.members if m.team == by_name["成长客户组"].idx and not m.is_sub_lead)
        rules = [
            dict(team_id=east.id, industry=None, size="enterprise", region=None, target_team_id=by_name["大客户组"].id,
                 target_member_id=None, priority=10, active=True),
            dict(team_id=east.id, industry=None, size="large", region="华东", target_team_id=by_name["大客户组"].id,
                 target_member_id=None, priority=20, active=True),
            dict(team_id=east.id, industry="互联网", size=None, region=None, target_team_id=by_name["新客拓展组"].id,
                 target_member_id=None, priority=30, active=True),
            dict(team_id=east.id, industry=None, size="small", region=None, target_team_id=by_name["成长客户组"].id,
                 target_member_id=None, priority=40, active=True),
            dict(team_id=east.id, industry="医疗", size="medium", region="华中", target_team_id=None,
                 target_member_id=east_member.id, priority=50, active=True),
            dict(team_id=south.id, industry="制造业", size=None, region="华南", target_team_id=by_name["深圳组"].id,
                 target_member_id=None, priority=10, active=True),
            dict(team_id=south.id, industry=None, size=None, region="西南", target_team_id=by_name["广州组"].id,
                 target_member_id=None, priority=20, active=True),
            dict(team_id=south.id, industry="零售", size="small", region=None, target_team_id=by_name["广州组"].id,
                 target_member_id=None, priority=90, active=False),
        ]
        self.insert(AssignmentRule, rules)

        cadences = [dict(team_id=t.id, tier=tier, days=days) for t in tops if TOP_TEAMS[t.top].cadence
                    for tier, days in TOP_TEAMS[t.top].cadence.items()]
        self.insert(FollowUpCadence, cadences)

        targets = []
        for t in tops:
            table = SERVICE_TARGETS.get(t.kind)
            if table:
                for severity, (resp, res) in table.items():
                    targets.append(dict(team_id=t.id, severity=severity, response_seconds=resp, resolution_seconds=res))
        self.insert(ServiceTarget, targets)

    # -- customers ----------------------------------------------------------------------------
    def build_customers(self) -> None:  # noqa: C901 - issue 16 point 3: to be split
        rng, scale, today = self.rng, self.scale, self.today
        n = scale.customers
        owners = [m for m in self.members if m.owner_weight > 0]
        owner_pick = _Picker([(m.idx, m.owner_weight) for m in owners])
        size_pick = _Picker(SIZE_WEIGHTS)
        tier_picks = {size: _Picker(w) for size, w in TIER_BY_SIZE.items()}
        midnight, window_start = self.midnight, self.window_start
        window_dt = datetime.combine(window_start, time.min)
        names_seen: set[str] = set()
        cities = [self.fake_zh.city_name() for _ in range(60)]

        def company(english: bool) -> str:
            for _ in range(20):
                name = self.fake_en.company() if english else self.fake_zh.company()
                if name not in names_seen:
                    break
                name = (f"{name} ({rng.choice(('Shanghai', 'Shenzhen', 'Beijing'))})" if english
                        else f"{rng.choice(cities)}{name}")
                if name not in names_seen:
                    break
            names_seen.add(name)
            return name

        demo_member = next(m for m in self.members if m.username == "member")
        forced_overdue = 0
        for i in range(n):
            c = _C()
            c.idx = i
            c.owner = owner_pick(rng) if rng.random() > 0.025 else None
            owner = self.members[c.owner] if c.owner is not None else None
            c.team = owner.team if owner else rng.choice((0, 2))  # the unassigned pool of a core top team
            c.size = size_pick(rng)
            c.tier = tier_picks[c.size](rng)
            c.cadence = self.cadence(c.team)[c.tier]
            c.name = company(rng.random() < ENGLISH_SHARE)
            if owner is None:  # new leads waiting for an owner
                c.status = "prospect"
                c.created_at = self.dt(today - timedelta(days=rng.randint(1, 30)))
            else:
                roll = rng.random()
                c.status = "churned" if roll < 0.07 else "prospect" if roll < 0.17 else "active"
                new = rng.random() < (0.6 if c.status == "prospect" else 0.08)
                if new:
                    c.created_at = self.dt(today - timedelta(days=rng.randint(7, (today - window_start).days)))
                else:
                    c.created_at = self.dt(window_start - timedelta(days=rng.randint(1, 1100)))
            c.start = max(c.created_at, window_dt)
            c.prev_owner, c.reassigned_at = None, None
            if owner is not None and rng.random() < 0.12:
                same_top = [m.idx for m in owners if self.teams[m.team].top == self.teams[owner.team].top and m.idx != owner.idx]
                earliest = c.created_at + timedelta(days=30)
                latest = midnight - timedelta(days=7)
                if same_top and earliest < latest:
                    c.prev_owner = rng.choice(same_top)
                    c.reassigned_at = self.past_dt(max(earliest, c.start), latest)
            c.complaints, c.n_surveys = [], 0
            c.r_last = None  # planned below
            if owner is not None:
                owner.owned += 1
            self.customers.append(c)
            if (c.owner == demo_member.idx and c.status != "churned" and forced_overdue < 4
                    and c.start.date() <= today - timedelta(days=c.cadence + 1)):
                c.next_fu = "overdue"  # marker: `member` always has overdue follow-ups
                forced_overdue += 1
            else:
                c.next_fu = None

        self.plan_complaints()
        self.plan_last_contacts()

        # Capacity: room above what each member owns (a few exactly at capacity).
        for m in self.members:
            if m.owner_weight <= 0:
                m.cap = 0 if m.is_top_lead or m.role in ("finance_support", "logistics_support") else 10
            else:
                slack = 0 if rng.random() < 0.1 else rng.randint(2, max(3, m.owned // 4 + 5))
                m.cap = m.owned + slack
        self.s.execute(update(Member), [{"id": m.id, "max_customers": m.cap} for m in self.members])

        rows = []
        for c in self.customers:
            owner = self.members[c.owner] if c.owner is not None else None
            top = TOP_TEAMS[self.teams[c.team].top]
            region = rng.choice(top.regions) if rng.random() < 0.75 else rng.choice(REGIONS)
            industry = (self.specialty_industry.get(owner.id) if owner and rng.random() < 0.5 else None) or rng.choice(INDUSTRIES)
            last_at = max([c.r_last, *[self.complaint_plan[k]["opened_at"] for k in c.complaints]])
            rows.append(dict(external_id=f"C{c.idx + 1:06d}", name=c.name, industry=industry, size=c.size, region=region,
                             tier=c.tier, status=c.status, owner_id=owner.id if owner else None,
                             team_id=self.teams[c.team].id, last_contact_at=last_at, next_follow_up=c.next_fu,
                             notes=rng.choice(CUSTOMER_NOTES) if rng.random() < 0.2 else None, created_at=c.created_at))
            self.stats.add("new_customers", c.owner, c.created_at.toordinal())
            if c.owner is not None and c.status in ("active", "churned"):
                self.stats.cohort[c.owner].append((c.created_at.toordinal(), c.status == "churned"))
        self.insert(Customer, rows)
        ids = dict(self.s.execute(select(Customer.external_id, Customer.id).where(Customer.external_id.like("C%"))).all())
        for c in self.customers:
            c.id = ids[f"C{c.idx + 1:06d}"]
            if c.owner is not None:
                self.owned[c.owner].append(c.id)

        # Contacts and assignment history.
        contacts: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        reasons = ("按分配规则自动分配", "新客户分配", "按区域分配")
        moves = ("客户升级，转大客户经理负责", "负责人调整", "工作量平衡", "成员岗位调整，客户交接")
        for c in self.customers:
            english = not any("\u4e00" <= ch <= "\u9fff" for ch in c.name)
            for k in range(1 if rng.random() < 0.35 else rng.randint(2, 3)):
                name, local = self.person(english=english, unique=False)
                contacts.append(dict(customer_id=c.id, name=name, title=rng.choice(CONTACT_TITLES), phone=self.phone(),
                                     email=f"{local}@cust{c.idx + 1:06d}.example.cn" if rng.random() < 0.7 else None,
                                     is_primary=k == 0))
            if c.owner is None:
                continue
            owner = self.members[c.owner]
            first = c.prev_owner if c.prev_owner is not None else c.owner
            changer = self.top_manager_user(owner)
            history.append(dict(customer_id=c.id, from_member_id=None, to_member_id=self.members[first].id,
                                changed_by=changer, changed_at=c.created_at, reason=rng.choice(reasons)))
            if c.prev_owner is not None:
                history.append(dict(customer_id=c.id, from_member_id=self.members[c.prev_owner].id, to_member_id=owner.id,
                                    changed_by=changer, changed_at=c.reassigned_at, reason=rng.choice(moves)))
        self.insert(Contact, contacts)
        self.insert(AssignmentHistory, history)
        recent = [h for h in history if h["from_member_id"] is not None and h["changed_at"] >= self.midnight - timedelta(days=30)]
        self.audit_rows += [dict(at=h["changed_at"], user_id=h["changed_by"], action="customer.reassign", entity="customer",
                                entity_id=h["customer_id"], before={"owner_id": h["from_member_id"]},
                                after={"owner_id": h["to_member_id"], "reason": h["reason"]}) for h in recent[:200]]

    def plan_complaints(self) -> None:
        """Complaints first (their times shape each customer's last contact)."""
        rng, midnight = self.rng, self.midnight
        window_dt = datetime.combine(self.window_start, time.min)
        candidates = [c for c in self.customers if c.owner is not None and c.status != "prospect" and c.next_fu != "overdue"]
        weights = [{"A": 3.0, "B": 1.5, "C": 1.0}[c.tier] for c in candidates]
        severity_pick = _Picker(SEVERITY_WEIGHTS)
        service = [m for m in self.members_of(1) if m.role in ("cs_specialist", "tech_support") and m.status == "active"]
        for c in rng.choices(candidates, weights=weights, k=self.scale.complaints):
            recent = rng.random() < 0.12
            lo = midnight - timedelta(days=7) if recent else max(c.start, window_dt)
            opened = self.past_dt(max(lo, c.start), midnight - timedelta(hours=1))
            severity = severity_pick(rng)
            owner = self.members[c.owner]
            if service and rng.random() < 0.55 and self.teams[owner.team].top != 1:
                assignee = rng.choice(service)
            else:
                assignee = owner
            resp_target, res_target = self.target(assignee.team, severity)
            on_time = rng.random() < min(0.97, max(0.55, 0.85 + 0.07 * assignee.quality))
            response = resp_target * (rng.uniform(0.05, 0.95) if on_time else rng.uniform(1.05, 3.0))
            resolved_ok = rng.random() < 0.8
            resolution = max(response * 1.2, res_target * (rng.uniform(0.15, 0.95) if resolved_ok else rng.uniform(1.05, 2.5)))
            first_response = opened + timedelta(seconds=int(response))
            resolved = opened + timedelta(seconds=int(resolution))
            if first_response >= midnight:
                first_response = resolved = None
            elif resolved >= midnight or rng.random() < 0.03:  # a few stay stuck after the first reply
                resolved = None
            title, description = rng.choice(COMPLAINTS)
            k = len(self.complaint_plan)
            self.complaint_plan.append(dict(customer=c, opened_at=opened, severity=severity, assignee=assignee,
                                            first_response_at=first_response, resolved_at=resolved, title=title,
                                            description=description))
            c.complaints.append(k)
        # At least a few complaints are still open (no response yet): the newest ones.
        newest = sorted(range(len(self.complaint_plan)), key=lambda k: self.complaint_plan[k]["opened_at"], reverse=True)
        want_open = max(3, len(self.complaint_plan) // 25)
        for k in newest[:want_open]:
            self.complaint_plan[k]["first_response_at"] = self.complaint_plan[k]["resolved_at"] = None
        for p in self.complaint_plan:
            p["status"] = "resolved" if p["resolved_at"] else "responded" if p["first_response_at"] else "open"
            assignee = p["assignee"].idx
            day = p["opened_at"].toordinal()
            if p["first_response_at"] is not None:
                self.stats.add("resp_h", assignee, day, (p["first_response_at"] - p["opened_at"]).total_seconds() / 3600)
                self.stats.add("resp_n", assignee, day)
            self.stats.complaints[assignee].append((day, p["resolved_at"].toordinal() if p["resolved_at"] else None))

    def plan_last_contacts(self) -> None:
        """Each customer's latest regular contact and next follow-up (some overdue), and how many
        interactions and surveys it gets, so the interactions add up exactly."""
        rng, today = self.rng, self.today
        t_ord = today.toordinal()
        for c in self.customers:
            start_ord = c.start.toordinal()
            cad = c.cadence
            if c.owner is None:
                c.r_last, c.next_fu = c.created_at, (c.created_at + timedelta(days=2)).date()
                continue
            overdue = c.next_fu == "overdue" or (c.status != "churned" and rng.random() < 0.16)
            if c.status == "churned":
                hi = max(start_ord, t_ord - 60)
                c.r_last = self.dt(rng.randint(start_ord, hi))
                c.next_fu = None
            elif overdue and start_ord <= t_ord - cad - 1:
                due = rng.randint(max(start_ord + cad, t_ord - min(45, cad + 20)), t_ord - 1)
                c.r_last = self.dt(due - cad)
                c.next_fu = date.fromordinal(due)
            else:
                due = rng.randint(t_ord, t_ord + cad - 1)
                last = max(start_ord, min(due - cad, t_ord - 1))
                c.r_last = self.dt(last)
                c.next_fu = date.fromordinal(max(due, last + 1))
            if c.r_last < c.start:
                c.r_last = c.start + timedelta(minutes=1)
            latest_complaint = max((self.complaint_plan[k]["opened_at"] for k in c.complaints), default=None)
            if latest_complaint is not None and latest_complaint > c.r_last:
                c.next_fu = latest_complaint.date() + timedelta(days=1)  # the complaint promised a call back
        # Interaction counts: one regular contact per customer at least; the rest by tier and age.
        n_complaints = len(self.complaint_plan)
        spare = self.scale.interactions - len(self.customers) - n_complaints
        if spare < 0:
            raise ValueError("a scale needs at least one interaction per customer plus one per complaint")
        weights = []
        for c in self.customers:
            w = {"A": 5.0, "B": 2.2, "C": 1.0}[c.tier] * {"active": 1.0, "prospect": 0.6, "churned": 0.4}[c.status]
            span = max(0.0, (c.r_last - c.start).total_seconds()) / 86400
            weights.append(w * min(1.0, span / 120) if c.owner is not None else 0.0)
        counts = [1] * len(self.customers)
        if spare:
            for k in rng.choices(range(len(self.customers)), weights=weights, k=spare):
                counts[k] += 1
        for c, k in zip(self.customers, counts):
            c.n_reg = k
        if self.scale.surveys:
            eligible = [c for c in self.customers if c.owner is not None]
            for c in rng.choices(eligible, weights=[c.n_reg for c in eligible], k=self.scale.surveys):
                c.n_surveys += 1

    # -- interactions, complaints, surveys ----------------------------------------------------
    def build_interactions(self) -> None:
        rng, scale = self.rng, self.scale
        channel_pick = _Picker(CHANNEL_WEIGHTS)
        pools = {ch: [t.format(topic=topic, reaction=r) for t in temps for topic in TOPICS for r in REACTIONS]
                 for ch, temps in SUMMARY_TEMPLATES.items()}
        stats_days = self.stats.days
        members = self.members
        chunk = scale.customer_chunk
        total = len(self.customers)
        for start in range(0, total, chunk):
            plain: list[dict[str, Any]] = []
            linked: list[dict[str, Any]] = []  # rows whose ids a survey or complaint needs
            meta: list[tuple[str, Any]] = []  # what each linked row is for
            loose_surveys: list[tuple[_C, int | None]] = []
            for c in self.customers[start:start + chunk]:
                owner = c.owner
                # Regular contacts: n_reg - 1 before the latest one, spread over the customer's window.
                span = (c.r_last - c.start).total_seconds()
                times = sorted(c.start + timedelta(seconds=int(rng.random() * span)) for _ in range(c.n_reg - 1))
                times.append(c.r_last)
                latest_complaint = max((self.complaint_plan[k]["opened_at"] for k in c.complaints), default=None)
                last_is_regular = latest_complaint is None or latest_complaint <= c.r_last
                survey_slots: dict[int, int] = {}
                n_linked = min(c.n_surveys, len(times))
                for pos in rng.sample(range(len(times)), n_linked) if n_linked else ():
                    survey_slots[pos] = 1
                unlinked_surveys = c.n_surveys - n_linked
                for pos, at in enumerate(times):
                    who = c.prev_owner if c.reassigned_at is not None and at < c.reassigned_at else owner
                    channel = channel_pick(rng) if owner is not None else "other"
                    if pos == len(times) - 1 and last_is_regular:
                        follow = c.next_fu
                    elif rng.random() < 0.2:
                        follow = None
                    else:
                        follow = at.date() + timedelta(days=max(1, c.cadence + rng.randint(-2, 3)))
                    row = dict(customer_id=c.id, member_id=members[who].id if who is not None else None, channel=channel,
                               occurred_at=at, summary=rng.choice(pools[channel]), outcome=rng.choice(OUTCOMES),
                               next_follow_up=follow, created_by=members[who].user_id if who is not None else None)
                    if who is not None:
                        stats_days[("follow_ups_done", who)][at.toordinal()] += 1
                    if pos in survey_slots:
                        linked.append(row)
                        meta.append(("survey", (c, who, at)))
                    else:
                        plain.append(row)
                for k in c.complaints:
                    p = self.complaint_plan[k]
                    who = owner
                    follow = c.next_fu if not last_is_regular and p["opened_at"] == latest_complaint else \
                        p["opened_at"].date() + timedelta(days=1)
                    linked.append(dict(customer_id=c.id, member_id=members[who].id, channel=rng.choice(("phone", "email", "wechat")),
                                       occurred_at=p["opened_at"], summary=f"客户投诉：{p['title']}。{p['description']}已登记并转交处理。",
                                       outcome="已登记投诉", next_follow_up=follow, created_by=members[who].user_id))
                    stats_days[("follow_ups_done", who)][p["opened_at"].toordinal()] += 1
                    meta.append(("complaint", p))
                loose_surveys.extend([(c, owner)] * unlinked_surveys)
            self.insert(Interaction, plain)
            ids = self.insert(Interaction, linked, returning=True)
            complaints, complaint_plans, surveys = [], [], []
            for iid, (kind, payload) in zip(ids, meta):
                if kind == "complaint":
                    p = payload
                    assignee = p["assignee"]
                    complaint_plans.append(p)
                    complaints.append(dict(customer_id=p["customer"].id, interaction_id=iid, team_id=self.teams[assignee.team].id,
                                           assignee_id=assignee.id, severity=p["severity"], title=p["title"],
                                           description=p["description"], status=p["status"], opened_at=p["opened_at"],
                                           first_response_at=p["first_response_at"], resolved_at=p["resolved_at"],
                                           created_by=self.members[p["customer"].owner].user_id))
                else:
                    c, who, at = payload
                    surveys.append(self.survey_row(c, who, at, iid))
            surveys.extend(self.survey_row(c, who, None, None) for c, who in loose_surveys)
            for p, cid in zip(complaint_plans, self.insert(Complaint, complaints, returning=True)):
                p["id"] = cid
            self.insert(Survey, surveys)
            self.progress("interactions, complaints and surveys", 0.375 + 0.125 * min(1.0, (start + chunk) / total))

    def survey_row(self, c: _C, who: int | None, at: datetime | None, interaction_id: int | None) -> dict[str, Any]:
        rng = self.rng
        if at is None:
            responded = self.past_dt(c.start)
        else:
            responded = min(at + timedelta(hours=rng.uniform(1, 48)), self.midnight - timedelta(minutes=rng.randint(1, 600)))
            responded = max(responded, at)
        q = self.members[who].quality if who is not None else 0.0
        roll = rng.random()
        csat = None if roll < 0.12 else max(1, min(5, round(4.15 + 0.35 * q + rng.gauss(0, 0.8))))
        nps = None if 0.12 <= roll < 0.27 else max(0, min(10, round(8.0 + 0.7 * q + rng.gauss(0, 1.7))))
        if who is not None:
            day = responded.toordinal()
            if csat is not None:
                self.stats.add("csat_sum", who, day, csat)
                self.stats.add("csat_n", who, day)
            if nps is not None:
                self.stats.add("nps_n", who, day)
                self.stats.add("nps_pro", who, day, 1.0 if nps >= 9 else 0.0)
                self.stats.add("nps_det", who, day, 1.0 if nps <= 6 else 0.0)
        comment = rng.choice(SURVEY_COMMENTS) if rng.random() < 0.25 else None
        return dict(customer_id=c.id, interaction_id=interaction_id, member_id=self.members[who].id if who is not None else None,
                    csat=csat, nps=nps, comment=comment, responded_at=responded)

    # -- deals ----------------------------------------------------------------------------------
    def build_deals(self) -> None:
        """The live pipeline: products, deals in every stage with lines, probabilities, next steps
        and commit flags, deal collaborators, and account teams on the key accounts."""
        rng, today = self.rng, self.today
        t_ord, w_ord = today.toordinal(), self.window_start.toordinal()
        stage_pick = _Picker(DEAL_STAGE_WEIGHTS)
        probability = dict(self.s.execute(select(DealStage.code, DealStage.probability)).all())
        product_ids = self.insert(Product, [dict(name=n, code=c, unit_price=p, currency="CNY", active=True)
                                            for n, c, p in PRODUCT_CATALOGUE], returning=True)
        prices = [p for _, _, p in PRODUCT_CATALOGUE]
        q_end = self.cur_q[1]
        candidates = [c for c in self.customers if c.owner is not None]
        weights = [{"A": 3.0, "B": 1.5, "C": 0.6}[c.tier] * (0.5 if c.status == "churned" else 1.0) for c in candidates]
        by_top: dict[int, list[int]] = defaultdict(list)
        for m in self.members:
            if m.status == "active":
                by_top[self.teams[m.team].top].append(m.idx)
        rows, lines, helpers = [], [], []
        for k, c in enumerate(rng.choices(candidates, weights=weights, k=self.scale.deals)):
            owner = self.members[c.owner]
            stage = "lost" if c.status == "churned" and rng.random() < 0.7 else stage_pick(rng)
            if c.status == "prospect" and stage == "won":
                stage = "proposal"
            lo, hi = DEAL_VALUE_BY_SIZE[c.size]
            product = rng.randrange(len(prices))
            qty = max(1, round(rng.uniform(lo, hi) * (1 + 0.1 * owner.quality) / float(prices[product])))
            price = (prices[product] * Decimal(str(round(rng.uniform(0.85, 1.0), 2)))).quantize(Decimal("0.01"))
            value = price * qty
            commit, reason, next_step = False, None, None
            if stage in ("won", "lost"):
                closed = max(w_ord, c.created_at.toordinal() + 1, t_ord - 182 + int(rng.random() * 181))
                closed = min(closed, t_ord - 1)
                created = self.dt(max(c.created_at.toordinal(), closed - rng.randint(14, 90)))
                expected = date.fromordinal(closed + rng.randint(-10, 10))
                closed_on = date.fromordinal(closed)
                entered = self.dt(closed)
                reason = rng.choice(WON_REASONS if stage == "won" else LOST_REASONS)
                if stage == "won":
                    self.stats.add("sales_won", c.owner, closed, float(value))
            else:
                created = self.dt(max(c.created_at.toordinal(), t_ord - rng.randint(3, 120)))
                closed_on = None
                expected = today + timedelta(days=rng.randint(-20, 120))  # a few are slipping
                entered = self.past_dt(created)
                next_step = rng.choice(NEXT_STEPS)
                commit = stage in ("proposal", "negotiation") and expected <= q_end and rng.random() < 0.55
            rows.append(dict(external_id=f"D{k + 1:07d}", customer_id=c.id, owner_id=owner.id,
                             title=f"{PRODUCT_CATALOGUE[product][0]} {rng.choice(DEAL_KINDS)}", value=value,
                             currency="CNY", stage=stage, probability=probability[stage], expected_close=expected,
                             closed_on=closed_on, created_at=created, stage_entered_at=entered, updated_at=entered,
                             next_step=next_step, source=rng.choice(DEAL_SOURCES), in_commit=commit,
                             close_reason=reason, version=1))
            lines.append((product, qty, price))
            team_mates = by_top[self.teams[owner.team].top]
            helpers.append(rng.choice(team_mates) if rng.random() < 0.2 and len(team_mates) > 1 else None)
        ids = self.insert(Deal, rows, returning=True)
        self.insert(DealLine, [dict(deal_id=i, product_id=product_ids[p], quantity=Decimal(q), unit_price=u)
                               for i, (p, q, u) in zip(ids, lines)])
        self.insert(DealCollaborator, [dict(deal_id=i, member_id=self.members[h].id)
                                       for i, h, row in zip(ids, helpers, rows)
                                       if h is not None and self.members[h].id != row["owner_id"]])
        self.build_account_teams(by_top)

    def build_account_teams(self, by_top: dict[int, list[int]]) -> None:
        """Key accounts (tier A) are worked by a team: a colleague in sales and someone from the
        service centre (service or technical support)."""
        rng = self.rng
        support = [m for top, ms in by_top.items() if TOP_TEAMS[top].kind == "support" for m in ms]
        rows = []
        for c in self.customers:
            if c.owner is None or c.tier != "A" or c.status == "churned":
                continue
            taken = {c.owner}
            sales = [m for m in by_top[self.teams[self.members[c.owner].team].top] if m not in taken]
            if sales and rng.random() < 0.7:
                m = rng.choice(sales)
                taken.add(m)
                rows.append(dict(customer_id=c.id, member_id=self.members[m].id, role="sales"))
            if support:
                m = rng.choice(support)
                if m not in taken:
                    role = "technical" if self.members[m].role == "tech_support" else "service"
                    rows.append(dict(customer_id=c.id, member_id=self.members[m].id, role=role))
        self.insert(CustomerCollaborator, rows)

    # -- tasks, goals, check-ins --------------------------------------------------------------
    def build_tasks_and_goals(self) -> None:
        tasks = self.plan_tasks()
        self.build_goals()
        rng = self.rng
        # A share of each member's tasks serve one of their current goals.
        for t in tasks:
            goals = self.goal_ids_by_member.get(t["_member"]) if t["_member"] is not None else None
            if goals and rng.random() < 0.25:
                t["goal_id"] = rng.choice(goals)
        order = sorted(range(len(tasks)), key=lambda k: (tasks[k]["_group"], tasks[k]["_sort"], k))
        positions: dict[Any, int] = defaultdict(int)
        for k in order:
            positions[tasks[k]["_group"]] += 1
            tasks[k]["position"] = float(positions[tasks[k]["_group"]] * 1000)
        members = [t.pop("_member") for t in tasks]
        for t in tasks:
            del t["_group"], t["_sort"]
        ids = self.insert(Task, tasks, returning=True)
        notes = []
        for tid, t, m in zip(ids, tasks, members):
            if m is not None:
                self.task_ids_by_member[m].append(tid)
            if t["status"] != "todo" and rng.random() < 0.3:
                author = self.user_of(m) or t["created_by"]
                for _ in range(rng.randint(1, 2)):
                    notes.append(dict(task_id=tid, user_id=author, body=rng.choice(TASK_NOTES),
                                      created_at=self.past_dt(t["created_at"], t["completed_at"] or self.midnight)))
        self.insert(TaskNote, notes)
        self.s.execute(update(Member), [{"id": m.id, "max_open_tasks": m.cap_tasks} for m in self.members])
        # Issue 15: every top team's board limits work in progress (in progress and blocked).
        from db.models import BoardWipLimit

        self.insert(BoardWipLimit, [dict(team_id=t.id, status=status, max_cards=limit) for t in self.teams
                                    if t.parent is None for status, limit in (("in_progress", 12), ("blocked", 4))])

    def plan_tasks(self) -> list[dict[str, Any]]:
        rng, today = self.rng, self.today
        t_ord = today.toordinal()
        status_pick = _Picker(TASK_STATUS_WEIGHTS)
        workers = [m for m in self.members if m.status != "left"]
        weights = [0.4 if m.is_top_lead else 1.0 for m in workers]
        n = self.scale.tasks
        n_unassigned = max(3, n // 25)
        assignees = rng.choices(workers, weights=weights, k=n - n_unassigned) + [None] * n_unassigned
        demo = next(m for m in self.members if m.username == "member")
        assignees[:4] = [demo] * 4  # `member` gets a task in every status
        forced = dict(enumerate(("todo", "in_progress", "blocked", "done")))
        customer_names = {c.id: c.name for c in self.customers}
        open_count: dict[int, int] = defaultdict(int)
        tasks = []
        for k, m in enumerate(assignees):
            status = forced.get(k) or status_pick(rng)
            team = m.team if m is not None else rng.choice([t.idx for t in self.teams if t.parent is not None])
            created = self.dt(t_ord - rng.randint(1, 150))
            if status == "done":
                due = created.toordinal() + rng.randint(3, 30)
                on_time = rng.random() < min(0.95, max(0.5, 0.8 + 0.08 * (m.quality if m else 0)))
                done_day = min(t_ord - 1, due - rng.randint(0, 2) if on_time else due + rng.randint(1, 8))
                done_day = max(done_day, created.toordinal())
                completed = self.dt(done_day)
                if completed <= created:
                    completed = created + timedelta(minutes=30)
                if m is not None and completed.date() <= date.fromordinal(due):
                    self.stats.add("tasks_on_time", m.idx, completed.toordinal())
                progress, updated = 100, completed
            else:
                completed = None
                due = t_ord + rng.randint(-12, 30) if k > 1 else t_ord - rng.randint(1, 5)  # some overdue, `member` too
                progress = {"todo": 0, "in_progress": rng.randrange(10, 91, 10), "blocked": rng.randrange(10, 61, 10)}[status]
                updated = self.past_dt(created)
                if m is not None:
                    open_count[m.idx] += 1
            customers = self.owned.get(m.idx) if m is not None else None
            customer_id = rng.choice(customers) if customers and rng.random() < 0.5 else None
            if customer_id is not None:
                title = rng.choice(TASK_CUSTOMER_TITLES).format(c=customer_names[customer_id])
            else:
                title = rng.choice(TASK_TITLES)
            creator = self.top_manager_user(m) if m is not None else self.users[TOP_TEAMS[self.teams[team].top].username]
            group = ("m", m.idx, status) if m is not None else ("t", team, status)
            tasks.append(dict(title=title[:200], description="请在截止日期前完成并更新进度。" if rng.random() < 0.3 else None,
                              team_id=self.teams[team].id, assignee_id=m.id if m is not None else None, customer_id=customer_id,
                              goal_id=None, status=status, importance=int(rng.random() < 0.45), urgency=int(rng.random() < 0.35),
                              due_date=date.fromordinal(due) if rng.random() < 0.97 or status == "done" else None,
                              position=0.0, progress=progress, version=1, created_by=creator, created_at=created,
                              updated_at=updated, completed_at=completed,
                              _member=m.idx if m is not None else None, _group=group, _sort=due))
        for m in self.members:
            m.cap_tasks = max(12, open_count[m.idx] + (0 if rng.random() < 0.1 else rng.randint(2, 6)))
        return tasks

    def goal_target(self, metric: str, actual: float | None, start: date, end: date, team: bool) -> float:
        rng = self.rng
        last = min(end, self.today - timedelta(days=1))
        elapsed = max(0.05, min(1.0, ((last - start).days + 1) / ((end - start).days + 1)))
        u = rng.uniform(0.72, 1.28)  # >1: ahead of pace; <1: behind (at risk)
        if metric in ADDITIVE:
            default = {"sales_won": 500_000 if team else 150_000, "new_customers": 10 if team else 3,
                       "follow_ups_done": 200 if team else 40, "tasks_on_time": 30 if team else 8}[metric]
            projected = (actual or 0) / elapsed / u if actual else default
            if metric == "sales_won":
                return float(max(10_000, round(projected, -4)))
            return float(max(1, round(projected)))
        if metric == "first_response_hours":
            return round(max(0.5, (actual if actual is not None else 6.0) * rng.uniform(0.85, 1.25)), 1)
        base = {"csat_avg": 4.2, "nps": 35.0, "retention_rate": 90.0, "resolution_rate": 85.0}[metric]
        value = actual if actual is not None else base
        if metric == "csat_avg":
            return round(min(5.0, value + rng.uniform(-0.2, 0.3)), 1)
        if metric == "nps":
            return float(min(100, round(value + rng.uniform(-8, 12))))
        return float(min(100, round(value + rng.uniform(-4, 6))))

    def build_goals(self) -> None:  # noqa: C901 - issue 16 point 3: to be split
        rng, today = self.rng, self.today
        year_start, year_end = date(today.year, 1, 1), date(today.year, 12, 31)
        goals: list[dict[str, Any]] = []  # with "_parent" (index into goals) and "_member"
        team_goal: dict[tuple[int, str, str], int] = {}  # (team idx, metric, period key) -> goal index

        def add(title: str, metric: str, start: date, end: date, *, team: _T | None = None, member: _M | None = None,
                parent: int | None = None, manual: tuple[str, int, str] | None = None) -> int:
            if manual:
                target, unit = float(manual[1]), manual[2]
            else:
                teams = set(self.subtree(team.idx)) if team else set()
                people = [m.idx for m in self.members if m.team in teams] if team else [member.idx]
                actual = self.stats.measure(metric, people, start, min(end, today - timedelta(days=1)))
                target, unit = self.goal_target(metric, actual, start, end, team is not None), METRIC_UNITS[metric]
            creator = self.users[TOP_TEAMS[(team or self.teams[member.team]).top].username]
            goals.append(dict(title=title[:200], team_id=team.id if team else None, member_id=member.id if member else None,
                              metric=metric, target=target, unit=unit, baseline=0.0, start_date=start, end_date=end,
                              importance=int(rng.random() < 0.6), urgency=int(rng.random() < 0.3),
                              status="archived" if end < today - timedelta(days=75) else "active", created_by=creator,
                              created_at=self.dt(min(start, today - timedelta(days=1))), _parent=parent,
                              _member=member.idx if member else None, _manual=manual))
            return len(goals) - 1

        periods = {"y": (year_start, year_end), "q0": self.cur_q, "q-1": self.prev_q}
        for k, top in enumerate(TOP_TEAMS):
            team = self.teams[k]
            for metric in top.goal_metrics:
                manual = MANUAL_GOALS[0 if top.kind == "core" else 5] if metric == "manual" else None
                label = manual[0] if manual else METRIC_LABELS[metric]
                yearly_manual = (manual[0], manual[1] * 4, manual[2]) if manual and manual[2] != "%" else manual
                yearly = add(f"{today.year} 年{team.name}{label}", metric, *periods["y"], team=team, manual=yearly_manual)
                team_goal[(k, metric, "y")] = yearly
                for key in ("q-1", "q0"):
                    start, end = periods[key]
                    parent = yearly if start.year == today.year else None
                    q = (start.month - 1) // 3 + 1
                    team_goal[(k, metric, key)] = add(f"{start.year} Q{q} {team.name}{label}", metric, start, end,
                                                      team=team, parent=parent, manual=manual)
            for sub in (t for t in self.teams if t.parent == k):
                for metric in top.goal_metrics[:2]:
                    if metric == "manual":
                        continue
                    start, end = self.cur_q
                    q = (start.month - 1) // 3 + 1
                    team_goal[(sub.idx, metric, "q0")] = add(f"{start.year} Q{q} {sub.name}{METRIC_LABELS[metric]}", metric,
                                                             start, end, team=sub, parent=team_goal[(k, metric, "q0")])

        people = [m for m in self.members if not m.is_top_lead]
        remaining = max(0, self.scale.goals - len(goals))
        base, extra = divmod(remaining, len(people))
        manual_cycle = 0
        for i, m in enumerate(people):
            sequence = MEMBER_GOALS[ROLE_FAMILY[m.role]]
            for metric, kind, offset in sequence[:min(len(sequence), base + (1 if i < extra else 0))]:
                start, end = _quarter(today, offset) if kind == "q" else _month(today, offset)
                label = f"{start.year} Q{(start.month - 1) // 3 + 1}" if kind == "q" else f"{start.year} 年 {start.month} 月"
                parent = None
                if kind == "q" and offset in (0, -1):
                    key = "q0" if offset == 0 else "q-1"
                    parent = team_goal.get((m.team, metric, key))
                    if parent is None:
                        parent = team_goal.get((self.teams[m.team].top, metric, key))
                if metric == "manual":
                    manual = MANUAL_GOALS[1:5][manual_cycle % 4]
                    manual_cycle += 1
                    add(f"{label} {manual[0]}", metric, start, end, member=m, manual=manual)
                else:
                    add(f"{label} 个人{METRIC_LABELS[metric]}", metric, start, end, member=m, parent=parent)

        ids: list[int] = [0] * len(goals)
        remaining_idx = list(range(len(goals)))
        while remaining_idx:  # parents first
            ready = [k for k in remaining_idx if goals[k]["_parent"] is None or ids[goals[k]["_parent"]]]
            rows = [{**{key: v for key, v in goals[k].items() if not key.startswith("_")},
                     "parent_id": ids[goals[k]["_parent"]] if goals[k]["_parent"] is not None else None} for k in ready]
            for k, gid in zip(ready, self.insert(Goal, rows, returning=True)):
                ids[k] = gid
            remaining_idx = [k for k in remaining_idx if not ids[k]]
        self.goal_rows = list(zip(ids, goals))
        for gid, g in self.goal_rows:
            if g["_member"] is not None and g["status"] == "active" and g["end_date"] >= today:
                self.goal_ids_by_member[g["_member"]].append(gid)

        # Weekly check-ins on manual goals: steady progress, some ahead and some behind.
        check_ins = []
        for gid, g in self.goal_rows:
            if g["metric"] != "manual":
                continue
            start, end = g["start_date"], g["end_date"]
            last = min(end, today - timedelta(days=1))
            if last < start:
                continue
            elapsed = ((last - start).days + 1) / ((end - start).days + 1)
            final = g["target"] * elapsed * rng.uniform(0.6, 1.25)
            weeks = max(1, (last - start).days // 7)
            member = self.members[g["_member"]] if g["_member"] is not None else None
            author = (member.user_id if member else None) or g["created_by"]
            value = 0.0
            for w in range(1, weeks + 1):
                day = start + timedelta(days=min(7 * w, (last - start).days))
                value = max(value, round(final * w / weeks, 1 if g["target"] < 20 else 0))
                check_ins.append(dict(goal_id=gid, value=value, comment=rng.choice(("按计划推进。", "本周完成一项。", "进度略慢，下周补上。",
                                                                                   "客户配合度高，进展顺利。", None)),
                                      confidence=max(1, min(5, round(3 + (final / max(g["target"] * elapsed, 0.01) - 1) * 4 + rng.gauss(0, 0.6)))),
                                      user_id=author, created_at=self.dt(day)))
        self.insert(CheckIn, check_ins)

    # -- evaluations, rewards -----------------------------------------------------------------
    def build_evaluations(self) -> None:  # noqa: C901 - issue 16 point 3: to be split
        rng, today = self.rng, self.today
        east = self.teams[0]
        manager_user = self.users["manager"]
        start, end = self.prev_q
        evaluated = [m for m in self.members if self.teams[m.team].top == 0 and not m.is_top_lead and m.status != "left"]

        def thresholds(metric: str, default: list[float], step: float) -> list[float]:
            values = sorted(v for v in (self.stats.measure(metric, [m.idx], start, end) for m in evaluated) if v is not None)
            if len(set(values)) < 3:
                return default
            picks = [values[min(len(values) - 1, int(len(values) * q))] for q in (0.2, 0.4, 0.6, 0.8)]
            result: list[float] = []
            for p in picks:
                p = max(step, round(p / step) * step)
                if result and p <= result[-1]:
                    p = result[-1] + step
                result.append(float(p))
            return result

        templates = [
            ("客户团队季度考核", east.id, [
                ("成交金额", "measured", "sales_won", 25, {"thresholds": thresholds("sales_won", [50_000, 100_000, 200_000, 400_000], 10_000), "higher_is_better": True}),
                ("客户满意度", "measured", "csat_avg", 15, {"thresholds": [3.5, 4.0, 4.3, 4.6], "higher_is_better": True}),
                ("客户跟进次数", "measured", "follow_ups_done", 15, {"thresholds": thresholds("follow_ups_done", [5, 10, 20, 40], 1), "higher_is_better": True}),
                ("新增客户", "measured", "new_customers", 10, {"thresholds": [1, 2, 3, 5], "higher_is_better": True}),
                ("工作态度", "rated", None, 10, None),
                ("责任心", "rated", None, 10, None),
                ("团队协作", "rated", None, 10, None),
                ("创新", "rated", None, 5, None),
            ]),
            ("服务团队季度考核", None, [
                ("首次响应时长", "measured", "first_response_hours", 25, {"thresholds": [24, 8, 4, 2], "higher_is_better": False}),
                ("投诉解决率", "measured", "resolution_rate", 20, {"thresholds": [60, 75, 85, 95], "higher_is_better": True}),
                ("客户满意度", "measured", "csat_avg", 20, {"thresholds": [3.5, 4.0, 4.3, 4.6], "higher_is_better": True}),
                ("工作态度", "rated", None, 10, None),
                ("责任心", "rated", None, 10, None),
                ("团队协作", "rated", None, 10, None),
                ("创新", "rated", None, 5, None),
            ]),
        ]
        template_ids = self.insert(ScorecardTemplate, [dict(team_id=team_id, name=name) for name, team_id, _ in templates],
                                   returning=True)
        criteria_rows: list[dict[str, Any]]
        criteria_rows = [dict(template_id=tid, name=name, kind=kind, metric=metric, weight=weight, position=pos,
                              **({"scale": scale} if scale else {}))
                         for tid, (_, _, lines) in zip(template_ids, templates)
                         for pos, (name, kind, metric, weight, scale) in enumerate(lines)]
        criterion_ids = self.insert(Criterion, criteria_rows, returning=True)
        east_criteria = [(cid, row) for cid, row in zip(criterion_ids, criteria_rows) if row["template_id"] == template_ids[0]]

        released_at = datetime.combine(min(end + timedelta(days=10), today - timedelta(days=1)), time(3, 0))
        computed_at = released_at - timedelta(hours=2)
        q_prev = (start.month - 1) // 3 + 1
        cur_start, cur_end = self.cur_q
        q_cur = (cur_start.month - 1) // 3 + 1
        cycle_ids = self.insert(EvaluationCycle, [
            dict(team_id=east.id, template_id=template_ids[0], name=f"{start.year} 年第 {q_prev} 季度考核", kind="quarter",
                 start_date=start, end_date=end, status="released", released_at=released_at),
            dict(team_id=east.id, template_id=template_ids[0], name=f"{cur_start.year} 年第 {q_cur} 季度考核", kind="quarter",
                 start_date=cur_start, end_date=cur_end, status="open", released_at=None),
        ], returning=True)

        demo = next(m for m in self.members if m.username == "member")
        totals: dict[int, float] = {}
        rated_scores: dict[int, dict[int, int]] = {}
        for m in evaluated:
            lines, scores = [], {}
            for cid, row in east_criteria:
                if row["kind"] == "measured":
                    value = self.stats.measure(row["metric"], [m.idx], start, end)
                    score = None if value is None else 1 + sum(1 for t in row["scale"]["thresholds"] if value >= t)
                else:
                    score = max(1, min(5, round(3.4 + 0.6 * m.quality + rng.gauss(0, 0.6))))
                    scores[cid] = score
                lines.append((row["weight"], score))
            present = [(w, s) for w, s in lines if s is not None]
            totals[m.idx] = round(sum(w * s for w, s in present) / sum(w for w, _ in present), 2)
            rated_scores[m.idx] = scores
        evaluation_rows = []
        for m in evaluated:
            total = totals[m.idx]
            summary = next(text for floor, text in EVAL_SUMMARIES if total >= floor)
            evaluation_rows.append(dict(cycle_id=cycle_ids[0], member_id=m.id, total=total, summary=summary, computed_at=computed_at))
        for m in evaluated:
            evaluation_rows.append(dict(cycle_id=cycle_ids[1], member_id=m.id, total=None, summary=None, computed_at=None))
        evaluation_ids = self.insert(Evaluation, evaluation_rows, returning=True)
        released_ids = dict(zip([m.idx for m in evaluated], evaluation_ids[:len(evaluated)]))
        open_ids = dict(zip([m.idx for m in evaluated], evaluation_ids[len(evaluated):]))

        ratings, peers = [], []
        comments = ("表现稳定。", "主动承担重点客户工作。", "与同事配合默契。", "提出了改进跟进流程的好建议。", "责任心强。", None)
        rated_ids = [cid for cid, row in east_criteria if row["kind"] == "rated"]
        for m in evaluated:
            same_sub = [x for x in evaluated if x.team == m.team and x.idx != m.idx] or [x for x in evaluated if x.idx != m.idx]
            chosen = rng.sample(same_sub, min(2, len(same_sub)))
            if demo.idx != m.idx and m.team == demo.team and demo not in chosen:
                chosen = [demo, *chosen[:1]]  # `member` has peer reviews to write
            for eval_ids in (released_ids, open_ids):
                for p in chosen:
                    peers.append(dict(evaluation_id=eval_ids[m.idx], reviewer_member_id=p.id))
            for cid in rated_ids:
                score = rated_scores[m.idx][cid]
                ratings.append(dict(evaluation_id=released_ids[m.idx], criterion_id=cid, rater_user_id=manager_user,
                                    rater_kind="manager", score=score, comment=rng.choice(comments), created_at=computed_at - timedelta(days=3)))
                if m.user_id:
                    ratings.append(dict(evaluation_id=released_ids[m.idx], criterion_id=cid, rater_user_id=m.user_id,
                                        rater_kind="self", score=max(1, min(5, score + rng.choice((0, 0, 1)))),
                                        comment="自评：本季度尽力完成了各项工作。", created_at=computed_at - timedelta(days=6)))
                if demo in chosen:
                    ratings.append(dict(evaluation_id=released_ids[m.idx], criterion_id=cid, rater_user_id=demo.user_id,
                                        rater_kind="peer", score=max(1, min(5, score + rng.choice((-1, 0, 0, 1)))),
                                        comment=None, created_at=computed_at - timedelta(days=5)))
            # The open cycle is under way: a few manager ratings and `member`'s own self-review.
            if rng.random() < 0.4 or m.user_id:
                for cid in rated_ids[:2]:
                    kind, rater = ("self", m.user_id) if m.user_id else ("manager", manager_user)
                    ratings.append(dict(evaluation_id=open_ids[m.idx], criterion_id=cid, rater_user_id=rater, rater_kind=kind,
                                        score=max(1, min(5, round(3.5 + 0.5 * m.quality))), comment=None,
                                        created_at=self.dt(today - timedelta(days=rng.randint(1, 10)))))
        self.insert(PeerReviewer, peers)
        self.insert(Rating, ratings)

        # Reward rules and the rewards the released cycle earned.
        ranked = sorted(totals.values(), reverse=True)
        bonus_at = max(3.0, int(ranked[min(1, len(ranked) - 1)] * 10) / 10)
        gift_at = round(max(2.5, min(bonus_at - 0.1, int(ranked[min(len(ranked) - 1, len(ranked) // 2)] * 10) / 10)), 1)
        rules = [dict(team_id=east.id, metric="evaluation_score", threshold=bonus_at, reward_kind="bonus",
                      amount=Decimal("3000.00"), description=f"季度考核 ≥ {bonus_at} 分：奖金 3000 元"),
                 dict(team_id=east.id, metric="evaluation_score", threshold=gift_at, reward_kind="gift",
                      amount=Decimal("500.00"), description=f"季度考核 ≥ {gift_at} 分：购物卡 500 元"),
                 dict(team_id=east.id, metric="goal_attainment", threshold=120.0, reward_kind="extra_leave", amount=None,
                      description="个人目标达成率 ≥ 120%：额外 1 天假期")]
        for k in range(1, len(TOP_TEAMS)):
            rules.append(dict(team_id=self.teams[k].id, metric="evaluation_score", threshold=4.2, reward_kind="bonus",
                              amount=Decimal("2000.00"), description="季度考核 ≥ 4.2 分：奖金 2000 元"))
        rule_ids = self.insert(RewardRule, rules, returning=True)
        rewards = []
        for n, m in enumerate(sorted(evaluated, key=lambda x: -totals[x.idx])):
            total = totals[m.idx]
            if total >= bonus_at:
                rule, kind, amount = rule_ids[0], "bonus", Decimal("3000.00")
            elif total >= gift_at:
                rule, kind, amount = rule_ids[1], "gift", Decimal("500.00")
            else:
                continue
            status = "confirmed" if n % 2 == 0 else "suggested"
            rewards.append(dict(member_id=m.id, cycle_id=cycle_ids[0], rule_id=rule, kind=kind, amount=amount,
                                reason=f"{start.year} 年第 {q_prev} 季度考核 {total} 分", status=status,
                                decided_by=manager_user if status == "confirmed" else None,
                                decided_at=released_at + timedelta(days=1) if status == "confirmed" else None,
                                created_at=released_at))
        self.insert(Reward, rewards)
        self.audit_rows.append(dict(at=released_at, user_id=manager_user, action="evaluation.release", entity="evaluation_cycle",
                                    entity_id=cycle_ids[0], before={"status": "open"}, after={"status": "released"}))

    # -- meetings, 1:1s, feedback, recognition, training, notifications, settings ---------------
    def build_team_life(self) -> None:  # noqa: C901 - issue 16 point 3: to be split
        rng, today = self.rng, self.today
        tops = [t for t in self.teams if t.parent is None]

        # 1:1s: each top-team manager with up to a dozen of their people, monthly.
        one_rows: list[dict[str, Any]] = []
        one_owner: list[_M] = []
        for t in tops:
            manager_user = self.users[TOP_TEAMS[t.top].username]
            people = [m for m in self.members_of(t.top) if not m.is_top_lead]
            demo_first = sorted(people, key=lambda m: (m.username is None, not m.is_sub_lead, m.idx))[:12]
            for m in demo_first:
                for months_ago in range(3):
                    held = today - timedelta(days=30 * months_ago + rng.randint(2, 20))
                    one_rows.append(dict(manager_user_id=manager_user, member_id=m.id, held_on=held,
                                         agenda=rng.choice(ONE_ON_ONE_AGENDA), notes=rng.choice(ONE_ON_ONE_NOTES),
                                         created_at=self.dt(held)))
                    one_owner.append(m)
        one_ids = self.insert(OneOnOne, one_rows, returning=True)

        meeting_rows: list[dict[str, Any]] = []
        meeting_team = []
        for t in tops:
            for week in range(8):
                held = today - timedelta(days=(today.weekday() or 7) + 7 * week)  # Mondays before today
                meeting_rows.append(dict(team_id=t.id, title=f"{t.name}周会", held_at=self.dt(held, 90),
                                         notes=rng.choice(MEETING_NOTES)))
                meeting_team.append(t)
        meeting_ids = self.insert(Meeting, meeting_rows, returning=True)

        actions = []

        def action(owner: _M, held: date, **source: Any) -> dict[str, Any]:
            due = held + timedelta(days=rng.randint(3, 14))
            tasks = self.task_ids_by_member.get(owner.idx)
            return dict(meeting_id=source.get("meeting_id"), one_on_one_id=source.get("one_on_one_id"),
                        text=rng.choice(ACTION_ITEMS), owner_member_id=owner.id, due_date=due,
                        task_id=rng.choice(tasks) if tasks and rng.random() < 0.3 else None,
                        done=due < today and rng.random() < 0.8)

        for mid, row, t in zip(meeting_ids, meeting_rows, meeting_team):
            people = [m for m in self.members_of(t.top) if m.status == "active"]
            for owner in rng.sample(people, min(len(people), rng.randint(2, 3))):
                actions.append(action(owner, row["held_at"].date(), meeting_id=mid))
        for oid, row, m in zip(one_ids, one_rows, one_owner):
            if rng.random() < 0.5:
                actions.append(action(m, row["held_on"], one_on_one_id=oid))
        self.insert(ActionItem, actions)

        # Anonymous feedback: released batches for the last two months, this month's still waiting.
        feedback = []
        for t in tops:
            for offset, released in ((-2, True), (-1, True), (0, False)):
                start, _ = _month(today, offset)
                period = f"{start.year:04d}-{start.month:02d}"
                for target in ("team", "manager"):
                    count = rng.randint(3, 5) if released else rng.randint(1, 2)
                    for body in rng.sample(FEEDBACK_TEXTS[target], count):
                        feedback.append(dict(team_id=t.id, target=target, period=period, body=body, released=released))
        self.insert(Feedback, feedback)

        # Recognition wall.
        recognitions = []
        praised = [x for x in self.members if not x.is_top_lead]
        for _ in range(self.scale.recognitions):
            m = rng.choice(praised)
            goals = self.goal_ids_by_member.get(m.idx)
            customers = self.owned.get(m.idx)
            roll = rng.random()
            recognitions.append(dict(from_user_id=self.top_manager_user(m) if rng.random() < 0.85 else self.users["admin"],
                                     to_member_id=m.id, message=rng.choice(RECOGNITIONS),
                                     goal_id=rng.choice(goals) if goals and roll < 0.3 else None,
                                     customer_id=rng.choice(customers) if customers and 0.3 <= roll < 0.6 else None,
                                     created_at=self.past_dt(self.midnight - timedelta(days=90))))
        self.insert(Recognition, recognitions)

        # Trainings with attendance and pre/post scores.
        trainings, attendance_plan = [], []
        for n in range(self.scale.trainings):
            topic, skill, metric, trainer = TRAININGS[n % len(TRAININGS)]
            t = None if skill == "合规" else tops[n % len(tops)]
            held = today - timedelta(days=rng.randint(10, 170))
            trainings.append(dict(team_id=t.id if t else None, topic=topic if n < len(TRAININGS) else f"{topic}（第 {n // len(TRAININGS) + 1} 期）",
                                  skill=skill, held_on=held, hours=rng.choice((1.5, 2.0, 3.0, 4.0, 6.0)), trainer=trainer,
                                  effect_metric=metric))
            people = [m for m in (self.members_of(t.top) if t else self.members) if m.status != "left"]
            attendance_plan.append(rng.sample(people, min(len(people), rng.randint(6, 40))))
        training_ids = self.insert(Training, trainings, returning=True)
        attendance = []
        for tid, people in zip(training_ids, attendance_plan):
            for m in people:
                attended = rng.random() < 0.9
                pre = round(rng.uniform(45, 75)) if attended else None
                post = min(100, pre + round(rng.uniform(3, 25))) if attended else None
                attendance.append(dict(training_id=tid, member_id=m.id, attended=attended, pre_score=pre, post_score=post))
        self.insert(TrainingAttendance, attendance)

        # Notifications: response breaches of the last two weeks, escalated to the top-team manager
        # (the same kind and ref core.service.escalate_breaches writes, so it never duplicates them).
        notifications = []
        for p in self.complaint_plan:
            resp_target, _ = self.target(p["assignee"].team, p["severity"])
            stopped = p["first_response_at"] or self.midnight
            if p["opened_at"] < self.midnight - timedelta(days=14) or (stopped - p["opened_at"]).total_seconds() <= resp_target:
                continue
            at = min(p["opened_at"] + timedelta(seconds=resp_target + 60), self.midnight)
            notifications.append(dict(user_id=self.top_manager_user(p["assignee"]), kind="complaint_response_breach",
                                      ref=f"complaint:{p['id']}", message=f"{p['customer'].name} · {p['title']}"[:300],
                                      created_at=at, read_at=min(at + timedelta(hours=2), self.midnight) if rng.random() < 0.4 else None))
        self.insert(Notification, notifications)

        from db.demo_worker import add_worker_demo  # issue 14's tables

        add_worker_demo(self)

        self.audit_rows.append(dict(at=self.midnight - timedelta(minutes=1), user_id=self.users["admin"],
                                    action="workspace.demo_created", entity="workspace", entity_id=None,
                                    after={"seed": self.seed, "today": today.isoformat(), "members": len(self.members),
                                           "customers": len(self.customers)}))
        self.insert(AuditLog, self.audit_rows)
        self.insert(Setting, [dict(key="demo", value="on")])


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------
def table_counts(session: Session) -> dict[str, int]:
    """Rows per table, in dependency order."""
    return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


def build_demo(engine: Engine, scale: str = "small", seed: int = DEFAULT_SEED, today: date | None = None,
               progress: Progress | None = None) -> dict[str, int]:
    """Build the demo organisation into an empty, migrated database in one transaction; return the
    row count of every table. `progress(label, fraction)` is called between steps."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r} (choose from {', '.join(SCALES)})")
    with unit_of_work(engine) as session:
        if session.scalar(select(func.count()).select_from(User)):
            raise ValueError("the database already has users: the demo is built into an empty database only")
        _Builder(session, SCALES[scale], seed, today or date.today(), progress).build()
        session.flush()
        return table_counts(session)


def ensure_demo(engine: Engine) -> bool:
    """First start: build the small demo when there are no users yet. True when it built it.
    Safe when several app servers start at once: the loser of the race returns False."""
    with read_session(engine) as session:
        if session.scalar(select(func.count()).select_from(User)):
            return False
    try:
        build_demo(engine)
    except (IntegrityError, OperationalError):
        with read_session(engine) as session:
            if session.scalar(select(func.count()).select_from(User)):
                return False  # another server built it first
        raise
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m db.demo", description="Build the ClientCrew demo workspace.")
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or the local SQLite file)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--if-empty", action="store_true", help="do nothing when the database already has users")
    args = parser.parse_args(argv)

    from db.engine import make_engine
    from db.migrate import upgrade

    started = clock.perf_counter()
    upgrade(args.url)
    engine = make_engine(args.url)
    try:
        with read_session(engine) as session:
            has_users = bool(session.scalar(select(func.count()).select_from(User)))
        if has_users:
            print("the database already has users; nothing built", file=sys.stderr)
            return 0 if args.if_empty else 1

        def report(label: str, fraction: float) -> None:
            print(f"[{clock.perf_counter() - started:7.1f}s] {fraction:4.0%} {label}", file=sys.stderr, flush=True)

        counts = build_demo(engine, scale=args.scale, seed=args.seed, progress=report)
    finally:
        engine.dispose()
    width = max(len(name) for name in counts)
    for name, count in counts.items():
        print(f"{name:<{width}}  {count:>9,}")
    print(f"built the {args.scale} demo in {clock.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
