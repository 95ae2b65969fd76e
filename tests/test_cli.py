"""The kiosk-tickets command: init, demo and token management, checked through the API they enable."""

from __future__ import annotations

from importlib import metadata

import pytest

from kiosk_tickets import create_app
from kiosk_tickets.cli import main
from tests.helpers import ApiClient
from tests.messages import INVALID_TOKEN


def run(capsys, *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def client(data_dir, token: str) -> ApiClient:
    return ApiClient(create_app({"DATA_DIR": str(data_dir)}).test_client(), token)


def test_init_prints_a_new_admin_token_as_its_last_line(capsys, data_dir):
    first = run(capsys, "--data-dir", str(data_dir), "init", "--organizer", "acme", "--name", "ACME").splitlines()[-1]
    second = run(capsys, "--data-dir", str(data_dir), "init", "--organizer", "acme", "--name", "ACME").splitlines()[-1]
    assert first != second and len(first) == 64
    for token in (first, second):
        response = client(data_dir, token).get("/api/v1/organizers/")
        assert response.status_code == 200
        assert response.get_json()["results"] == [
            {"name": "ACME", "slug": "acme", "public_url": "http://localhost/acme/", "plugins": []}
        ]


def test_data_dir_defaults_to_the_environment_variable(capsys, data_dir, monkeypatch):
    monkeypatch.setenv("KIOSK_TICKETS_DATA_DIR", str(data_dir))
    token = run(capsys, "init", "--organizer", "envorg", "--name", "Env").splitlines()[-1]
    assert client(data_dir, token).get("/api/v1/organizers/envorg/").status_code == 200


def test_tokens_are_kept_hashed(capsys, data_dir):
    token = run(capsys, "--data-dir", str(data_dir), "init", "--organizer", "acme", "--name", "ACME").splitlines()[-1]
    for path in data_dir.iterdir():
        assert token not in path.read_text(errors="replace")


def test_token_create_list_and_revoke(capsys, data_dir):
    base = ["--data-dir", str(data_dir)]
    run(capsys, *base, "init", "--organizer", "acme", "--name", "ACME")
    boxoffice = run(capsys, *base, "token", "create", "--organizer", "acme", "--scope", "boxoffice").splitlines()[-1]
    listing = run(capsys, *base, "token", "list", "--organizer", "acme").splitlines()
    assert [line.split("\t")[:4] for line in listing] == [
        ["ID", "ORGANIZER", "SCOPE", "STATE"],
        ["1", "acme", "admin", "active"],
        ["2", "acme", "boxoffice", "active"],
    ]
    box = client(data_dir, boxoffice)
    assert box.get("/api/v1/organizers/acme/events/").status_code == 200
    assert box.post("/api/v1/organizers/acme/events/", json={}).status_code == 403
    run(capsys, *base, "token", "revoke", "2")
    assert box.get("/api/v1/organizers/acme/events/").get_json() == INVALID_TOKEN


def test_token_create_for_an_unknown_organizer_fails_cleanly(capsys, data_dir):
    run(capsys, "--data-dir", str(data_dir), "init", "--organizer", "acme", "--name", "ACME")
    assert main(["--data-dir", str(data_dir), "token", "create", "--organizer", "ghost", "--scope", "admin"]) == 2
    assert capsys.readouterr().err == 'error: organizer: Organizer "ghost" does not exist.\n'


def test_data_dir_is_accepted_before_and_after_the_command(capsys, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    run(capsys, "--data-dir", str(first), "init", "--organizer", "one", "--name", "One")
    run(capsys, "init", "--organizer", "two", "--name", "Two", "--data-dir", str(second))
    assert run(capsys, "token", "list", "--data-dir", str(first)).splitlines()[1].split("\t")[1] == "one"
    assert run(capsys, "token", "--data-dir", str(second), "list").splitlines()[1].split("\t")[1] == "two"
    # After the command wins over before it, as the later option.
    assert run(capsys, "--data-dir", str(first), "token", "list", "--data-dir", str(second)).splitlines()[1].split(
        "\t"
    )[1] == "two"


def test_version_comes_from_the_package_metadata(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"kiosk-tickets {metadata.version('kiosk-tickets')}\n"


def test_every_option_has_help_and_says_its_default(capsys):
    with pytest.raises(SystemExit):
        main(["token", "create", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--organizer SLUG the organizer the token acts for (required)" in text
    assert "what the token may do: admin (everything), boxoffice (sell), checkin (scan) (required)" in text
    assert "--name NAME a label shown by `token list` (default: none)" in text
    assert "--data-dir DIR the data directory (default: $KIOSK_TICKETS_DATA_DIR, then ./data)" in text
    for command in (["init"], ["demo"], ["token", "list"], ["token", "revoke"], ["backup"], ["restore"], ["check"],
                    ["secret"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        help_text = capsys.readouterr().out
        options = help_text.split("options:")[1]
        assert "--data-dir DIR" in options
        # Every option line (two spaces, a dash) is followed by its help on the same or the next line.
        lines = options.splitlines()
        for index, line in enumerate(lines):
            if line.startswith("  -") and len(line.split("  ")) < 3:
                assert lines[index + 1].startswith(" " * 10), (command, line)
    with pytest.raises(SystemExit):
        main(["restore", "--help"])
    assert "--yes" in capsys.readouterr().out


def test_demo_gives_a_working_event_with_variations_add_ons_quotas_and_questions(capsys, data_dir):
    token = run(capsys, "--data-dir", str(data_dir), "demo").splitlines()[-1]
    api = client(data_dir, token)
    events = api.get("/api/v1/organizers/demo/events/")
    assert events.status_code == 200
    assert [event["slug"] for event in events.get_json()["results"]] == ["festival"]
    items = api.get("/api/v1/organizers/demo/events/festival/items/").get_json()["results"]
    assert any(item["has_variations"] and len(item["variations"]) >= 2 for item in items)
    assert any(item["addons"] for item in items)
    assert api.get("/api/v1/organizers/demo/events/festival/quotas/").get_json()["count"] >= 1
    assert api.get("/api/v1/organizers/demo/events/festival/questions/").get_json()["count"] >= 1
    # Running it again keeps the event and prints another working token.
    again = run(capsys, "--data-dir", str(data_dir), "demo").splitlines()[-1]
    assert again != token
    assert client(data_dir, again).get("/api/v1/organizers/demo/events/").get_json()["count"] == 1
