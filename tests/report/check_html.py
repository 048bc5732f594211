#!/usr/bin/env python3
"""Checks a sweep's index.html: it parses with every element closed in
order, it has the winners table with rows, every file it names (img src,
a href to a local file) exists beside it, and every SVG it shows is
well-formed XML.  Exit 0 if so, else 1 with one line per problem."""
import os
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

VOID = {"meta", "img", "br", "hr", "link", "input", "source", "col", "area", "base", "wbr"}


class Check(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.files, self.problems = [], [], []
        self.winner_rows, self.in_winners = 0, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in VOID:
            self.stack.append(tag)
        for key in ("src", "href"):
            v = a.get(key)
            if v and "://" not in v and not v.startswith("#"):
                self.files.append(v)
        if tag == "h2":
            self.in_winners = a.get("id") == "winners"
        if tag == "tr" and self.in_winners:
            self.winner_rows += 1

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"line {self.getpos()[0]}: </{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            return
        self.stack.pop()
        if tag == "table" and self.in_winners:
            self.in_winners = False


def main():
    if len(sys.argv) != 2:
        print("usage: check_html.py index.html", file=sys.stderr)
        return 2
    page = sys.argv[1]
    c = Check()
    with open(page, encoding="utf-8") as f:
        c.feed(f.read())
    c.close()
    if c.stack:
        c.problems.append("unclosed at the end: " + " ".join(c.stack))
    if c.winner_rows < 2:
        c.problems.append("the winners table has no rows")
    base = os.path.dirname(page)
    for name in c.files:
        path = os.path.join(base, name)
        if not os.path.isfile(path):
            c.problems.append(f"names {name}, which does not exist")
        elif name.endswith(".svg"):
            try:
                ET.parse(path)
            except ET.ParseError as e:
                c.problems.append(f"{name} is not well-formed: {e}")
    for p in c.problems:
        print(f"{page}: {p}")
    print(f"{page}: {len(c.files)} files named, {c.winner_rows - 1} winner rows, "
          f"{len(c.problems)} problems")
    return 1 if c.problems else 0


if __name__ == "__main__":
    sys.exit(main())
