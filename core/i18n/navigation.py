"""Strings for issue 12 (navigation, links to records, Streamlit's own widget texts)."""

MESSAGES = {
    # addresses that are not a page of the role
    "navigation.forbidden": ("您的角色不能打开“{page}”页面。如需使用，请联系管理员。",
                             "Your role cannot open the {page} page. Ask an admin if you need it."),
    "navigation.forbidden_title": ("无法打开此页面", "This page is not open to you"),
    "navigation.go_home": ("返回首页", "Go to Home"),
    "navigation.not_found": ("没有地址为 /{path} 的页面，已为您打开首页。",
                             "There is no page at /{path}; here is Home."),
    # the login page's warning before the pause, for the last try (the same for every username)
    "navigation.last_attempt": ("再错 1 次将暂时无法登录。", "One more wrong attempt and signing in will be paused for a while."),
    # Streamlit's own widget texts (pages/widget_text.py)
    "widget.choose_options": ("请选择（可多选）", "Choose options"),
    "widget.choose_or_add_options": ("请选择或输入新项", "Choose or add options"),
    "widget.add_options": ("请输入新项", "Add options"),
    "widget.no_options": ("没有可选项", "No options to select"),
    "widget.choose_option": ("请选择", "Choose an option"),
    "widget.choose_or_add_option": ("请选择或输入", "Choose or add an option"),
}
