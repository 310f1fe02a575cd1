"""Issue 12 ("every screen right"): texts for confirmations, checklists, readable audit and history
lines, report exports and page messages. Keys start with `screens.`."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "screens.assignee_current": ("当前负责人（即将离职）", "Current assignee (leaving)"),
    "screens.error.assignee_leaving": ("{name} 即将离职，不能再分配新任务", "{name} is leaving and cannot take new tasks"),
    "screens.goal.already_split": ("这个目标已拆分为 {n} 个子目标：请选择“重新拆分”替换它们", "This goal is already split into {n} sub-goals: choose “Re-split” to replace them"),
    "screens.goal.has_children": ("这个目标已有 {n} 个子目标（见“目标详情”）。再次保存会替换它们。", "This goal already has {n} sub-goals (see the goal's details). Saving again replaces them."),
    "screens.goal.resplit_confirm": ("归档现有的 {n} 个子目标，并以上面的拆分替换", "Archive the {n} current sub-goals and replace them with the split above"),
    "screens.goal.resplit": ("重新拆分", "Re-split"),
    "screens.reason.team_change": ("{name} 调到其他团队：交回原团队待分配", "{name} moved to another team: handed back to the old team's queue"),
    "screens.roster.team_change": ("{names} 将调到其他团队。他们的客户和未完成任务：", "{names} change team. Their customers and open tasks:"),
    "screens.roster.team_change.move": ("随成员一起调到新团队", "move with the member to the new team"),
    "screens.roster.team_change.handover": ("交回原团队，等待重新分配", "hand over to the old team's queue"),
    "screens.roster.team_change.keep": ("保持不变", "keep as they are"),
    "screens.roster.moved_with": ("随调动处理了 {customers}、{tasks}", "Handled with the team change: {customers}, {tasks}"),
    "screens.roster.below_load": ("{name} 的容量已低于当前负荷（客户 {customers}，任务 {tasks}）：请为其减负", "{name}'s capacity is now below the current load (customers {customers}, tasks {tasks}): hand some work over"),
    "count.customer": ("{n} 位客户", "{n} customer|{n} customers"),
    "count.task": ("{n} 个任务", "{n} task|{n} tasks"),
    "count.complaint": ("{n} 个投诉", "{n} complaint|{n} complaints"),
    "count.member": ("{n} 名成员", "{n} member|{n} members"),
    "count.record": ("{n} 条记录", "{n} record|{n} records"),
    "count.item": ("{n} 项", "{n} item|{n} items"),
    "count.day": ("{n} 天", "{n} day|{n} days"),
    "count.message": ("{n} 条留言", "{n} message|{n} messages"),
    "count.sender": ("{n} 位发送者", "{n} sender|{n} senders"),
}
