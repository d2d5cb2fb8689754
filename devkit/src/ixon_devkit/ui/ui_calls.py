"""The function names a UI Component's sources call, read without running or building them.

IXON's component SDK (`@ixon-cdk/types`) gives a component one way to call its Cloud Function:
`context.createBackendComponentClient()` returns a `BackendComponentClient`, whose
`call(functionName, functionArguments?)` posts the name to the function. So in `.svelte`,
`.vue`, `.ts` and `.js` sources (and `.tsx`, `.jsx`), `calls` finds:

- `.call('module.function', ...)` with a literal first argument (quotes, or backquotes without
  `${}`), whatever it is called on when it looks like a name (on a client, whatever it holds):
  `context.createBackendComponentClient().call('notes.add')`, `client.call(...)`,
  `this.client?.call(...)`;
- `.call(expression, ...)` on a client (`createBackendComponentClient().call(x)`, or a name
  bound to one: `client = context.createBackendComponentClient()`, `client:
  BackendComponentClient`): not a literal, so listed for a check by hand, unless
- the expression is the first parameter of the function around it (`function call(name, args)
  { return client.call(name, args) }`): then that function's own calls with a literal first
  argument (`call('notes.add', {...})`) are the names called.

Comments (`//`, `/* */`, and `<!-- -->` outside a component's `<script>`) are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The files of a UI Component that may call a function.
SUFFIXES = (".svelte", ".vue", ".ts", ".js", ".tsx", ".jsx")
#: Files whose script lives in `<script>` blocks among markup.
MARKUP = (".svelte", ".vue")

_STRING = r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`"""
_ARGUMENT = rf"(?P<argument>{_STRING}|[^,)\s][^,)]*)"
_CALL = re.compile(rf"(?P<receiver>[\w$]+\s*(?:\(\s*\))?)?\s*\??\.\s*call\s*\(\s*{_ARGUMENT}")
_CLIENT_MADE = re.compile(
    r"(?P<name>[\w$]+)\s*(?::\s*[\w$<>|\s]+)?=\s*(?:await\s+)?(?:[\w$]+\s*\??\.\s*)*"
    r"createBackendComponentClient\s*\("
)
_CLIENT_TYPED = re.compile(r"(?P<name>[\w$]+)\s*\??\s*:\s*BackendComponentClient\b")
_FACTORY = "createBackendComponentClient"
#: What a function name looks like (a literal of another shape counts only on a client).
_NAME = re.compile(r"[A-Za-z_][\w.-]*")
_NOT_NAMES = {"if", "for", "while", "switch", "catch", "function", "return", "with"}
_SCRIPT = re.compile(r"(<script\b[^>]*>)(.*?)(</script\s*>)", re.S | re.I)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
#: Where a regular expression may start (after these, `/` is not a division).
_BEFORE_REGEX = set("(,=:[!&|?{};+-*%<>~^")


@dataclass(frozen=True)
class Call:
    """One call of a Cloud Function in a component's source; `name` is None when the source
    does not give it literally (`written` shows what it gives)."""

    name: str | None
    path: str
    line: int
    written: str = ""

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def calls(text: str, path: str) -> list[Call]:
    """The calls of a Cloud Function in the source `text` of the file `path` (posix, relative
    to the workspace), in the order written."""
    code = without_comments(text, markup=path.endswith(MARKUP))
    clients = {m["name"] for m in _CLIENT_MADE.finditer(code)}
    clients |= {m["name"] for m in _CLIENT_TYPED.finditer(code)}
    found: dict[tuple[int, str | None, str], Call] = {}
    wrappers: dict[str, str] = {}  # wrapper function -> its name parameter
    definitions: list[tuple[int, str, str]] | None = None  # read at the first need
    for match in _CALL.finditer(code):
        argument = match["argument"].strip()
        line = code.count("\n", 0, match.start("argument")) + 1
        name = literal(argument)
        receiver = re.sub(r"\s+", "", match["receiver"] or "")
        client = receiver in clients or receiver == f"{_FACTORY}()"
        if name is not None and (client or _NAME.fullmatch(name)):
            found[(line, name, "")] = Call(name, path, line)
            continue
        if not client:
            continue  # `.call(x)` of something else (`Function.prototype.call`, ...)
        if definitions is None:
            definitions = _definitions(code)
        wrapper = _wrapper(definitions, argument, match.start())
        if wrapper is not None:
            wrappers[wrapper] = argument
            continue
        written = " ".join(match.group(0).split()) + ", ...)"
        found[(line, None, written)] = Call(None, path, line, written)
    for wrapper, parameter in wrappers.items():
        for match in re.finditer(rf"(?<![\w$])({re.escape(wrapper)})\s*\(\s*{_ARGUMENT}", code):
            argument = match["argument"].strip()
            before = code[: match.start()].rstrip()
            if argument == parameter or before.endswith("function"):
                continue  # the wrapper's own definition
            line = code.count("\n", 0, match.start("argument")) + 1
            name = literal(argument)
            written = "" if name else " ".join(match.group(0).split()) + ", ...)"
            found[(line, name, written)] = Call(name, path, line, written)
    return sorted(found.values(), key=lambda call: (call.line, call.name or ""))


