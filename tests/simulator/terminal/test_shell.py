"""The terminal's small bash: parsing as bash does, files, variables, and what is kept."""

import sys

import pytest

import simulator.terminal
from simulator import terminal
from simulator.terminal import shell
from simulator.terminal.places import MAX_FILE, find, read_file, write_file

POLICY = '{"Version": "2012-10-17", "Statement": []}'


def run(world, text, place_id="laptop"):
    return terminal.run(world, place_id, text)


def test_heredoc_writes_the_policy_file(world):
    ran = run(world, f"cat > policy.json <<'EOF'\n{POLICY}\nEOF")
    assert ran == terminal.Ran("", 0, False)
    assert read_file(world, find(world, "laptop"), "/home/you/policy.json") == POLICY + "\n"
    assert terminal.transcript(world, "laptop").lines == [
        "you@laptop:~$ cat > policy.json <<'EOF'",
        f"> {POLICY}",
        "> EOF",
    ]


def test_a_heredoc_expands_variables_unless_its_delimiter_is_quoted(world):
    run(world, "export BUCKET=reports")
    run(world, 'cat > a.txt <<EOF\narn:aws:s3:::$BUCKET/* "q"\nEOF')
    run(world, "cat > b.txt <<'EOF'\narn:aws:s3:::$BUCKET/*\nEOF")
    assert (
        run(world, "cat a.txt b.txt").output
        == 'arn:aws:s3:::reports/* "q"\narn:aws:s3:::$BUCKET/*\n'
    )


def test_single_quotes_keep_dollars_and_double_quotes_expand_them(world):
    run(world, "NAME=world")
    ran = run(world, """echo '$NAME' "$NAME" ${NAME}s "a  b" \\$NAME ~ "~" x~ $UNSET end""")
    assert ran.output == "$NAME world worlds a  b $NAME /home/you ~ x~ end\n"


def test_an_unknown_command_is_bash_command_not_found_127(world):
    ran = run(world, "sudo cat /etc/shadow")
    assert ran == terminal.Ran("bash: sudo: command not found\n", 127, False)
    assert run(world, "echo $?").output == "127\n"


def test_redirection_overwrites_and_appends_and_reads(world):
    run(world, "echo one > notes.txt; echo two >> notes.txt; echo gone 2> /dev/null > /dev/null")
    assert run(world, "cat < notes.txt").output == "one\ntwo\n"
    assert run(world, "cat missing 2> err.txt; cat err.txt").output == (
        "cat: missing: No such file or directory\n"
    )
    assert run(world, "cat missing > out.txt 2>&1; cat out.txt").output == (
        "cat: missing: No such file or directory\n"
    )


@pytest.mark.parametrize(
    ("command", "output", "status"),
    [
        ("echo x > /etc/passwd", "bash: /etc/passwd: Permission denied\n", 1),
        ("echo x > ../../etc/x", "bash: ../../etc/x: Permission denied\n", 1),
        ("echo x > /tmp", "bash: /tmp: Is a directory\n", 1),
        ("cat /etc/passwd", "cat: /etc/passwd: No such file or directory\n", 1),
        ("cat /etc", "cat: /etc: Is a directory\n", 1),
        ("cat < nothing", "bash: nothing: No such file or directory\n", 1),
        ("ls nothing", "ls: cannot access 'nothing': No such file or directory\n", 2),
        ("ls -z", "ls: invalid option -- 'z'\nTry 'ls --help' for more information.\n", 2),
        ("rm nothing", "rm: cannot remove 'nothing': No such file or directory\n", 1),
        ("rm", "rm: missing operand\nTry 'rm --help' for more information.\n", 1),
        ("rm -rf /", "rm: cannot remove '/': Permission denied\n", 1),
        ("cd nowhere", "bash: cd: nowhere: No such file or directory\n", 1),
        ("cd a b", "bash: cd: too many arguments\n", 1),
        ("export 1X=2", "bash: export: `1X=2': not a valid identifier\n", 1),
        ("echo 'open", "bash: unexpected EOF while looking for matching `''\n", 2),
        ("echo ${A-B}", "bash: ${A-B}: bad substitution\n", 2),
        ("echo >", "bash: syntax error near unexpected token `newline'\n", 2),
        ("; ls", "bash: syntax error near unexpected token `;'\n", 2),
    ],
)
def test_mistakes_answer_as_bash_and_coreutils_do(world, command, output, status):
    assert run(world, command)[:2] == (output, status)


