"""--fix edits the claim it checked and nothing else: lines counted as the build counts them, the exact
claim on its line, never a file saved since the check read it, never half of a claim that several decks
give different values, in place (inode, mode and hard links kept), the claim's form kept."""
from __future__ import annotations

import contextlib
import os

import pytest

from deck.claims.fix import fix_sources
from deck.errors import SourceError
from deck.pipeline import build

FRONT = "---\ntitle: T\n---\n"


def checked(project, *names):
    return build(project.options(check=True, layout=False, decks=list(names) or ["t"]))


def cell(body: str) -> str:
    return f"{FRONT}# A\n```{{python}}\n#| output: comment\n{body}\n```\n"


@pytest.mark.parametrize("separator", ["\u2028", "\u0085", "\x0c", "\x1c"])
def test_a_line_separator_in_prose_does_not_shift_the_fix(project, separator):
    source = project.deck(f"{FRONT}# A\nprose{separator}more prose\n\n```{{python}}\n#| output: comment\n"
                          "a = 8\na - 1   # 8\n```\n")
    diff, fixed, refused = fix_sources(checked(project), project.root)
    assert (fixed, refused) == (1, [])
    text = source.read_text(encoding="utf-8")
    assert "a = 8\na - 1   # 7\n" in text and f"prose{separator}more prose" in text


def test_a_file_saved_while_the_check_ran_is_not_edited(project):
    source = project.deck(cell("a = 8\na - 1   # 8"))
    reports = checked(project)
    saved = source.read_text(encoding="utf-8").replace("# A\n", "# A\n\nA new line above.\n")
    source.write_text(saved, encoding="utf-8")
    diff, fixed, refused = fix_sources(reports, project.root)
    assert fixed == 0 and diff == "" and source.read_text(encoding="utf-8") == saved
    assert [type(p) for p in refused] == [SourceError]
    assert "changed since the check read it" in refused[0].message and refused[0].exit_code == 2


def test_only_the_claim_is_rewritten_not_another_copy_on_its_line(project):
    source = project.deck(cell("c = 4\nc   # 3 (one for each of 3 inputs)") + "\nso `{py} c => 3` and 3 more\n")
    diff, fixed, refused = fix_sources(checked(project), project.root)
    assert (fixed, refused) == (2, [])
    text = source.read_text(encoding="utf-8")
    assert "c   # 4 (one for each of 3 inputs)" in text and "so `{py} c => 4` and 3 more" in text


def test_a_claim_two_decks_give_different_values_is_refused(project):
    project.write("slides_src/snippets/n.md", "the count: `{py} n => 5`\n")
    for name, n in (("a", 5), ("b", 6)):
        project.deck(f"{FRONT}# A\n```{{python}}\nn = {n}\n```\n{{% include 'snippets/n.md' %}}\n", name)
    project.write("slides_src/snippets/n.md", "the count: `{py} n => 7`\n")
    diff, fixed, refused = fix_sources(checked(project, "a", "b"), project.root)
    assert fixed == 0 and len(refused) == 1 and "different values (5, 6)" in refused[0].message
    assert (project.root / "slides_src/snippets/n.md").read_text() == "the count: `{py} n => 7`\n"


def test_the_file_is_written_in_place(project):
    source = project.deck(cell("a = 8\na - 1   # 8"))
    os.chmod(source, 0o640)
    link = project.root / "hard-link.md"
    os.link(source, link)
    inode = source.stat().st_ino
    diff, fixed, refused = fix_sources(checked(project), project.root)
    assert fixed == 1 and source.stat().st_ino == inode and (source.stat().st_mode & 0o777) == 0o640
    assert "a - 1   # 7" in link.read_text(encoding="utf-8")


def test_an_unwritable_source_is_a_refusal_not_a_traceback(project):
    source = project.deck(cell("a = 8\na - 1   # 8"))
    reports = checked(project)
    os.chmod(source, 0o444)
    fixed, messages = _fix_as_a_user_who_cannot_write(reports, project.root, source)
    assert fixed == 0 and "cannot be written" in messages[0]


def _fix_as_a_user_who_cannot_write(reports, root, source):
    """fix_sources run where writing the read-only source fails: here, or, as root (who writes any
    file), in a child process that has become `nobody` (the folders above made traversable)."""
    if os.geteuid() != 0:
        _, fixed, refused = fix_sources(reports, root)
        return fixed, [p.message for p in refused]
    import pickle

    opened = [(d, d.stat().st_mode) for d in source.parents if not d.stat().st_mode & 0o001]
    for d, mode in opened:
        os.chmod(d, mode | 0o001)
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
        if pid == 0:  # the child: nobody, then the fix, its outcome on the pipe
            try:
                os.setgid(65534)
                os.setuid(65534)
                _, fixed, refused = fix_sources(reports, root)
                os.write(write_end, pickle.dumps((fixed, [p.message for p in refused])))
            finally:
                os._exit(0)
        os.close(write_end)
        data = b""
        while chunk := os.read(read_end, 65536):
            data += chunk
        os.waitpid(pid, 0)
    finally:
        os.close(read_end)
        for d, mode in opened:
            os.chmod(d, mode)
    return pickle.loads(data)


