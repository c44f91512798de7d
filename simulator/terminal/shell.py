"""A small bash: one command line (or a heredoc) run in a place, its transcript kept.

    ran = run(world, "i-0abc…", "curl -s http://169.254.169.254/latest/meta-data/")
    ran.output, ran.status, ran.cleared
    transcript(world, "laptop").lines / .history / .cwd / .prompt

Parsing follows bash for what a learner types at an AWS prompt: words split on blanks; single
quotes keep everything; double quotes keep all but `$VAR`, `${VAR}`, `$(…)` and backquotes;
a backslash quotes the next character; `~` at a word's start is the home folder; `#` starts a
comment; `NAME=value` sets a shell variable (before a command: for that command only); `;`,
`&&` and `||` join commands; redirections `>`, `>>`, `<`, `2>`, `2>&1`, `&>`, and a heredoc
(`cat > p.json <<'EOF'` then its lines then `EOF`; a quoted delimiter keeps `$` as typed).
Left out, and said so when typed: pipes, background jobs, here-strings; no globbing and no
word splitting of expanded values.

Commands: aws (cli.py), curl (curl.py) and the builtins in COMMANDS; anything else is
`bash: X: command not found` (127). Files are the place's simulated files only: a command can
name any path (normalised with posixpath), but nothing here opens a real file, a socket or a
process. Everything is bounded: the text run (MAX_INPUT), each command's output (MAX_OUTPUT,
saying so when cut), the files a place holds (places.MAX_FILE, MAX_PLACE_BYTES), and what the
world keeps: the last MAX_LINES lines of output and MAX_HISTORY commands.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from simulator.account import Account
from simulator.model import Terminal
from simulator.terminal.curl import curl
from simulator.terminal.places import (
    CLOUDSHELL,
    MAX_STORED_VARIABLES,
    Place,
    clean,
    delete_file,
    environment,
    file_paths,
    find,
    fit_shells,
    may_write,
    read_file,
    size,
    terminal,
    variables_size,
    write_file,
)
from simulator.terminal.places import path as absolute_path

__all__ = [
    "COMMANDS",
    "MAX_HISTORY",
    "MAX_INPUT",
    "MAX_LINES",
    "MAX_OUTPUT",
    "Ran",
    "Transcript",
    "prompt",
    "run",
    "transcript",
]

MAX_INPUT = 32 * 1024
"""Characters one run may take: a heredoc carrying a 20 KB bucket policy fits."""
MAX_OUTPUT = 64 * 1024
"""Characters of output one run returns; the rest is cut, saying so."""
MAX_LINES = 200
MAX_HISTORY = 200
MAX_KEPT_LINE = 2048
"""Characters of one output line the world keeps (the run itself returns it whole)."""
MAX_DEPTH = 3
"""How deep `$(…)` may nest."""
MAX_VARIABLES = 100
MAX_FOLDERS = 32
"""Empty folders mkdir keeps in one place's shell (a folder holding files needs none)."""
MAX_WORD = 32 * 1024
"""Characters one word (or a heredoc's body) may expand to: `A=$A$A` doubles, and bash would
go on until the server's memory ran out."""
MAX_COMMANDS = 100
"""Commands one run may start, those in `$(…)` included."""
MAX_AWS = 6
"""`aws` commands one run may start: each costs a CLI driver (some 10-50 ms)."""
_KNOWN_FOLDERS = ("/", "/home", "/tmp", "/etc", "/usr", "/usr/bin", "/var", "/var/log")
# bash's compound commands, which this terminal does not run: the words that begin them.
_LOOPS = "loops are not available in this terminal: run the command once for each item (↑ brings the last one back to edit)"  # fmt: skip
_CHOICES = "not available in this terminal: && runs a command when the one before worked, || when it failed"  # fmt: skip
_COMPOUND = {
    "for": _LOOPS, "while": _LOOPS, "until": _LOOPS, "select": _LOOPS,
    "if": _CHOICES, "case": _CHOICES,
    "function": "functions are not available in this terminal: type the commands themselves",
}  # fmt: skip
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_REST = _NAME_START | frozenset("0123456789")
_OPERATORS = ("<<<", "<<-", ">>", ">&", "&>", "&&", "||", "<<", ">", "<", "|", "&", ";")


class Ran(NamedTuple):
    output: str
    status: int
    cleared: bool = False  # `clear` ran: the terminal starts empty again


class Transcript(NamedTuple):
    lines: list[str]
    history: list[str]
    cwd: str
    prompt: str


class Output(NamedTuple):
    out: str
    err: str = ""
    status: int = 0


