"""Strings for issue 17: login throttling, sessions, password policy, limits, versions, safe text."""

MESSAGES = {
    # Login and throttling (the same answers whether or not the username exists)
    "sec.login_locked": (
        "尝试次数过多，请于 {until}（UTC）后再试；管理员重置密码可立即解除。",
        "Too many attempts. Try again after {until} (UTC); an admin's password reset lifts this at once.",
    ),
    "sec.attempts_left": ("再错 {n} 次将暂时无法登录。", "{n} more wrong attempts and signing in will be paused for a while."),
    "sec.config_error": ("服务器配置错误，请联系管理员：{detail}", "Server configuration error, tell your admin: {detail}"),
    # Passwords
    "sec.password_short": ("新密码至少需要 {n} 个字符（可以用一句好记的话）。", "A new password needs at least {n} characters (a memorable phrase works well)."),
    "sec.password_common": ("这个密码太常见，很容易被猜到，请换一个。", "That password is too common and easy to guess; choose another."),
    "sec.current_password_wrong": ("当前密码不正确。", "The current password is not right."),
    "sec.password_unchanged": ("新密码与当前密码相同。", "The new password is the same as the current one."),
    "sec.change_password": ("修改密码", "Change password"),
    "sec.current_password": ("当前密码", "Current password"),
    "sec.new_password": ("新密码", "New password"),
    "sec.repeat_password": ("再次输入新密码", "Repeat the new password"),
    "sec.password_rules": (
        "至少 {n} 个字符，不能是常见密码；无需特殊字符。修改后其他设备将退出登录。",
        "At least {n} characters and not a common password; no special characters needed. Other devices are signed out.",
    ),
    "sec.passwords_differ": ("两次输入的新密码不一致。", "The two new passwords differ."),
    "sec.password_changed": ("密码已修改，其他设备已退出登录。", "Password changed; your other devices are signed out."),
    # Admin: sessions
    "sec.sign_out_everywhere": ("在所有设备上退出登录", "Sign out everywhere"),
    "sec.signed_out_everywhere": ("{username} 已在 {n} 个会话中退出登录。", "{username} signed out of {n} [session|sessions]."),
    # Limits on input
    "sec.nul_refused": ("文本中含有不可见的空字符（NUL），请删除后重试。", "The text contains an invisible NUL character; remove it and try again."),
    "sec.too_long": ("{field}：最多 {n} 个字符（现在 {length} 个）。", "{field}: at most {n} characters (now {length})."),
    "sec.number_not_finite": ("{field}：请输入一个有效的数字。", "{field}: enter a real number."),
    "sec.number_out_of_range": ("{field}：必须在 {low} 到 {high} 之间。", "{field}: must be between {low} and {high}."),
    "sec.bad_link": ("链接中的参数无效，已忽略。", "A value in the link was not valid and has been ignored."),
    "sec.bad_drop": ("这次拖放无法识别，未做任何修改。请刷新后重试。", "That drop could not be understood; nothing was changed. Refresh and try again."),
    "sec.link_other_customer": ("所选的沟通记录不属于这个客户。", "The chosen interaction belongs to another customer."),
    # Versions
    "sec.stale_edit": (
        "保存前已有其他人修改了这条记录，你的修改未保存。请刷新后重新修改。",
        "Someone else changed this record after you opened it; your change was not saved. Refresh and edit again.",
    ),
    # Backups (command line)
    "sec.backup_done": ("备份已写入 {path}。", "Backup written to {path}."),
}
