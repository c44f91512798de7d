"""`curl` in a place: the instance metadata service on an instance, and no other network.

    curl(world, place, ["-s", "http://169.254.169.254/latest/meta-data/iam/info"])
    # -> (stdout, stderr, exit status)

On an instance, http://169.254.169.254/ is answered by `World.imds` (IMDSv1 or v2 as the
instance allows: the metadata service decides). Elsewhere the address is unreachable, and no
place reaches anything else: an instance here has no way out to the internet.

Options: -s/--silent, -S/--show-error, -i/--include, -I/--head, -f/--fail, -L/--location,
-X/--request METHOD, -H/--header 'Name: value', -w/--write-out FORMAT (%{http_code},
%{response_code}, %{content_type}, %{size_download}, %{url_effective}, %{method},
%{exitcode}), -o/--output FILE (a file of the place), --connect-timeout and -m/--max-time
SECONDS; file:// reads the place's own files. Short options combine (-sSf, -XPUT). No progress
meter is drawn, and the simulated clock does not move while curl "waits".

Messages and exit codes are curl's, checked against curl 7.88.1 on this machine for usage and
file errors (`curl --foo`, `curl`, `curl gopherx://x/`, `curl file:///nonexistent/x`, `curl -w
'%{nope}' …`, `curl -X`), and against curl's source for the network ones (lib/connect.c:
"Failed to connect to %s port %u after %ld ms: %s", where a connect timeout is "Timeout was
reached" and the kernel's own timeout "Couldn't connect to server", both exit 28 (ETIMEDOUT);
lib/multi.c: "Connection timed out after %ld milliseconds" for --max-time; lib/hostip.c:
"Could not resolve host: %s", exit 6; --fail: "The requested URL returned error: %d", 22).
"""

from __future__ import annotations

from email.utils import format_datetime
from typing import NamedTuple

from simulator.account import Account
from simulator.services import imds
from simulator.terminal.places import Place, may_write, read_file, write_file
from simulator.terminal.places import path as absolute_path

__all__ = ["IMDS_HOST", "curl"]

IMDS_HOST = "169.254.169.254"
TRY = "curl: try 'curl --help' or 'curl --manual' for more information\n"
KERNEL_TIMEOUT_MS = 129_674
"""How long Linux tries a TCP connection to an address that never answers (6 SYN retries)."""
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
            404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}  # fmt: skip
_FLAGS = {"s": "silent", "S": "show-error", "i": "include", "I": "head", "f": "fail",
          "L": "location", "4": "ipv4", "k": "insecure"}  # fmt: skip
_WITH_VALUE = {"X": "request", "H": "header", "w": "write-out", "o": "output", "m": "max-time"}
_LONG_WITH_VALUE = frozenset([*_WITH_VALUE.values(), "connect-timeout"])


class _Options(NamedTuple):
    flags: frozenset[str]
    values: dict[str, str]
    headers: dict[str, str]
    urls: list[str]


class _Reply(NamedTuple):
    status: int  # HTTP status; 0 when nothing answered
    headers: dict[str, str]
    body: str
    error: str | None = None  # curl's message, without "curl: (N) "
    code: int = 0  # curl's exit code


