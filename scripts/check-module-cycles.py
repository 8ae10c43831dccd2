#!/usr/bin/env python3
"""Fail when the library's modules include each other in a cycle.

A module is a folder under lib/; module A depends on B when a file of A
includes "B/...".  Prints the graph and every cycle found; exit 1 on any.
Usage: check-module-cycles.py [LIBDIR]
"""
import os
import re
import sys

lib = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "lib")
include = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"', re.M)
modules = sorted(d for d in os.listdir(lib) if os.path.isdir(os.path.join(lib, d)))
deps = {m: set() for m in modules}
why = {}
for m in modules:
    for name in sorted(os.listdir(os.path.join(lib, m))):
        if not name.endswith((".c", ".h")):
            continue
        with open(os.path.join(lib, m, name), encoding="utf-8") as f:
            for dep in include.findall(f.read()):
                if dep != m and dep in deps:
                    deps[m].add(dep)
                    why.setdefault((m, dep), f"{m}/{name}")

cycles = []
state = {}
stack = []


def visit(m):
    state[m] = 1
    stack.append(m)
    for d in sorted(deps[m]):
        if state.get(d) == 1:
            cycles.append(stack[stack.index(d):] + [d])
        elif d not in state:
            visit(d)
    stack.pop()
    state[m] = 2


for m in modules:
    if m not in state:
        visit(m)

for m in modules:
    print(f"{m} -> {', '.join(sorted(deps[m])) or '(nothing)'}")
for c in cycles:
    steps = [f"{a} -> {b} ({why[(a, b)]})" for a, b in zip(c, c[1:])]
    print("cycle: " + "; ".join(steps))
sys.exit(1 if cycles else 0)
