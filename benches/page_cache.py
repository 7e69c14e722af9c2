"""Puts a tree in the page cache before a timed run, for the benchmarks of this folder.

Machines whose memory is reclaimed by a monitor of page ages (the kernel's DAMON reclaim) drop
from the page cache the files nobody read for some seconds. A contender timed on such a tree pays
for reading from disk a share of it that depends on how long ago the previous contender ran, and
the ratios between contenders then move with that rather than with the tools.
"""

import os


def warm(root):
    """Reads every file under `root`, so that the next run finds the tree in the page cache."""
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    with open(entry.path, "rb") as f:
                        while f.read(1 << 20):
                            pass