def test_files_in_home_and_tmp_are_listed_read_and_removed(world):
    run(world, "mkdir -p ~/.aws; echo k > ~/.aws/credentials; echo t > /tmp/t; echo p > p.json")
    assert run(world, "ls").output == "p.json\n"
    assert run(world, "ls -a ~").output == ".  ..  .aws  p.json\n"
    assert run(world, "ls /tmp ~/.aws").output == "/tmp:\nt\n/home/you/.aws:\ncredentials\n"
    assert run(world, "ls -l ~/.aws").output.startswith("-rw------- 1 you you     2 ")
    assert run(world, "rm -r ~/.aws; rm /tmp/t; ls -A; cat ~/.aws/credentials").output == (
        "p.json\ncat: /home/you/.aws/credentials: No such file or directory\n"
    )


def test_cd_and_pwd_move_the_prompt(world, web_1):
    assert run(world, "cd /tmp; pwd").output == "/tmp\n"
    assert terminal.transcript(world, "laptop").prompt == "you@laptop:/tmp$ "
    run(world, "cd; cd /var/log", web_1)
    host = "ip-" + world.instance(web_1).private_ip.replace(".", "-")
    assert terminal.transcript(world, web_1).prompt == f"[ec2-user@{host} log]$ "
    assert terminal.transcript(world, web_1).cwd == "/var/log"


def test_each_place_has_its_own_prompt(world, web_1):
    host = "ip-" + world.instance(web_1).private_ip.replace(".", "-")
    assert terminal.transcript(world, web_1).prompt == f"[ec2-user@{host} ~]$ "
    assert terminal.transcript(world, "cloudshell").prompt == "~ $ "
    assert terminal.transcript(world, "laptop").prompt == "you@laptop:~$ "
    terminal.add_place(world, "launchers-laptop", "launcher's laptop")
    assert terminal.transcript(world, "launchers-laptop").prompt == "you@launchers-laptop:~$ "


def test_variables_export_unset_and_the_environment(world):
    run(world, "LOCAL=1; export SHARED=2; export LOCAL2=3")
    env = run(world, "env").output.splitlines()
    assert "SHARED=2" in env
    assert "LOCAL2=3" in env
    assert not any(line.startswith("LOCAL=") for line in env)
    assert "HOME=/home/you" in env
    run(world, "unset SHARED HOME")
    assert run(world, "echo [$SHARED] [$HOME] [$LOCAL]").output == "[] [] [1]\n"
    assert run(world, "AWS_PROFILE=dev env").output.count("AWS_PROFILE=dev") == 1
    assert "AWS_PROFILE" not in run(world, "env").output  # a prefix is for that command only


def test_and_or_and_semicolons_run_as_bash_runs_them(world):
    assert run(world, "cat nothing 2>/dev/null && echo yes || echo no; echo $?").output == "no\n0\n"
    assert run(world, "true_ || echo ran").output == "bash: true_: command not found\nran\n"


def test_command_substitution_gives_the_output_without_its_newline(world):
    run(world, 'TOKEN=$(echo abc) && echo "token: $TOKEN" `echo x`')
    assert run(world, 'echo "$(echo "$(echo deep)")"').output == "deep\n"
    assert run(world, 'echo "<$(cat nothing)>"').output == (  # stderr is not captured
        "cat: nothing: No such file or directory\n<>\n"
    )
    deep = run(world, "echo $(echo $(echo $(echo $(echo too))))").output
    assert "nested more than 3 deep" in deep
    assert "too" not in deep


def test_a_backslash_at_the_end_continues_the_line(world):
    ran = run(world, "echo one \\\ntwo")
    assert ran.output == "one two\n"


def test_pipes_and_background_jobs_are_refused_with_a_hint(world):
    ran = run(world, "aws s3 ls | grep reports")
    assert ran.status == 2
    assert "--query" in ran.output


def test_history_and_output_are_kept_per_place_and_bounded(world, web_1):
    for number in range(shell.MAX_HISTORY + 5):
        run(world, f"echo {number}")
    kept = terminal.transcript(world, "laptop")
    assert len(kept.history) == shell.MAX_HISTORY
    assert kept.history[-1] == f"echo {shell.MAX_HISTORY + 4}"
    assert len(kept.lines) == shell.MAX_LINES
    assert kept.lines[-2:] == [
        f"you@laptop:~$ echo {shell.MAX_HISTORY + 4}",
        f"{shell.MAX_HISTORY + 4}",
    ]
    assert terminal.transcript(world, web_1).history == []
    assert run(world, "history 2").output == (
        f"  {shell.MAX_HISTORY - 1}  echo {shell.MAX_HISTORY + 4}\n  {shell.MAX_HISTORY}  history 2\n"
    )


def test_clear_empties_the_transcript_but_not_the_history(world):
    run(world, "echo a")
    assert run(world, "clear") == terminal.Ran("", 0, True)
    kept = terminal.transcript(world, "laptop")
    assert (kept.lines, kept.history) == ([], ["echo a", "clear"])


