"""Demo rows for issue 14's tables: a working calendar with holidays, call records for the
support team, an automation rule with one run, complaint notes and a pause, notification
preferences, one finished job run and one sent e-mail. Called by the demo builder (demo.team_life).

The calendar runs round the clock (its holidays lie ahead), so the demo's service history and
its breach notifications stay exactly as the demo builder computes them."""
from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from db.models import (
    AutomationRule,
    AutomationRun,
    CalendarHoliday,
    Call,
    ComplaintNote,
    ComplaintPause,
    EmailOutbox,
    JobRun,
    NotificationPreference,
    ServiceCalendar,
)

TOPICS = ("账单", "物流", "退货", "账号", "产品咨询")


def add_worker_demo(b: Any) -> None:
    rng, midnight, today = b.rng, b.midnight, b.today
    top = next(t for t in b.teams if t.parent is None)
    calendar_ids = b.insert(ServiceCalendar, [dict(team_id=top.id, timezone="Asia/Shanghai", working_days="1,2,3,4,5,6,7",
                                                    day_start_minute=0, day_end_minute=1440, lead_delay_minutes=0,
                                                    manager_delay_minutes=240)], returning=True)
    next_year = today.year + 1
    b.insert(CalendarHoliday, [dict(calendar_id=calendar_ids[0], day=date(next_year, 1, 1), name="元旦"),
                               dict(calendar_id=calendar_ids[0], day=date(next_year, 5, 1), name="劳动节"),
                               dict(calendar_id=calendar_ids[0], day=date(next_year, 10, 1), name="国庆节")])

    # Calls: the last 30 days for up to 8 active members
    agents = [m for m in b.members if m.status == "active"][:8]
    calls = []
    for m in agents:
        skill = rng.uniform(0.75, 0.97)
        for day in range(30, 0, -1):
            for _ in range(rng.randint(3, 12)):
                at = midnight - timedelta(days=day) + timedelta(hours=9, seconds=rng.randint(0, 9 * 3600))
                answered = rng.random() < skill
                topic = rng.choice(TOPICS)
                speed = rng.randint(3, 90) if answered else None
                talk = rng.randint(60, 900) if answered else None
                resolved = answered and rng.random() < skill - 0.1
                csat = rng.randint(3, 5) if answered and rng.random() < 0.4 else None
                raw = f"demo|{m.id}|{at.isoformat()}|{topic}|{answered}|{speed}|{talk}|{csat}"
                calls.append(dict(fingerprint=hashlib.sha256(raw.encode()).hexdigest(), member_id=m.id, occurred_at=at,
                                  topic=topic, answered=answered, resolved=resolved, speed_of_answer_seconds=speed,
                                  talk_seconds=talk, csat=csat, imported_at=midnight - timedelta(days=1)))
    b.insert(Call, calls)

    # Complaint notes on resolved complaints; a short wait on the customer after a first response
    notes: list[dict] = []
    pauses: list[dict] = []
    for p in [p for p in b.complaint_plan if p.get("resolved_at") and p.get("first_response_at")][:40]:
        notes.append(dict(complaint_id=p["id"], kind="response", body="已电话联系客户，确认问题并告知处理时间。",
                          user_id=b.user_of(p["assignee"].idx), created_at=p["first_response_at"]))
        notes.append(dict(complaint_id=p["id"], kind="resolution", body="问题已解决，客户确认满意。",
                          user_id=b.user_of(p["assignee"].idx), created_at=p["resolved_at"]))
        gap = (p["resolved_at"] - p["first_response_at"]).total_seconds()
        elapsed = (p["resolved_at"] - p["opened_at"]).total_seconds()
        target = b.target(p["assignee"].team, p["severity"])[1]
        same_verdict = (elapsed > target) == (elapsed - 2700 > target)  # the pause never changes a breach flag
        if gap > 7200 and same_verdict and len(pauses) < 10:
            start = p["first_response_at"] + timedelta(minutes=30)
            pauses.append(dict(complaint_id=p["id"], started_at=start, ended_at=start + timedelta(minutes=45),
                               resume_status="responded"))
    b.insert(ComplaintNote, notes)
    b.insert(ComplaintPause, pauses)

    admin = b.users["admin"]
    rule_ids = b.insert(AutomationRule, [dict(
        name="跟进逾期 7 天：创建回访任务", team_id=None, trigger="follow_up_overdue", trigger_days=7, conditions={"tier": "A"},
        action="create_task", action_params={"title": "回访 {record}", "due_in_days": 1}, active=True, created_by=admin,
        created_at=midnight - timedelta(days=10))], returning=True)
    b.insert(AutomationRun, [dict(rule_id=rule_ids[0], ref="demo:first-run", outcome="task", ran_at=midnight - timedelta(days=9))])
    manager_users = sorted({b.top_manager_user(m) for m in b.members})
    b.insert(NotificationPreference, [dict(user_id=u, kind="follow_up_reminder", mode="digest") for u in manager_users[:3]])
    b.insert(JobRun, [dict(job="digest", slot=(today - timedelta(days=1)).isoformat(), worker="demo",
                           started_at=midnight - timedelta(hours=16), finished_at=midnight - timedelta(hours=16), result=0)])
    b.insert(EmailOutbox, [dict(dedupe_key="demo:welcome", user_id=admin, to_address="admin@example.com",
                                subject="ClientCrew · 欢迎", body="ClientCrew 演示工作区已创建。",
                                created_at=midnight - timedelta(days=1), sent_at=midnight - timedelta(days=1), attempts=1)])