def literal(argument: str) -> str | None:
    """The string a literal argument gives (`'notes.add'`), or None when it is not one."""
    if len(argument) < 2 or argument[0] not in "'\"`" or argument[-1] != argument[0]:
        return None
    inner = argument[1:-1]
    if argument[0] == "`" and "${" in inner:
        return None
    if "\\" in inner:
        return None  # escapes: rare in a name, and not worth decoding
    return inner


_PARAMETER = r"(?P<p>[A-Za-z_$][\w$]*)"
#: Function definitions, each with its name (`w`) and first parameter (`p`).
_DEFINITIONS = tuple(
    re.compile(pattern, re.M)
    for pattern in (
        rf"\bfunction\s+(?P<w>[\w$]+)\s*\(\s*{_PARAMETER}",
        rf"(?P<w>[\w$]+)\s*[:=]\s*(?:async\s+)?function\s*\(\s*{_PARAMETER}",
        rf"(?P<w>[\w$]+)\s*=\s*(?:async\s+)?\(\s*{_PARAMETER}\b[^)]*\)\s*(?::[^=]*)?=>",
        rf"(?P<w>[\w$]+)\s*=\s*(?:async\s+)?{_PARAMETER}\s*=>",
        rf"(?:^|[\s;{{}}])(?:async\s+)?(?P<w>[\w$]+)\s*\(\s*{_PARAMETER}\b[^)]*\)\s*"
        rf"(?::[^{{;]*)?\{{",
    )
)


def _definitions(code: str) -> list[tuple[int, str, str]]:
    """Every function definition in `code`: (where it starts, its name, its first parameter)."""
    found = {
        (match.start(), match["w"], match["p"])
        for pattern in _DEFINITIONS
        for match in pattern.finditer(code)
        if match["w"] not in _NOT_NAMES
    }
    return sorted(found)


def _wrapper(definitions: list[tuple[int, str, str]], parameter: str, position: int) -> str | None:
    """The function defined last before `position` whose first parameter is `parameter` (the
    name a helper passes on to the client), or None."""
    best = None
    for start, name, first in definitions:
        if start >= position:
            break
        if first == parameter:
            best = name
    return best


def without_comments(text: str, *, markup: bool = False) -> str:
    """`text` with its comments blanked out (newlines kept, so lines keep their numbers); in
    markup (Svelte, Vue) the `<script>` blocks are JavaScript, the rest HTML."""
    if not markup:
        return _js_without_comments(text)
    parts = []
    end = 0
    for match in _SCRIPT.finditer(text):
        parts.append(_blank_html_comments(text[end : match.start()]))
        parts.append(match[1] + _js_without_comments(match[2]) + match[3])
        end = match.end()
    parts.append(_blank_html_comments(text[end:]))
    return "".join(parts)


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def _blank_html_comments(text: str) -> str:
    return _HTML_COMMENT.sub(lambda match: _blank(match.group(0)), text)


def _js_without_comments(code: str) -> str:
    out = []
    i, n = 0, len(code)
    last = ""  # the last character that was not white space, outside comments
    while i < n:
        c = code[i]
        if c in "'\"`":
            end = _quoted_end(code, i)
        elif code.startswith("//", i):
            end = code.find("\n", i)
            end = n if end < 0 else end
            out.append(_blank(code[i:end]))
            i = end
            continue
        elif code.startswith("/*", i):
            end = code.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(_blank(code[i:end]))
            i = end
            continue
        elif c == "/" and (not last or last in _BEFORE_REGEX):
            end = _regex_end(code, i)
        else:
            end = i + 1
        out.append(code[i:end])
        if not code[i:end].isspace():
            last = code[end - 1]
        i = end
    return "".join(out)


def _quoted_end(code: str, start: int) -> int:
    """Where the string starting at `start` ends (after its closing quote)."""
    quote = code[start]
    i = start + 1
    while i < len(code):
        if code[i] == "\\":
            i += 2
            continue
        if code[i] == quote or (code[i] == "\n" and quote != "`"):
            return i + 1
        i += 1
    return len(code)


def _regex_end(code: str, start: int) -> int:
    """Where the regular expression literal starting at `start` ends."""
    i, in_class = start + 1, False
    while i < len(code) and code[i] != "\n":
        if code[i] == "\\":
            i += 2
            continue
        if code[i] == "[":
            in_class = True
        elif code[i] == "]":
            in_class = False
        elif code[i] == "/" and not in_class:
            return i + 1
        i += 1
    return i
