"""Versions of CRM records: every state a record was in, as columns of int64 numpy arrays sorted by
(id, updated), and the buffer that keeps the versions a later weekly export may still need."""

from __future__ import annotations

import numpy as np


def stack_versions(columns: dict[str, tuple]) -> dict[str, np.ndarray]:
    """One table of versions from the parts of every column (first versions, then later states),
    sorted by (id, updated)."""
    stacked = {name: np.concatenate([np.asarray(part, dtype=np.int64) for part in parts])
               for name, parts in columns.items()}
    order = np.lexsort((stacked["updated"], stacked["id"]))
    return {name: values[order] for name, values in stacked.items()}


class VersionBuffer:
    """Versions (sorted by id, then updated) that a later export may still need."""

    def __init__(self):
        self.columns: dict[str, np.ndarray] | None = None

    def append(self, versions: dict[str, np.ndarray]) -> None:
        if self.columns is None:
            self.columns = versions
        else:
            self.columns = {name: np.concatenate([self.columns[name], versions[name]]) for name in versions}

    def forget_updated_until(self, moment: int) -> None:
        """Drop the versions updated at or before `moment`: no later export holds them."""
        keep = self.columns["updated"] > moment
        self.columns = {name: values[keep] for name, values in self.columns.items()}

    def export(self, after: int, until: int) -> dict[str, np.ndarray]:
        """Records created or updated in (after, until], each in its latest state on or before `until`."""
        updated, ids = self.columns["updated"], self.columns["id"]
        selected = np.flatnonzero((updated > after) & (updated <= until))
        if len(selected):
            last_of_record = np.append(ids[selected[1:]] != ids[selected[:-1]], True)
            selected = selected[last_of_record]
        return {name: values[selected] for name, values in self.columns.items()}
