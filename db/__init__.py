"""Persistence layer: models, engine, sessions, migrations, backup and restore. Never imports streamlit."""
