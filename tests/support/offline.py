"""Run a command under `strace -f -e trace=connect` — with no network at all (`unshare -n`), or with the
network left as it is — and list every connect() it or any of its children made to an address outside the
machine. AF_UNIX sockets and 127.0.0.1 / ::1 are fine; any AF_INET or AF_INET6 address else is a call out,
whether it succeeded or not (with no network, it fails at once: DNS included, it cannot hang a run)."""

import ipaddress
import re
import shutil
import subprocess
from pathlib import Path

from tests.support.membrana import run_command

STRACE = shutil.which("strace")
UNSHARE = shutil.which("unshare")

# 1234  connect(6, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}, 16) = 0
# 1234  connect(6, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0),
#                   inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28 <unfinished ...>
CONNECT = re.compile(r"connect\(\d+, \{sa_family=(AF_INET6?), ([^}]*)\}")
ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6?, "([^"]+)"')


def is_local(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def outside_connections(strace_output: str) -> list[str]:
    """The strace lines of connect() calls to an internet address that is not this machine's loopback."""
    found = []
    for line in strace_output.splitlines():
        connect = CONNECT.search(line)
        if not connect:
            continue
        address = ADDRESS.search(connect.group(2))
        if address is None or not is_local(address.group(1) or address.group(2)):
            found.append(line.strip())
    return found


def why_not_traceable() -> str | None:
    if STRACE is None:
        return "strace is not installed (`make test` installs it: apt-get install strace)"
    return None


def no_network_prefix() -> list[str] | None:
    """`unshare -n` (root), else `unshare -rn` (a user namespace, where the kernel allows it); None: neither."""
    if UNSHARE is None:
        return None
    for prefix in ([UNSHARE, "-n"], [UNSHARE, "-rn"]):
        if subprocess.run([*prefix, "true"], capture_output=True, check=False).returncode == 0:
            return prefix
    return None


def why_not_offline() -> str | None:
    if (reason := why_not_traceable()) is not None:
        return reason
    if no_network_prefix() is None:
        return "`unshare -n` is not permitted here (needs root or user namespaces): cannot take the network away"
    return None


def strace_prefix(trace_file: Path) -> list[str]:
    return [STRACE, "-f", "-qq", "-e", "trace=connect", "-o", str(trace_file)]


def run_offline(command: list, *, env: dict, trace_file: Path,
                timeout: float = 600) -> tuple[subprocess.CompletedProcess, list[str]]:
    """`command` with no network at all, traced; its result and its connections outside the machine."""
    result = run_command([*no_network_prefix(), *strace_prefix(trace_file), *command], env=env, timeout=timeout)
    return result, outside_connections(trace_file.read_text())
