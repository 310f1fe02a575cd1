"""Strings for issue 12 (the screen sweep): texts that replaced developer words in the UI."""

MESSAGES = {
    # The word an admin types to confirm removing the demo: a Chinese word in the Chinese UI.
    "sweep.remove_demo_word": ("删除演示", "DEMO"),
}
