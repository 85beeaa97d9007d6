"""A reader for Godot's text resource format (.tres / .tscn), enough to check files field by field.

``parse(text) -> [Section]``: each ``[tag key=value ...]`` heading with its ``key = value`` lines.
Values become Python values: numbers, strings, bools, None, lists, dicts, :class:`StringName` for
``&"..."`` and :class:`Call` for constructors such as ``ExtResource("1_f")`` or ``Vector2(1, 2)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class StringName(str):
    """A ``&"name"`` value."""


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple


@dataclass
class Section:
    tag: str
    attrs: dict
    props: dict = field(default_factory=dict)


_TOKEN = re.compile(r'\s*(?:(&?"(?:[^"\\]|\\.)*")|([-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|inf|nan))(?![\w])|'
                    r'([A-Za-z_][\w/:.]*)|(.))', re.S)


class _Reader:
    def __init__(self, text: str):
        self.tokens = [m for m in _TOKEN.finditer(text) if m.group(0).strip()]
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def next(self):
        tok = self.peek()
        if tok is None:
            raise ValueError("unexpected end of file")
        self.i += 1
        return tok

    def expect(self, ch: str) -> None:
        tok = self.next()
        if tok.group(4) != ch:
            raise ValueError(f"expected {ch!r} at offset {tok.start()}, got {tok.group(0).strip()!r}")

    def value(self):
        tok = self.next()
        s, num, word, punct = tok.groups()
        if s is not None:
            body = s[2:-1] if s.startswith("&") else s[1:-1]
            text = bytes(body, "utf-8").decode("unicode_escape") if "\\" in body else body
            return StringName(text) if s.startswith("&") else text
        if num is not None:
            return float(num) if re.search(r"[.ein]", num) else int(num)
        if word is not None:
            if word in ("true", "false"):
                return word == "true"
            if word == "null":
                return None
            self.expect("(")
            args = []
            while self.peek().group(4) != ")":
                args.append(self.value())
                if self.peek().group(4) == ",":
                    self.next()
            self.next()
            return Call(word, tuple(args))
        if punct == "[":
            items = []
            while self.peek().group(4) != "]":
                items.append(self.value())
                if self.peek().group(4) == ",":
                    self.next()
            self.next()
            return items
        if punct == "{":
            out = {}
            while self.peek().group(4) != "}":
                key = self.value()
                self.expect(":")
                out[key] = self.value()
                if self.peek().group(4) == ",":
                    self.next()
            self.next()
            return out
        raise ValueError(f"unexpected {tok.group(0).strip()!r} at offset {tok.start()}")


def parse(text: str) -> list[Section]:
    r = _Reader(text)
    sections: list[Section] = []
    while r.peek() is not None:
        tok = r.next()
        if tok.group(4) == "[":
            tag = r.next().group(3)
            attrs = {}
            while r.peek().group(4) != "]":
                key = r.next().group(3)
                r.expect("=")
                attrs[key] = r.value()
            r.next()
            sections.append(Section(tag, attrs))
        elif tok.group(3) is not None and sections:
            r.expect("=")
            key = tok.group(3)
            if key in sections[-1].props:
                raise ValueError(f"property {key} twice in [{sections[-1].tag}]")
            sections[-1].props[key] = r.value()
        else:
            raise ValueError(f"unexpected {tok.group(0).strip()!r} at offset {tok.start()}")
    return sections
