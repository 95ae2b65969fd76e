"""The command line on a user's mistakes: one sentence on stderr, exit code 2, nothing changed, no traceback.

Restores that are refused must leave the store alone, including for an app serving the same data
directory: its data and tokens still work afterwards.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kiosk_tickets import create_app
from kiosk_tickets.cli import main
from kiosk_tickets.store import SNAPSHOT_NAME
from tests.helpers import ApiClient, open_store
from tests.servers import Server

ORGANIZERS = "/api/v1/organizers/"
QUOTAS = "/api/v1/organizers/demo/events/festival/quotas/"
ITEMS = "/api/v1/organizers/demo/events/festival/items/"
ORDERS = "/api/v1/organizers/demo/events/festival/orders/"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run the command in this process; return its exit code, stdout and stderr."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def no_backup(path: Path | str) -> str:
    return f"error: {path} is not a backup: it has no backup.json, which `kiosk-tickets backup` writes last."


def refused(capsys, *args: str) -> str:
    """Run a command that must be refused; return its one error line."""
    code, out, err = cli(capsys, *args)
    assert code == 2, (out, err)
    assert "Traceback" not in err
    (line,) = err.splitlines()
    return line


@pytest.fixture
def demo(capsys, data_dir) -> str:
    """A data directory with the demo event; return its admin token."""
    code, out, _ = cli(capsys, "--data-dir", str(data_dir), "demo")
    assert code == 0
    return out.splitlines()[-1]


@pytest.fixture
def backup(capsys, data_dir, demo, tmp_path) -> Path:
    """A backup of the demo store."""
    destination = tmp_path / "backup"
    assert cli(capsys, "--data-dir", str(data_dir), "backup", str(destination))[0] == 0
    return destination


class Terminal(io.StringIO):
    """Standard input that is a terminal, with what the user types."""

    def isatty(self) -> bool:
        return True


def api(data_dir: Path, token: str) -> ApiClient:
    return ApiClient(create_app({"DATA_DIR": str(data_dir)}).test_client(), token)


def categories(client: ApiClient) -> list[str]:
    url = "/api/v1/organizers/demo/events/festival/categories/"
    return [category["name"]["en"] for category in client.get(url).get_json()["results"]]


# ---------------------------------------------------------------------------------------- restore


def test_restore_of_a_directory_that_is_no_backup_leaves_a_serving_store_alone(capsys, data_dir, demo, tmp_path):
    serving = api(data_dir, demo)
    before = categories(serving)
    assert before
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a backup")
    line = refused(capsys, "--data-dir", str(data_dir), "restore", str(empty), "--yes")
    assert line == no_backup(empty)
    # The app on the same directory still has its data, and its token still works.
    assert categories(serving) == before
    assert serving.get(ORGANIZERS).status_code == 200
    assert api(data_dir, demo).get(ORGANIZERS).status_code == 200
    assert sorted(path.name for path in empty.iterdir()) == ["notes.txt"]


def test_restore_of_a_data_directory_is_refused(capsys, data_dir, demo, tmp_path):
    other = tmp_path / "other"
    assert cli(capsys, "--data-dir", str(other), "init", "--organizer", "other", "--name", "Other")[0] == 0
    line = refused(capsys, "--data-dir", str(data_dir), "restore", str(other), "--yes")
    assert line == no_backup(other)
    assert refused(capsys, "--data-dir", str(data_dir), "restore", str(data_dir), "--yes") == no_backup(data_dir)
    assert api(data_dir, demo).get(ORGANIZERS).status_code == 200


def test_restore_of_the_directory_holding_the_temporary_copy_does_not_recurse(
    capsys, data_dir, demo, backup, tmp_path, monkeypatch
):
    # A directory that is no backup, holding the temporary directory: refused at once.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    line = refused(capsys, "--data-dir", str(data_dir), "restore", str(tmp_path), "--yes")
    assert line == no_backup(tmp_path)
    # A backup holding the temporary directory: only the files the backup wrote are copied.
    scratch = backup / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    code, out, err = cli(capsys, "--data-dir", str(tmp_path / "restored"), "restore", str(backup))
    assert code == 0, err
    assert out.startswith(f"Restored {backup} into {tmp_path / 'restored'}:")
    assert list(scratch.iterdir()) == []
    assert api(tmp_path / "restored", demo).get(ORGANIZERS).status_code == 200


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing", "error: the backup directory {path} does not exist."),
        ("afile", "error: {path} is not a directory; a backup is a directory made by `kiosk-tickets backup`."),
    ],
)
def test_restore_of_a_missing_directory_or_a_file(capsys, data_dir, demo, tmp_path, name, message):
    path = tmp_path / name
    if name == "afile":
        path.write_text("x")

    assert refused(capsys, "--data-dir", str(data_dir), "restore", str(path)) == message.format(path=path)
    assert api(data_dir, demo).get(ORGANIZERS).status_code == 200


def test_a_refused_restore_does_not_create_the_data_directory(capsys, tmp_path):
    target = tmp_path / "new"
    refused(capsys, "--data-dir", str(target), "restore", str(tmp_path / "missing"))
    assert not target.exists()


def test_restore_of_an_incomplete_backup(capsys, data_dir, demo, backup):
    (journal,) = backup.glob("journal-*.log")
    content = journal.read_bytes()
    journal.write_bytes(content[:-10])
    assert refused(capsys, "--data-dir", str(data_dir), "restore", str(backup), "--yes") == (
        f"error: {backup} is incomplete: {journal.name} has {len(content) - 10} bytes, the backup wrote {len(content)}."
    )
    journal.unlink()
    assert refused(capsys, "--data-dir", str(data_dir), "restore", str(backup), "--yes") == (
        f"error: {backup} is incomplete: {journal.name} is missing."
    )
    assert api(data_dir, demo).get(ORGANIZERS).status_code == 200


def test_restore_of_a_damaged_backup(capsys, data_dir, demo, backup):
    snapshot = backup / SNAPSHOT_NAME
    damaged = bytearray(snapshot.read_bytes())
    damaged[-3] ^= 0x01
    snapshot.write_bytes(bytes(damaged))
    assert refused(capsys, "--data-dir", str(data_dir), "restore", str(backup), "--yes") == (
        f"error: {backup} is damaged: {SNAPSHOT_NAME} does not match the checksum the backup wrote."
    )
    (backup / "backup.json").write_text("{not json")
    assert refused(capsys, "--data-dir", str(data_dir), "restore", str(backup), "--yes") == (
        f"error: {backup / 'backup.json'} is damaged: it is not valid JSON."
    )
    outside = [{"name": name, "size": 1, "sha256": "0"} for name in ("../snapshot.json", "journal-1.log")]
    for files in ([], outside):
        manifest = {"format": "kiosk-tickets backup", "version": 1, "files": files}
        (backup / "backup.json").write_text(json.dumps(manifest))
        assert refused(capsys, "--data-dir", str(data_dir), "restore", str(backup), "--yes") == (
            f"error: {backup / 'backup.json'} is damaged: it does not list one snapshot and one journal."
        )
    assert api(data_dir, demo).get(ORGANIZERS).status_code == 200


def test_restore_of_a_backup_whose_snapshot_continues_in_a_journal_it_lacks(capsys, data_dir, demo, backup):
    manifest = json.loads((backup / "backup.json").read_text())
    (journal,) = backup.glob("journal-*.log")
    renamed = backup / "journal-00000042.log"
    journal.rename(renamed)
    for entry in manifest["files"]:
        if entry["name"] == journal.name:
            entry["name"] = renamed.name
    (backup / "backup.json").write_text(json.dumps(manifest))
    assert refused(capsys, "--data-dir", str(data_dir), "restore", str(backup), "--yes") == (
        f"error: {backup} is incomplete: its snapshot continues in {journal.name}."
    )


def test_restore_over_data_without_a_terminal_needs_yes(capsys, data_dir, demo, backup):
    serving = api(data_dir, demo)
    assert serving.post(
        "/api/v1/organizers/demo/events/festival/categories/", json={"name": "after the backup"}
    ).status_code == 201
    documents = sum(open_store(data_dir).table_sizes().values())
    line = refused(capsys, "--data-dir", str(data_dir), "restore", str(backup))
    assert line == (
        f"error: the store in {data_dir} holds {documents} documents, which the restore would replace; "
        "pass --yes to restore without asking."
    )
    assert "after the backup" in categories(serving)
    code, out, _ = cli(capsys, "--data-dir", str(data_dir), "restore", str(backup), "--yes")
    assert code == 0
    assert out.startswith(f"Restored {backup} into {data_dir}:")
    assert "after the backup" not in categories(serving)
    assert serving.get(ORGANIZERS).status_code == 200


def test_restore_over_data_asks_on_a_terminal(capsys, data_dir, demo, backup, monkeypatch):
    serving = api(data_dir, demo)
    url = "/api/v1/organizers/demo/events/festival/categories/"
    assert serving.post(url, json={"name": "after the backup"}).status_code == 201
    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    code, out, err = cli(capsys, "--data-dir", str(data_dir), "restore", str(backup))
    assert code == 1
    assert out == ""
    assert f"The store in {data_dir} holds " in err
    assert f"Replace them with the backup {backup} (taken " in err
    assert err.endswith("[y/N] Nothing was restored; the store is unchanged.\n")
    assert "after the backup" in categories(serving)
    monkeypatch.setattr(sys, "stdin", Terminal("yes\n"))
    code, out, err = cli(capsys, "--data-dir", str(data_dir), "restore", str(backup))
    assert code == 0
    assert "after the backup" not in categories(serving)


def test_restore_into_an_empty_store_does_not_ask(capsys, backup, tmp_path, demo):
    target = tmp_path / "target"
    code, out, _ = cli(capsys, "--data-dir", str(target), "restore", str(backup))
    assert code == 0
    assert api(target, demo).get(ORGANIZERS).status_code == 200


# ---------------------------------------------------------------------------------------- backup


def test_backup_into_an_existing_path(capsys, data_dir, demo, backup, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for existing in (backup, afile):
        assert refused(capsys, "--data-dir", str(data_dir), "backup", str(existing)) == (
            f"error: {existing} already exists; a backup goes into a new directory."
        )
    assert afile.read_text() == "x"
    assert refused(capsys, "--data-dir", str(data_dir), "backup", str(afile / "below")) == (
        f"error: {afile / 'below'} cannot be made: Not a directory."
    )


def test_backup_into_the_data_directory(capsys, data_dir, demo):
    for inside in (data_dir / "backup", data_dir / "a" / "b"):
        assert refused(capsys, "--data-dir", str(data_dir), "backup", str(inside)) == (
            f"error: {inside} is inside the data directory {data_dir}; a backup there would be lost with it."
        )
        assert not inside.exists()
    assert not (data_dir / "a").exists()


def test_backup_of_a_missing_store(capsys, tmp_path):
    missing = tmp_path / "typo"
    assert refused(capsys, "--data-dir", str(missing), "backup", str(tmp_path / "backup")) == (
        f"error: the data directory {missing} does not exist; pass the right --data-dir, or create a store with `init`."
    )
    assert not missing.exists() and not (tmp_path / "backup").exists()


# ---------------------------------------------------------------------------------------- data directory, tokens


def test_a_data_directory_that_is_a_file_or_holds_no_store(capsys, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for command in (["check"], ["token", "list"], ["init", "--organizer", "a", "--name", "A"], ["demo"]):
        assert refused(capsys, "--data-dir", str(afile), *command) == (
            f"error: the data directory {afile} is not a directory."
        )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert refused(capsys, "--data-dir", str(empty), "check") == (
        f"error: the data directory {empty} holds no kiosk-tickets store; pass the right --data-dir, "
        "or create a store with `init`."
    )
    assert list(empty.iterdir()) == []


def test_a_data_directory_that_cannot_be_read(capsys, data_dir, demo):
    (data_dir / SNAPSHOT_NAME).write_text("{broken")
    line = refused(capsys, "--data-dir", str(data_dir), "token", "list")
    assert line.startswith(f"error: {data_dir / SNAPSHOT_NAME} is not valid JSON: ")


def test_unknown_organizer_is_a_sentence_not_a_dict(capsys, data_dir, demo):
    expected = 'error: organizer: Organizer "ghost" does not exist.'
    create = ["token", "create", "--organizer", "ghost", "--scope", "admin"]
    assert refused(capsys, "--data-dir", str(data_dir), *create) == expected
    assert refused(capsys, "--data-dir", str(data_dir), "token", "list", "--organizer", "ghost") == expected


def test_unknown_token_id(capsys, data_dir, demo):
    assert refused(capsys, "--data-dir", str(data_dir), "token", "revoke", "99") == (
        "error: id: There is no token with id 99."
    )
    code, out, _ = cli(capsys, "--data-dir", str(data_dir), "token", "revoke", "1")
    assert (code, out) == (0, "Token 1 revoked.\n")
    code, out, _ = cli(capsys, "--data-dir", str(data_dir), "token", "revoke", "1")
    assert (code, out) == (0, "Token 1 was already revoked.\n")


def test_wrong_scope_and_wrong_token_id_are_usage_errors(capsys, data_dir, demo):
    with pytest.raises(SystemExit) as exit_info:
        main(["--data-dir", str(data_dir), "token", "create", "--organizer", "demo", "--scope", "root"])
    assert exit_info.value.code == 2
    assert "error: argument --scope: invalid choice: 'root' (choose from 'admin', 'boxoffice', 'checkin')" in (
        capsys.readouterr().err
    )
    with pytest.raises(SystemExit) as exit_info:
        main(["--data-dir", str(data_dir), "token", "revoke", "first"])
    assert exit_info.value.code == 2
    assert "error: argument id: invalid int value: 'first'" in capsys.readouterr().err


def test_init_refuses_a_slug_the_api_could_not_serve(capsys, data_dir):
    assert refused(capsys, "--data-dir", str(data_dir), "init", "--organizer", "my org", "--name", "Mine") == (
        "error: organizer: The slug may only contain letters, numbers, dots and dashes."
    )
    assert refused(capsys, "--data-dir", str(data_dir), "init", "--organizer", "a" * 51, "--name", "Mine") == (
        "error: organizer: Ensure this field has no more than 50 characters."
    )


# ---------------------------------------------------------------------------------------- check


def sell_and_shrink(data_dir: Path, token: str) -> dict:
    """Sell two day tickets (pending orders hold their units), then shrink their quota to one, as an admin may.

    Return the quota."""
    client = api(data_dir, token)
    items = client.get(ITEMS).get_json()["results"]
    day = next(item for item in items if item["name"]["en"] == "Day ticket")
    order = client.post(ORDERS, json={"positions": [{"item": day["id"]}, {"item": day["id"]}]})
    assert order.status_code == 201, order.get_json()
    quota = next(quota for quota in client.get(QUOTAS).get_json()["results"] if day["id"] in quota["items"])
    assert client.patch(f"{QUOTAS}{quota['id']}/", json={"size": 1}).status_code == 200
    return quota


def test_check_reports_a_shrunk_quota_as_a_warning_and_succeeds(capsys, data_dir, demo):
    quota = sell_and_shrink(data_dir, demo)
    code, out, _ = cli(capsys, "--data-dir", str(data_dir), "check")
    assert code == 0
    lines = out.splitlines()
    assert (
        f"WARNING: quota {quota['id']} ('Admission'): 2 units used of 1 "
        "(more than its size, as after it was made smaller than what it held, or a forced sale)"
    ) in lines
    assert not any(line.startswith("PROBLEM:") for line in lines)
    assert lines[-2].startswith("PROBLEM lines are damage")
    assert "WARNING lines are states worth a look that are not damage" in lines[-2]
    assert lines[-1] == "OK with 1 warning(s)"


def test_check_fails_on_damage_and_still_tells_the_warnings_apart(capsys, data_dir, demo):
    sell_and_shrink(data_dir, demo)
    store = open_store(data_dir)
    with store.transaction() as tx:
        tx.insert("variations", {"item": 999, "event": 1})
    store.close()
    code, out, _ = cli(capsys, "--data-dir", str(data_dir), "check")
    assert code == 1
    lines = out.splitlines()
    assert "PROBLEM: variations 5: item 999 does not exist in items" in lines
    assert sum(line.startswith("WARNING: quota ") for line in lines) == 1
    assert lines[-1] == "1 problem(s) found, 1 warning(s)"


def test_check_fails_on_a_store_that_cannot_be_read(capsys, data_dir, demo):
    (data_dir / SNAPSHOT_NAME).write_text("{broken")
    code, out, err = cli(capsys, "--data-dir", str(data_dir), "check")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"Store {data_dir}: cannot be read."
    assert lines[1].startswith(f"PROBLEM: {data_dir / SNAPSHOT_NAME} is not valid JSON")
    assert lines[-1] == "1 problem(s) found"


def test_check_fails_on_bytes_kept_beside_a_damaged_journal(capsys, data_dir, demo):
    (journal,) = data_dir.glob("journal-*.log")
    (data_dir / f"{journal.name}.tail-100").write_bytes(b"kept")
    code, out, _ = cli(capsys, "--data-dir", str(data_dir), "check")
    assert code == 1
    assert (
        f"PROBLEM: {journal.name}.tail-100: bytes kept beside a damaged journal, not part of the store; "
        "inspect them, then remove the file"
    ) in out.splitlines()


# ---------------------------------------------------------------------------------------- real processes


@pytest.mark.slow
def test_no_traceback_from_the_installed_command(tmp_path):
    data_dir = tmp_path / "data"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "kiosk_tickets", *args], capture_output=True, text=True, timeout=60
        )

    assert run("--data-dir", str(data_dir), "init", "--organizer", "acme", "--name", "ACME").returncode == 0
    mistakes = [
        ["restore", str(tmp_path / "missing")],
        ["restore", tempfile.gettempdir(), "--yes"],
        ["backup", str(data_dir)],
        ["token", "create", "--organizer", "ghost", "--scope", "admin"],
        ["token", "revoke", "42"],
        ["check", "--data-dir", str(tmp_path / "nothing")],
    ]
    for mistake in mistakes:
        result = run("--data-dir", str(data_dir), *mistake)
        assert result.returncode == 2, (mistake, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error: "), result.stderr


@pytest.mark.slow
def test_a_refused_restore_leaves_a_running_server_serving(tmp_path, capsys):
    data_dir = tmp_path / "data"
    code, out, _ = cli(capsys, "--data-dir", str(data_dir), "demo")
    token = out.splitlines()[-1]
    server = Server(data_dir)
    try:
        import requests

        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        url = f"{server.url}/api/v1/organizers/demo/events/festival/items/"
        before = session.get(url).json()
        empty = tmp_path / "empty"
        empty.mkdir()
        assert main(["--data-dir", str(data_dir), "restore", str(empty), "--yes"]) == 2
        assert main(["--data-dir", str(data_dir), "restore", tempfile.gettempdir(), "--yes"]) == 2
        response = session.get(url)
        assert response.status_code == 200
        assert response.json() == before
    finally:
        server.stop()
