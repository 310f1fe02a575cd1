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
}
