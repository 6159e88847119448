"""A standalone Spark cluster on this machine for the tests: one master and one worker (1 core, 1 GB for
executors) started from the installed pyspark package (its bin/spark-class), listening on 127.0.0.1 only, on
free ports, with their logs and work folders under a temporary folder. Stopped by killing each one's process
group (spark-class's bash and its JVM).

As a script, for a try by hand (README "Running on Spark"): `python -m tests.support.spark_cluster` starts one,
prints its master URL and stops it on Ctrl-C.
"""

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyspark

HOST = "127.0.0.1"
WORKER_CORES, WORKER_MEMORY = "1", "1g"
DAEMON_MEMORY = "512m"  # the master's and the worker's own JVMs (Spark's default is 1g each): they only schedule
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy from the environment
THRIFT_DRIVER_MEMORY = "1g"  # the Thrift server's driver: plans queries, the worker's executor runs them
START_TIMEOUT = 120  # seconds for the worker to register, or the Thrift server to listen, on 2 busy cores


def spark_home() -> Path:
    """The pyspark package folder: a Spark distribution's bin/ and jars/."""
    return Path(pyspark.__file__).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class SparkCluster:
    master_url: str  # spark://127.0.0.1:PORT
    web_url: str  # the master's web UI, whose /json/ lists the workers
    folder: Path  # logs and work folders

    def state(self) -> dict:
        with LOOPBACK.open(f"{self.web_url}/json/", timeout=5) as response:
            return json.load(response)

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted(self.folder.glob("*.log")))


def daemon_env(folder: Path) -> dict[str, str]:
    home = spark_home()
    return {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": HOST, "SPARK_LOG_DIR": str(folder),
            "SPARK_DAEMON_MEMORY": DAEMON_MEMORY, "SPARK_CONF_DIR": str(folder / "conf"),
            "SPARK_WORKER_DIR": str(folder / "work"),
            # no REST submission server: it would take the fixed port 6066 (nothing here submits through it)
            "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false"}