def curl(world: Account, place: Place, args: list[str]) -> tuple[str, str, int]:
    """Run curl with `args` in `place`: (stdout, stderr, exit status)."""
    options = _parse(args)
    if isinstance(options, str):
        return "", options, 2
    if not options.urls:
        return "", TRY, 2
    out: list[str] = []
    err: list[str] = []
    code = 0
    method = "HEAD" if "head" in options.flags else options.values.get("request", "GET").upper()
    for url in options.urls:
        reply = _fetch(world, place, url, method, options)
        if reply.code == 0 and "fail" in options.flags and reply.status >= 400:
            reply = reply._replace(error=f"The requested URL returned error: {reply.status}",
                                   code=22, body="", headers={})  # fmt: skip
        if reply.status and reply.code in (0, 22):
            text = ""
            if "include" in options.flags or "head" in options.flags:
                text = _head(world, reply)
            if "head" not in options.flags:
                text += reply.body
            destination = options.values.get("output")
            if destination is not None and destination != "-":
                problem = _save(world, place, destination, text)
                if problem:
                    reply = reply._replace(error="Failure writing output to destination", code=23)
                    err.append(problem)
                text = ""
            out.append(text)
        write_out = options.values.get("write-out")
        if write_out is not None:
            written, warnings = _write_out(write_out, reply, url, method)
            out.append(written)
            err.append(warnings)
        if reply.error and ("silent" not in options.flags or "show-error" in options.flags):
            err.append(f"curl: ({reply.code}) {reply.error}\n")
        code = reply.code or code
    return "".join(out), "".join(err), code


def _parse(args: list[str]) -> _Options | str:
    """The options, or curl's usage error."""
    flags: set[str] = set()
    values: dict[str, str] = {}
    headers: dict[str, str] = {}
    urls: list[str] = []
    queue = list(args)
    while queue:
        arg = queue.pop(0)
        if arg.startswith("--") and len(arg) > 2:
            name = arg[2:]
            if name in _FLAGS.values():
                flags.add(name)
            elif name in _LONG_WITH_VALUE:
                if not queue:
                    return f"curl: option {arg}: requires parameter\n{TRY}"
                _set(name, queue.pop(0), values, headers)
            else:
                return f"curl: option {arg}: is unknown\n{TRY}"
        elif arg.startswith("-") and len(arg) > 1:
            index = 1
            while index < len(arg):
                letter = arg[index]
                if letter in _FLAGS:
                    flags.add(_FLAGS[letter])
                    index += 1
                elif letter in _WITH_VALUE:
                    value = arg[index + 1 :]
                    if not value:
                        if not queue:
                            return f"curl: option -{letter}: requires parameter\n{TRY}"
                        value = queue.pop(0)
                    _set(_WITH_VALUE[letter], value, values, headers)
                    break
                else:
                    return f"curl: option -{letter}: is unknown\n{TRY}"
        else:
            urls.append(arg)
    return _Options(frozenset(flags), values, headers, urls)


def _set(name: str, value: str, values: dict[str, str], headers: dict[str, str]) -> None:
    if name == "header":
        header, colon, content = value.partition(":")
        if colon and header.strip():
            headers[header.strip()] = content.strip()
    else:
        values[name] = value


def _fetch(world: Account, place: Place, url: str, method: str, options: _Options) -> _Reply:
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "http", url
    scheme = scheme.lower()
    if scheme == "file":
        absolute = absolute_path(world, place, "/" + rest.split("/", 1)[1] if "/" in rest else "/")
        text = read_file(world, place, absolute)
        if text is None:
            return _Reply(0, {}, "", f"Couldn't open file {absolute}", 37)
        return _Reply(200, {}, text)
    if scheme not in ("http", "https"):
        return _Reply(0, {}, "", f'Protocol "{scheme}" not supported or disabled in libcurl', 1)
    authority, _, path = _split_authority(rest)
    host, _, port_text = authority.rpartition("@")[2].partition(":")
    if not host:
        return _Reply(0, {}, "", "URL using bad/illegal format or missing URL", 3)
    default_port = 80 if scheme == "http" else 443
    port = int(port_text) if port_text.isdigit() and len(port_text) <= 5 else default_port
    if host != IMDS_HOST:
        if _is_address(host):
            return _timeout(host, port, options)
        return _Reply(0, {}, "", f"Could not resolve host: {host}", 6)
    if place.kind != "instance":
        return _timeout(host, port, options)
    if port != 80 or scheme != "http":
        return _Reply(0, {}, "", f"Failed to connect to {host} port {port} after 0 ms: "
                      "Couldn't connect to server", 7)  # fmt: skip
    status, headers, body = imds.request(world, place.place_id, method, path, options.headers)
    return _Reply(status, headers, body)


