"""Issue 12 ("every screen right"): texts for confirmations, checklists, readable audit and history
lines, report exports and page messages. Keys start with `screens.`."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "screens.assignee_current": ("当前负责人（即将离职）", "Current assignee (leaving)"),
    "screens.error.assignee_leaving": ("{name} 即将离职，不能再分配新任务", "{name} is leaving and cannot take new tasks"),
}
