"""Reports, records behind a number and exports (issue 12): readable record rows, export headers
and the raw-data export beside each report."""

MESSAGES = {
    # what a record behind a number is
    "reports.kind.deal": ("成交/商机", "Deal"),
    "reports.kind.customer": ("客户", "Customer"),
    "reports.kind.survey": ("满意度调查", "Survey"),
    "reports.kind.complaint": ("投诉", "Complaint"),
    "reports.kind.interaction": ("沟通记录", "Contact"),
    "reports.kind.task": ("任务", "Task"),
    "reports.kind.call": ("通话", "Call"),
    "reports.kind.goal": ("目标", "Goal"),
    "reports.kind.check_in": ("目标进展更新", "Goal check-in"),
    "reports.record.csat": ("满意度", "CSAT"),
    "reports.record.nps": ("NPS", "NPS"),
    "reports.record.due": ("截止 {date}", "due {date}"),
    "reports.record.answered": ("已接听", "Answered"),
    "reports.record.missed": ("未接听", "Missed"),
    # the table's columns
    "reports.col.what": ("记录类型", "Record"),
    "reports.col.record": ("内容", "What"),
    "reports.col.customer": ("客户", "Customer"),
    "reports.col.member": ("成员", "Member"),
    "reports.col.date": ("日期", "Date"),
    "reports.col.detail": ("详情", "Detail"),
    "reports.col.open": ("打开", "Open"),
    "reports.open": ("打开 ›", "Open ›"),
    "reports.records_hint": ("点击“打开”查看该记录。", "Click “Open” to see the record."),
    "reports.no_responses": ("这段时间内的投诉还没有首次响应，因此没有平均响应时间。",
                             "No complaint in this period has had a first response yet, so there is no average response time."),
    # exports
    "reports.col.external_id": ("外部编号", "External ID"),
    "reports.col.group": ("分组", "Group"),
    "reports.col.goal": ("目标", "Goal"),
    "reports.col.comment": ("说明", "Comment"),
    "reports.col.confidence": ("信心（1–5）", "Confidence (1–5)"),
    "reports.col.value": ("数值", "Value"),
    "reports.col.when": ("时间", "When"),
    "reports.sheet.goals": ("目标", "Goals"),
    "reports.sheet.check_ins": ("进展更新", "Check-ins"),
    "reports.export_raw": ("原始数据（供分析）", "Raw data (for analysis)"),
    "reports.raw_hint": ("原始数据保留代码和未格式化的数字，适合导入其他工具。", "Raw data keeps codes and unformatted numbers, for other tools."),
}
