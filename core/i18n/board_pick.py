"""Strings of the board's one Move to… picker (issue 15: one control per board, not a button per card)."""

MESSAGES = {
    "board.card_pick": ("移动到… / 详情：选择任务", "Move to… / details: choose a task"),
}
