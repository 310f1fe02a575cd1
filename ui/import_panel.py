"""One import kind of core.imports in a page: template, upload, column mapping, mode, the checked
preview with every row error and the error file, the import (valid rows only, if asked) and the
rows to fix given back. The Service page's survey upload uses it; the Customers page's Import tab
walks the same core.imports steps for every kind, with the unknown values, size bands and member
options this panel does not need (its kinds have no free or enum fields to map)."""
from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

import pandas as pd
import streamlit as st

import ui
from core import imports, safe_export
from core.errors import DomainError


class UploadedFile(NamedTuple):
    frame: pd.DataFrame
    digest: str  # of the file's bytes: widget keys per file, so a new file starts afresh
    upload: Any  # Streamlit's UploadedFile (its name goes into the import's audit)


def read_upload(kind: str, key: str, generation: int) -> UploadedFile | None:
    """The template to fill in, the uploader (a new one per `generation`, i.e. after each import)
    and the file read as a table; None until a readable file is chosen (an unreadable one says why)."""
    st.download_button(ui.t("imports.template"), safe_export.to_csv_bytes(imports.template_frame(kind)), f"{kind}_template.csv",
                       "text/csv", key=f"{key}_template", icon=":material/description:")
    upload = st.file_uploader(ui.t("imports.file"), type=["csv", "xlsx"], help=ui.t("imports.file_help"),
                              key=f"{key}_file_{generation}")
    if upload is None:
        return None
    data = upload.getvalue()
    try:
        frame = imports.read_table(data, upload.name)
    except DomainError as error:
        ui.show_error(error)
        return None
    st.caption(ui.t("imports.rows_read", rows=ui.fmt_number(len(frame)), cols=len(frame.columns)))
    return UploadedFile(frame, hashlib.sha1(data).hexdigest()[:10], upload)


def render(kind: str, key: str) -> None:
    """The whole flow for `kind`; `key` prefixes every widget and session-state key."""
    rest = st.session_state.get(f"{key}_rest")
    if rest is not None:  # the rows the last import left out, with reasons
        st.download_button(ui.t("move.rest_file"), safe_export.to_csv_bytes(rest), "rows_to_fix.csv", "text/csv",
                           key=f"{key}_rest_file", icon=":material/download:")
    generation = st.session_state.get(f"{key}_generation", 0)
    file = read_upload(kind, key, generation)
    if file is None:
        return
    frame, digest, upload = file
    mapping = _mapping(kind, key, frame, digest)
    c1, c2 = st.columns(2)
    modes = list(imports.MODES)
    first_choice = imports.default_mode(kind, mapping)  # per file: one that cannot be matched creates
    mode = c1.segmented_control(ui.t("move.mode"), modes, default=first_choice, key=f"{key}_mode_{digest}",
                                format_func=ui.formatter(modes, lambda m: ui.t(f"move.mode.{m}"))) or first_choice
    keys = list(imports.KEYS[kind])
    match_key = c2.selectbox(ui.t("move.key"), keys, index=keys.index(imports.default_key(kind, mapping)),
                             format_func=ui.formatter(keys, lambda k: ui.t(f"move.key.{k}")), key=f"{key}_key_{digest}")
    problems = imports.mapping_problems(mapping, kind)
    if problems:
        ui.show_error(DomainError("imports.mapping_incomplete", problems))
        return
    options = {"mode": mode, "key": match_key}
    check_key = f"{key}_checked_{digest}"
    if st.button(ui.t("imports.check"), key=f"{key}_check", icon=":material/fact_check:"):
        st.session_state[check_key] = True
    if not st.session_state.get(check_key):
        return
    try:
        result = ui.read(imports.preview, kind, frame, mapping, None, **options)
    except DomainError as error:
        ui.show_error(error)
        return
    partial = _shown(result, frame, key, digest)
    if partial is None:
        return
    if st.button(ui.t("imports.commit", total=ui.fmt_number(result.total - result.error_rows)), type="primary",
                 key=f"{key}_commit", icon=":material/upload:"):
        bar = st.progress(0.0)

        def progress(fraction: float, phase: str) -> None:
            bar.progress(fraction, text=ui.t("imports.progress", phase=ui.t(f"imports.phase.{phase}"), pct=int(fraction * 100)))

        done = ui.write(imports.commit_import, kind, frame, mapping, None, progress=progress, filename=upload.name,
                        partial=partial, **options)
        if done:
            ui.flash(ui.t("move.done", new=done.created, updated=done.updated, unchanged=done.unchanged, refused=done.refused))
            st.session_state[f"{key}_rest"] = imports.rejected_rows(done.errors, frame, ui.lang()) if done.errors else None
            st.session_state[f"{key}_generation"] = generation + 1
            st.session_state.pop(check_key, None)
            st.rerun()


def _mapping(kind: str, key: str, frame: pd.DataFrame, digest: str) -> dict[str, str | None]:
    """Each of the file's columns mapped to one of our fields (guessed; the user may change it)."""
    specs = {s.name: s for s in imports.fields_for(kind)}
    guess = imports.guess_mapping(list(frame.columns), kind)
    choices = [None, *specs]

    def label(name: str | None) -> str:
        if name is None:
            return ui.t("imports.ignore")
        text = ui.t(f"imports.field.{name}")
        return ui.t("imports.required_mark", field=text) if specs[name].required else text

    mapping: dict[str, str | None] = {}
    cells = st.columns(3)
    for index, column in enumerate(frame.columns):
        mapping[column] = cells[index % 3].selectbox(ui.esc(column), choices, index=choices.index(guess[column]),
                                                     format_func=ui.formatter(choices, label), key=f"{key}_map_{digest}_{index}")
    return mapping


def _shown(result: imports.ImportPreview, frame: pd.DataFrame, key: str, digest: str) -> bool | None:
    """The preview, what would happen and every error (with the error file). Whether to import only
    the valid rows, or None while there are errors and the user has not asked for that."""
    st.dataframe(result.rows, hide_index=True, width="stretch",
                 column_config={"row": st.column_config.NumberColumn("#"), "ok": st.column_config.CheckboxColumn("✓")})
    st.info(ui.t("move.plan", new=ui.fmt_number(result.new), updated=ui.fmt_number(result.updated),
                 unchanged=ui.fmt_number(result.unchanged), refused=ui.fmt_number(result.error_rows)), icon=":material/summarize:")
    if not result.error_rows:
        st.success(ui.t("imports.preview_ok", total=ui.fmt_number(result.total)))
        return False
    st.error(ui.t("move.preview_errors", rows=result.error_rows, total=result.total), icon=":material/error:")
    errors = imports.error_frame(result.errors, frame, ui.lang())
    st.dataframe(errors, hide_index=True, width="stretch", height=min(36 * (len(errors) + 1) + 3, 400))
    st.download_button(ui.t("move.error_file"), safe_export.to_csv_bytes(errors), "import_errors.csv", "text/csv",
                       key=f"{key}_error_file", icon=":material/download:")
    return True if st.checkbox(ui.t("move.partial"), key=f"{key}_partial_{digest}") else None
