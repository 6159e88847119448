"""The event log of the data folder's Dagster instance, cheaper to write than Dagster's default SQLite one.

A night stores about a thousand events (steps, materializations, each check's plan and result, log lines).
Dagster's SQLite storage opens a new engine and connection for every event, fsyncs every commit and
checkpoints its write-ahead log at every close: on a busy two-core machine that cost a quiet night more
time than the night itself. This one keeps one connection per database file and lets SQLite sync the
write-ahead log at checkpoints only (synchronous=NORMAL: a power cut may lose the last events, a crashed
process loses nothing). Same files, same schema: the UI reads them as usual."""

from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine, event
from sqlalchemy.pool import StaticPool


class NightlyEventLogStorage(SqliteEventLogStorage):
    @classmethod
    def from_config_value(cls, inst_data, config_value) -> "NightlyEventLogStorage":
        return cls(inst_data=inst_data, **config_value)  # the parent's names its own class

    @contextmanager
    def _connect(self, shard: str):
        with self._db_lock:
            engines = self.__dict__.setdefault("_engines", {})
            engine = engines.get(shard)
            if engine is None:
                engine = create_engine(self.conn_string_for_shard(shard), poolclass=StaticPool,
                                       connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                                                     "check_same_thread": False})
                event.listen(engine, "connect", lambda connection, _: connection.execute("PRAGMA synchronous=NORMAL"))
                engines[shard] = engine
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as connection, connection.begin():
                yield connection

    def dispose(self) -> None:
        for engine in self.__dict__.pop("_engines", {}).values():
            engine.dispose()
        super().dispose()
