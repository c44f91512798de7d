"""What an htmx answer appends to the page's log after a command (lessons.terminal): only the
lines the command added, even once the transcript keeps only its last lines; and whether the
console must come too."""

from lessons.terminal import added_lines, console_changed


def test_the_lines_after_the_old_ones_are_the_new_ones() -> None:
    assert added_lines(["$ pwd", "/home"], ["$ pwd", "/home", "$ ls", "a"]) == ("$ ls", "a")


def test_at_the_limit_the_new_lines_are_those_past_the_ones_that_fell_off() -> None:
    before = [f"line {n}" for n in range(200)]
    after = [*before[3:], "$ ls", "a", "b"]

    assert added_lines(before, after) == ("$ ls", "a", "b")


def test_repeating_lines_at_the_limit_leave_the_page_with_the_same_last_lines() -> None:
    before = ["$ ls", "a"] * 100
    after = ["$ ls", "a"] * 100  # two lines added, two fell off: the same transcript
    added = added_lines(before, after)

    assert added
    assert ([*before, *added])[-200:] == after


def test_a_command_that_only_printed_leaves_the_console_alone() -> None:
    world = {"users": {"bob": {}}, "places": {"laptop": {"terminal": {"lines": ["$ ls"]}}}}
    later = {"users": {"bob": {}}, "places": {"laptop": {"terminal": {"lines": ["$ ls", "$ pwd"]}}}}  # fmt: skip

    assert not console_changed(world, later)
    assert not console_changed({}, {"places": {"cloudshell": {"files": {}, "env": {}}}})


def test_an_account_change_or_credentials_a_place_holds_bring_the_console() -> None:
    assert console_changed({"users": {}}, {"users": {"bob": {}}})
    key = {"places": {"laptop": {"files": {"/home/you/.aws/credentials": "[default]"}}}}
    assert console_changed({}, key)
    exported = {"places": {"web": {"terminal": {"exported": {"AWS_ACCESS_KEY_ID": "AKIA"}}}}}
    assert console_changed({}, exported)
