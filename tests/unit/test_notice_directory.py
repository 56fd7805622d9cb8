"""The notice directory: parsing, every way it can be wrong (one line naming file, board and key), fallbacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.roles import Recipient, Role
from store.notice_directory import (
    REQUIRED,
    NoticeDirectoryError,
    UnknownBoardError,
    UnknownRecipientError,
    board_of,
    load_notice_directory,
    parse_notice_directory,
)
from store.settings import Settings

EXAMPLE = Path(__file__).parents[2] / "deploy" / "k8s" / "overlays" / "example" / "notice-directory.toml"

NEL = """
[NEL]
ofsted = "enquiries@ofsted.example"
dfe = "scr@dfe.example"
national_panel = "panel@dfe.example"
independent_chair = "chair@nel-lscb.example"
sub_group = ["sub-group@nel-lscb.example", "secretariat@nel-lscb.example"]
business_manager = "bm@nel-lscb.example"
partners = ["police@partners.example", "health@partners.example"]
"""


def parse(text: str, boards: frozenset[str] = frozenset({"NEL"})) -> object:
    return parse_notice_directory(text, "boards.toml", boards)


def refusal(text: str, boards: frozenset[str] = frozenset({"NEL"})) -> str:
    with pytest.raises(NoticeDirectoryError) as raised:
        parse(text, boards)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("notice directory boards.toml: ")
    return message


def nel_with(line: str) -> str:
    return NEL + line + "\n"


def nel_without(key: str) -> str:
    return "\n".join(line for line in NEL.splitlines() if not line.startswith(f"{key} ="))


# --- a good directory -------------------------------------------------------------------------------------


def test_a_board_s_entries_are_one_address_or_a_list() -> None:
    directory = parse_notice_directory(NEL, "boards.toml", frozenset({"NEL"}))

    assert directory.addresses("NEL-2026-0001", "ofsted") == ("enquiries@ofsted.example",)
    assert directory.addresses("NEL-2026-0001", "sub_group") == (
        "sub-group@nel-lscb.example",
        "secretariat@nel-lscb.example",
    )
    assert directory.addresses("NEL-2026-LS", "partners") == ("police@partners.example", "health@partners.example")


def test_roles_without_an_entry_fall_back_to_the_business_manager_but_the_family_never_does() -> None:
    directory = parse_notice_directory(nel_with('lead_reviewer = "reviews@nel-lscb.example"'), "f", frozenset())

    assert directory.addresses("NEL-2026-0001", Role.LEAD_REVIEWER) == ("reviews@nel-lscb.example",)
    for fallback in (Role.AGENCY_CONTACT, Role.PUBLISHER, Role.PEER_CHAIR, Recipient.LSCB):
        assert directory.addresses("NEL-2026-0001", fallback) == ("bm@nel-lscb.example",)
    for never in (Recipient.FAMILY, Recipient.PROFESSIONALS):
        with pytest.raises(UnknownRecipientError, match=never.value):
            directory.addresses("NEL-2026-0001", never)


def test_the_family_is_told_only_at_an_entry_of_its_own() -> None:
    directory = parse_notice_directory(nel_with('family = "family-liaison@nel-lscb.example"'), "f", frozenset())

    assert directory.addresses("NEL-2026-0001", "family") == ("family-liaison@nel-lscb.example",)


def test_each_board_has_its_own_addresses_and_the_board_is_the_reference_prefix() -> None:
    sel = NEL.replace("[NEL]", "[SEL]").replace("enquiries@ofsted.example", "south-east@ofsted.example")
    directory = parse_notice_directory(NEL + sel, "f", frozenset({"NEL", "SEL"}))

    assert directory.addresses("NEL-2026-0001", "ofsted") == ("enquiries@ofsted.example",)
    assert directory.addresses("SEL-2026-0001", "ofsted") == ("south-east@ofsted.example",)
    assert board_of("NEL-2026-LS") == board_of("nel-2026-0001") == "NEL"
    with pytest.raises(UnknownBoardError, match=r"board XYZ \(of XYZ-2026-0001\)"):
        directory.addresses("XYZ-2026-0001", "ofsted")


def test_the_example_file_is_a_valid_directory() -> None:
    directory = parse_notice_directory(EXAMPLE.read_text(), str(EXAMPLE), frozenset({"NEL"}))

    assert set(REQUIRED) <= set(directory.boards["NEL"])
    assert len(directory.addresses("NEL-2026-LS", "partners")) == 3


def test_the_file_is_named_by_scr_notice_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "boards.toml"
    path.write_text(NEL)
    monkeypatch.setenv("SCR_NOTICE_DIRECTORY", str(path))
    monkeypatch.setenv("SCR_BOARDS", "NEL")

    directory = load_notice_directory(Settings())

    assert directory.source == str(path)
    assert directory.addresses("NEL-2026-0001", "dfe") == ("scr@dfe.example",)


# --- unset: every board gets the SCR_MAIL_* addresses -----------------------------------------------------


def test_without_a_file_every_board_gets_the_mail_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCR_NOTICE_DIRECTORY", "")  # empty is unset (compose's ${VAR:-})
    settings = Settings(boards="NEL,SEL", mail_partners="partners@lscb.example")

    directory = load_notice_directory(settings)

    assert set(directory.boards) == {"NEL", "SEL"}
    for reference in ("NEL-2026-0001", "SEL-2026-0001"):
        assert directory.addresses(reference, "ofsted") == (settings.mail.ofsted,)
        assert directory.addresses(reference, "independent_chair") == (settings.mail.chair,)
        assert directory.addresses(reference, "partners") == ("partners@lscb.example",)
        assert directory.addresses(reference, "agency_contact") == (settings.mail.business_manager,)
    with pytest.raises(UnknownBoardError):
        directory.addresses("XYZ-2026-0001", "ofsted")


def test_a_bad_mail_setting_is_named() -> None:
    with pytest.raises(NoticeDirectoryError) as raised:
        load_notice_directory(Settings(mail_dfe="DfE <scr@dfe.example>"))

    assert str(raised.value) == (
        "setting SCR_MAIL_DFE: 'DfE <scr@dfe.example>' is not an email address (name@domain, nothing else)"
    )


# --- every way a file can be wrong ------------------------------------------------------------------------


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"

    with pytest.raises(NoticeDirectoryError) as raised:
        load_notice_directory(Settings(notice_directory=missing))

    assert str(raised.value) == f"notice directory {missing}: cannot read it (No such file or directory)"


def test_a_file_that_is_not_toml() -> None:
    message = refusal(NEL + "partners = \n")

    assert "not valid TOML" in message
    assert "line 10" in message


def test_an_invalid_address_names_board_and_key() -> None:
    message = refusal(NEL.replace("scr@dfe.example", "scr at dfe.example"))

    assert message.endswith(
        "board NEL, key dfe: 'scr at dfe.example' is not an email address (name@domain, nothing else)"
    )


@pytest.mark.parametrize(
    "address",
    ["no-at-sign.example", "two@@dfe.example", "a@localhost", "Name <a@dfe.example>", "a@dfe.example ", ""],
)
def test_what_is_not_an_address(address: str) -> None:
    assert "is not an email address" in refusal(NEL.replace("scr@dfe.example", address))


def test_an_address_in_a_list_is_checked_too() -> None:
    message = refusal(NEL.replace('"health@partners.example"', '"health"'))

    assert "board NEL, key partners: 'health' is not an email address" in message


def test_an_unknown_key_is_named() -> None:
    message = refusal(nel_with('ofstead = "x@ofsted.example"'))

    assert "board NEL, key ofstead: not a recipient or role (known: " in message
    assert "lead_reviewer" in message


@pytest.mark.parametrize("key", REQUIRED)
def test_a_board_lacking_a_required_recipient(key: str) -> None:
    message = refusal(nel_without(key))

    assert f"board NEL, key {key}: missing (every board needs {', '.join(REQUIRED)})" in message


def test_a_board_in_scr_boards_without_a_table() -> None:
    message = refusal(NEL, frozenset({"NEL", "SEL"}))

    assert message.endswith("board SEL (SCR_BOARDS) has no [SEL] table")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("[]", "expected an email address or a non-empty list of them"),
        ("42", "expected an email address or a non-empty list of them"),
        ('["bm@nel-lscb.example", 42]', "expected an email address or a non-empty list of them"),
        ('["bm@nel-lscb.example", "bm@nel-lscb.example"]', "lists the same address twice"),
    ],
)
def test_a_value_that_is_not_addresses(value: str, why: str) -> None:
    message = refusal(NEL.replace('"bm@nel-lscb.example"', value))

    assert message.endswith(f"board NEL, key business_manager: {why}")


def test_a_table_name_that_is_not_a_board_code() -> None:
    message = refusal(NEL + NEL.replace("[NEL]", '["NEL-2"]'))

    assert message.endswith("board NEL-2: not a board code (letters only, e.g. NEL)")


def test_a_board_that_is_not_a_table() -> None:
    message = refusal('ofsted = "enquiries@ofsted.example"\n' + NEL)

    assert "board ofsted: expected a table ([ofsted]) of recipients and their addresses" in message


def test_a_board_twice_in_different_case() -> None:
    message = refusal(NEL + NEL.replace("[NEL]", "[nel]"))

    assert message.endswith("board nel: appears twice (board codes ignore case)")