def run(world: Account, place_id: str, text: str) -> Ran:
    """Run `text` in the place: one command line, several lines, or a heredoc. Its prompt,
    command and output join the place's transcript. Never raises for what the learner types."""
    place = find(world, place_id)
    if place is None:
        return Ran(f"rolecall: {place_id}: no such place (or the instance is not running)\n", 1)
    if len(text) > MAX_INPUT:
        return Ran(f"rolecall: input too long ({MAX_INPUT // 1024} KiB at most); nothing ran\n", 1)
    text = clean(text)
    shell = _Shell(world, place, terminal(world, place), _Budget())
    lines = iter(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    outputs: list[str] = []
    cleared = False
    for line in lines:
        typed, body, end = _read_command(line, lines)
        if not typed.strip() and not body:
            continue
        shell.show(prompt(place, shell.term.cwd) + typed)
        shell.show_all([*body, *end], prefix="> ")
        _remember(shell.term, "\n".join([typed, *body, *end]))
        result = shell.run_line(typed, body)
        output, status = result.out + result.err, result.status
        if shell.cleared:
            shell.term.lines.clear()
            shell.cleared, cleared, outputs = False, True, []
        output = clean(_cap(output))
        outputs.append(output)
        shell.show_all(output.splitlines())
        shell.term.status = status
    _trim(shell.term)
    fit_shells(world, place.place_id)
    return Ran(_cap("".join(outputs)), shell.term.status, cleared)


def transcript(world: Account, place_id: str) -> Transcript:
    """What the place's terminal shows: its last lines, history, folder and prompt."""
    place = find(world, place_id)
    if place is None:
        return Transcript([], [], "", "")
    term = terminal(world, place, create=False)
    cwd = term.cwd or place.home
    return Transcript(list(term.lines), list(term.history), cwd, prompt(place, term.cwd))


def prompt(place: Place, cwd: str) -> str:
    """Amazon Linux's `[ec2-user@ip-10-0-1-23 ~]$ `, CloudShell's `~ $ `, Ubuntu's
    `you@laptop:~$ ` (bash's PS1 on each)."""
    cwd = cwd or place.home
    short = "~" + cwd[len(place.home) :] if (cwd + "/").startswith(place.home + "/") else cwd
    if place.kind == "instance":
        folder = "~" if short == "~" else posixpath.basename(cwd) or "/"
        return f"[{place.user}@{place.hostname} {folder}]$ "
    if place.kind == CLOUDSHELL:
        return f"{short} $ "
    return f"{place.user}@{place.hostname}:{short}$ "


def _read_command(line: str, rest: Iterator[str]) -> tuple[str, list[str], list[str]]:
    """A command line (joining `\\`-continued lines), its heredoc body if it has one, and the
    line that ended the body (none when the text ended first)."""
    while line.endswith("\\") and not line.endswith("\\\\"):
        following = next(rest, None)
        if following is None:
            break
        line = line[:-1] + following
    body: list[str] = []
    delimiter = _heredoc_delimiter(line)
    if delimiter is not None:
        for following in rest:
            if following.strip() == delimiter:
                return line, body, [following]
            body.append(following)
    return line, body, []


def _heredoc_delimiter(line: str) -> str | None:
    try:
        tokens = _lex(line)
    except _Syntax:
        return None
    for token, following in zip(tokens, tokens[1:], strict=False):
        if token in ("<<", "<<-") and isinstance(following, _Word):
            return following.literal()
    return None


# --- the lexer: words made of parts, and operators --------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Part:
    kind: str  # "text" | "var" | "sub"
    text: str
    quoted: bool


@dataclass(slots=True)
class _Word:
    parts: list[_Part] = field(default_factory=list)

    def literal(self) -> str:
        """The word as typed without its quotes (a heredoc delimiter, an assignment's name)."""
        return "".join(p.text if p.kind == "text" else f"${p.text}" for p in self.parts)

    def quoted(self) -> bool:
        return any(part.quoted for part in self.parts)

    def add(self, kind: str, text: str, quoted: bool) -> None:
        self.parts.append(_Part(kind, text, quoted))


_Token = _Word | str


class _Syntax(Exception):
    """A line bash would not run: its message is bash's."""


def _lex(line: str) -> list[_Token]:
    tokens: list[_Token] = []
    word: _Word | None = None
    i, n = 0, len(line)

    def add(kind: str, text: str, quoted: bool) -> None:
        nonlocal word
        if word is None:
            word = _Word()
        word.parts.append(_Part(kind, text, quoted))

    while i < n:
        c = line[i]
        if c in " \t":
            if word is not None:
                tokens.append(word)
                word = None
            i += 1
        elif c == "#" and word is None:
            break
        elif c in "|&;<>":
            operator = next(op for op in _OPERATORS if line.startswith(op, i))
            i += len(operator)
            if word is not None and c == ">" and word.literal() in ("1", "2") and not word.quoted():
                operator = word.literal() + operator  # 2> 2>> 2>& 1>
                word = None
            if word is not None:
                tokens.append(word)
                word = None
            tokens.append(operator)
        elif c == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise _Syntax("bash: unexpected EOF while looking for matching `''")
            add("text", line[i + 1 : end], True)
            i = end + 1
        elif c == '"':
            i = _double_quoted(line, i + 1, add)
        elif c == "\\":
            add("text", line[i + 1 : i + 2], True)
            i += 2
        elif c in "$`":
            i = _dollar(line, i, add, quoted=False)
        else:
            start = i
            while i < n and line[i] not in " \t|&;<>'\"\\$`":
                i += 1
            add("text", line[start:i], False)
    if word is not None:
        tokens.append(word)
    return tokens


def _double_quoted(line: str, i: int, add: Callable[[str, str, bool], None]) -> int:
    """The inside of "…" from `i`: returns the index after the closing quote."""
    add("text", "", True)  # "" is an empty word, not none
    n = len(line)
    while i < n:
        c = line[i]
        if c == '"':
            return i + 1
        if c == "\\" and line[i + 1 : i + 2] in ('"', "\\", "$", "`"):
            add("text", line[i + 1], True)
            i += 2
        elif c in "$`":
            i = _dollar(line, i, add, quoted=True)
        else:
            start = i
            while i < n and line[i] not in '"\\$`':
                i += 1
            if start == i:  # a lone backslash before an ordinary character stays
                i += 1
            add("text", line[start:i], True)
    raise _Syntax("bash: unexpected EOF while looking for matching `\"'")


def _dollar(line: str, i: int, add: Callable[[str, str, bool], None], *, quoted: bool) -> int:
    """`$NAME`, `${NAME}`, `$?`, `$(…)` or `` `…` `` at `i`: returns the index after it."""
    if line[i] == "`":
        end = line.find("`", i + 1)
        if end < 0:
            raise _Syntax("bash: unexpected EOF while looking for matching ``'")
        add("sub", line[i + 1 : end], quoted)
        return end + 1
    following = line[i + 1 : i + 2]
    if following == "(":
        end = _closing_parenthesis(line, i + 2)
        add("sub", line[i + 2 : end], quoted)
        return end + 1
    if following == "{":
        end = line.find("}", i + 2)
        name = line[i + 2 : end] if end > 0 else line[i + 2 :]
        if end < 0 or not _is_name(name):
            raise _Syntax(f"bash: {line[i : end + 1 if end > 0 else None]}: bad substitution")
        add("var", name, quoted)
        return end + 1
    if following in ("?", "$"):
        add("var", following, quoted)
        return i + 2
    end = i + 1
    while end < len(line) and line[end] in _NAME_REST:
        end += 1
    if end == i + 1 or line[i + 1] not in _NAME_START:
        add("text", "$", quoted)
        return i + 1
    add("var", line[i + 1 : end], quoted)
    return end


def _closing_parenthesis(line: str, i: int) -> int:
    depth, n = 1, len(line)
    while i < n:
        c = line[i]
        if c in "'\"":
            end = line.find(c, i + 1)
            i = n if end < 0 else end + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise _Syntax("bash: unexpected EOF while looking for matching `)'")


def _is_name(text: str) -> bool:
    return bool(text) and text[0] in _NAME_START and all(c in _NAME_REST for c in text)


# --- running ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Command:
    words: list[_Word] = field(default_factory=list)
    assignments: list[tuple[str, _Word]] = field(default_factory=list)
    redirects: list[tuple[str, _Word | None]] = field(default_factory=list)  # (operator, target)


@dataclass(slots=True)
class _Budget:
    """What one run may still start (shared by the shells of its `$(…)`)."""

    commands: int = MAX_COMMANDS
    aws: int = MAX_AWS


@dataclass(slots=True)
class _Shell:
    world: Account
    place: Place
    term: Terminal
    budget: _Budget
    depth: int = 0
    cleared: bool = False
    stderr: list[str] = field(default_factory=list)  # what $(…) wrote to stderr

    # the transcript

    def show(self, line: str) -> None:
        self.term.lines.append(line if len(line) <= MAX_KEPT_LINE else line[:MAX_KEPT_LINE] + "…")

    def show_all(self, lines: list[str], prefix: str = "") -> None:
        for line in lines[-MAX_LINES:]:
            self.show(prefix + line)

    # variables

    def env(self) -> dict[str, str]:
        return environment(self.world, self.place)

    def value(self, name: str) -> str:
        if name == "?":
            return str(self.term.status)
        if name == "$":
            return "4242"
        found = self.term.variables.get(name)
        return found if found is not None else self.env().get(name, "")

    def assign(self, name: str, value: str) -> str | None:
        """Set a shell variable (an exported one stays exported); why not, if it cannot be."""
        exported = name in self.term.exported or name in self.env()
        return self.keep(self.term.exported if exported else self.term.variables, name, value)

    def keep(
        self, kept: dict[str, str] | dict[str, str | None], name: str, value: str
    ) -> str | None:
        """Set `name` in `kept` (the shell's variables or its exported ones) within the limits;
        why not, if it cannot be."""
        if name not in kept and len(kept) >= MAX_VARIABLES:
            return f"rolecall: {name}: no room for more variables ({MAX_VARIABLES} at most)\n"
        before = size(name) + size(kept.get(name) or "") if name in kept else 0
        growth = size(name) + size(value) - before
        if growth > 0 and variables_size(self.world) + growth > MAX_STORED_VARIABLES:
            return (
                f"rolecall: {name}: no room for more variables "
                f"({MAX_STORED_VARIABLES // 1024} KiB in all places)\n"
            )
        kept[name] = value
        return None

    # paths

    def path(self, name: str) -> str:
        return absolute_path(self.world, self.place, name)

    def is_folder(self, absolute: str) -> bool:
        if absolute in _KNOWN_FOLDERS or absolute == self.place.home:
            return True
        inside = absolute.rstrip("/") + "/"
        return any(name.startswith(inside) for name in file_paths(self.world, self.place)) or any(
            (folder + "/").startswith(inside) for folder in self.term.folders
        )

    def read(self, absolute: str) -> str | None:
        return read_file(self.world, self.place, absolute)

    def writable(self, absolute: str, shown: str) -> str | None:
        """Why bash could not open `absolute` for writing, or None."""
        if self.is_folder(absolute):
            return f"{shown}: Is a directory"
        parent = posixpath.dirname(absolute)
        if self.read(parent) is not None:
            return f"{shown}: Not a directory"
        if not may_write(self.place, absolute):
            return f"{shown}: Permission denied"
        return None

    # commands

    def run_line(self, line: str, body: list[str], *, interleave: bool = True) -> Output:
        """Run one line: what its commands wrote to stdout and to stderr (both in `out`, in the
        order written, when `interleave`), and the last status."""
        try:
            sequence = _parse(_lex(line))
        except _Syntax as error:
            return Output("", f"{error}\n", 2)
        out: list[str] = []
        err: list[str] = []
        status = self.term.status
        for connector, command in sequence:
            if (connector == "&&" and status != 0) or (connector == "||" and status == 0):
                continue
            result = self.run_command(command, body)
            (out if interleave else err).extend(self.stderr)
            out.append(result.out)
            (out if interleave else err).append(result.err)
            self.stderr.clear()
            status = self.term.status = result.status
        return Output("".join(out), "".join(err), status)

    def run_command(self, command: _Command, body: list[str]) -> Output:
        if self.budget.commands <= 0:
            return Output("", f"rolecall: {MAX_COMMANDS} commands at most in one go; the rest "
                          "did not run\n", 1)  # fmt: skip
        self.budget.commands -= 1
        try:
            return self._run_command(command, body)
        except _Syntax as error:
            return Output("", f"{error}\n", 1)

    def _run_command(self, command: _Command, body: list[str]) -> Output:
        words = [word for word in (self.expand(w) for w in command.words) if word is not None]
        assigned = [(name, self.expand(value) or "") for name, value in command.assignments]
        if not words:
            problems = [self.assign(name, value) for name, value in assigned]
            err = "".join(problem for problem in problems if problem)
            return Output("", err, 1 if err else 0)
        stdin = None
        out_target: tuple[str, bool] | None = None  # (absolute path, append)
        err_target: tuple[str, bool] | None = None
        merge = discard_out = discard_err = False
        for operator, target in command.redirects:
            if operator in ("<<", "<<-"):
                quoted = target is not None and target.quoted()
                text = "\n".join(body) + "\n" if body else ""
                stdin = text if quoted else self.expand_text(text)
                continue
            if operator in ("2>&1", ">&"):
                merge = True
                continue
            shown = (self.expand(target) if target is not None else None) or ""
            absolute = self.path(shown) if shown else ""
            if operator == "<":
                stdin = self.read(absolute) if shown else None
                if stdin is None:
                    why = (
                        "Is a directory"
                        if self.is_folder(absolute)
                        else "No such file or directory"
                    )
                    return Output("", f"bash: {shown}: {why}\n", 1)
                continue
            if absolute == "/dev/null":
                discard_out = discard_out or operator in (">", ">>", "1>", "1>>", "&>")
                discard_err = discard_err or operator in ("2>", "2>>", "&>")
                continue
            problem = self.writable(absolute, shown) if shown else "ambiguous redirect"
            if problem:
                return Output("", f"bash: {problem}\n", 1)
            if operator in ("2>", "2>>"):
                err_target = (absolute, operator == "2>>")
            else:
                out_target = (absolute, operator.endswith(">>"))
                merge = merge or operator == "&>"
        env = self.env()
        env.update(assigned)
        name, args = words[0], words[1:]
        handler = COMMANDS.get(name)
        if handler is _aws or (handler is _env and "aws" in args):
            if self.budget.aws <= 0:
                return Output("", f"rolecall: {MAX_AWS} aws commands at most in one go; the "
                              "rest did not run\n", 1)  # fmt: skip
            self.budget.aws -= 1
        if handler is None:
            result = Output("", f"bash: {name}: command not found\n", 127)
        else:
            result = handler(self, args, stdin, env)
        out, err = _cap(result.out), _cap(result.err)
        if merge:
            out, err = out + err, ""
        if discard_out:
            out = ""
        if discard_err:
            err = ""
        for destination, text, is_err in ((out_target, out, False), (err_target, err, True)):
            if destination is None:
                continue
            absolute, append = destination
            if append:
                text = (self.read(absolute) or "") + text
            try:
                write_file(self.world, self.place, absolute, text)
            except ValueError as error:
                return Output("", f"bash: {absolute}: {error}\n", 1)
            if is_err:
                err = ""
            else:
                out = ""
        return Output(out, err, result.status)

    def expand(self, word: _Word) -> str | None:
        """The word after `~`, `$` and `$(…)` expansion; None when it expands to nothing
        unquoted (bash drops such a word)."""
        pieces: list[str] = []
        length = 0
        for index, part in enumerate(word.parts):
            if part.kind == "text":
                text = part.text
                if index == 0 and not part.quoted and (text == "~" or text.startswith("~/")):
                    text = self.place.home + text[1:]
                pieces.append(text)
            elif part.kind == "var":
                pieces.append(self.value(part.text))
            else:
                pieces.append(self.substitute(part.text))
            length = _check_length(length, pieces[-1])
        text = "".join(pieces)
        if not text and not word.quoted():
            return None
        return text

    def expand_text(self, text: str) -> str:
        """A heredoc body with an unquoted delimiter: `$` expands, quotes stay as typed."""
        if "$" not in text and "`" not in text:
            return text
        pieces: list[str] = []
        i = length = 0
        while i < len(text):
            if text[i] in "$`":
                word = _Word()
                i = _dollar(text, i, word.add, quoted=True)
                pieces.append(self.expand(word) or "")
            else:
                start = i
                while i < len(text) and text[i] not in "$`":
                    i += 1
                pieces.append(text[start:i])
            length = _check_length(length, pieces[-1])
        return "".join(pieces)

    def substitute(self, text: str) -> str:
        """`$(text)`: its output without trailing newlines."""
        if self.depth >= MAX_DEPTH:
            raise _Syntax(f"rolecall: $(…) nested more than {MAX_DEPTH} deep")
        inner = _Shell(self.world, self.place, self.term, self.budget, self.depth + 1)
        status = self.term.status
        result = inner.run_line(text, [], interleave=False)
        self.stderr.append(result.err)  # not captured: it goes to the terminal, as in bash
        self.term.status = status
        return result.out.rstrip("\n")


def _check_length(length: int, piece: str) -> int:
    """The length so far with `piece`; _Syntax past MAX_WORD."""
    length += len(piece)
    if length > MAX_WORD:
        raise _Syntax(f"rolecall: a word longer than {MAX_WORD // 1024} KiB; it did not run")
    return length


def _parse(tokens: list[_Token]) -> list[tuple[str, _Command]]:
    """Commands with the operator joining each to the one before (";" for the first)."""
    sequence: list[tuple[str, _Command]] = []
    connector, command = ";", _Command()
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if isinstance(token, _Word):
            literal = token.literal()
            name, equals, _ = literal.partition("=")
            first = token.parts[0]
            if (
                not command.words
                and equals
                and first.kind == "text"
                and not first.quoted
                and first.text.startswith(name + "=")
                and _is_name(name)
            ):
                value = _Word([_Part("text", first.text[len(name) + 1 :], False), *token.parts[1:]])
                command.assignments.append((name, value))
            else:
                command.words.append(token)
        elif token in (";", "&&", "||"):
            if not command.words and not command.assignments:
                raise _Syntax(f"bash: syntax error near unexpected token `{token}'")
            sequence.append((connector, command))
            connector, command = token, _Command()
        elif token in ("|", "&", "<<<"):
            raise _Syntax(
                f"rolecall: `{token}` is not available in this terminal (no pipes, background "
                "jobs or here-strings); aws's --query and --output filter what it prints"
            )
        elif token in ("2>&", ">&", "1>&"):
            target = tokens[index] if index < len(tokens) else None
            index += 1
            if not isinstance(target, _Word) or target.literal() != "1" or token == "1>&":
                raise _Syntax("rolecall: only 2>&1 is available among the >& redirections")
            command.redirects.append(("2>&1", None))
        else:
            target = tokens[index] if index < len(tokens) else None
            index += 1
            if not isinstance(target, _Word):
                shown = target if isinstance(target, str) else "newline"
                raise _Syntax(f"bash: syntax error near unexpected token `{shown}'")
            command.redirects.append((token, target))
    if command.words or command.assignments or command.redirects:
        sequence.append((connector, command))
    elif connector in ("&&", "||"):
        raise _Syntax("bash: syntax error: unexpected end of file")
    for _, each in sequence:
        keyword = each.words[0].literal() if each.words and not each.words[0].parts[0].quoted else ""  # fmt: skip
        if keyword in _COMPOUND:
            raise _Syntax(f"rolecall: `{keyword}`: {_COMPOUND[keyword]}")
    return sequence


def _remember(term: Terminal, typed: str) -> None:
    term.history.append(typed if len(typed) <= MAX_KEPT_LINE else typed[:MAX_KEPT_LINE] + "…")
    del term.history[:-MAX_HISTORY]


def _trim(term: Terminal) -> None:
    del term.lines[:-MAX_LINES]


def _cap(text: str) -> str:
    if len(text) <= MAX_OUTPUT:
        return text
    return text[:MAX_OUTPUT] + f"\n[output cut at {MAX_OUTPUT // 1024} KiB]\n"


# --- the builtins ---------------------------------------------------------------------------------

Handler = Callable[[_Shell, list[str], str | None, dict[str, str]], Output]


def _aws(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    try:
        from simulator.terminal import cli
    except ImportError:
        return Output("", "bash: aws: command not found\n", 127)
    out, err, status = cli.aws(shell.world, shell.place, args, env, stdin or "")
    return Output(out, err, status)


def _curl(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    return Output(*curl(shell.world, shell.place, args))


def _echo(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    newline = "\n"
    while args and args[0] in ("-n", "-e", "-ne", "-en", "-E"):
        if "n" in args[0]:
            newline = ""
        args = args[1:]
    return Output(" ".join(args) + newline)


def _cat(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    if not args or args == ["-"]:
        return Output(stdin or "")
    out: list[str] = []
    err: list[str] = []
    for name in args:
        text = shell.read(shell.path(name))
        if text is not None:
            out.append(text)
        elif shell.is_folder(shell.path(name)):
            err.append(f"cat: {name}: Is a directory\n")
        else:
            err.append(f"cat: {name}: No such file or directory\n")
    return Output("".join(out), "".join(err), 1 if err else 0)


def _ends(which: str) -> Handler:
    """head and tail: the first or last lines of each file (10, -n N or -N), as coreutils."""

    def run(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
        count, names = 10, []
        words = iter(args)
        for arg in words:
            if arg == "-n":
                number = next(words, "")
            elif arg.startswith("-n"):
                number = arg[2:]
            elif arg[:1] == "-" and arg[1:].isdigit():
                number = arg[1:]
            elif arg.startswith("-") and arg != "-":
                return Output("", f"{which}: invalid option -- '{arg[1:2]}'\n"
                              f"Try '{which} --help' for more information.\n", 1)  # fmt: skip
            else:
                names.append(arg)
                continue
            if not number.isdigit():
                return Output("", f"{which}: invalid number of lines: '{number}'\n", 1)
            count = int(number)
        out: list[str] = []
        err: list[str] = []
        for name in names or ["-"]:
            absolute = shell.path(name)
            text = (stdin or "") if name == "-" else shell.read(absolute)
            if text is None:
                err.append(f"{which}: error reading '{name}': Is a directory\n"
                           if shell.is_folder(absolute)
                           else f"{which}: cannot open '{name}' for reading: No such file or directory\n")  # fmt: skip
                continue
            lines = text.splitlines(keepends=True)
            kept = (
                lines[:count] if which == "head" else lines[len(lines) - count :] if count else []
            )
            heading = ("\n" if out else "") + f"==> {name} <==\n" if len(names) > 1 else ""
            out.append(heading + "".join(kept))
        return Output("".join(out), "".join(err), 1 if err else 0)

    return run


def _ls(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    flags = "".join(arg[1:] for arg in args if arg.startswith("-") and arg != "-")
    for flag in flags:
        if flag not in "laA1h":
            return Output("", f"ls: invalid option -- '{flag}'\n"
                          "Try 'ls --help' for more information.\n", 2)  # fmt: skip
    names = [arg for arg in args if not arg.startswith("-") or arg == "-"] or ["."]
    files = file_paths(shell.world, shell.place)
    out: list[str] = []
    err: list[str] = []
    for name in names:
        absolute = shell.path(name)
        if shell.read(absolute) is not None:
            out.append(_listing(shell, [(name, absolute)], flags))
            continue
        if not shell.is_folder(absolute):
            err.append(f"ls: cannot access '{name}': No such file or directory\n")
            continue
        inside = absolute.rstrip("/") + "/"
        entries = {
            rest.split("/", 1)[0]
            for rest in (f[len(inside) :] for f in files if f.startswith(inside))
        }
        entries |= {
            f[len(inside) :].split("/", 1)[0]
            for f in (*_KNOWN_FOLDERS, shell.place.home, *shell.term.folders)
            if f.startswith(inside) and f != absolute
        }
        if "a" in flags:
            entries |= {".", ".."}
        shown = sorted(e for e in entries if "a" in flags or "A" in flags or not e.startswith("."))
        heading = f"{name}:\n" if len(names) > 1 else ""
        out.append(heading + _listing(shell, [(e, inside + e) for e in shown], flags))
    return Output("".join(out), "".join(err), 2 if err else 0)


def _listing(shell: _Shell, entries: list[tuple[str, str]], flags: str) -> str:
    if not entries:
        return "total 0\n" if "l" in flags else ""
    if "l" not in flags:
        return ("\n" if "1" in flags else "  ").join(name for name, _ in entries) + "\n"
    user, when = shell.place.user, shell.world.now.strftime("%b %d %H:%M")
    rows = []
    for name, absolute in entries:
        text = shell.read(absolute)
        if text is None:
            rows.append(f"drwxr-xr-x 2 {user} {user} 4096 {when} {name}")
        else:
            mode = "-rw-------" if "/.aws/" in absolute else "-rw-r--r--"
            rows.append(f"{mode} 1 {user} {user} {len(text.encode()):>5} {when} {name}")
    return "\n".join(rows) + "\n"


def _export(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    args = [arg for arg in args if arg != "-p"]
    if not args:
        listed = [f'declare -x {name}="{value}"' for name, value in sorted(shell.env().items())]
        return Output("\n".join(listed) + "\n")
    err = []
    for arg in args:
        name, equals, value = arg.partition("=")
        if not _is_name(name):
            err.append(f"bash: export: `{arg}': not a valid identifier\n")
            continue
        if not equals:
            found = shell.term.variables.get(name)
            if found is None:
                continue  # exporting an unset name: nothing to see yet
            value = found
        shell.term.variables.pop(name, None)
        problem = shell.keep(shell.term.exported, name, value)
        if problem:
            err.append(problem)
    return Output("", "".join(err), 1 if err else 0)


def _unset(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    for name in args:
        if not _is_name(name):
            return Output("", f"bash: unset: `{name}': not a valid identifier\n", 1)
        shell.term.variables.pop(name, None)
        if name in shell.env():
            shell.term.exported[name] = None
    return Output("")


def _env(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    env = dict(env)
    while args and "=" in args[0] and _is_name(args[0].partition("=")[0]):
        name, _, value = args.pop(0).partition("=")
        env[name] = value
    if args:
        handler = COMMANDS.get(args[0])
        if handler is None or handler is _env:
            return Output("", f"env: '{args[0]}': No such file or directory\n", 127)
        return handler(shell, args[1:], stdin, env)
    return Output("".join(f"{name}={value}\n" for name, value in sorted(env.items())))


def _rm(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    flags = "".join(arg[1:] for arg in args if arg.startswith("-") and arg != "-")
    names = [arg for arg in args if not arg.startswith("-") or arg == "-"]
    if not names:
        return Output("", "rm: missing operand\nTry 'rm --help' for more information.\n", 1)
    err = []
    for name in names:
        absolute = shell.path(name)
        denied = not may_write(shell.place, absolute)
        if shell.read(absolute) is not None:
            doomed = [absolute]
        elif shell.is_folder(absolute) and ("r" in flags or "R" in flags):
            inside = absolute.rstrip("/") + "/"
            doomed = [f for f in file_paths(shell.world, shell.place) if f.startswith(inside)]
            denied = denied or absolute == shell.place.home
        elif shell.is_folder(absolute):
            err.append(f"rm: cannot remove '{name}': Is a directory\n")
            continue
        else:
            if "f" not in flags:
                err.append(f"rm: cannot remove '{name}': No such file or directory\n")
            continue
        if denied:
            err.append(f"rm: cannot remove '{name}': Permission denied\n")
            continue
        for doomed_path in doomed:
            delete_file(shell.world, shell.place, doomed_path)
        _forget_folders(shell, absolute)
    return Output("", "".join(err), 1 if err else 0)


def _forget_folders(shell: _Shell, absolute: str) -> None:
    """mkdir's empty folders at or under `absolute` are gone (rm -r, rmdir)."""
    inside = absolute.rstrip("/") + "/"
    shell.term.folders[:] = [
        folder for folder in shell.term.folders if not (folder + "/").startswith(inside)
    ]


def _mkdir(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    """A folder exists while it holds files (writing a file makes its folders); mkdir keeps an
    empty one in the shell's state, so `mkdir policies && cd policies` works."""
    flags = "".join(arg[1:] for arg in args if arg.startswith("-") and arg != "-")
    for flag in flags:
        if flag not in "pv":
            return Output("", f"mkdir: invalid option -- '{flag}'\n"
                          "Try 'mkdir --help' for more information.\n", 1)  # fmt: skip
    names = [arg for arg in args if not arg.startswith("-") or arg == "-"]
    if not names:
        return Output("", "mkdir: missing operand\nTry 'mkdir --help' for more information.\n", 1)
    out, err = [], []
    for name in names:
        absolute = shell.path(name)
        refused = f"mkdir: cannot create directory '{name}'"
        if shell.read(absolute) is not None or shell.is_folder(absolute):
            if not ("p" in flags and shell.is_folder(absolute)):
                err.append(f"{refused}: File exists\n")
        elif "p" not in flags and not shell.is_folder(posixpath.dirname(absolute)):
            err.append(f"{refused}: No such file or directory\n")
        elif not may_write(shell.place, absolute):
            err.append(f"{refused}: Permission denied\n")
        else:
            # With -p each missing folder on the way is made too (and kept, so removing the
            # last one leaves its parent).
            missing = [absolute]
            while "p" in flags and not shell.is_folder(posixpath.dirname(missing[-1])):
                missing.append(posixpath.dirname(missing[-1]))
            if len(shell.term.folders) + len(missing) > MAX_FOLDERS:
                err.append(f"{refused}: No space left on device\n")
                continue
            for folder in reversed(missing):
                shell.term.folders.append(folder)
                if "v" in flags:  # as typed: drafts, then drafts/old
                    cut = len(absolute) - len(folder)
                    shown = name.rstrip("/")[: len(name.rstrip("/")) - cut] if cut else name
                    out.append(f"mkdir: created directory '{shown or folder}'\n")
    return Output("".join(out), "".join(err), 1 if err else 0)


def _rmdir(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    names = [arg for arg in args if not arg.startswith("-")]
    if not names:
        return Output("", "rmdir: missing operand\nTry 'rmdir --help' for more information.\n", 1)
    err = []
    for name in names:
        absolute = shell.path(name)
        inside = absolute.rstrip("/") + "/"
        refused = f"rmdir: failed to remove '{name}'"
        if shell.read(absolute) is not None:
            err.append(f"{refused}: Not a directory\n")
        elif not shell.is_folder(absolute):
            err.append(f"{refused}: No such file or directory\n")
        elif any(
            held.startswith(inside)
            for held in (*file_paths(shell.world, shell.place), *shell.term.folders)
        ):
            err.append(f"{refused}: Directory not empty\n")
        elif absolute not in shell.term.folders:  # home, /tmp: the system's, not mkdir's
            err.append(f"{refused}: Permission denied\n")
        else:
            _forget_folders(shell, absolute)
    return Output("", "".join(err), 1 if err else 0)


def _cd(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    if len(args) > 1:
        return Output("", "bash: cd: too many arguments\n", 1)
    target = shell.path(args[0]) if args else shell.place.home
    if shell.read(target) is not None:
        return Output("", f"bash: cd: {args[0]}: Not a directory\n", 1)
    if not shell.is_folder(target):
        return Output("", f"bash: cd: {args[0]}: No such file or directory\n", 1)
    shell.term.cwd = "" if target == shell.place.home else target
    return Output("")


def _pwd(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    return Output((shell.term.cwd or shell.place.home) + "\n")


def _clear(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    shell.cleared = True
    return Output("")


def _history(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    if args[:1] == ["-c"]:
        shell.term.history.clear()
        return Output("")
    history = shell.term.history
    start = 0
    if args and args[0].isdigit():
        start = max(0, len(history) - int(args[0]))
    return Output(
        "".join(f"{n:5d}  {history[n - 1]}\n" for n in range(start + 1, len(history) + 1))
    )


def _whoami(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    return Output(shell.place.user + "\n")


def _hostname(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    return Output(shell.place.hostname + "\n")


def _help(shell: _Shell, args: list[str], stdin: str | None, env: dict[str, str]) -> Output:
    return Output(
        "This terminal runs a few commands in the place you chose:\n"
        "  aws ...                the AWS CLI v1, answered by this simulated account\n"
        "  curl URL               HTTP; on an instance, 169.254.169.254 is its metadata service\n"
        "  cat, head, tail, ls, rm, mkdir, rmdir  the place's files (cat > f <<'EOF' ... EOF writes one)\n"
        "  echo, export, unset, env   variables: export AWS_PROFILE=dev\n"
        "  cd, pwd, whoami, hostname, history, clear, help\n"
        "Quotes, $VAR, $(...), >, >>, 2>&1, ; && || work as in bash; pipes do not.\n"
    )


COMMANDS: dict[str, Handler] = {
    "aws": _aws,
    "cat": _cat,
    "cd": _cd,
    "clear": _clear,
    "curl": _curl,
    "echo": _echo,
    "env": _env,
    "export": _export,
    "help": _help,
    "history": _history,
    "hostname": _hostname,
    "ls": _ls,
    "mkdir": _mkdir,
    "head": _ends("head"),
    "tail": _ends("tail"),
    "rmdir": _rmdir,
    "pwd": _pwd,
    "rm": _rm,
    "unset": _unset,
    "whoami": _whoami,
}