def _split_authority(rest: str) -> tuple[str, str, str]:
    """host[:port] and the path (with its query) of what follows `scheme://`."""
    for index, character in enumerate(rest):
        if character in "/?#":
            path = rest[index:].split("#", 1)[0]
            return rest[:index], "", path if path.startswith("/") else "/" + path
    return rest, "", "/"


def _is_address(host: str) -> bool:
    pieces = host.split(".")
    return len(pieces) == 4 and all(p.isdigit() and len(p) <= 3 for p in pieces)


def _timeout(host: str, port: int, options: _Options) -> _Reply:
    """Nothing answers: curl gives up when its timeout (or the kernel's) runs out."""
    max_time = _seconds(options.values.get("max-time"))
    connect = _seconds(options.values.get("connect-timeout"))
    if max_time is not None and (connect is None or max_time <= connect):
        return _Reply(0, {}, "", f"Connection timed out after {max_time + 1} milliseconds", 28)
    if connect is not None:
        return _Reply(0, {}, "", f"Failed to connect to {host} port {port} after "
                      f"{connect + 1} ms: Timeout was reached", 28)  # fmt: skip
    return _Reply(0, {}, "", f"Failed to connect to {host} port {port} after "
                  f"{KERNEL_TIMEOUT_MS} ms: Couldn't connect to server", 28)  # fmt: skip


def _seconds(value: str | None) -> int | None:
    """Milliseconds of a curl timeout option ("2", "0.5"); None if absent or not a number."""
    if value is None or len(value) > 12:
        return None
    whole, _, fraction = value.partition(".")
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        return None
    return int(whole) * 1000 + int((fraction + "000")[:3])


def _head(world: Account, reply: _Reply) -> str:
    lines = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, '')}".rstrip()]
    lines += [f"{name}: {value}" for name, value in reply.headers.items()]
    lines += [
        "Accept-Ranges: none",
        f"Content-Length: {len(reply.body.encode())}",
        f"Date: {format_datetime(world.now, usegmt=True)}",
        "Server: EC2ws",
        "Connection: close",
    ]
    return "\n".join(lines) + "\n\n"


def _save(world: Account, place: Place, name: str, text: str) -> str | None:
    """Write -o's file; curl's warning when it cannot."""
    absolute = absolute_path(world, place, name)
    if absolute == "/dev/null":
        return None
    if not may_write(place, absolute):
        return f"Warning: Failed to open the file {name}: Permission denied\n"
    try:
        write_file(world, place, absolute, text)
    except ValueError as error:
        return f"Warning: Failed to open the file {name}: {error}\n"
    return None


def _write_out(template: str, reply: _Reply, url: str, method: str) -> tuple[str, str]:
    """-w's text with its %{variables} and \\n escapes; and curl's warnings."""
    values = {
        "http_code": f"{reply.status:03d}",
        "response_code": f"{reply.status:03d}",
        "content_type": reply.headers.get("Content-Type", ""),
        "size_download": str(len(reply.body.encode())),
        "url_effective": url,
        "method": method,
        "exitcode": str(reply.code),
    }
    out: list[str] = []
    warnings: list[str] = []
    index = 0
    while index < len(template):
        character = template[index]
        if character == "%" and template.startswith("%{", index):
            end = template.find("}", index)
            if end < 0:
                out.append(template[index:])
                break
            name = template[index + 2 : end]
            if name in values:
                out.append(values[name])
            else:
                warnings.append(f"curl: unknown --write-out variable: '{name}'\n")
            index = end + 1
        elif character == "%" and template.startswith("%%", index):
            out.append("%")
            index += 2
        elif character == "\\" and index + 1 < len(template):
            escaped = template[index + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}.get(escaped, "\\" + escaped))
            index += 2
        else:
            out.append(character)
            index += 1
    return "".join(out), "".join(warnings)
