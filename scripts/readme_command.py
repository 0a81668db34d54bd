"""Print one of README.md's two copy-paste commands, so CI runs exactly what a newcomer is told to run.

    python scripts/readme_command.py run      # the command under "## Run it"
    python scripts/readme_command.py test     # the command under "## Test it"

The command is the one line of the first ```bash block after that heading; anything else there is an error
(a README that grew a second line would otherwise be half-checked). Standard library only: it runs before
any virtual environment exists.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
HEADINGS = {"run": "## Run it", "test": "## Test it"}


class ReadmeError(ValueError):
    pass


def command(which: str, text: str | None = None) -> str:
    if which not in HEADINGS:
        raise ReadmeError(f"which command: one of {sorted(HEADINGS)}, not {which!r}")
    text = README.read_text(encoding="utf-8") if text is None else text
    heading = HEADINGS[which]
    lines = text.splitlines()
    try:
        start = lines.index(heading)
    except ValueError:
        raise ReadmeError(f"README.md has no heading {heading!r}") from None
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    section = "\n".join(lines[start + 1:end])
    block = re.search(r"^```bash\n(.*?)^```", section, flags=re.S | re.M)
    if not block:
        raise ReadmeError(f"README.md: no ```bash block under {heading!r}")
    cmds = [ln for ln in block.group(1).splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if len(cmds) != 1:
        raise ReadmeError(f"README.md: the ```bash block under {heading!r} must hold one command line, "
                          f"not {len(cmds)}")
    return cmds[0].strip()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    try:
        print(command(sys.argv[1]))
    except ReadmeError as e:
        sys.exit(f"readme_command: {e}")
