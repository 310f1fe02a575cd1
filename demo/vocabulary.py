"""What the demo workspace is made of: its organisation (top teams, roles, members' goals), the
Chinese-first vocabulary its records are written in, and the demo logins' password.

Facts that belong to the product (units, levels, default cadence and service targets) are read from
core, never copied here."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

DEMO_PASSWORD = "demo1234"
DEFAULT_SEED = 20261123
EMAIL_DOMAIN = "clientcrew.demo"


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
# Service targets (seconds) per top team; sub-teams inherit (core.service walks up the tree); the other
# teams keep core.service.DEFAULT_TARGETS.
HOUR = 3600
SERVICE_TARGETS = {
    "core": {"critical": (2 * HOUR, 12 * HOUR), "high": (4 * HOUR, 24 * HOUR), "medium": (8 * HOUR, 72 * HOUR),
             "low": (24 * HOUR, 168 * HOUR)},
    "support": {"critical": (1 * HOUR, 8 * HOUR), "high": (2 * HOUR, 24 * HOUR), "medium": (4 * HOUR, 48 * HOUR),
                "low": (12 * HOUR, 120 * HOUR)},
}

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
METRIC_LABELS = {"sales_won": "成交额", "new_customers": "新增客户", "csat_avg": "客户满意度", "nps": "净推荐值",
                 "retention_rate": "客户留存率", "first_response_hours": "首次响应时长", "resolution_rate": "投诉解决率",
                 "follow_ups_done": "客户跟进次数", "tasks_on_time": "按时完成任务数"}
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
class TopTeam:
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
    TopTeam("华东客户部", "core", "manager", ("陈静", "chen.jing"), "负责华东区重点客户的销售、续约与日常维护。",
             ("华东", "华中", "华北"), 1.0,
             (("大客户组", ("account_manager", "account_manager", "project_manager")),
              ("成长客户组", ("account_manager", "sales_specialist", "account_manager")),
              ("新客拓展组", ("sales_specialist", "sales_specialist"))),
             "华东{n}组", ("account_manager", "account_manager", "sales_specialist", "account_manager", "sales_specialist",
                          "project_manager", "cs_specialist"),
             ("sales_won", "new_customers", "csat_avg", "manual"), {"A": 7, "B": 30, "C": 90}),
    TopTeam("客户服务中心", "support", "zhang.wei", ("张伟", "zhang.wei"), "售后服务、投诉处理与技术支持。",
             ("华东", "华南", "华北", "西南"), 0.45,
             (("售后服务组", ("cs_specialist", "cs_specialist", "cs_specialist")),
              ("技术支持组", ("tech_support", "tech_support"))),
             "服务{n}组", ("cs_specialist", "cs_specialist", "tech_support", "cs_specialist"),
             ("first_response_hours", "resolution_rate", "csat_avg", "nps"), None),
    TopTeam("华南客户部", "core", "li.na", ("李娜", "li.na"), "负责华南与西南区域客户的拓展与维护。",
             ("华南", "西南"), 0.9,
             (("深圳组", ("account_manager", "sales_specialist", "account_manager")),
              ("广州组", ("account_manager", "cs_specialist"))),
             "华南{n}组", ("account_manager", "sales_specialist", "account_manager", "account_manager", "cs_specialist"),
             ("sales_won", "follow_ups_done", "retention_rate"), {"A": 7, "B": 21, "C": 60}),
    TopTeam("运营管理部", "management", "wang.fang", ("王芳", "wang.fang"), "合同、财务、物流与交付项目管理。",
             ("华东",), 0.0,
             (("交付与支持组", ("project_manager", "finance_support", "logistics_support")),),
             "运营{n}组", ("project_manager", "finance_support", "logistics_support"),
             ("tasks_on_time", "manual"), None),
)
DEMO_MEMBER = ("刘洋", "liu.yang")  # the `member` login: second member of 大客户组
