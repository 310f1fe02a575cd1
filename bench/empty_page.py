"""An empty page inside the signed-in app shell: the baseline that shows what login, navigation
and the sidebar cost on every page, so each page's own cost can be read off the ratio."""
import streamlit as st

st.write("")