def test_output_is_cut_at_64_kib_saying_so(world):
    write_file(world, find(world, "laptop"), "/home/you/big", "x" * MAX_FILE)
    ran = run(world, "cat big big big")
    assert ran.output.endswith(f"\n[output cut at {shell.MAX_OUTPUT // 1024} KiB]\n")
    assert len(ran.output) < shell.MAX_OUTPUT + 100
    assert all(
        len(line) <= shell.MAX_KEPT_LINE + 1 for line in terminal.transcript(world, "laptop").lines
    )


def test_input_longer_than_16_kib_runs_nothing(world):
    ran = run(world, "echo " + "x" * shell.MAX_INPUT)
    assert ran.status == 1
    assert "input too long" in ran.output
    assert terminal.transcript(world, "laptop").history == []


def test_files_are_bounded_each_and_per_place(world):
    laptop = find(world, "laptop")
    write_file(world, laptop, "/home/you/big", "x" * (MAX_FILE - 1))
    assert run(world, "cat big big > bigger").output == (
        "bash: /home/you/bigger: File too large (32 KiB at most in this terminal)\n"
    )
    outputs = [run(world, f"cat big > f{n}").output for n in range(4)]
    assert outputs[-1] == "bash: /home/you/f3: No space left on device\n"


def test_an_unknown_place_or_a_stopped_instance_is_a_message(world):
    ran = run(world, "ls", "i-0000000000000000")
    assert ran.status == 1
    assert "no such place" in ran.output


def test_aws_is_command_not_found_while_the_cli_cannot_be_imported(world, monkeypatch):
    monkeypatch.setitem(sys.modules, "simulator.terminal.cli", None)
    monkeypatch.delattr(simulator.terminal, "cli", raising=False)
    assert run(world, "aws sts get-caller-identity") == terminal.Ran(
        "bash: aws: command not found\n", 127, False
    )


def test_help_lists_the_commands(world):
    output = run(world, "help").output
    assert all(name in output for name in shell.COMMANDS)


def test_mkdir_makes_a_folder_to_cd_into_and_rmdir_removes_it_once_empty(world):
    """`mkdir policies && cd policies`, as tutorials do; the folder is kept with the world."""
    ran = run(world, "mkdir policies && cd policies && pwd && cat > p.json <<'EOF'\n{}\nEOF")
    assert ran.output == "/home/you/policies\n"
    assert read_file(world, find(world, "laptop"), "/home/you/policies/p.json") == "{}\n"
    run(world, "cd ~ && mkdir -p drafts/old && mkdir empty")
    again = type(world).from_dict(world.to_dict())  # saved and read back
    assert run(again, "ls").output == "drafts  empty  policies\n"
    assert run(again, "ls drafts").output == "old\n"

    refused = run(again, "mkdir empty; mkdir a/b; mkdir /etc/x; rmdir policies; rmdir ~")
    assert refused.output.splitlines() == [
        "mkdir: cannot create directory 'empty': File exists",
        "mkdir: cannot create directory 'a/b': No such file or directory",
        "mkdir: cannot create directory '/etc/x': Permission denied",
        "rmdir: failed to remove 'policies': Directory not empty",
        "rmdir: failed to remove '/home/you': Directory not empty",
    ]
    assert run(again, "rmdir empty drafts/old drafts && ls").output == "policies\n"


def test_mkdir_keeps_a_bounded_number_of_empty_folders(world):
    names = " ".join(f"d{n}" for n in range(shell.MAX_FOLDERS))
    assert run(world, f"mkdir {names}").status == 0
    full = run(world, "mkdir one-more")
    assert full.output == "mkdir: cannot create directory 'one-more': No space left on device\n"
    assert full.status == 1


def test_head_and_tail_show_the_first_and_last_lines_as_coreutils(world):
    run(world, "cat > log.txt <<'EOF'\none\ntwo\nthree\nfour\nEOF")

    assert run(world, "tail -n 2 log.txt").output == "three\nfour\n"
    assert run(world, "head -1 log.txt").output == "one\n"
    assert run(world, "tail -n1 log.txt nope.txt").output == (
        "==> log.txt <==\nfour\ntail: cannot open 'nope.txt' for reading: No such file or directory\n"
    )
    assert run(world, "head -n x log.txt").output == "head: invalid number of lines: 'x'\n"


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("for i in 1 2 3; do aws iam get-user --user-name key-$i; done", "loops are not available"),
        ("if aws iam get-user; then echo yes; fi", "&& runs a command when the one before worked"),
    ],
)
def test_a_loop_or_an_if_gets_one_clear_refusal_not_three_command_not_found(world, line, words):
    ran = run(world, line)

    assert ran.status == 2
    assert ran.output.count("\n") == 1
    assert words in ran.output
