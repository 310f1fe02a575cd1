"""Domain rules, permissions, queries and metrics as plain Python. Never imports streamlit."""