@pytest.mark.parametrize("code,written,fixed_as", [
    ("n = 201\nn   # ~ 100", "# ~ 100", "# ~ 200"),
    ("n = 36928\nn   # 102,464 weights", "# 102,464 weights", "# 36,928 weights"),
])
def test_fix_keeps_the_claims_form(project, code, written, fixed_as):
    source = project.deck(cell(code))
    diff, fixed, refused = fix_sources(checked(project), project.root)
    assert (fixed, refused) == (1, []), refused
    assert fixed_as in source.read_text(encoding="utf-8")


@pytest.fixture
def full_disk(project):
    """A context in which no write can make a file of slides_src/ longer: slides_src/ on a tmpfs of its
    own, filled (as root), else the file-size limit (RLIMIT_FSIZE) set to what the files hold now, which
    fails the write as a user's quota does. Either way the write that grows the source fails midway."""
    import resource
    import shutil
    import signal
    import subprocess

    where = project.root / "slides_src"
    mounted = (os.geteuid() == 0 and shutil.which("mount") is not None
               and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(where)]).returncode == 0)

    @contextlib.contextmanager
    def no_room():
        if mounted:
            filler = where / "filler"
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
            try:
                while os.write(fd, b"\0" * 4096):
                    pass
            except OSError:
                pass
            finally:
                os.close(fd)
            try:
                yield
            finally:
                filler.unlink()
            return
        limits = resource.getrlimit(resource.RLIMIT_FSIZE)
        biggest = max(f.stat().st_size for f in where.rglob("*") if f.is_file())
        handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, not the signal that kills
        resource.setrlimit(resource.RLIMIT_FSIZE, (biggest, limits[1]))
        try:
            yield
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, limits)
            signal.signal(signal.SIGXFSZ, handler)

    yield no_room
    if mounted:
        subprocess.run(["umount", str(where)], check=True)


def test_a_fix_that_finds_the_disk_full_leaves_the_source_as_it_was(project, full_disk):
    # a source of exactly one 4 KiB page, whose fix (8 -> 10) makes it one byte longer: the write
    # needs a new page, and the disk has none left
    head = cell("a = 8\na + 2   # 8")
    pad = 4096 - len(head.encode()) - len("\n<!--  -->\n")
    source = project.deck(head + "\n<!-- " + "x" * pad + " -->\n")
    assert source.stat().st_size == 4096
    reports = checked(project)
    before = source.read_bytes()
    with full_disk():
        diff, fixed, refused = fix_sources(reports, project.root)
    assert source.read_bytes() == before  # whole, not the fix's first 4096 bytes
    assert fixed == 0 and diff == "" and len(refused) == 1
    assert "cannot be written" in refused[0].message and "t.md" in refused[0].message
    diff, fixed, refused = fix_sources(checked(project), project.root)  # room again: fixed
    assert (fixed, refused) == (1, []) and "a + 2   # 10\n" in source.read_text(encoding="utf-8")


def test_the_same_false_claim_twice_on_a_line_is_fixed_twice(project):
    # two claims of one text on one line were taken for one claim reported twice: the second stayed false
    source = project.deck(cell("a = 8") + "\nboth `{py} a - 1 => 8` and `{py} a - 1 => 8`, not 8.\n")
    diff, fixed, refused = fix_sources(checked(project), project.root)
    assert (fixed, refused) == (2, [])
    assert "both `{py} a - 1 => 7` and `{py} a - 1 => 7`, not 8.\n" in source.read_text(encoding="utf-8")
    assert [r.problems for r in checked(project)] == [[]]


def test_a_claim_twice_in_an_include_two_decks_share_is_fixed_once_each(project):
    project.write("slides_src/snippets/n.md", "`{py} n => 4`, again `{py} n => 4`\n")
    for name in ("a", "b"):
        project.deck(f"{FRONT}# A\n```{{python}}\nn = 5\n```\n{{% include 'snippets/n.md' %}}\n", name)
    diff, fixed, refused = fix_sources(checked(project, "a", "b"), project.root)
    assert (fixed, refused) == (2, [])
    assert (project.root / "slides_src/snippets/n.md").read_text() == "`{py} n => 5`, again `{py} n => 5`\n"


def test_a_fix_is_checked_against_the_value_before_it_is_written(project):
    """A fix made from the rounded text of the true value was false again: `33.6 GB` of 33.6 MB became
    `30.0 MB` (rescaled from `0.03 GB`), and a count written in `MB` kept its `MB` (`2,100 MB`). The
    fix is now a text that holds for the value, so a second check finds every claim true."""
    source = project.deck(f"{FRONT}# A\n```{{python}}\n#| echo: false\nimport torch\nn = nparams(torch.nn.Linear(1024, 2048))\n```\n\n"
                          "A matrix takes `{py} memory((1, 8, 1024, 1024)) => 33.6 GB`.\n\n"
                          "The layer holds `{py} n => 2,099,700 MB` weights.\n")
    diff, fixed, refused = fix_sources(checked(project), project.root)
    assert (fixed, refused) == (2, [])
    text = source.read_text(encoding="utf-8")
    assert "=> 33.6 MB`" in text and "=> 2,099,200` weights" in text
    assert not checked(project)[0].problems
