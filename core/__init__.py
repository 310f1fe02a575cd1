"""Domain rules, permissions, queries and metrics as plain Python. Never imports streamlit."""

# Limits on stored values apply to every session (a before_flush check), whoever writes.
from core import limits as _limits  # noqa: E402,F401