def start_daemon(folder: Path, name: str, main_class: str, *args: str) -> subprocess.Popen:
    with (folder / f"{name}.log").open("w") as log:
        return subprocess.Popen([str(spark_home() / "bin" / "spark-class"), main_class, *args],
                                env=daemon_env(folder), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def stop_daemon(process: subprocess.Popen) -> None:
    """The daemon's whole process group (bash, then the JVM it exec'd or started): TERM, then KILL."""
    for sent in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sent)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_for_worker(cluster: SparkCluster, daemons: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if exited := [process.args[1] for process in daemons if process.poll() is not None]:
            raise RuntimeError(f"Spark {exited} exited while starting\n{cluster.logs()}")
        try:
            if cluster.state().get("aliveworkers", 0) >= 1:
                return
        except OSError:
            pass  # the master's web UI is not up yet
        time.sleep(1)
    raise TimeoutError(f"no Spark worker registered within {START_TIMEOUT} s\n{cluster.logs()}")


@contextmanager
def spark_cluster(folder: Path) -> Iterator[SparkCluster]:
    """A master and one worker, registered with each other, for the time of the block."""
    (folder / "conf").mkdir(parents=True, exist_ok=True)  # an empty conf: no spark-env.sh or defaults from elsewhere
    (folder / "work").mkdir(exist_ok=True)
    master_port, master_web = free_port(), free_port()
    cluster = SparkCluster(f"spark://{HOST}:{master_port}", f"http://{HOST}:{master_web}", folder)
    daemons = [start_daemon(folder, "master", "org.apache.spark.deploy.master.Master",
                            "--host", HOST, "--port", str(master_port), "--webui-port", str(master_web))]
    try:
        daemons.append(start_daemon(
            folder, "worker", "org.apache.spark.deploy.worker.Worker", "--host", HOST, "--port", str(free_port()),
            "--webui-port", str(free_port()), "--cores", WORKER_CORES, "--memory", WORKER_MEMORY,
            "--work-dir", str(folder / "work"), cluster.master_url))
        wait_for_worker(cluster, daemons)
        yield cluster
    finally:
        for process in reversed(daemons):
            stop_daemon(process)


@dataclass
class ThriftServer:
    port: int
    folder: Path  # its metastore, table files and log
    certificate: Path | None = None  # over HTTPS: the server's self-signed certificate (PEM) a client must trust


# Where Databricks serves a cluster's Thrift endpoint (dbt-spark's http method): /sql/protocolv1/o/<org>/<cluster>
DATABRICKS_ORG, DATABRICKS_CLUSTER = "0", "membrana-test"
KEYSTORE_PASSWORD = "membrana-test"  # a throwaway keystore of the test's own folder


def self_signed_keystore(folder: Path) -> tuple[Path, Path]:
    """A Java keystore with a key and certificate for 127.0.0.1 (valid two days), and the certificate as PEM."""
    keystore, certificate = folder / "server.jks", folder / "server.pem"
    keytool = ["keytool", "-keystore", str(keystore), "-storepass", KEYSTORE_PASSWORD, "-alias", "thrift"]
    subprocess.run([*keytool, "-genkeypair", "-keyalg", "RSA", "-keypass", KEYSTORE_PASSWORD, "-dname",
                    f"CN={HOST}", "-ext", f"SAN=ip:{HOST}", "-validity", "2"], check=True, capture_output=True)
    subprocess.run([*keytool, "-exportcert", "-rfc", "-file", str(certificate)], check=True, capture_output=True)
    return keystore, certificate


def https_settings(port: int, keystore: Path) -> dict[str, str]:
    """The server's Hive settings to speak Thrift over HTTPS on Databricks' path, as a Databricks cluster does."""
    return {"hive.server2.transport.mode": "http", "hive.server2.thrift.http.port": str(port),
            "hive.server2.thrift.http.path": f"sql/protocolv1/o/{DATABRICKS_ORG}/{DATABRICKS_CLUSTER}",
            "hive.server2.use.SSL": "true", "hive.server2.keystore.path": str(keystore),
            "hive.server2.keystore.password": KEYSTORE_PASSWORD}


@contextmanager
def thrift_server(cluster: SparkCluster, folder: Path, *, over_https: bool = False) -> Iterator[ThriftServer]:
    """Spark's Thrift JDBC/ODBC server (HiveThriftServer2, what sbin/start-thriftserver.sh starts; its jars come
    with pyspark, the script does not) as an application of `cluster`, on 127.0.0.1 and a free port, with its
    own metastore and table folder in `folder`; for the time of the block. `over_https`: Thrift over HTTPS on
    Databricks' path for a cluster (a stand-in for a Databricks cluster; the token is not checked)."""
    folder.mkdir(parents=True, exist_ok=True)
    server = ThriftServer(free_port(), folder)
    hive_settings = {"hive.server2.thrift.port": str(server.port), "hive.server2.thrift.bind.host": HOST}
    if over_https:
        keystore, server.certificate = self_signed_keystore(folder)
        hive_settings |= https_settings(server.port, keystore)
    settings = {
        "spark.driver.memory": THRIFT_DRIVER_MEMORY, "spark.driver.host": HOST, "spark.driver.bindAddress": HOST,
        "spark.ui.enabled": "false", "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL":
            f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={folder}",
        "spark.sql.session.timeZone": "UTC", "spark.sql.shuffle.partitions": "4",
    }
    command = [str(spark_home() / "bin" / "spark-submit"), "--master", cluster.master_url,
               "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2", "--name", "membrana-thrift",
               *[part for name, value in settings.items() for part in ("--conf", f"{name}={value}")],
               *[part for name, value in hive_settings.items() for part in ("--hiveconf", f"{name}={value}")]]
    with (folder / "thrift.log").open("w") as log:
        process = subprocess.Popen(command, env=daemon_env(cluster.folder), stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True, cwd=folder)
    try:
        wait_for_port(server.port, process, folder / "thrift.log")
        yield server
    finally:
        stop_daemon(process)


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Spark Thrift server exited {process.returncode}\n{log.read_text()[-5000:]}")
        with socket.socket() as probe:
            if probe.connect_ex((HOST, port)) == 0:
                return
        time.sleep(1)
    raise TimeoutError(f"the Spark Thrift server did not listen within {START_TIMEOUT} s\n{log.read_text()[-5000:]}")


def stop_on_signal(number, frame) -> None:
    raise SystemExit(0)  # unwinds through spark_cluster's teardown


def main() -> None:
    # Ctrl-C or `kill PID` stops the daemons too (a background job may have inherited SIGINT ignored)
    signal.signal(signal.SIGINT, stop_on_signal)
    signal.signal(signal.SIGTERM, stop_on_signal)
    with tempfile.TemporaryDirectory(prefix="spark-cluster-") as folder, spark_cluster(Path(folder)) as cluster:
        print(f"Spark master {cluster.master_url} (web UI {cluster.web_url}), logs in {folder}; Ctrl-C stops it",
              flush=True)
        while True:
            signal.pause()


if __name__ == "__main__":
    main()
