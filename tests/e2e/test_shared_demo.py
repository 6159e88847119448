"""The shared built demo's plumbing (tests/support/shared_demo.py) on a small stand-in folder: a change made
by one module is seen and undone before the next module gets the folder, which stays at the same path."""

import os
import shutil
import subprocess
import time

from tests.support.shared_demo import BuiltDemo, SharedDemo, folder_state


def stand_in(tmp_path) -> SharedDemo:
    folder = tmp_path / "company"
    (folder / "landing" / "contacts").mkdir(parents=True)
    (folder / "landing" / "contacts" / "contacts_1.csv").write_text("contact_id\nc1\n")
    (folder / "warehouse.duckdb").write_bytes(b"built")
    (folder / "published").mkdir()
    (folder / "published" / "parquet-1").mkdir()
    (folder / "published" / "parquet").symlink_to("parquet-1")
    pristine = tmp_path / "pristine"
    shutil.copytree(folder, pristine, symlinks=True)
    built = BuiltDemo(folder, {}, subprocess.CompletedProcess([], 0))
    return SharedDemo(built, pristine, folder_state(folder))


def test_an_untouched_folder_is_handed_out_as_it_is(tmp_path):
    shared = stand_in(tmp_path)
    inode = (shared.demo.data_dir / "warehouse.duckdb").stat().st_ino
    assert shared.restored().data_dir == tmp_path / "company"
    assert (shared.demo.data_dir / "warehouse.duckdb").stat().st_ino == inode  # not copied again


def test_every_kind_of_change_is_seen_and_undone(tmp_path):
    shared = stand_in(tmp_path)
    folder = shared.demo.data_dir
    changes = [
        lambda: (folder / "warehouse.duckdb").write_bytes(b"built"),  # same bytes, written again
        lambda: (folder / "landing" / "contacts" / "contacts_2.csv").write_text("contact_id\nc2\n"),
        lambda: (folder / "landing" / "contacts" / "contacts_1.csv").unlink(),
        lambda: (folder / "logs").mkdir(),
        lambda: os.utime(folder / "published" / "parquet-1", ns=(1, 1)),
    ]
    for change in changes:
        time.sleep(0.02)  # file times move in clock ticks of a few milliseconds: let one pass
        change()
        assert folder_state(folder) != shared.state
        assert shared.restored().data_dir == folder
        assert folder_state(folder) == shared.state
        assert (folder / "landing" / "contacts" / "contacts_1.csv").read_text() == "contact_id\nc1\n"
        assert os.readlink(folder / "published" / "parquet") == "parquet-1"
