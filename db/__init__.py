"""Persistence layer: models, engine, sessions, migrations, demo data. Never imports streamlit."""
